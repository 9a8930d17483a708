"""Coverage: what a scheme's tests should reach (`coverage_items`), what one evaluation
reached (`_exercised`), and how much of it the cases reached together (`measure_coverage`).

Bands, bounds, rewards, conditions and escalation steps are read from the compiled plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from .._compile import CompiledScheme
from .._expr import format_value
from .._plan import ConditionRule, EscalationRule, HonourRule, MoneyRule, declared_order
from .._records import Record, check_records
from .._results import Evaluation, Outcome, Result

CATEGORIES = ("bands", "rewards", "actions", "boundaries")
"""The coverage categories, in report order."""
BOUNDS = ("at_least", "above", "at_most", "below")
"""The bound keys of a band, in the order coverage lists its boundaries."""


def coverage_items(scheme: CompiledScheme) -> dict[str, list[str]]:
    """Everything a scheme's tests should reach, by category, in scheme order.

    - ``bands``: ``banding.band`` for every band, and the `unbanded` band when it is one;
    - ``rewards``: every reward id, year-end rewards included;
    - ``actions``: ``rule -> action`` for every condition (year-end ones included) and
      ``escalation step N (at K) -> action`` for every step of an escalation;
    - ``boundaries``: ``banding.band bound value`` for every bound of every band: covered when
      a case's banded score equals the value exactly.

    >>> scheme = load_scheme("schemes/jingyuan-branch-grading.yaml")  # doctest: +SKIP
    >>> coverage_items(scheme)["bands"]  # doctest: +SKIP
    ['grade.A', 'grade.B', 'grade.C', 'grade.D']

    Raises:
        Nothing.
    """
    plan = scheme.plan
    items: dict[str, list[str]] = {category: [] for category in CATEGORIES}
    for banding in declared_order(plan.bandings):
        items["bands"].extend(f"{banding.id}.{band_id}" for band_id in banding.band_ids)
        for band in banding.bands:
            for bound, value in band.bounds:
                items["boundaries"].append(_boundary(banding.id, band.id, bound, value))
    items["rewards"] = [r.id for r in declared_order(plan.rewards)]
    for action in declared_order(plan.actions):
        if isinstance(action, ConditionRule):
            items["actions"].append(_condition(action))
        else:
            items["actions"].extend(_step(action, i) for i in range(len(action.steps)))
    items["rewards"] += [r.id for r in plan.year_end if isinstance(r, HonourRule | MoneyRule)]
    items["actions"] += [_condition(r) for r in plan.year_end if isinstance(r, ConditionRule)]
    return items


def _boundary(banding: str, band: str, bound: str, value: Decimal) -> str:
    return f"{banding}.{band} {bound} {format_value(value)}"


def _condition(action: ConditionRule) -> str:
    return f"{action.id} -> {action.action}"


def _step(action: EscalationRule, index: int) -> str:
    step = action.steps[index]
    return f"{action.id} step {index + 1} (at {step.at}) -> {step.action}"


def _step_index(outcome: Outcome) -> int:
    """Which step of its escalation produced `outcome` (0-based)."""
    assert outcome.step is not None, "escalation outcomes carry their step"
    return outcome.step - 1


def _exercised(
    scheme: CompiledScheme, evaluation: Evaluation, records: Sequence[Record]
) -> Iterator[tuple[str, str]]:
    plan = scheme.plan
    conditions = {
        a.id: _condition(a) for a in (*plan.actions, *plan.year_end) if isinstance(a, ConditionRule)
    }
    escalations = {a.id: a for a in plan.actions if isinstance(a, EscalationRule)}
    banded = _BandedValues(scheme, records)
    for result in evaluation.results:
        for outcome in result.rewards:
            yield ("rewards", outcome.id)
        for outcome in (o for taken in result.actions for o in (taken, *taken.also)):
            if outcome.rule in conditions:
                yield ("actions", conditions[outcome.rule])
            elif outcome.rule in escalations:
                action = escalations[outcome.rule]
                yield ("actions", _step(action, _step_index(outcome)))
        if result.kind != "period":
            continue
        for banding in plan.bandings:
            band_id = result.bands.get(banding.id)
            if band_id is not None:
                yield ("bands", f"{banding.id}.{band_id}")
            value = banded(banding.score, result)
            if value is None:
                continue
            for band in banding.bands:
                for bound, limit in band.bounds:
                    if value == limit:
                        yield ("boundaries", _boundary(banding.id, band.id, bound, limit))


class _BandedValues:
    """The value a banding bands, for a result: a score or section, a band field or a rank
    from the result; an item, attribute or parameter from the checked input row."""

    def __init__(self, scheme: CompiledScheme, records: Sequence[Record]) -> None:
        self.scheme = scheme
        self.records = records
        self._rows: dict[tuple[str, str], Any] | None = None

    def rows(self) -> dict[tuple[str, str], Any]:
        if self._rows is None:
            checked = check_records(self.scheme, self.records)
            self._rows = {(row.subject, row.period.label): row for row in checked}
        return self._rows

    def __call__(self, name: str, result: Result) -> Decimal | None:
        if name in result.scores:
            return result.scores[name]
        if name in result.values:
            return result.values[name]
        if name in result.ranks:
            return Decimal(result.ranks[name])
        row = self.rows().get((result.subject, result.period))
        if row is None:
            return None
        for source in (row.points, row.attributes):
            value = source.get(name)
            if isinstance(value, Decimal):
                return value
        parameter = self.scheme.plan.parameters.get(name)
        if parameter is None:
            return None
        return parameter.value_for(row.attributes)


@dataclass(frozen=True)
class CoverageCategory:
    """Covered and not covered items of one category (`name` is one of `CATEGORIES`)."""

    name: str
    covered: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        """How many items the category has."""
        return len(self.covered) + len(self.missing)

    def show(self) -> str:
        """``3/4``, or ``-`` when the category is empty."""
        return f"{len(self.covered)}/{self.total}" if self.total else "-"


@dataclass(frozen=True)
class Coverage:
    """Coverage in every category; `percent` is over all items together."""

    categories: tuple[CoverageCategory, ...]

    @property
    def covered(self) -> int:
        """Items reached, over all categories."""
        return sum(len(c.covered) for c in self.categories)

    @property
    def total(self) -> int:
        """Items, over all categories."""
        return sum(c.total for c in self.categories)

    @property
    def percent(self) -> Decimal:
        """Covered items as a percentage, rounded down to 0.1 (100 when there is nothing to
        cover), so that 99.96% never shows as 100.0%."""
        if not self.total:
            return Decimal("100.0")
        exact = Decimal(self.covered * 100) / Decimal(self.total)
        return exact.quantize(Decimal("0.1"), rounding=ROUND_DOWN)

    def meets(self, minimum: Decimal) -> bool:
        """Whether the exact coverage is at least `minimum` percent."""
        return self.covered * 100 >= minimum * self.total

    def category(self, name: str) -> CoverageCategory:
        """The category called `name`.

        Raises:
            KeyError: when there is no such category.
        """
        for category in self.categories:
            if category.name == name:
                return category
        raise KeyError(name)


def measure_coverage(scheme: CompiledScheme, exercised: Iterable[tuple[str, str]]) -> Coverage:
    """Which of the scheme's `coverage_items` the `exercised` pairs reach.

    >>> measure_coverage(scheme, [("bands", "grade.A")]).category("bands").show()  # doctest: +SKIP
    '1/4'

    Raises:
        Nothing.
    """
    reached = set(exercised)
    categories = []
    for name, items in coverage_items(scheme).items():
        covered = tuple(i for i in items if (name, i) in reached)
        missing = tuple(i for i in items if (name, i) not in reached)
        categories.append(CoverageCategory(name, covered, missing))
    return Coverage(tuple(categories))


def _combine(named: Sequence[tuple[str, Coverage]]) -> Coverage:
    categories = []
    for name in CATEGORIES:
        covered: list[str] = []
        missing: list[str] = []
        for prefix, coverage in named:
            category = coverage.category(name)
            covered += [f"{prefix}: {i}" for i in category.covered]
            missing += [f"{prefix}: {i}" for i in category.missing]
        categories.append(CoverageCategory(name, tuple(covered), tuple(missing)))
    return Coverage(tuple(categories))
