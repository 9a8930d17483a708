"""Explanations written from outcome data: the rule, and the values the record held.

Evaluation keeps, for every record, the value of every name (`Values`) and, for every
outcome, the rule and its amount or step (`Hit`). The text of `Result.explain` and
`Outcome.because` is written here, only when someone reads it, in the language in use
(`partyscore.language`): English in the code, translated through the catalogues. Ids,
numbers and expressions are never translated.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from ._codegen import ROUNDING_MODES, Hit, round_to
from ._expr import ARITHMETIC, Compiled, describe, format_value
from ._i18n import _, current, period_word, pgettext
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
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, 21st (第1, 第2 in Chinese)."""
    if current() != "en":
        return pgettext("ordinal", "{n}th").format(n=n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _order(rule: RankingRule) -> str:
    return _("descending") if rule.descending else _("ascending")


def _ties(ties: str) -> str:
    return {"dense": _("dense"), "competition": _("competition")}.get(ties, ties)


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
            counted = _counted(plan, rule, count, year) if count else _("does not hold")
            lines[rule.id] = f"{why} -> {counted}"
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
        return _("veto items set: {items}").format(items=", ".join(hit) or _("none"))
    total = names[f"#raw:{rule.id}"] if rule.cap is not None else names[rule.id]
    why = " + ".join(_number(names[i]) for i in ids) + f" = {_number(total)}"
    if rule.cap is not None and total > rule.cap:
        why += _(", capped at {cap}").format(cap=format_value(rule.cap))
    return why


def _score(rule: ScoreRule, names: Mapping[str, Any]) -> str:
    value = names[rule.id]
    raw = names[f"#raw:{rule.id}"]
    rounded = ""
    if raw != value and rule.rounding is not None:
        rounded = _(" = {raw}, rounded {mode} to {places} places").format(
            raw=format_value(raw), mode=rule.rounding.mode, places=rule.rounding.places
        )
    return f"{describe(rule.expr, names)}{rounded} -> {format_value(value)}"


def _banding(rule: BandingRule, names: Mapping[str, Any]) -> str:
    value = names[rule.score]
    band_id = names[rule.id]
    band = next((b for b in rule.bands if b.id == band_id), None)
    if band is not None:
        why = _("{score}={value} is in {band} {interval}").format(
            score=rule.score, value=format_value(value), band=band.id, interval=band.interval
        )
        payload = band.values
    else:
        assert rule.unbanded is not None
        why = _("{score}={value} is in no band: {band}").format(
            score=rule.score, value=format_value(value), band=band_id
        )
        payload = rule.unbanded.values
    if payload:
        why += " (" + ", ".join(f"{k}={format_value(v)}" for k, v in payload.items()) + ")"
    return why


def _ranking(rule: RankingRule, names: Mapping[str, Any], group: str | None) -> str:
    where = (
        _(" in group {group}").format(group=group) if rule.by_group and group is not None else ""
    )
    tie = names[f"#ties:{rule.id}"]
    tied = ""
    if tie > 1:
        tied = _(", tied with {others} other(s) ({ties})").format(
            others=tie - 1, ties=_ties(rule.ties)
        )
    return _("rank {rank} of {size}{where} by {score}={value} ({order}){tied}").format(
        rank=names[rule.id],
        size=names[rule.size_name],
        where=where,
        score=rule.score,
        value=format_value(names[rule.score]),
        order=_order(rule),
        tied=tied,
    )


def _counted(plan: Plan, rule: EscalationRule, count: int, year: int) -> str:
    if rule.consecutive:
        return _("{nth} consecutive {period}").format(
            nth=ordinal(count), period=period_word(plan.period)
        )
    return _("{nth} time in {year}").format(nth=ordinal(count), year=year)


def places(rule: TopRule, size: int) -> tuple[int, str]:
    """How many places a top reward gives in a group of `size`, and how that was worked out."""
    if rule.count is not None:
        count = int(rule.count)
        return count, _("count {count_text} = {count}").format(
            count_text=rule.count_text, count=count
        )
    assert rule.share is not None
    assert rule.share_rounding is not None
    with decimal.localcontext(ARITHMETIC):
        exact = rule.share * size
        count = int(exact.quantize(Decimal(1), rounding=ROUNDING_MODES[rule.share_rounding]))
    return count, _("{share_text} = {share} of {size} = {exact}, {rounding} -> {count}").format(
        share_text=rule.count_text,
        share=format_value(rule.share),
        size=size,
        exact=format_value(exact),
        rounding=rule.share_rounding,
        count=count,
    )


def because(plan: Plan, hit: Hit, names: Mapping[str, Any], group: str | None, year: int) -> str:
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
        where = (
            _(" in group {group}").format(group=group)
            if ranking.by_group and group is not None
            else ""
        )
        ties = _("ties included") if rule.ties == "include" else _("ties excluded")
        text = _("rank {rank} of {size}{where} is within the top {count} ({how}; {ties})").format(
            rank=names[ranking.id], size=size, where=where, count=count, how=how, ties=ties
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
    text = _("{when}; {counted} (step from {nth})").format(
        when=describe(rule.when, names),
        counted=_counted(plan, rule, count, year),
        nth=ordinal(step.at),
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
            how = _(
                "{tied} tied at rank {rank} split places {first}-{last}: {pool} / {tied} = {amount}"
            ).format(
                tied=tied,
                rank=rank,
                first=first,
                last=last,
                pool=format_value(pool),
                amount=format_value(amount),
            )
            left = pool - amount * tied
            if left:  # say what the declared rounding keeps back; never hide it
                how += _(
                    " each, {left} {currency} of the pool not paid out ({mode} to {places} places)"
                ).format(
                    left=format_value(left),
                    currency=rule.currency,
                    mode=rule.rounding.mode,
                    places=rule.rounding.places,
                )
            return how
    how = _("rank {rank} with {banding} band {band}").format(
        rank=rank, banding=rule.banding.id, band=band
    )
    if tied > 1:
        how += _(" (tied with {others}, shared)").format(others=tied - 1)
    return how
