"""Explanations written from outcome data: the rule, and the values the record held.

Evaluation keeps, for every record, the value of every name (`Values`) and, for every
outcome, the rule and its amount or step (`Hit`). The text of `Result.explain` and
`Outcome.because` is written here, only when someone reads it. This is the English wording.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from ._codegen import ROUNDING_MODES, Hit, round_to
from ._expr import ARITHMETIC, Compiled, describe, format_value
from ._numbers import decimal_text
from ._plan import (
    BandingRule,
    ConditionRule,
    EscalationRule,
    HonourRule,
    MoneyRule,
    Plan,
    RankingRule,
    RankPrizeRule,
    Rule,
    ScoreRule,
    SectionRule,
    TopRule,
)
from ._results import Explanations


class Values(Mapping[str, Any]):
    """A record's names and values, read from its value list by slot."""

    __slots__ = ("_slots", "_v")

    def __init__(self, v: list[Any], slots: Mapping[str, int]) -> None:
        self._v = v
        self._slots = slots

    def __getitem__(self, name: str) -> Any:
        value = self._v[self._slots[name]]
        if value is None:
            raise KeyError(name)
        return value

    def __iter__(self) -> Iterator[str]:
        return (n for n, s in self._slots.items() if self._v[s] is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class Reasons(Explanations):
    """The explanations of one result, and the `because` of each of its outcomes, written
    from the rules and the values the record held, when first read."""

    __slots__ = ("group", "names", "plan", "year", "year_end")

    def __init__(
        self,
        plan: Plan,
        names: Mapping[str, Any],
        group: str | None,
        year: int,
        *,
        year_end: bool = False,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.names = names
        self.group = group
        self.year = year
        self.year_end = year_end

    def _write(self) -> dict[str, str]:
        if self.year_end:
            return explain_year_end(self.plan, self.names)
        return explain(self.plan, self.names, self.group, self.year)

    def because(self, hit: Hit) -> str:
        return because(self.plan, hit, self.names, self.group, self.year)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _number(value: Decimal) -> str:
    return decimal_text(value)


def _when(expr: Compiled | None, names: Mapping[str, Any]) -> str:
    return "" if expr is None else describe(expr, names)


def _joined(how: str, why: str) -> str:
    return f"{how}; {why}" if why else how


def explain(plan: Plan, names: Mapping[str, Any], group: str | None, year: int) -> dict[str, str]:
    """One line per computed name of a period result, in evaluation order."""
    lines: dict[str, str] = {}
    for rule in plan.rules:
        if isinstance(rule, SectionRule):
            lines[rule.id] = _section(rule, names)
        elif isinstance(rule, ScoreRule):
            lines[rule.id] = _score(rule, names)
        elif isinstance(rule, BandingRule):
            lines[rule.id] = _banding(rule, names)
        elif isinstance(rule, RankingRule):
            lines[rule.id] = _ranking(rule, names, group)
        elif isinstance(rule, EscalationRule):
            count = int(names[rule.id])
            why = describe(rule.when, names)
            lines[rule.id] = f"{why} -> {_counted(plan, rule, count, year) if count else ''}"
            if not count:
                lines[rule.id] += "does not hold"
    return lines


def explain_year_end(plan: Plan, names: Mapping[str, Any]) -> dict[str, str]:
    """One line per year-end score."""
    return {
        rule.id: f"{describe(rule.expr, names)} -> {format_value(names[rule.id])}"
        for rule in plan.year_end
        if isinstance(rule, ScoreRule)
    }


def _section(rule: SectionRule, names: Mapping[str, Any]) -> str:
    ids = [i.id for i in rule.items]
    if rule.veto:
        hit = [i for i in ids if names[i]]
        return f"veto items set: {', '.join(hit) or 'none'}"
    total = names[f"#raw:{rule.id}"] if rule.cap is not None else names[rule.id]
    why = " + ".join(_number(names[i]) for i in ids) + f" = {_number(total)}"
    if rule.cap is not None and total > rule.cap:
        why += f", capped at {format_value(rule.cap)}"
    return why


def _score(rule: ScoreRule, names: Mapping[str, Any]) -> str:
    value = names[rule.id]
    raw = names[f"#raw:{rule.id}"]
    rounded = ""
    if raw != value and rule.rounding is not None:
        rounded = (
            f" = {format_value(raw)}, rounded {rule.rounding.mode} to {rule.rounding.places} places"
        )
    return f"{describe(rule.expr, names)}{rounded} -> {format_value(value)}"


def _banding(rule: BandingRule, names: Mapping[str, Any]) -> str:
    value = names[rule.score]
    band_id = names[rule.id]
    band = next((b for b in rule.bands if b.id == band_id), None)
    if band is not None:
        why = f"{rule.score}={format_value(value)} is in {band.id} {band.interval}"
        payload = band.values
    else:
        assert rule.unbanded is not None
        why = f"{rule.score}={format_value(value)} is in no band: {band_id}"
        payload = rule.unbanded.values
    if payload:
        why += " (" + ", ".join(f"{k}={format_value(v)}" for k, v in payload.items()) + ")"
    return why


def _ranking(rule: RankingRule, names: Mapping[str, Any], group: str | None) -> str:
    where = f" in group {group}" if rule.by_group and group is not None else ""
    tie = names[f"#ties:{rule.id}"]
    tied = f", tied with {tie - 1} other(s) ({rule.ties})" if tie > 1 else ""
    return (
        f"rank {names[rule.id]} of {names[rule.size_name]}{where} by {rule.score}="
        f"{format_value(names[rule.score])} ({rule.order}){tied}"
    )


def _counted(plan: Plan, rule: EscalationRule, count: int, year: int) -> str:
    if rule.consecutive:
        return f"{ordinal(count)} consecutive {plan.period}"
    return f"{ordinal(count)} time in {year}"


def places(rule: TopRule, size: int) -> tuple[int, str]:
    """How many places a top reward gives in a group of `size`, and how that was worked out."""
    if rule.count is not None:
        count = int(rule.count)
        return count, f"count {rule.count_text} = {count}"
    assert rule.share is not None
    assert rule.share_rounding is not None
    with decimal.localcontext(ARITHMETIC):
        exact = rule.share * size
        count = int(exact.quantize(Decimal(1), rounding=ROUNDING_MODES[rule.share_rounding]))
    return count, (
        f"{rule.count_text} = {format_value(rule.share)} of {size} = {format_value(exact)}, "
        f"{rule.share_rounding} -> {count}"
    )


def because(
    plan: Plan, hit: Hit, names: Mapping[str, Any], group: str | None, year: int
) -> str:
    """Why one outcome happened, with the values its rule read."""
    rule: Rule = hit.rule
    if isinstance(rule, HonourRule):
        return _when(rule.when, names)
    if isinstance(rule, MoneyRule):
        assert hit.amount is not None
        how = describe(rule.amount, names) + f" = {format_value(hit.amount)} {rule.currency}"
        why = _when(rule.when, names)
        return f"{why}; {how}" if why else how
    if isinstance(rule, TopRule):
        ranking = rule.ranking
        size = int(names[ranking.size_name])
        count, how = places(rule, size)
        where = f" in group {group}" if ranking.by_group and group is not None else ""
        text = (
            f"rank {names[ranking.id]} of {size}{where} is within the top {count} "
            f"({how}; ties {rule.ties}d)"
        )
        return _joined(text, _when(rule.when, names))
    if isinstance(rule, RankPrizeRule):
        assert hit.amount is not None
        return _joined(
            f"{prize_how(rule, names)} -> {format_value(hit.amount)} {rule.currency}",
            _when(rule.when, names),
        )
    if isinstance(rule, ConditionRule):
        return describe(rule.when, names)
    assert isinstance(rule, EscalationRule)
    assert hit.step is not None
    step = rule.steps[hit.step - 1]
    count = int(names[rule.id])
    text = (
        f"{describe(rule.when, names)}; {_counted(plan, rule, count, year)} "
        f"(step from {ordinal(step.at)})"
    )
    if step.when is not None:
        text += f"; {describe(step.when, names)}"
    return text


def prize_amount(rule: RankPrizeRule, rank: int, first: int, tied: int, band: str) -> Decimal:
    """A rank prize for one subject: its place's amount, or its share of the tied places."""
    if rule.split and tied > 1:
        return round_to(prize_pool(rule, first, tied, band) / tied, rule.rounding)
    return round_to(rule.amount(rank, band), rule.rounding)


def prize_pool(rule: RankPrizeRule, first: int, tied: int, band: str) -> Decimal:
    """The amounts of the places a tied group occupies, added up."""
    return sum((rule.amount(p, band) for p in range(first, first + tied)), Decimal(0))


def prize_how(rule: RankPrizeRule, names: Mapping[str, Any]) -> str:
    """How a rank prize was worked out, including what a split's rounding keeps back."""
    ranking = rule.ranking
    rank = int(names[ranking.id])
    tied = int(names[f"#ties:{ranking.id}"])
    first = int(names[f"#first:{ranking.id}"])
    band = names[rule.banding.id]
    with decimal.localcontext(ARITHMETIC):
        if rule.split and tied > 1:
            last = first + tied - 1
            pool = prize_pool(rule, first, tied, band)
            amount = prize_amount(rule, rank, first, tied, band)
            how = (
                f"{tied} tied at rank {rank} split places {first}-{last}: "
                f"{format_value(pool)} / {tied} = {format_value(amount)}"
            )
            left = pool - amount * tied
            if left:  # say what the declared rounding keeps back; never hide it
                how += (
                    f" each, {format_value(left)} {rule.currency} of the pool "
                    f"not paid out ({rule.rounding.mode} to {rule.rounding.places} places)"
                )
            return how
    how = f"rank {rank} with {rule.banding.id} band {band}"
    if tied > 1:
        how += f" (tied with {tied - 1}, shared)"
    return how
