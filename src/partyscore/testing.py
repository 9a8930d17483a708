"""Hypothesis strategies and ready-made property checks for your own scoring schemes.

This module needs Hypothesis, which comes with the ``test`` extra
(``pip install "partyscore[test]"``). Call the checks from plain test functions::

    import partyscore
    from partyscore.testing import check_all

    def test_my_scheme_keeps_its_promises():
        check_all(partyscore.load_scheme("schemes/my-scheme.yaml"))

Each ``check_*`` function runs a Hypothesis test on generated records and raises
`AssertionError` with the scheme, the broken property and the smallest records found.
`records` and `boundary_records` are the strategies behind them, for your own properties.
See ``docs/testing.md``.

Independent on purpose: the checks judge the engine with an oracle of their own, written
from the scheme's declared bounds and the language reference, never taken from the engine:
band membership (`_holds`, `_band_for`, `_band_order`) and the one-record evaluator
(`_Local`, with the names it reads in `_kinds`). The ranges that steer the strategies and
the boundary search are partyscore's one range analysis (`partyscore._ranges`), which the
linter reads too.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import decimal
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import hypothesis
from hypothesis import HealthCheck, given, reject
from hypothesis import strategies as st

from . import models as m
from ._bands import lower, upper
from ._codegen import ROUNDING_MODES, round_to
from ._compile import CompiledScheme
from ._diagnostics import EvaluationError
from ._evaluate import evaluate
from ._expr import ARITHMETIC
from ._numbers import MAX_PLACES
from ._periods import PER_YEAR, Period
from ._plan import ScoreRule, TopRule
from ._ranges import Ranges
from ._render import to_json
from ._results import Evaluation, Result

__all__ = [
    "Boundary",
    "Records",
    "boundary_records",
    "check_all",
    "check_bounds_inclusive",
    "check_deterministic",
    "check_monotone",
    "check_one_band",
    "check_order_independent",
    "check_parts_add_up",
    "check_rank_prize_count",
    "check_scores_in_range",
    "records",
]

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


def _context() -> decimal.Context:
    """The evaluator's arithmetic: 28 digits, errors trapped."""
    return ARITHMETIC.copy()


# --------------------------------------------------------------------------- the scheme


def _rounding_of(scheme: CompiledScheme, name: str) -> m.Rounding:
    """The rounding of a score, else the scheme's (which also sets the grid of inputs)."""
    for score in scheme.model.scores:
        if score.id == name and score.rounding is not None:
            return score.rounding
    return scheme.model.rounding


def _unit(rounding: m.Rounding) -> Decimal:
    return Decimal(1).scaleb(-rounding.places)


def _holds(band: m.Band, value: Decimal) -> bool:
    """Whether `value` is in `band`, read from the bound keys alone (not from the engine)."""
    (lo, lo_in), (hi, hi_in) = lower(band), upper(band)
    return (lo < value or (lo_in and lo == value)) and (value < hi or (hi_in and value == hi))


def _band_for(banding: m.Banding, value: Decimal) -> str | None:
    """The band `value` belongs in by the declared bounds: a band, the unbanded band, or None
    when ``unbanded: error``. Several holding bands would be an overlap; the first is named."""
    holding = [b.id for b in banding.bands if _holds(b, value)]
    if holding:
        return holding[0]
    return banding.unbanded.id if isinstance(banding.unbanded, m.Unbanded) else None


def _band_order(banding: m.Banding, value: Decimal) -> int:
    """Position of `value` on the banding's ladder: 2k+1 inside the (k+1)-th band from the
    bottom, 2k in the gap above k bands (where the unbanded band applies)."""
    ordered = sorted(banding.bands, key=lambda b: (lower(b)[0], not lower(b)[1]))
    below = 0
    for index, band in enumerate(ordered):
        if _holds(band, value):
            return 2 * index + 1
        hi, hi_in = upper(band)
        if hi < value or (hi == value and not hi_in):
            below = index + 1
    return 2 * below


def _applies(item: m.Item, attributes: Mapping[str, Any]) -> bool:
    return all(attributes.get(a) in values for a, values in (item.applies_to or {}).items())


def _attributes_of(scheme: CompiledScheme, record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's attributes with the scheme's defaults filled in."""
    given_values = record.get("attributes", {})
    result: dict[str, Any] = {}
    for name, attr in scheme.attributes.items():
        value = given_values.get(name)
        result[name] = attr.default if value is None else value
    return result


def _points_of(scheme: CompiledScheme, record: Mapping[str, Any]) -> dict[str, Any]:
    """Every item's value as evaluation sees it: 0 (or false) where the item does not apply."""
    attributes = _attributes_of(scheme, record)
    given_points = record.get("points", {})
    result: dict[str, Any] = {}
    for name, info in scheme.items.items():
        value = given_points.get(name)
        if not _applies(info.model, attributes) or value is None:
            result[name] = False if info.model.type == "flag" else Decimal(0)
        elif info.model.type == "points" and not isinstance(value, Decimal):
            result[name] = Decimal(str(value).strip())  # e.g. CSV text
        else:
            result[name] = value
    return result


def _period_span(scheme: CompiledScheme) -> tuple[int, int]:
    """The first and last period (as running numbers) inside the scheme's effective dates."""
    model = scheme.model
    kind, per = model.period, PER_YEAR[model.period]

    def ordinal(day: date) -> int:
        return day.year * per + (day.month - 1) // (12 // per)

    first = ordinal(model.effective.start)
    if _period(first, kind).start < model.effective.start:
        first += 1
    end = model.effective.end
    last = first + _HORIZON_YEARS * per - 1 if end is None else ordinal(end - timedelta(days=1))
    if last < first:
        raise ValueError(f"{scheme.id}: no period starts within the scheme's effective dates")
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
    unit = _unit(scheme.model.rounding)
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
    applying = [info.model for info in scheme.items.values() if _applies(info.model, effective)]
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


def _item_value(item: m.Item, unit: Decimal) -> st.SearchStrategy[Any]:
    if item.type == "flag":
        return st.booleans()
    assert item.max is not None
    return _grid(item.min, item.max, unit)


def _bounds(value: int | tuple[int, int], what: str) -> tuple[int, int]:
    low, high = (value, value) if isinstance(value, int) else value
    if not 1 <= low <= high:
        raise ValueError(f"{what} must be a count or a (min, max) pair with 1 <= min <= max")
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
    per = PER_YEAR[scheme.model.period]
    subject_range = _bounds(subjects, "subjects")
    period_range = _bounds(periods if periods is not None else (1, max(per, 3)), "periods")
    if subject_range[1] > len(_SUBJECTS):
        raise ValueError(f"at most {len(_SUBJECTS)} subjects")
    overrides = dict(attributes or {})
    unknown = sorted(set(overrides) - set(scheme.attributes))
    if unknown:
        raise ValueError(f"{scheme.id} has no attribute {', '.join(unknown)}")
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
    group = scheme.model.subject.group
    fixed: dict[str, Any] = {}
    if group is not None:  # a subject stays in its group
        unit = _unit(scheme.model.rounding)
        fixed[group] = draw(
            overrides.get(group, _attribute_strategy(scheme.attributes[group], unit))
        )
    values = []
    for _ in range(length):  # drawn for every period, so that dropping one shifts nothing
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
    kind = scheme.model.period
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
    group = scheme.model.subject.group
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
    return all(_applies(i.model, mine) == _applies(i.model, other) for i in scheme.items.values())


_make_records = records


# --------------------------------------------------------------------------- names


def _kinds(scheme: CompiledScheme) -> dict[str, tuple[str, Any]]:
    """What each name of the scheme is: ("item", Item), ("section", Section), ("score", Score),
    ("parameter", Parameter), ("attribute", Attribute), ("banding", Banding),
    ("field", Banding), ("rank" | "size" | "last", Ranking) or ("outcome", rule)."""
    model = scheme.model
    kinds: dict[str, tuple[str, Any]] = {}
    for name, attr in model.subject.attributes.items():
        kinds[name] = ("attribute", attr)
    for name, param in model.parameters.items():
        kinds[name] = ("parameter", param)
    for section in model.sections:
        kinds[section.id] = ("section", section)
        for item in section.items:
            kinds[item.id] = ("item", item)
    for score in model.scores:
        kinds[score.id] = ("score", score)
    for banding in model.bands:
        kinds[banding.id] = ("banding", banding)
        for name in banding.fields:
            kinds[name] = ("field", banding)
    for ranking in model.rankings:
        kinds[ranking.id] = ("rank", ranking)
        kinds[f"{ranking.id}_size"] = ("size", ranking)
        kinds[f"{ranking.id}_last"] = ("last", ranking)
    for rule in [*model.rewards, *model.actions]:
        kinds[rule.id] = ("outcome", rule)
    return kinds


def _tree(scheme: CompiledScheme, kind: str, ident: str, key: str = "expr") -> ast.expr:
    rule = scheme.plan.rule(ident)
    if isinstance(rule, TopRule):
        return rule.constant.tree
    assert isinstance(rule, ScoreRule), (kind, key)
    return rule.expr.tree


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


# --------------------------------------------------------------------------- one record, locally


class _Unsupported(Exception):
    """The banded score is not a linear function of item points here."""


@dataclass(frozen=True)
class _Dual:
    """A number and how it moves with each item's points (its local coefficients)."""

    value: Decimal
    grad: Mapping[str, Decimal] = field(default_factory=dict)

    def plus(self, other: _Dual, sign: int = 1) -> _Dual:
        grad = dict(self.grad)
        for name, coefficient in other.grad.items():
            grad[name] = grad.get(name, Decimal(0)) + sign * coefficient
        return _Dual(self.value + sign * other.value, {k: v for k, v in grad.items() if v})

    def scaled(self, factor: Decimal, value: Decimal) -> _Dual:
        return _Dual(value, {k: v * factor for k, v in self.grad.items() if v * factor})


class _Local:
    """Evaluates one record alone, independently of the engine, tracking for every number its
    value and its coefficients in the item points (forward-mode differentiation). In a batch
    of one, every rank is 1 of 1 and last."""

    def __init__(
        self,
        scheme: CompiledScheme,
        attributes: Mapping[str, Any],
        points: Mapping[str, Any],
    ) -> None:
        self.scheme = scheme
        self.kinds = _kinds(scheme)
        self.attributes = attributes
        self.points = points
        self.memo: dict[str, Any] = {}

    def raw(self, name: str) -> _Dual:
        """A score before its rounding (other names as they are)."""
        kind, _ = self.kinds[name]
        value = (
            self.number(_tree(self.scheme, "score", name)) if kind == "score" else self.get(name)
        )
        if not isinstance(value, _Dual):
            raise _Unsupported(f"{name!r} is not a number")
        return value

    def get(self, name: str) -> Any:
        if name not in self.memo:
            with decimal.localcontext(_context()):
                self.memo[name] = self.compute(name)
        return self.memo[name]

    def compute(self, name: str) -> Any:
        kind, rule = self.kinds[name]
        if kind == "attribute":
            value = self.attributes.get(name)
            if rule.type == "number" and value is not None:
                return _Dual(Decimal(str(value)))
            return value
        if kind == "parameter":
            if rule.by is not None:
                return _Dual(rule.values[self.attributes[rule.by]])
            return _Dual(rule.value)
        if kind == "item":
            if rule.type == "flag":
                return bool(self.points[name])
            if not _applies(rule, self.attributes):
                return _Dual(Decimal(0))
            return _Dual(self.points[name], {name: Decimal(1)})
        if kind == "section":
            if rule.kind == "veto":
                return any(bool(self.points[i.id]) for i in rule.items)
            total = _Dual(Decimal(0))
            for item in rule.items:
                total = total.plus(self.get(item.id))
            if rule.cap is not None and total.value > rule.cap:
                return _Dual(rule.cap)
            return total
        if kind == "score":
            raw = self.raw(name)
            return _Dual(round_to(raw.value, _rounding_of(self.scheme, name)), raw.grad)
        if kind in ("banding", "field"):
            band = self.band(rule)
            if kind == "banding":
                return band.id
            return _Dual(band.values[name])
        if kind == "rank" or kind == "size":
            return _Dual(Decimal(1))
        if kind == "last":
            return True
        raise _Unsupported(f"depends on the outcome {name!r}")

    def band(self, banding: m.Banding) -> m.Band | m.Unbanded:
        value = self.get(banding.score)
        score = value.value if isinstance(value, _Dual) else value
        found = next((b for b in banding.bands if _holds(b, score)), None)
        if found is not None:
            return found
        if isinstance(banding.unbanded, m.Unbanded):
            return banding.unbanded
        raise _Unsupported(f"{banding.score} = {score} is in no band of {banding.id}")

    def number(self, node: ast.expr) -> _Dual:
        with decimal.localcontext(_context()):
            value = self.walk(node)
        if not isinstance(value, _Dual):
            raise _Unsupported("not a number")
        return value

    def walk(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return _Dual(node.value) if isinstance(node.value, Decimal) else node.value
        if isinstance(node, ast.Name):
            return self.get(node.id)
        if isinstance(node, ast.Tuple):
            return tuple(self.walk(e) for e in node.elts)
        if isinstance(node, ast.UnaryOp):
            inner = self.walk(node.operand)
            if isinstance(node.op, ast.Not):
                return not inner
            return (
                inner.scaled(Decimal(-1), -inner.value) if isinstance(node.op, ast.USub) else inner
            )
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.walk(node.left), self.walk(node.right))
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(self.walk(v) for v in node.values)
            return any(self.walk(v) for v in node.values)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            return self.walk(node.body) if self.walk(node.test) else self.walk(node.orelse)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            args: list[_Dual] = [self.walk(a) for a in node.args]
            if node.func.id == "abs":
                (x,) = args
                return x.scaled(Decimal(-1), -x.value) if x.value < 0 else x
            pick = min if node.func.id == "min" else max
            return pick(args, key=lambda d: d.value)  # the first one, as min()/max() do
        raise _Unsupported(f"{type(node).__name__} is not supported")

    @staticmethod
    def binop(op: ast.operator, left: _Dual, right: _Dual) -> _Dual:
        if isinstance(op, ast.Add):
            return left.plus(right)
        if isinstance(op, ast.Sub):
            return left.plus(right, -1)
        if isinstance(op, ast.Mult):
            if left.grad and right.grad:
                raise _Unsupported("multiplies two terms that depend on item points")
            if right.grad:
                left, right = right, left
            return left.scaled(right.value, left.value * right.value)
        if right.grad:
            raise _Unsupported("divides by a term that depends on item points")
        return left.scaled(1 / right.value, left.value / right.value)

    def compare(self, node: ast.Compare) -> bool:
        def plain(value: Any) -> Any:
            return value.value if isinstance(value, _Dual) else value

        left = plain(self.walk(node.left))
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = plain(self.walk(comparator))
            if isinstance(op, ast.In | ast.NotIn):
                holds = (left in right) == isinstance(op, ast.In)
            else:
                holds = _COMPARE[type(op)](left, right)
            if not holds:
                return False
            left = right
        return True


_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: bool(a == b),
    ast.NotEq: lambda a, b: bool(a != b),
    ast.Lt: lambda a, b: bool(a < b),
    ast.LtE: lambda a, b: bool(a <= b),
    ast.Gt: lambda a, b: bool(a > b),
    ast.GtE: lambda a, b: bool(a >= b),
}


def _linear_problem(scheme: CompiledScheme, name: str) -> str | None:
    """Why `name` cannot be steered by item points with `boundary_records`, or None."""
    kinds = _kinds(scheme)

    def walk(node: ast.expr, seen: frozenset[str]) -> bool:
        """Whether `node` depends on item points; raise _Unsupported when not linear."""
        if isinstance(node, ast.Name):
            return depends(node.id, seen)
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left, seen), walk(node.right, seen)
            if isinstance(node.op, ast.Mult) and left and right:
                raise _Unsupported("it multiplies two terms that depend on item points")
            if isinstance(node.op, ast.Div) and right:
                raise _Unsupported("it divides by a term that depends on item points")
            return left or right
        children = node.args if isinstance(node, ast.Call) else list(ast.iter_child_nodes(node))
        children = [c for c in children if isinstance(c, ast.expr)]
        found = [walk(child, seen) for child in children]  # every child: raise if unsupported
        return any(found)

    def depends(ident: str, seen: frozenset[str]) -> bool:
        kind, rule = kinds[ident]
        if kind == "item":
            return bool(rule.type == "points")
        if kind == "section":
            return bool(rule.kind in ("scored", "bonus"))
        if kind == "score" and ident not in seen:
            return walk(_tree(scheme, "score", ident), seen | {ident})
        if kind in ("banding", "field"):
            depends(rule.score, seen)
            return False  # constant between bounds: handled locally
        if kind == "outcome":
            raise _Unsupported(f"it depends on the outcome {ident!r}")
        return False

    try:
        if not depends(name, frozenset()):
            return "it does not depend on item points"
    except _Unsupported as exc:
        return str(exc)
    return None


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
    banding: m.Banding
    bound: Decimal
    edge: str
    side: Literal["below", "on", "above"]
    value: Decimal


def _targets(scheme: CompiledScheme, banding: m.Banding) -> list[_Target]:
    """Every bound of `banding`, one unit below and above it, where the score can get to."""
    rounding = _rounding_of(scheme, banding.score)
    unit = _unit(rounding)
    reach = _Ranges(scheme).of(banding.score) or (-_INF, _INF)
    edges: dict[Decimal, list[str]] = {}
    for band in banding.bands:
        for key in ("at_least", "above", "at_most", "below"):
            bound = getattr(band, key)
            if bound is not None:
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
    is_score = _kinds(scheme)[name][0] == "score"
    unit = _unit(rounding)
    aims = (target, target + unit / 4, target - unit / 4) if is_score else (target,)
    lowest = {**start, **{item: scheme.items[item].model.min for item in order}}
    grid = _unit(scheme.model.rounding)
    for quantum in (grid, Decimal(1).scaleb(-MAX_PLACES)):
        for origin in (start, lowest):
            for aim in aims:
                points = dict(origin)
                for _ in range(6):
                    try:
                        raw = _Local(scheme, attributes, points).raw(name)
                        got = round_to(raw.value, rounding) if is_score else raw.value
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
            info = scheme.items[item].model
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
) -> list[m.Banding]:
    bandings = [b for b in scheme.model.bands if banding_id in (None, b.id)]
    if banding_id is not None and not bandings:
        known = ", ".join(b.id for b in scheme.model.bands) or "none"
        raise ValueError(f"{scheme.id} has no banding {banding_id!r} (bandings: {known})")
    good = []
    for banding in bandings:
        problem = _linear_problem(scheme, banding.score)
        if problem is None:
            good.append(banding)
        elif banding_id is not None:
            raise ValueError(
                f"{scheme.id}: boundary_records cannot steer {banding.id}'s score "
                f"{banding.score!r}: {problem}"
            )
        elif warn:
            warnings.warn(
                f"{scheme.id}: the bounds of {banding.id} are not checked: its score "
                f"{banding.score!r} is not linear in item points ({problem})",
                stacklevel=3,
            )
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
        raise ValueError(f"{scheme.id}: no band bound can be reached by item points")
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
        i
        for i, info in scheme.items.items()
        if info.model.type == "points" and _applies(info.model, effective)
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
        band=_band_for(target.banding, target.value),
        record={
            "subject": _SUBJECTS[0],
            "period": _period(first, scheme.model.period).label,
            "attributes": attributes,
            "points": {name: solved[name] for name in drawn},
        },
    )


# --------------------------------------------------------------------------- running checks


def _configure(
    chosen: hypothesis.settings | None, *, filtering: bool = False
) -> hypothesis.settings:
    """The caller's settings (else the active profile), without a deadline, reporting one bug;
    generating whole record lists is legitimately slow."""
    base = chosen if chosen is not None else hypothesis.settings()
    suppress = {
        *base.suppress_health_check,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    }
    if filtering:
        suppress.add(HealthCheck.filter_too_much)
    return hypothesis.settings(
        base,
        deadline=None,
        report_multiple_bugs=False,
        suppress_health_check=sorted(suppress, key=lambda h: h.value),
    )


def _run(
    test: Callable[..., None],
    *strategies: st.SearchStrategy[Any],
    config: hypothesis.settings,
) -> None:
    config(given(*strategies)(test))()


def _format(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _show(batch: Records) -> str:
    lines = []
    for record in batch:
        attrs = ", ".join(f"{k}={_format(v)}" for k, v in record.get("attributes", {}).items())
        points = ", ".join(f"{k}={_format(v)}" for k, v in record.get("points", {}).items())
        lines.append(
            f"  {record['subject']} {record['period']}: attributes {{{attrs}}} points {{{points}}}"
        )
    return "\n".join(lines)


def _fail(check: str, scheme: CompiledScheme, message: str, batch: Records) -> AssertionError:
    return AssertionError(f"{check}: {scheme.id}: {message}\nrecords:\n{_show(batch)}")


def _evaluate(check: str, scheme: CompiledScheme, batch: Records) -> Evaluation:
    """Evaluate; a valid batch that makes evaluation fail breaks the scheme's promise."""
    try:
        return evaluate(scheme, batch)
    except EvaluationError as exc:
        raise _fail(
            check, scheme, f"valid records make evaluation fail:\n{exc.render()}", batch
        ) from None


def _by_key(batch: Records) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["subject"], r["period"]): r for r in batch}


def _period_results(evaluation: Evaluation) -> Iterator[Result]:
    return (r for r in evaluation.results if r.kind == "period")


def _value(
    scheme: CompiledScheme, name: str, result: Result, record: Mapping[str, Any]
) -> Decimal | None:
    """The number `name` had for this result, where a result or record shows it."""
    if name in result.scores:
        return result.scores[name]
    if name in result.values:
        return result.values[name]
    if name in scheme.items:
        value = _points_of(scheme, record)[name]
        return value if isinstance(value, Decimal) else None
    attributes = _attributes_of(scheme, record)
    if isinstance(attributes.get(name), Decimal):
        return Decimal(attributes[name])
    param = scheme.model.parameters.get(name)
    if param is not None:
        return param.value if param.by is None else (param.values or {})[attributes[param.by]]
    for ranking in scheme.model.rankings:
        if name == ranking.id:
            return Decimal(result.ranks[ranking.id])
    return None


def _strategy(
    scheme: CompiledScheme, given_records: st.SearchStrategy[Records] | None
) -> st.SearchStrategy[Records]:
    return given_records if given_records is not None else _make_records(scheme)


# --------------------------------------------------------------------------- checks


def check_deterministic(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that evaluating the same records twice gives identical results (and JSON), and
    that evaluation leaves its input unchanged.

    >>> scheme = partyscore.load_scheme("schemes/chengzhuang-ladder.yaml")  # doctest: +SKIP
    >>> check_deterministic(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the difference and the smallest records showing it.
    """
    name = "check_deterministic"

    def run(batch: Records) -> None:
        kept = copy.deepcopy(batch)
        first = _evaluate(name, scheme, batch)
        if batch != kept:
            raise _fail(name, scheme, "evaluation changed its input records", kept)
        second = _evaluate(name, scheme, copy.deepcopy(batch))
        if first != second or to_json(first) != to_json(second):
            raise _fail(
                name,
                scheme,
                "two evaluations of the same records differ:\n" + _difference(first, second),
                batch,
            )

    _run(run, _strategy(scheme, records), config=_configure(settings))


def _difference(a: Evaluation, b: Evaluation) -> str:
    for x, y in zip(a.results, b.results, strict=False):
        if x != y:
            for key in (
                "subject",
                "period",
                "scores",
                "bands",
                "values",
                "ranks",
                "rewards",
                "withheld",
                "actions",
                "explain",
            ):
                if getattr(x, key) != getattr(y, key):
                    return (
                        f"  {x.subject} {x.period} {key}:\n    {getattr(x, key)}\n"
                        f"    {getattr(y, key)}"
                    )
    if len(a.results) != len(b.results):
        return f"  {len(a.results)} results against {len(b.results)}"
    return f"  warnings {a.warnings} against {b.warnings}"


def check_order_independent(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that shuffling the records changes no result (only the input row each cites).

    >>> check_order_independent(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the first result that differs and the records, in their
            original order.
    """
    name = "check_order_independent"

    def run(batch: Records, order: list[int]) -> None:
        shuffled = [batch[i] for i in order]
        first = _without_sources(_evaluate(name, scheme, batch))
        second = _without_sources(_evaluate(name, scheme, shuffled))
        if first != second or to_json(first) != to_json(second):
            raise _fail(
                name,
                scheme,
                f"reordering the records as {order} changes results:\n"
                + _difference(first, second),
                batch,
            )

    strategy = _strategy(scheme, records).flatmap(
        lambda batch: st.tuples(st.just(batch), st.permutations(range(len(batch))))
    )
    _run(lambda pair: run(*pair), strategy, config=_configure(settings))


def _without_sources(evaluation: Evaluation) -> Evaluation:
    results = tuple(dataclasses.replace(r, source="") for r in evaluation.results)
    return dataclasses.replace(evaluation, results=results)


def check_scores_in_range(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that every section and score stays within its declared min/max and within the
    range its expression allows given the items' min/max, caps and parameters.

    An evaluation that stops with ``score-out-of-range`` is reported as a failure too.

    >>> check_scores_in_range(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the score, its value, the range it left and the records.
    """
    name = "check_scores_in_range"
    ranges = _Ranges(scheme)
    declared: dict[str, Range] = {}
    for score in [
        *scheme.model.scores,
        *(scheme.model.year_end.scores if scheme.model.year_end else []),
    ]:
        declared[score.id] = (
            -_INF if score.min is None else score.min,
            _INF if score.max is None else score.max,
        )
    year_end = ranges.year_end()
    implied = {
        n: ranges.implied(n) for n in _kinds(scheme) if _kinds(scheme)[n][0] in ("section", "score")
    }

    def run(batch: Records) -> None:
        for result in _evaluate(name, scheme, batch).results:
            table = year_end if result.kind == "year_end" else implied
            for score, value in result.scores.items():
                for what, bounds in (
                    ("declared", declared.get(score)),
                    ("implied by its parts", table.get(score)),
                ):
                    if bounds is not None and not bounds[0] <= value <= bounds[1]:
                        raise _fail(
                            name,
                            scheme,
                            f"{score} = {_format(value)} for {result.subject} in "
                            f"{result.period} is outside its range {what} "
                            f"{_format(bounds[0])}..{_format(bounds[1])}",
                            batch,
                        )

    _run(run, _strategy(scheme, records), config=_configure(settings))


def _sum_parts(scheme: CompiledScheme, node: ast.expr) -> list[str] | None:
    """The names a score adds up (``key + basic + innovation``), or None if it is no sum."""
    kinds = _kinds(scheme)
    if isinstance(node, ast.Name):
        kind, rule = kinds[node.id]
        numeric = kind in ("score", "section") or (kind == "item" and rule.type == "points")
        return [node.id] if numeric and not (kind == "section" and rule.kind == "veto") else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _sum_parts(scheme, node.left), _sum_parts(scheme, node.right)
        return None if left is None or right is None else left + right
    return None


def check_parts_add_up(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that each scored or bonus section equals the sum of its items capped at its cap,
    and each score written as a sum (``total: key + basic``) equals the sum of its parts
    exactly, so that rounding never loses a part.

    >>> check_parts_add_up(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the section or score, the parts and the records.
    """
    name = "check_parts_add_up"
    sections = [s for s in scheme.model.sections if s.kind in ("scored", "bonus")]
    sums = {
        score.id: parts
        for score in scheme.model.scores
        if (parts := _sum_parts(scheme, _tree(scheme, "score", score.id))) is not None
    }

    def run(batch: Records) -> None:
        records_at = _by_key(batch)
        for result in _period_results(_evaluate(name, scheme, batch)):
            record = records_at[(result.subject, result.period)]
            points = _points_of(scheme, record)
            for section in sections:
                parts = [points[i.id] for i in section.items]
                expected = sum(parts, Decimal(0))
                if section.cap is not None:
                    expected = min(expected, section.cap)
                if result.scores[section.id] != expected:
                    shown = " + ".join(_format(p) for p in parts)
                    cap = f" capped at {section.cap}" if section.cap is not None else ""
                    raise _fail(
                        name,
                        scheme,
                        f"section {section.id} = {_format(result.scores[section.id])} "
                        f"for {result.subject} in {result.period}, but its items give "
                        f"{shown}{cap} = {_format(expected)}",
                        batch,
                    )
            for score, names in sums.items():
                values = [_value(scheme, n, result, record) for n in names]
                total = sum((v for v in values if v is not None), Decimal(0))
                if result.scores[score] != total:
                    shown = " + ".join(
                        f"{n}={_format(v)}" for n, v in zip(names, values, strict=True)
                    )
                    raise _fail(
                        name,
                        scheme,
                        f"{score} = {_format(result.scores[score])} for "
                        f"{result.subject} in {result.period}, but its parts add up "
                        f"to {_format(total)} ({shown})",
                        batch,
                    )

    _run(run, _strategy(scheme, records), config=_configure(settings))


def check_one_band(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that every banded score lies in exactly one band, the one reported, or else gets
    the declared unbanded band; with ``unbanded: error`` a score in no band fails the check.
    Runs on generated records and on boundary records (each bound and one unit either side).

    >>> check_one_band(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the score, the bands holding it and the records.
    """
    name = "check_one_band"
    if not scheme.model.bands:
        return

    def check(batch: Records) -> None:
        records_at = _by_key(batch)
        for result in _period_results(_evaluate(name, scheme, batch)):
            record = records_at[(result.subject, result.period)]
            for banding in scheme.model.bands:
                value = _value(scheme, banding.score, result, record)
                assert value is not None
                holding = [b.id for b in banding.bands if _holds(b, value)]
                got = result.bands[banding.id]
                where = (
                    f"{banding.score} = {_format(value)} for {result.subject} in {result.period}"
                )
                if len(holding) > 1:
                    raise _fail(
                        name,
                        scheme,
                        f"{where} is in bands {', '.join(holding)} of {banding.id}",
                        batch,
                    )
                expected = holding[0] if holding else _band_for(banding, value)
                if got != expected:
                    raise _fail(
                        name,
                        scheme,
                        f"{where} is in {expected} of {banding.id} by "
                        f"its bounds, but evaluation put it in {got}",
                        batch,
                    )

    config = _configure(settings)
    _run(check, _strategy(scheme, records), config=config)
    bandings = _supported(scheme, None, warn=False)  # check_bounds_inclusive says which
    targets = [t for b in bandings for t in _targets(scheme, b)]
    if targets:

        def each(cases: list[Boundary]) -> None:
            for case in cases:
                check(case.records)

        _run(each, _boundaries(scheme, targets), config=_configure(settings, filtering=True))


def check_bounds_inclusive(
    scheme: CompiledScheme,
    *,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that a score exactly on a bound, and one rounding unit either side of it, lands
    in the band its bound keys say: ``at_least``/``at_most`` include the bound,
    ``above``/``below`` exclude it. Uses `boundary_records`; bandings whose score is not
    linear in item points are skipped with a warning.

    >>> check_bounds_inclusive(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the bound, the score, the band expected and the band given.
    """
    name = "check_bounds_inclusive"
    bandings = _supported(scheme, None)
    targets = [t for b in bandings for t in _targets(scheme, b)]
    if not targets:
        return

    def run(cases: list[Boundary]) -> None:
        for case in cases:
            one(case)

    def one(case: Boundary) -> None:
        result = _evaluate(name, scheme, case.records).results[0]
        got_value = result.scores.get(case.score)
        if got_value is None:
            got_value = _value(scheme, case.score, result, case.record)
        if got_value != case.value:
            raise _fail(
                name,
                scheme,
                f"the boundary record for {case.edge} should give "
                f"{case.score} = {_format(case.value)}, evaluation gave "
                f"{_format(got_value) if got_value is not None else 'nothing'}",
                case.records,
            )
        got = result.bands[case.banding]
        if got != case.band:
            raise _fail(
                name,
                scheme,
                f"{case.score} = {_format(case.value)} ({case.side} "
                f"{case.edge}) belongs in {case.band} of {case.banding}, evaluation "
                f"put it in {got}",
                case.records,
            )

    _run(run, _boundaries(scheme, targets), config=_configure(settings, filtering=True))


def check_monotone(
    scheme: CompiledScheme,
    *,
    items: Sequence[str] | None = None,
    rewards: bool | None = None,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that raising one item's points never lowers the subject's scores and sections;
    for bandings declared ``monotone: true``, never lowers its band on the ladder or a band
    field; and, with `rewards` (default: when some banding is monotone), never lowers a
    money amount or takes away a reward without an amount (honours, top places).

    `items` names the items to raise (default: every points item; leave out items that
    deduct). Only the raised subject's result in that period is compared.

    >>> check_monotone(scheme, items=["key_01", "key_02"])  # doctest: +SKIP

    Raises:
        AssertionError: naming the item, its two values, what went down and the records.
        ValueError: when `items` names something that is not a points item.
    """
    name = "check_monotone"
    points_items = [i for i, info in scheme.items.items() if info.model.type == "points"]
    chosen = list(items) if items is not None else points_items
    wrong = sorted(set(chosen) - set(points_items))
    if wrong:
        raise ValueError(f"{scheme.id}: not points items: {', '.join(wrong)}")
    if not chosen:
        return
    monotone = [b for b in scheme.model.bands if b.monotone]
    check_rewards = bool(monotone) if rewards is None else rewards
    unit = _unit(scheme.model.rounding)

    def rising(record: Mapping[str, Any]) -> list[str]:
        effective, points = _attributes_of(scheme, record), _points_of(scheme, record)
        return [
            i
            for i in chosen
            if _applies(scheme.items[i].model, effective)
            and points[i] < (scheme.items[i].model.max or 0)
        ]

    def run(batch: Records, data: st.DataObject) -> None:
        # The first record (the batch comes shuffled) with an item that can still rise.
        index = next((i for i, r in enumerate(batch) if rising(r)), None)
        if index is None:
            reject()
        assert index is not None
        record = batch[index]
        candidates = rising(record)
        item = data.draw(st.sampled_from(candidates), label="item")
        before_points = _points_of(scheme, record)[item]
        top = scheme.items[item].model.max
        assert top is not None
        after_points = data.draw(
            _grid(before_points, top, unit).filter(lambda v: v > before_points), label="raised to"
        )
        raised = copy.deepcopy(batch)
        raised[index]["points"][item] = after_points
        key = (record["subject"], record["period"])
        before = _evaluate(name, scheme, batch).get(*key)
        after = _evaluate(name, scheme, raised).get(*key)
        change = (
            f"raising {item} from {_format(before_points)} to {_format(after_points)} "
            f"for {key[0]} in {key[1]}"
        )
        for score, value in before.scores.items():
            if after.scores[score] < value:
                raise _fail(
                    name,
                    scheme,
                    f"{change} lowers {score} from {_format(value)} to "
                    f"{_format(after.scores[score])}",
                    batch,
                )
        records_after = raised[index]
        for banding in monotone:
            old = _value(scheme, banding.score, before, record)
            new = _value(scheme, banding.score, after, records_after)
            assert old is not None
            assert new is not None
            if _band_order(banding, new) < _band_order(banding, old):
                raise _fail(
                    name,
                    scheme,
                    f"{change} moves {banding.id} down from "
                    f"{before.bands[banding.id]} to {after.bands[banding.id]} "
                    f"({banding.score} {_format(old)} -> {_format(new)})",
                    batch,
                )
            for field_name in banding.fields:
                if after.values[field_name] < before.values[field_name]:
                    raise _fail(
                        name,
                        scheme,
                        f"{change} lowers {field_name} from "
                        f"{_format(before.values[field_name])} to "
                        f"{_format(after.values[field_name])} ({banding.id} "
                        f"{before.bands[banding.id]} -> {after.bands[banding.id]}); "
                        "the banding is declared monotone",
                        batch,
                    )
        if check_rewards:
            granted = {o.id: o for o in after.rewards}
            for outcome in before.rewards:
                now = granted.get(outcome.id)
                if now is None:
                    raise _fail(name, scheme, f"{change} takes away {outcome.id}", batch)
                if outcome.amount is not None and (now.amount or Decimal(0)) < outcome.amount:
                    raise _fail(
                        name,
                        scheme,
                        f"{change} lowers {outcome.id} from "
                        f"{_format(outcome.amount)} to {_format(now.amount)}",
                        batch,
                    )

    _run(run, _strategy(scheme, records), st.data(), config=_configure(settings, filtering=True))


def check_rank_prize_count(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that a ``top`` reward goes to at most its count (or share) of each ranked group
    and a ``rank_prize`` to at most as many subjects as its highest prized rank, unless the
    tie policy lets a tie in: with ``top`` ``ties: include`` and ``rank_prize`` (shared or
    split), every subject past that number must be tied with the last one within it.
    Withheld rewards count: they were selected.

    >>> check_rank_prize_count(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the reward, the period, who got it and the records.
    """
    name = "check_rank_prize_count"
    limited = [r for r in scheme.model.rewards if isinstance(r, m.Top | m.RankPrize)]
    if not limited:
        return
    rankings = {r.id: r for r in scheme.model.rankings}
    constants = _Local(scheme, {}, {})

    def places(reward: m.Top | m.RankPrize, size: int) -> int:
        if isinstance(reward, m.RankPrize):
            return max(p.rank for p in reward.prizes)
        if reward.count is not None:
            return int(constants.number(_tree(scheme, "reward", reward.id, "count")).value)
        share = constants.number(_tree(scheme, "reward", reward.id, "share")).value
        assert reward.share_rounding is not None
        exact = share * size
        return int(exact.quantize(Decimal(1), rounding=ROUNDING_MODES[reward.share_rounding]))

    def run(batch: Records) -> None:
        evaluation = _evaluate(name, scheme, batch)
        records_at = _by_key(batch)
        groups: dict[tuple[str, str, str | None], list[Result]] = {}
        for result in _period_results(evaluation):
            for reward in limited:
                ranking = rankings[reward.ranking]
                group = result.group if ranking.within == "group" else None
                groups.setdefault((reward.id, result.period, group), []).append(result)
        by_id = {r.id: r for r in limited}
        for (reward_id, period, group), members in groups.items():
            reward = by_id[reward_id]
            ranking = rankings[reward.ranking]
            ordered = sorted(members, key=lambda r: (r.ranks[ranking.id], r.subject))
            allowed = places(reward, len(members))
            chosen = [
                r for r in ordered if any(o.rule == reward_id for o in (*r.rewards, *r.withheld))
            ]
            if len(chosen) <= allowed:
                continue
            where = f"{reward_id} in {period}" + (f" (group {group})" if group else "")
            names = ", ".join(f"{r.subject} (rank {r.ranks[ranking.id]})" for r in chosen)
            if isinstance(reward, m.Top) and reward.ties == "exclude":
                raise _fail(
                    name,
                    scheme,
                    f"{where} goes to {len(chosen)} subjects, more than "
                    f"its {allowed}, with ties: exclude: {names}",
                    batch,
                )

            def score(result: Result, ranked: str = ranking.score) -> Decimal | None:
                return _value(scheme, ranked, result, records_at[(result.subject, result.period)])

            last_in = score(ordered[allowed - 1]) if allowed > 0 else None
            for position, result in enumerate(ordered, start=1):
                if position > allowed and result in chosen and score(result) != last_in:
                    raise _fail(
                        name,
                        scheme,
                        f"{where} goes to {len(chosen)} subjects, more than its "
                        f"{allowed}, and {result.subject} (position {position}, "
                        f"{ranking.score} = {_format(score(result))}) is not tied "
                        f"with position {allowed} ({_format(last_in)}): {names}",
                        batch,
                    )

    _run(run, _strategy(scheme, records), config=_configure(settings))


def check_all(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Run every check on `scheme`: determinism, order independence, ranges, parts, bands,
    bounds, monotonicity and prize counts.

    >>> check_all(partyscore.load_scheme("schemes/yongxi-red-flag.yaml"))  # doctest: +SKIP

    Raises:
        AssertionError: from the first check that finds a counterexample.
    """
    check_deterministic(scheme, records=records, settings=settings)
    check_order_independent(scheme, records=records, settings=settings)
    check_scores_in_range(scheme, records=records, settings=settings)
    check_parts_add_up(scheme, records=records, settings=settings)
    check_one_band(scheme, records=records, settings=settings)
    check_bounds_inclusive(scheme, settings=settings)
    check_monotone(scheme, records=records, settings=settings)
    check_rank_prize_count(scheme, records=records, settings=settings)
