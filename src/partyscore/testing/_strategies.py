"""The strategies: record lists for a scheme (`records`) and records on its band bounds
(`boundary_records`, with `Boundary`), steered by the ranges of the scheme's numbers.

What a scheme has (its items, attributes, bandings and their bounds, the period kind, the
group) is read from the compiled plan. What a boundary record evaluates to, and which band it
belongs in, is the oracle's answer (`partyscore.testing._oracle`), not the engine's.
"""

from __future__ import annotations

import copy
import decimal
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, TypeVar

from hypothesis import reject
from hypothesis import strategies as st

from .. import models as m
from .._compile import CompiledScheme
from .._i18n import _
from .._numbers import MAX_PLACES
from .._periods import PER_YEAR, Period
from .._plan import BandingRule, ItemPlan, Rule, ScoreRule, declared_order
from .._ranges import Ranges
from ._oracle import (
    _attributes_of,
    _band_for,
    _context,
    _linear_problem,
    _Local,
    _points_of,
    _rounded,
    _rounding_of,
    _Unsupported,
)

Records = list[dict[str, Any]]
"""A list of records as `partyscore.evaluate` takes them: subject, period, attributes, points."""
Range = tuple[Decimal, Decimal]

_SUBJECTS = tuple(f"s{i}" for i in range(1, 13))
"""Subject ids; ``s10`` sorts before ``s2``, so sorting by id is exercised."""
_TEXTS = ("g1", "g2", "g3")
"""Values of text attributes: few, so that groups have several members."""
_LEVELS = 20
"""Steps between an item's min and max for the level shared by a record's items."""
_LEVEL = st.one_of(
    st.integers(0, _LEVELS),
    st.integers(_LEVELS * 3 // 4, _LEVELS),  # where rewards and top bands usually are
    st.integers(0, _LEVELS // 4),  # where penalties usually are
    st.sampled_from([_LEVELS, _LEVELS - 1]),  # full marks and just below: the top band
)
_HORIZON_YEARS = 10
"""How far past its start an open-ended scheme's periods are drawn."""
_INF = Decimal("Infinity")

_R = TypeVar("_R", bound=Rule)


# --------------------------------------------------------------------------- the scheme


def _unit(rounding: m.Rounding) -> Decimal:
    return Decimal(1).scaleb(-rounding.places)


def _period_span(scheme: CompiledScheme) -> tuple[int, int]:
    """The first and last period (as running numbers) inside the scheme's effective dates."""
    kind, per = scheme.plan.period, PER_YEAR[scheme.plan.period]
    effective = scheme.model.effective  # the plan has no dates: it compiles rules

    def ordinal(day: date) -> int:
        return day.year * per + (day.month - 1) // (12 // per)

    first = ordinal(effective.start)
    if _period(first, kind).start < effective.start:
        first += 1
    end = effective.end
    last = first + _HORIZON_YEARS * per - 1 if end is None else ordinal(end - timedelta(days=1))
    if last < first:
        message = _("no period starts within the scheme's effective dates")
        raise ValueError(f"{scheme.id}: {message}")
    return first, last


def _period(ordinal: int, kind: str) -> Period:
    per = PER_YEAR[kind]
    return Period(ordinal // per, ordinal % per + 1, kind)


# --------------------------------------------------------------------------- records


def _grid(low: Decimal, high: Decimal, unit: Decimal) -> st.SearchStrategy[Decimal]:
    """Numbers from `low` to `high` on the grid of `unit`, with both ends likely."""
    if low >= high:
        return st.just(low)
    start = int((low / unit).to_integral_value(rounding=decimal.ROUND_CEILING))
    stop = int((high / unit).to_integral_value(rounding=decimal.ROUND_FLOOR))
    ends = st.sampled_from([low, high])
    if start > stop:  # no grid value between the two ends
        return ends
    return st.one_of(st.integers(start, stop).map(lambda k: Decimal(k) * unit), ends)


def _attribute_strategy(attr: m.Attribute, unit: Decimal) -> st.SearchStrategy[Any]:
    if attr.type == "enum":
        return st.sampled_from(attr.values or [])
    if attr.type == "bool":
        return st.booleans()
    if attr.type == "number":
        low = attr.min if attr.min is not None else Decimal(0)
        high = attr.max if attr.max is not None else max(low, Decimal(0)) + 1000
        return _grid(low, high, unit)
    return st.sampled_from(_TEXTS)


@st.composite
def _values(
    draw: st.DrawFn,
    scheme: CompiledScheme,
    overrides: Mapping[str, st.SearchStrategy[Any]],
    fixed: Mapping[str, Any],
    level: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Attributes and points of one record: every item that applies, within its range.

    Unless every item is drawn on its own, points items take the same `level` (0 to
    `_LEVELS` steps up their range; drawn when None) and flags are false, but for a few items
    drawn freely: independent items would add up to totals near the middle, a shared level
    spreads totals over every band (and draws little).
    """
    unit = _unit(scheme.plan.rounding)
    attributes: dict[str, Any] = {}
    for name, attr in scheme.attributes.items():
        if name in fixed:
            attributes[name] = fixed[name]
        elif name in overrides:
            attributes[name] = draw(overrides[name])
        elif attr.default is not None and draw(st.booleans()):
            continue  # left empty: the default applies
        else:
            attributes[name] = draw(_attribute_strategy(attr, unit))
    effective = {
        name: attributes.get(name, attr.default) for name, attr in scheme.attributes.items()
    }
    share_of_range = Decimal(draw(_LEVEL) if level is None else level) / _LEVELS
    applying = [item for item in scheme.items.values() if item.applies(effective)]
    free = draw(st.integers(0, 3)) == 3  # every item on its own, else a shared level
    points: dict[str, Any] = {}
    for item in applying:
        if free:
            points[item.id] = draw(_item_value(item, unit))
        elif item.type == "flag":
            points[item.id] = False
        else:
            assert item.max is not None
            share = item.min + share_of_range * (item.max - item.min)
            points[item.id] = max(share.quantize(unit, decimal.ROUND_FLOOR), item.min)
    if applying and not free:
        for _ in range(draw(st.integers(0, 3))):  # a few items off the level
            item = draw(st.sampled_from(applying))
            points[item.id] = draw(_item_value(item, unit))
    return attributes, points


def _item_value(item: ItemPlan, unit: Decimal) -> st.SearchStrategy[Any]:
    if item.type == "flag":
        return st.booleans()
    assert item.max is not None
    return _grid(item.min, item.max, unit)


def _bounds(value: int | tuple[int, int], what: str) -> tuple[int, int]:
    low, high = (value, value) if isinstance(value, int) else value
    if not 1 <= low <= high:
        # TRANSLATORS: {argument} is the argument's name: subjects or periods
        message = _("{argument} must be a count or a (min, max) pair with 1 <= min <= max")
        raise ValueError(message.format(argument=what))
    return low, high


def records(
    scheme: CompiledScheme,
    *,
    subjects: int | tuple[int, int] = (1, 6),
    periods: int | tuple[int, int] | None = None,
    attributes: Mapping[str, st.SearchStrategy[Any]] | None = None,
) -> st.SearchStrategy[Records]:
    """A strategy of valid record lists for `scheme`, ready for `partyscore.evaluate`.

    `subjects` subjects (``s1``, ``s2``, ...; default 1 to 6) have records in a run of
    `periods` consecutive periods of the scheme's kind within its effective dates (default: 1
    to a year's worth, at least 3; runs often start in January, so year ends happen). Each
    subject has at most one record a period, and misses some. Attributes are drawn by type
    (enum values, booleans, numbers within their declared min/max or else 0..1000, text from
    a few group names; defaults sometimes left to apply) and the group attribute stays with
    its subject; `attributes` replaces the strategy of named attributes. Every item that
    applies gets points from min to max on the grid of the scheme's rounding, most of them at
    a level shared across the batch, so that scores spread over every band and races are
    close (flags true or false); some subjects copy another's values, so scores tie.

    >>> @given(records(scheme, subjects=(2, 4)))  # doctest: +SKIP
    ... def test_every_record_is_evaluated(batch):
    ...     assert len(partyscore.evaluate(scheme, batch).results) >= len(batch)

    Raises:
        ValueError: when a bound is not a positive count, an override names no attribute,
            or no period lies within the scheme's effective dates.
    """
    per = PER_YEAR[scheme.plan.period]
    subject_range = _bounds(subjects, "subjects")
    period_range = _bounds(periods if periods is not None else (1, max(per, 3)), "periods")
    if subject_range[1] > len(_SUBJECTS):
        raise ValueError(_("at most {count} subjects").format(count=len(_SUBJECTS)))
    overrides = dict(attributes or {})
    unknown = sorted(set(overrides) - set(scheme.attributes))
    if unknown:
        message = _("{scheme} has no attribute {names}")
        raise ValueError(message.format(scheme=scheme.id, names=", ".join(unknown)))
    first, last = _period_span(scheme)
    return _batches(scheme, subject_range, period_range, overrides, first, last)


@dataclass(frozen=True)
class _Drawn:
    """One subject as drawn: its values in every period of the run, which periods it has a
    record in, and whose values it copies (an index into the subjects), if anyone's."""

    name: str
    values: tuple[tuple[dict[str, Any], dict[str, Any]], ...]
    present: tuple[bool, ...]
    copies: int | None


@st.composite
def _subject(
    draw: st.DrawFn,
    scheme: CompiledScheme,
    overrides: Mapping[str, st.SearchStrategy[Any]],
    length: int,
    level: int,
) -> _Drawn:
    name = draw(st.sampled_from(_SUBJECTS))
    group = scheme.plan.group
    fixed: dict[str, Any] = {}
    if group is not None:  # a subject stays in its group
        unit = _unit(scheme.plan.rounding)
        fixed[group] = draw(
            overrides.get(group, _attribute_strategy(scheme.attributes[group], unit))
        )
    values = []
    for _period in range(length):  # drawn for every period, so that dropping one shifts nothing
        alike = level if draw(st.integers(0, 2)) != 2 else None
        values.append(draw(_values(scheme, overrides, fixed, alike)))
    present = tuple(draw(st.integers(0, 7)) != 0 for _ in range(length))
    copies = draw(st.integers(0, len(_SUBJECTS) - 1)) if draw(st.integers(0, 3)) == 3 else None
    return _Drawn(name, tuple(values), present, copies)


@st.composite
def _batches(
    draw: st.DrawFn,
    scheme: CompiledScheme,
    subject_range: tuple[int, int],
    period_range: tuple[int, int],
    overrides: Mapping[str, st.SearchStrategy[Any]],
    first: int,
    last: int,
) -> Records:
    kind = scheme.plan.period
    per = PER_YEAR[kind]
    length = min(draw(st.integers(*period_range)), last - first + 1)
    start = draw(st.integers(first, last - length + 1))
    january = -(-start // per) * per  # the next first period of a year
    if draw(st.booleans()) and january + length - 1 <= last:
        start = january
    level = draw(_LEVEL)  # most records of a batch score alike: close races
    # One list element per subject, so that shrinking drops whole subjects.
    count = draw(st.integers(*subject_range))
    subjects = draw(
        st.lists(
            _subject(scheme, overrides, length, level),
            min_size=count,
            max_size=count,
            unique_by=lambda drawn: drawn.name,
        )
    )
    group = scheme.plan.group
    batch: Records = []
    for drawn in subjects:
        present = drawn.present if any(drawn.present) else (True, *drawn.present[1:])
        source = subjects[drawn.copies % len(subjects)] if drawn.copies is not None else drawn
        for offset, here in enumerate(present):
            if not here:
                continue
            attrs, points = drawn.values[offset]
            theirs, their_points = source.values[offset]
            if group is not None:  # a subject keeps its own group
                theirs = {**theirs, group: attrs[group]}
            if source.present[offset] and _same_items(scheme, theirs, source.values[offset][0]):
                attrs, points = theirs, their_points  # the same values as another: a tie
            batch.append(
                {
                    "subject": drawn.name,
                    "period": _period(start + offset, kind).label,
                    "attributes": copy.deepcopy(attrs),
                    "points": copy.deepcopy(points),
                }
            )
    order = draw(st.permutations(range(len(batch))))
    return [batch[i] for i in order]


def _same_items(scheme: CompiledScheme, ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> bool:
    """Whether the same items apply under both attribute sets (a group may select items)."""
    mine = _attributes_of(scheme, {"attributes": ours})
    other = _attributes_of(scheme, {"attributes": theirs})
    return all(i.applies(mine) == i.applies(other) for i in scheme.items.values())


# --------------------------------------------------------------------------- ranges


class _Ranges:
    """The range every number of a scheme can take, as tuples: the one range analysis of
    partyscore (`partyscore._ranges`, which the linter reads too)."""

    def __init__(self, scheme: CompiledScheme) -> None:
        self.found = Ranges(scheme.plan)

    def of(self, name: str) -> Range | None:
        """A number's range (a score's cut to its declared range); None for flags and enums."""
        found = self.found.of.get(name)
        return None if found is None else (found.lo, found.hi)

    def implied(self, name: str) -> Range | None:
        """A section's or score's range from its parts alone, rounded outward."""
        found = self.found.implied.get(name)
        return self.of(name) if found is None else (found.lo, found.hi)

    def year_end(self) -> dict[str, Range]:
        """The range of every year-end score."""
        return {
            rule.id: (self.found.implied[rule.id].lo, self.found.implied[rule.id].hi)
            for rule in self.found.plan.year_end
            if isinstance(rule, ScoreRule)
        }


# --------------------------------------------------------------------------- boundaries


@dataclass(frozen=True)
class Boundary:
    """One record whose banded score sits on a band bound, or one rounding unit from it.

    `value` is the score the record evaluates to; `band` the band it belongs in by the
    declared bounds (the unbanded band, or None where ``unbanded: error`` makes it an error);
    `edge` names the bound, as in ``step1 below 80 and step2 at_least 80``.
    """

    banding: str
    score: str
    bound: Decimal
    edge: str
    side: Literal["below", "on", "above"]
    value: Decimal
    band: str | None
    record: dict[str, Any]

    @property
    def records(self) -> Records:
        """The record as a one-record list, ready for `partyscore.evaluate`."""
        return [self.record]


@dataclass(frozen=True)
class _Target:
    banding: BandingRule
    bound: Decimal
    edge: str
    side: Literal["below", "on", "above"]
    value: Decimal


def _targets(scheme: CompiledScheme, banding: BandingRule) -> list[_Target]:
    """Every bound of `banding`, one unit below and above it, where the score can get to."""
    rounding = _rounding_of(scheme, banding.score)
    unit = _unit(rounding or scheme.plan.rounding)  # an exact score: the input grid
    reach = _Ranges(scheme).of(banding.score) or (-_INF, _INF)
    edges: dict[Decimal, list[str]] = {}
    for band in banding.bands:
        for key, bound in band.bounds:
            edges.setdefault(bound, []).append(f"{band.id} {key} {bound}")
    found: dict[Decimal, _Target] = {}
    for bound, named in sorted(edges.items()):
        steps: tuple[tuple[Literal["below", "on", "above"], Decimal], ...] = (
            ("on", bound),
            ("below", bound - unit),
            ("above", bound + unit),
        )
        for side, value in steps:
            on_grid = value.quantize(unit, rounding=decimal.ROUND_FLOOR) == value
            if on_grid and reach[0] <= value <= reach[1] and value not in found:
                found[value] = _Target(banding, bound, " and ".join(named), side, value)
    return sorted(found.values(), key=lambda t: t.value)


def _solve(
    scheme: CompiledScheme,
    name: str,
    target: Decimal,
    attributes: Mapping[str, Any],
    start: Mapping[str, Any],
    order: Sequence[str],
) -> dict[str, Any] | None:
    """Item points near `start` that make `name` evaluate to `target`, or None.

    Linearise the score at the current points, let the items (in `order`) absorb the
    difference within their ranges, repeat where a cap, min() or a condition changed the
    picture; aim at the target and at a quarter unit either side, for directed roundings.
    Item values stay on the scheme's rounding grid where that reaches the target, else
    they take up to 10 decimal places.
    """
    rounding = _rounding_of(scheme, name)
    is_score = any(rule.id == name for rule in scheme.plan.scores)
    unit = _unit(rounding or scheme.plan.rounding)
    aims = (target, target + unit / 4, target - unit / 4) if is_score else (target,)
    lowest = {**start, **{item: scheme.items[item].min for item in order}}
    grid = _unit(scheme.plan.rounding)
    for quantum in (grid, Decimal(1).scaleb(-MAX_PLACES)):
        for origin in (start, lowest):
            for aim in aims:
                points = dict(origin)
                for _attempt in range(6):
                    try:
                        raw = _Local(scheme, attributes, points).raw(name)
                        got = _rounded(raw.value, rounding) if is_score else raw.value
                    except (_Unsupported, decimal.DecimalException):
                        break
                    if got == target:
                        return points
                    if not _absorb(scheme, points, raw.grad, aim - raw.value, order, quantum):
                        break
    return None


def _absorb(
    scheme: CompiledScheme,
    points: dict[str, Any],
    grad: Mapping[str, Decimal],
    residual: Decimal,
    order: Sequence[str],
    quantum: Decimal,
) -> bool:
    """Move items (in `order`) within their ranges by residual / coefficient, in steps of
    `quantum`; whether any moved."""
    moved = False
    with decimal.localcontext(_context()):
        for item in order:
            coefficient = grad.get(item)
            if not coefficient or not residual:
                continue
            info = scheme.items[item]
            assert info.max is not None
            now = points[item]
            wanted = min(max(now + residual / coefficient, info.min), info.max)
            stepped = wanted.quantize(quantum)
            if info.min <= stepped <= info.max:  # else the range end itself, a valid value
                wanted = stepped
            if wanted != now:
                residual -= coefficient * (wanted - now)
                points[item] = wanted
                moved = True
    return moved


def _supported(
    scheme: CompiledScheme, banding_id: str | None, *, warn: bool = True
) -> list[BandingRule]:
    declared = declared_order(scheme.plan.bandings)
    bandings = [b for b in declared if banding_id in (None, b.id)]
    if banding_id is not None and not bandings:
        known = ", ".join(b.id for b in declared) or _("none")
        message = _("{scheme} has no banding {banding!r} (bandings: {known})")
        raise ValueError(message.format(scheme=scheme.id, banding=banding_id, known=known))
    good = []
    for banding in bandings:
        problem = _linear_problem(scheme, banding.score)
        if problem is None:
            good.append(banding)
        elif banding_id is not None:
            # TRANSLATORS: {problem} says why, as in "it depends on the outcome 'pay'"
            message = _("boundary_records cannot steer {banding}'s score {score!r}: {problem}")
            message = message.format(banding=banding.id, score=banding.score, problem=problem)
            raise ValueError(f"{scheme.id}: {message}")
        elif warn:
            # TRANSLATORS: {problem} says why, as in "it depends on the outcome 'pay'"
            message = _(
                "the bounds of {banding} are not checked: its score {score!r} is not linear in "
                "item points ({problem})"
            ).format(banding=banding.id, score=banding.score, problem=problem)
            warnings.warn(f"{scheme.id}: {message}", stacklevel=3)
    return good


def boundary_records(
    scheme: CompiledScheme, banding_id: str | None = None
) -> st.SearchStrategy[list[Boundary]]:
    """A strategy of boundary cases: for every bound of `banding_id` (default: every banding),
    one record whose banded score is exactly on it, one whose score is one rounding unit
    below it, and one a unit above it.

    Each case is one record, to be evaluated on its own (`Boundary.records`). Supported: a
    banded score that is linear in item points where the record lies: sums of items and
    sections, products with constants, division by constants, parameters, and (piecewise)
    caps, ``min``/``max``/``abs`` and ``x if c else y``. Values are drawn for every item,
    then items with a nonzero coefficient absorb the difference to the target within their
    ranges. Targets off the score's rounding grid or outside its reachable range are left
    out, as is a target the drawn attributes make unreachable. Not supported: products or
    quotients of two item-dependent terms, scores that depend on rewards or actions, or on
    no item at all.

    >>> @given(boundary_records(scheme, "step"))  # doctest: +SKIP
    ... def test_bounds(cases):
    ...     for case in cases:
    ...         result = partyscore.evaluate(scheme, case.records).results[0]
    ...         assert result.scores[case.score] == case.value

    Raises:
        ValueError: when `banding_id` is unknown or its score is not supported, or when no
            bound of the chosen bandings can be reached.
    """
    bandings = _supported(scheme, banding_id)
    targets = [t for b in bandings for t in _targets(scheme, b)]
    if not targets:
        message = _("no band bound can be reached by item points")
        raise ValueError(f"{scheme.id}: {message}")
    return _boundaries(scheme, targets)


@st.composite
def _boundaries(draw: st.DrawFn, scheme: CompiledScheme, targets: list[_Target]) -> list[Boundary]:
    found = [case for target in targets if (case := draw(_boundary(scheme, target)))]
    if not found:
        reject()
    return found


@st.composite
def _boundary(draw: st.DrawFn, scheme: CompiledScheme, target: _Target) -> Boundary | None:
    first, _ = _period_span(scheme)
    attributes, drawn = draw(_values(scheme, {}, {}))
    effective = _attributes_of(scheme, {"attributes": attributes})
    points = _points_of(scheme, {"attributes": attributes, "points": drawn})
    movable = [
        i for i, item in scheme.items.items() if item.type == "points" and item.applies(effective)
    ]
    order = draw(st.permutations(movable))
    score = target.banding.score
    solved = _solve(scheme, score, target.value, effective, points, order)
    if solved is None:
        return None
    return Boundary(
        banding=target.banding.id,
        score=score,
        bound=target.bound,
        edge=target.edge,
        side=target.side,
        value=target.value,
        # the band by the bounds as declared (the banding's model), not by the engine's plan
        band=_band_for(target.banding.model, target.value),
        record={
            "subject": _SUBJECTS[0],
            "period": _period(first, scheme.plan.period).label,
            "attributes": attributes,
            "points": {name: solved[name] for name in drawn},
        },
    )
