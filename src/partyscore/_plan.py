"""The compiled form of a scheme: one frozen class per rule kind, every reference resolved.

`compile_scheme` builds a `Plan` once. The evaluator, the linter, scheme tests and
`partyscore.testing` all read it; none of them goes back to the Pydantic model to work out
what a rule means. Derived facts are computed here, once: the rounding in effect for each
score, bands sorted with their inclusivity and the unbanded band, each parameter's value for
each value of the attribute it depends on, the names every expression reads, and a slot
number for every name (the evaluator keeps a record's values in a list, by slot).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from . import models as m
from ._bands import bounds_contain, bounds_text
from ._expr import Compiled, Type

PathT = tuple[str | int, ...]
"""A key path inside the scheme document, e.g. ``("bands", 0, "bands", 2)``."""


@dataclass(frozen=True)
class ItemPlan:
    """An input item. `applies_to` is a tuple of (attribute, allowed values); empty: always."""

    id: str
    section: str
    type: str
    min: Decimal
    max: Decimal | None
    applies_to: tuple[tuple[str, frozenset[str]], ...]
    path: PathT
    model: m.Item

    def applies(self, attributes: Mapping[str, Any]) -> bool:
        """Whether this item applies to a subject with these attributes."""
        return all(attributes.get(name) in values for name, values in self.applies_to)

    @property
    def absent(self) -> Any:
        """The value of an item that does not apply: 0, or false for a flag."""
        return False if self.type == "flag" else Decimal(0)


@dataclass(frozen=True)
class ParameterPlan:
    """A named number: one `value`, or one value per value of the enum attribute `by`."""

    id: str
    value: Decimal | None
    by: str | None
    values: Mapping[str, Decimal]
    path: PathT

    def value_for(self, attributes: Mapping[str, Any]) -> Decimal:
        """The parameter's value for a subject with these attributes."""
        if self.by is None:
            assert self.value is not None
            return self.value
        return self.values[attributes[self.by]]

    @property
    def all_values(self) -> tuple[Decimal, ...]:
        """Every value the parameter can take."""
        return (self.value,) if self.value is not None else tuple(self.values.values())


@dataclass(frozen=True)
class Rule:
    """Fields every rule has: its id, where it is declared, the model it was built from and
    the names it reads (for ordering and for explanations)."""

    id: str
    path: PathT
    model: Any
    reads: frozenset[str]

    @property
    def label(self) -> m.Label | None:
        """The rule's label, if the scheme gives one."""
        return getattr(self.model, "label", None)

    def expressions(self) -> tuple[tuple[str, Compiled], ...]:
        """Every expression of the rule, keyed as in the scheme file (``when``, ``expr``,
        ``amount``, ``count``, ``share``; ``step0``, ``step1``... for escalation steps)."""
        found: list[tuple[str, Compiled]] = []
        for key in ("expr", "when", "amount"):
            value = getattr(self, key, None)
            if isinstance(value, Compiled):
                found.append((key, value))
        if isinstance(self, TopRule):
            found.append(("count" if self.count is not None else "share", self.constant))
        if isinstance(self, EscalationRule):
            found += [(f"step{i}", s.when) for i, s in enumerate(self.steps) if s.when]
        return tuple(found)


@dataclass(frozen=True)
class SectionRule(Rule):
    """A section: the sum of its items, capped (scored, bonus), or a veto over flags."""

    kind: str
    items: tuple[ItemPlan, ...]
    cap: Decimal | None
    blocks: tuple[str, ...]
    """The reward ids a veto withholds, with ``all`` resolved to every reward."""

    @property
    def veto(self) -> bool:
        return self.kind == "veto"


@dataclass(frozen=True)
class ScoreRule(Rule):
    """A derived score: an expression, the rounding in effect, a declared range."""

    expr: Compiled
    rounding: m.Rounding | None
    """The rounding in effect; None for a score kept exact (``rounding: none``)."""
    min: Decimal | None
    max: Decimal | None
    year_end: bool = False

    @property
    def unit(self) -> Decimal | None:
        """The step of the rounded score, e.g. 0.01 for two places (None: not rounded)."""
        return None if self.rounding is None else Decimal(1).scaleb(-self.rounding.places)


@dataclass(frozen=True)
class BandPlan:
    """One band with its bounds resolved: lower and upper value, each inclusive or not.

    An open end is infinite. The unbanded band has no bounds (`unbanded` is true)."""

    id: str
    lo: Decimal
    lo_in: bool
    hi: Decimal
    hi_in: bool
    values: Mapping[str, Decimal]
    path: PathT
    model: m.Band | m.Unbanded
    unbanded: bool = False

    def contains(self, value: Decimal) -> bool:
        """Whether `value` lies in the band, honouring each bound's inclusivity."""
        return bounds_contain(self.lo, self.lo_in, self.hi, self.hi_in, value)

    @property
    def interval(self) -> str:
        """The bounds in interval notation, e.g. ``[80, 90)``."""
        return bounds_text(self.lo, self.lo_in, self.hi, self.hi_in)

    @property
    def bounds(self) -> tuple[tuple[str, Decimal], ...]:
        """The bounds the scheme wrote, as (key, value): ``at_least``, ``above``, ..."""
        if self.unbanded:
            return ()
        return tuple(
            (key, value)
            for key in ("at_least", "above", "at_most", "below")
            if (value := getattr(self.model, key)) is not None
        )


@dataclass(frozen=True)
class BandingRule(Rule):
    """Bands over one score; `bands` in declared order, `ordered` from the lowest up."""

    score: str
    fields: tuple[str, ...]
    bands: tuple[BandPlan, ...]
    ordered: tuple[BandPlan, ...]
    unbanded: BandPlan | None
    monotone: bool

    @property
    def band_ids(self) -> tuple[str, ...]:
        """Every band id, the unbanded band last."""
        extra = (self.unbanded.id,) if self.unbanded else ()
        return (*(b.id for b in self.bands), *extra)

    def band_for(self, value: Decimal) -> BandPlan | None:
        """The band `value` falls in, else the unbanded band (None with ``unbanded: error``)."""
        for band in self.bands:
            if band.contains(value):
                return band
        return self.unbanded


@dataclass(frozen=True)
class RankingRule(Rule):
    """Ranks subjects of a period by a score, within their group or over all."""

    score: str
    descending: bool
    by_group: bool
    dense: bool
    last_when_all_tied: bool = False
    """Whether everybody is last where all tie (else nobody is)."""

    @property
    def size_name(self) -> str:
        return f"{self.id}_size"

    @property
    def last_name(self) -> str:
        return f"{self.id}_last"

    @property
    def order(self) -> str:
        return "descending" if self.descending else "ascending"

    @property
    def ties(self) -> str:
        return "dense" if self.dense else "competition"


@dataclass(frozen=True)
class RewardRule(Rule):
    """Fields of every reward: an optional condition."""

    when: Compiled | None


@dataclass(frozen=True)
class HonourRule(RewardRule):
    """A title or priority granted when `when` holds."""

    year_end: bool = False


@dataclass(frozen=True)
class MoneyRule(RewardRule):
    """An exact amount computed by `amount`, rounded by `rounding`."""

    amount: Compiled
    currency: str
    rounding: m.Rounding
    year_end: bool = False


@dataclass(frozen=True)
class TopRule(RewardRule):
    """The first `count` (or `share` of the size) subjects of `ranking` in each group."""

    ranking: RankingRule
    count: Decimal | None
    share: Decimal | None
    constant: Compiled
    """The `count` or `share` expression, worked out at load time as `count` or `share`."""
    count_text: str
    share_rounding: str | None
    include_ties: bool

    @property
    def ties(self) -> str:
        return "include" if self.include_ties else "exclude"


@dataclass(frozen=True)
class RankPrizeRule(RewardRule):
    """Money by rank and the band of the winner's own score; ties shared or split."""

    ranking: RankingRule
    banding: BandingRule
    prizes: Mapping[int, Mapping[str, Decimal]]
    currency: str
    rounding: m.Rounding
    split: bool

    def amount(self, place: int, band: str) -> Decimal:
        """The amount for one place and band; 0 where the table gives none."""
        return self.prizes.get(place, {}).get(band, Decimal(0))


@dataclass(frozen=True)
class ConditionRule(Rule):
    """An action taken when `when` holds; `action` is the outcome's id."""

    when: Compiled
    action: str
    year_end: bool = False


@dataclass(frozen=True)
class StepPlan:
    """One rung of an escalation: from the `at`-th occurrence on, when `when` holds."""

    at: int
    action: str
    when: Compiled | None
    label: m.Label | None
    path: PathT


@dataclass(frozen=True)
class EscalationRule(Rule):
    """Counts periods in which `when` holds; applies the highest step reached."""

    when: Compiled
    consecutive: bool
    steps: tuple[StepPlan, ...]


PeriodRule = (
    SectionRule
    | ScoreRule
    | BandingRule
    | RankingRule
    | HonourRule
    | MoneyRule
    | TopRule
    | RankPrizeRule
    | ConditionRule
    | EscalationRule
)
YearEndRule = ScoreRule | HonourRule | MoneyRule | ConditionRule
AnyRule = PeriodRule | YearEndRule
RewardKinds = (HonourRule, MoneyRule, TopRule, RankPrizeRule)
ActionKinds = (ConditionRule, EscalationRule)


@dataclass(frozen=True)
class Plan:
    """A scheme, compiled: inputs, rules in evaluation order, year-end rules, slots.

    `slots` numbers every name a record's evaluation holds (attributes, parameters, items,
    and every name a rule produces); `types` gives each name's static type.
    """

    period: str
    rounding: m.Rounding
    group: str | None
    attributes: Mapping[str, m.Attribute]
    parameters: Mapping[str, ParameterPlan]
    items: Mapping[str, ItemPlan]
    rules: tuple[PeriodRule, ...]
    year_end: tuple[YearEndRule, ...]
    types: Mapping[str, Type]
    year_end_types: Mapping[str, Type]
    slots: Mapping[str, int] = field(default_factory=dict)
    year_end_missing: str = "as_absent"
    """What year-end rules do for a subject that misses periods (`models.YearEnd.missing`)."""
    title: m.Label | None = None
    """The scheme's title, for headings."""
    subject_label: m.Label | None = None
    """What the scheme calls its subjects (``支部``), for headings."""

    @property
    def sections(self) -> tuple[SectionRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, SectionRule))

    @property
    def scores(self) -> tuple[ScoreRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, ScoreRule))

    @property
    def bandings(self) -> tuple[BandingRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, BandingRule))

    @property
    def rankings(self) -> tuple[RankingRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, RankingRule))

    @property
    def rewards(self) -> tuple[HonourRule | MoneyRule | TopRule | RankPrizeRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, RewardKinds))

    @property
    def actions(self) -> tuple[ConditionRule | EscalationRule, ...]:
        return tuple(r for r in self.rules if isinstance(r, ActionKinds))

    def rule(self, ident: str) -> AnyRule:
        """The rule with this id (period rules first).

        Raises:
            KeyError: when no rule has it.
        """
        for rule in (*self.rules, *self.year_end):
            if rule.id == ident:
                return rule
        raise KeyError(ident)

    @property
    def score_names(self) -> tuple[str, ...]:
        """Names a period result lists under ``scores``: scored sections, then scores, in
        evaluation order."""
        return tuple(
            r.id for r in self.rules if isinstance(r, ScoreRule | SectionRule) and not _veto(r)
        )

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f for b in self.bandings for f in b.fields)


_R = TypeVar("_R", bound=Rule)


def declared_order(rules: Iterable[_R]) -> list[_R]:
    """Rules of one kind in the order the scheme declares them (the plan holds them in
    evaluation order): by their key path in the file."""
    return sorted(rules, key=lambda rule: rule.path)


def _veto(rule: Rule) -> bool:
    return isinstance(rule, SectionRule) and rule.veto
