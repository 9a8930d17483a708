"""The pure evaluator: checked records in, results out. No I/O, no clock, no randomness.

Periods are folded in order. Within a period every rule (node) runs for every subject before
the next rule runs, so a ranking sees every subject's score and a reward can use a rank.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import models as m
from ._bands import contains, interval
from ._compile import CompiledScheme, Node
from ._diagnostics import Diagnostic, EvaluationError
from ._expr import ARITHMETIC, Evaluator, describe, divides_by_zero, format_value
from ._periods import PER_YEAR, Period
from ._records import OnError, Record, Row, check_records
from ._results import Evaluation, Outcome, Result

ROUNDING_MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "up": decimal.ROUND_UP,
    "down": decimal.ROUND_DOWN,
    "ceiling": decimal.ROUND_CEILING,
    "floor": decimal.ROUND_FLOOR,
}
MAX_RESULT = Decimal(10) ** 15
"""Largest magnitude of any computed number; beyond it a formula has run away."""
MAX_AMOUNT = Decimal(10) ** 12
"""Largest money amount one reward may pay; a larger one is an evaluation error."""


def round_to(value: Decimal, rounding: m.Rounding) -> Decimal:
    """Round `value` to `rounding.places` decimal places with `rounding.mode`."""
    return value.quantize(
        Decimal(1).scaleb(-rounding.places), rounding=ROUNDING_MODES[rounding.mode]
    )


def _plain(value: Decimal) -> Decimal:
    """The same number without trailing zeros (and never in exponent form)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass
class _State:
    row: Row
    env: dict[str, Any]
    scores: dict[str, Decimal] = field(default_factory=dict)
    bands: dict[str, str] = field(default_factory=dict)
    values: dict[str, Decimal] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)
    rewards: list[Outcome] = field(default_factory=list)
    withheld: list[Outcome] = field(default_factory=list)
    actions: list[Outcome] = field(default_factory=list)
    explain: dict[str, str] = field(default_factory=dict)
    blocked: dict[str, str] = field(default_factory=dict)

    def result(self) -> Result:
        return Result(
            subject=self.row.subject,
            period=self.row.period.label,
            group=self.row.group,
            scores=self.scores,
            bands=self.bands,
            values=self.values,
            ranks=self.ranks,
            rewards=tuple(self.rewards),
            withheld=tuple(self.withheld),
            actions=tuple(self.actions),
            explain=self.explain,
            source=self.row.where,
        )


@dataclass
class _Streak:
    ordinal: int
    year: int
    count: int


class _Run:
    """One evaluation: the scheme, the expression engine and the history carried across periods."""

    def __init__(self, scheme: CompiledScheme) -> None:
        self.scheme = scheme
        self.model = scheme.model
        self.eval = Evaluator()
        self.streaks: dict[tuple[str, str], _Streak] = {}
        self.in_year: dict[tuple[str, str, int], int] = defaultdict(int)

    def fail(self, state: _State, code: str, message: str) -> EvaluationError:
        file, _, line = state.row.where.rpartition(":")
        return EvaluationError(
            [
                Diagnostic(
                    file,
                    int(line) if line.isdigit() else 0,
                    0,
                    code,
                    f"subject {state.row.subject!r}, {state.row.period}: {message}",
                )
            ]
        )

    def value(self, state: _State, node: Node, key: str, evaluator: Evaluator | None = None) -> Any:
        """Evaluate one of a rule's expressions; arithmetic failures become EvaluationErrors,
        and so does a result beyond 10^15 (a runaway formula: no score or amount is that large,
        and rounding it could exceed the 28 digits of the arithmetic)."""
        expr = node.exprs[key]
        try:
            value = (evaluator or self.eval)(expr, state.env)
        except decimal.DecimalException as exc:
            if divides_by_zero(exc):
                code, what = "division-by-zero", "division by zero"  # x / 0 and 0 / 0
            else:
                code, what = "arithmetic", type(exc).__name__
            raise self.fail(
                state, code, f"{node.id}: {what} in {describe(expr, state.env)}"
            ) from None
        if isinstance(value, Decimal) and value.copy_abs() > MAX_RESULT:
            raise self.fail(
                state,
                "arithmetic",
                f"{node.id}: the result is beyond 10^15 in {describe(expr, state.env)}",
            )
        return value

    # -- setup --------------------------------------------------------------------------

    def initial_env(self, row: Row) -> dict[str, Any]:
        env: dict[str, Any] = {}
        types = self.scheme.types
        for name, value in row.attributes.items():
            if name in types:
                env[name] = value
        for name, param in self.model.parameters.items():
            if param.by is not None:
                assert param.values is not None
                env[name] = param.values[row.attributes[param.by]]
            else:
                env[name] = param.value
        for name, value in row.points.items():
            if name in types:
                env[name] = value
        return env

    # -- one period ---------------------------------------------------------------------

    def period(self, rows: list[Row]) -> list[_State]:
        states = [
            _State(row, self.initial_env(row)) for row in sorted(rows, key=lambda r: r.subject)
        ]
        for node in self.scheme.nodes:
            handler = getattr(self, f"node_{node.kind}")
            handler(node, states)
        return states

    def node_section(self, node: Node, states: list[_State]) -> None:
        section: m.Section = node.rule
        ids = [i.id for i in section.items]
        for state in states:
            if section.kind == "veto":
                hit = [i for i in ids if state.env[i]]
                state.env[section.id] = bool(hit)
                if hit:
                    reason = f"veto {section.id}: {', '.join(hit)}"
                    targets = (
                        [r.id for r in self.model.rewards]
                        if section.blocks == "all"
                        else list(section.blocks or [])
                    )
                    for rid in targets:
                        state.blocked.setdefault(rid, reason)
                state.explain[section.id] = f"veto items set: {', '.join(hit) or 'none'}"
                continue
            # Exact sum, written without trailing zeros: 4.0 + 5 shows as 9, not 9.0.
            total = _plain(sum((state.env[i] for i in ids), Decimal(0)))
            parts = " + ".join(format_value(state.env[i]) for i in ids)
            why = f"{parts} = {format_value(total)}"
            if section.cap is not None and total > section.cap:
                why += f", capped at {format_value(section.cap)}"
                total = section.cap
            state.env[section.id] = total
            state.scores[section.id] = total
            state.explain[section.id] = why

    def node_score(self, node: Node, states: list[_State]) -> None:
        score: m.Score = node.rule
        rounding = score.rounding or self.model.rounding
        for state in states:
            raw = self.value(state, node, "expr")
            value = round_to(raw, rounding)
            if (score.min is not None and value < score.min) or (
                score.max is not None and value > score.max
            ):
                raise self.fail(
                    state,
                    "score-out-of-range",
                    f"{score.id} = {format_value(value)} is outside its declared range "
                    f"{score.min}..{score.max} ({describe(node.exprs['expr'], state.env)})",
                )
            state.env[score.id] = value
            state.scores[score.id] = value
            rounded = (
                ""
                if raw == value
                else (
                    f" = {format_value(raw)}, rounded {rounding.mode} to {rounding.places} places"
                )
            )
            state.explain[score.id] = (
                f"{describe(node.exprs['expr'], state.env)}{rounded} -> {format_value(value)}"
            )

    def node_banding(self, node: Node, states: list[_State]) -> None:
        banding: m.Banding = node.rule
        for state in states:
            value = state.env[banding.score]
            band = next((b for b in banding.bands if contains(b, value)), None)
            if band is not None:
                band_id, payload = band.id, band.values
                why = f"{banding.score}={format_value(value)} is in {band.id} {interval(band)}"
            elif isinstance(banding.unbanded, m.Unbanded):
                band_id, payload = banding.unbanded.id, banding.unbanded.values
                why = f"{banding.score}={format_value(value)} is in no band: {band_id}"
            else:
                raise self.fail(
                    state,
                    "unbanded",
                    f"{banding.score} = {format_value(value)} is in no band of "
                    f"{banding.id} and the banding says unbanded: error",
                )
            state.env[banding.id] = band_id
            state.bands[banding.id] = band_id
            for name, amount in payload.items():
                state.env[name] = amount
                state.values[name] = amount
            if payload:
                why += " (" + ", ".join(f"{k}={format_value(v)}" for k, v in payload.items()) + ")"
            state.explain[banding.id] = why

    def groups(self, within: str, states: list[_State]) -> dict[str | None, list[_State]]:
        grouped: dict[str | None, list[_State]] = defaultdict(list)
        for state in states:
            grouped[state.row.group if within == "group" else None].append(state)
        return dict(sorted(grouped.items(), key=lambda kv: kv[0] or ""))

    def node_ranking(self, node: Node, states: list[_State]) -> None:
        ranking: m.Ranking = node.rule
        sign = -1 if ranking.order == "descending" else 1
        for group, members in self.groups(ranking.within, states).items():
            ordered = sorted(members, key=lambda s: (sign * s.env[ranking.score], s.row.subject))
            values = [s.env[ranking.score] for s in ordered]
            first_at: dict[Decimal, int] = {}  # value -> 1-based position of its first holder
            count: dict[Decimal, int] = defaultdict(int)
            for position, value in enumerate(values, start=1):
                first_at.setdefault(value, position)
                count[value] += 1
            dense = {value: index for index, value in enumerate(first_at, start=1)}
            worst = values[-1]
            where = f" in group {group}" if group is not None else ""
            for state in ordered:
                mine = state.env[ranking.score]
                rank = first_at[mine] if ranking.ties == "competition" else dense[mine]
                state.env[ranking.id] = Decimal(rank)
                state.env[f"{ranking.id}_size"] = Decimal(len(ordered))
                state.env[f"{ranking.id}_last"] = mine == worst
                state.ranks[ranking.id] = rank
                tie = count[mine]
                tied = f", tied with {tie - 1} other(s) ({ranking.ties})" if tie > 1 else ""
                state.explain[ranking.id] = (
                    f"rank {rank} of {len(ordered)}{where} by {ranking.score}="
                    f"{format_value(mine)} ({ranking.order}){tied}"
                )

    # -- rewards ------------------------------------------------------------------------

    def grant(
        self,
        state: _State,
        reward: Any,
        because: str,
        amount: Decimal | None = None,
        currency: str | None = None,
    ) -> None:
        blocked = state.blocked.get(reward.id)
        outcome = Outcome(reward.id, reward.id, because, reward.label, amount, currency, blocked)
        if blocked:
            state.withheld.append(outcome)
            state.env[reward.id] = False
        else:
            state.rewards.append(outcome)
            state.env[reward.id] = True

    def when(self, state: _State, node: Node) -> tuple[bool, str]:
        if "when" not in node.exprs:
            return True, ""
        return bool(self.value(state, node, "when")), describe(node.exprs["when"], state.env)

    def node_reward(self, node: Node, states: list[_State]) -> None:
        reward = node.rule
        for state in states:
            state.env[reward.id] = False
        if isinstance(reward, m.Top):
            self.top(node, reward, states)
            return
        if isinstance(reward, m.RankPrize):
            self.rank_prize(node, reward, states)
            return
        for state in states:
            ok, why = self.when(state, node)
            if not ok:
                continue
            if isinstance(reward, m.Money):
                raw = self.value(state, node, "amount")
                amount = round_to(raw, reward.rounding)  # safe: value() bounds raw by 10^15
                if amount < 0:
                    raise self.fail(
                        state,
                        "negative-amount",
                        f"{reward.id}: the amount {format_value(amount)} is negative",
                    )
                if amount > MAX_AMOUNT:
                    raise self.fail(
                        state,
                        "amount-too-large",
                        f"{reward.id}: the amount {format_value(amount)} is above the limit "
                        f"of 10^12 ({describe(node.exprs['amount'], state.env)})",
                    )
                because = (
                    describe(node.exprs["amount"], state.env)
                    + f" = {format_value(amount)} {reward.currency}"
                )
                if why:
                    because = f"{why}; {because}"
                self.grant(state, reward, because, amount, reward.currency)
            else:
                self.grant(state, reward, why)

    def constant(self, node: Node, key: str, states: list[_State]) -> Decimal:
        value: Decimal = self.value(states[0], node, key)
        return value

    def top(self, node: Node, reward: m.Top, states: list[_State]) -> None:
        ranking = next(r for r in self.model.rankings if r.id == reward.ranking)
        for group, members in self.groups(ranking.within, states).items():
            size = len(members)
            if reward.count is not None:
                places = int(self.constant(node, "count", members))
                how = f"count {reward.count} = {places}"
            else:
                share = self.constant(node, "share", members)
                assert reward.share_rounding is not None
                exact = share * size
                places = int(
                    exact.quantize(Decimal(1), rounding=ROUNDING_MODES[reward.share_rounding])
                )
                how = (
                    f"{reward.share} = {format_value(share)} of {size} = {format_value(exact)}, "
                    f"{reward.share_rounding} -> {places}"
                )
            ordered = sorted(members, key=lambda s: (s.ranks[ranking.id], s.row.subject))
            chosen: list[_State] = []
            if places > 0:
                cut = ordered[min(places, size) - 1].ranks[ranking.id]
                chosen = [s for s in ordered if s.ranks[ranking.id] <= cut]
                if len(chosen) > places and reward.ties == "exclude":
                    chosen = [s for s in ordered if s.ranks[ranking.id] < cut]
            where = f" in group {group}" if group is not None else ""
            for state in chosen:
                ok, why = self.when(state, node)
                if not ok:
                    continue
                because = (
                    f"rank {state.ranks[ranking.id]} of {size}{where} is within the top "
                    f"{places} ({how}; ties {reward.ties}d)"
                )
                self.grant(state, reward, f"{because}; {why}" if why else because)

    def rank_prize(self, node: Node, reward: m.RankPrize, states: list[_State]) -> None:
        ranking = next(r for r in self.model.rankings if r.id == reward.ranking)
        table = {p.rank: p.amounts for p in reward.prizes}

        def amount_for(position: int, band: str) -> Decimal:
            return table.get(position, {}).get(band, Decimal(0))

        for _group, members in self.groups(ranking.within, states).items():
            ordered = sorted(members, key=lambda s: (s.ranks[ranking.id], s.row.subject))
            first_at: dict[int, int] = {}  # rank -> 1-based position of its first holder
            holders: dict[int, int] = defaultdict(int)
            for position, member in enumerate(ordered, start=1):
                first_at.setdefault(member.ranks[ranking.id], position)
                holders[member.ranks[ranking.id]] += 1
            for state in ordered:
                rank = state.ranks[ranking.id]
                band = state.bands[reward.banding]
                tied = holders[rank]
                if reward.ties == "split" and tied > 1:
                    first = first_at[rank]
                    places = range(first, first + tied)
                    pool = sum((amount_for(p, band) for p in places), Decimal(0))
                    amount = round_to(pool / tied, reward.rounding)
                    how = (
                        f"{tied} tied at rank {rank} split places {first}-{places[-1]}: "
                        f"{format_value(pool)} / {tied} = {format_value(amount)}"
                    )
                    left = pool - amount * tied
                    if left:  # say what the declared rounding keeps back; never hide it
                        how += (
                            f" each, {format_value(left)} {reward.currency} of the pool "
                            f"not paid out ({reward.rounding.mode} to "
                            f"{reward.rounding.places} places)"
                        )
                else:
                    amount = round_to(amount_for(rank, band), reward.rounding)
                    how = f"rank {rank} with {reward.banding} band {band}"
                    if tied > 1:
                        how += f" (tied with {tied - 1}, shared)"
                if amount <= 0:
                    continue
                ok, why = self.when(state, node)
                if not ok:
                    continue
                because = f"{how} -> {format_value(amount)} {reward.currency}"
                self.grant(
                    state, reward, f"{because}; {why}" if why else because, amount, reward.currency
                )

    # -- actions ------------------------------------------------------------------------

    def node_action(self, node: Node, states: list[_State]) -> None:
        action = node.rule
        for state in states:
            ok, why = self.when(state, node)
            if isinstance(action, m.Condition):
                state.env[action.id] = ok
                if ok:
                    state.actions.append(
                        Outcome(action.action or action.id, action.id, why, action.label)
                    )
                continue
            self.escalate(node, action, state, ok, why)

    def escalate(
        self, node: Node, action: m.Escalation, state: _State, holds: bool, why: str
    ) -> None:
        subject, period = state.row.subject, state.row.period
        if action.count == "consecutive":
            key = (subject, action.id)
            previous = self.streaks.get(key)
            run = previous.count if previous and previous.ordinal == period.ordinal - 1 else 0
            count = run + 1 if holds else 0
            self.streaks[key] = _Streak(period.ordinal, period.year, count)
            counted = f"{_ordinal(count)} consecutive {self.model.period}"
        else:
            year_key = (subject, action.id, period.year)
            if holds:
                self.in_year[year_key] += 1
            count = self.in_year[year_key] if holds else 0
            counted = f"{_ordinal(count)} time in {period.year}"
        state.env[action.id] = Decimal(count)
        state.explain[action.id] = f"{why} -> {counted if holds else 'does not hold'}"
        if not holds:
            return
        chosen = None
        for index, step in enumerate(action.steps):
            if step.at > count:
                break
            step_key = f"step{index}"
            if step_key in node.exprs and not self.value(state, node, step_key):
                continue
            chosen = (index, step)
        if chosen is None:
            return
        index, step = chosen
        because = f"{why}; {counted} (step from {_ordinal(step.at)})"
        if step.when is not None:
            because += f"; {describe(node.exprs[f'step{index}'], state.env)}"
        label = step.label or action.label
        state.actions.append(Outcome(step.action, action.id, because, label, step=index + 1))

    # -- year end -----------------------------------------------------------------------

    def year_end(self, subject: str, year: int, states: list[_State]) -> Result:
        block = self.model.year_end
        assert block is not None
        env: dict[str, Any] = {}
        for name, type_ in self.scheme.types.items():
            if type_.name in ("number", "bool") and name not in self.model.parameters:
                env[name] = tuple(s.env[name] for s in states)
        for name in self.model.parameters:
            env[name] = states[-1].env[name]
        evaluator = Evaluator(series=True)
        last = states[-1]
        state = _State(last.row, env)
        result_scores: dict[str, Decimal] = {}
        for node in self.scheme.year_end:
            rule = node.rule
            if node.kind == "score":
                rounding = rule.rounding or self.model.rounding
                value = round_to(self.value(state, node, "expr", evaluator), rounding)
                env[rule.id] = value
                result_scores[rule.id] = value
                state.explain[rule.id] = (
                    f"{describe(node.exprs['expr'], env)} -> {format_value(value)}"
                )
                continue
            ok = True
            why = ""
            if "when" in node.exprs:
                ok = bool(self.value(state, node, "when", evaluator))
                why = describe(node.exprs["when"], env)
            env[rule.id] = ok
            if not ok:
                continue
            if isinstance(rule, m.Money):
                amount = round_to(self.value(state, node, "amount", evaluator), rule.rounding)
                because = (
                    describe(node.exprs["amount"], env)
                    + f" = {format_value(amount)} {rule.currency}"
                )
                state.rewards.append(
                    Outcome(
                        rule.id,
                        rule.id,
                        f"{why}; {because}" if why else because,
                        rule.label,
                        amount,
                        rule.currency,
                    )
                )
            elif isinstance(rule, m.Honour):
                state.rewards.append(Outcome(rule.id, rule.id, why, rule.label))
            else:
                state.actions.append(Outcome(rule.action or rule.id, rule.id, why, rule.label))
        return Result(
            subject=subject,
            period=f"{year:04d}",
            group=last.row.group,
            kind="year_end",
            scores=result_scores,
            rewards=tuple(state.rewards),
            actions=tuple(state.actions),
            explain=state.explain,
            source=", ".join(s.row.where for s in states),
        )


def _year_complete(kind: str, periods: list[Period]) -> bool:
    return len(periods) == PER_YEAR[kind]


def evaluate(
    scheme: CompiledScheme,
    records: Iterable[Record | Mapping[str, Any]],
    *,
    on_error: OnError = "collect",
) -> Evaluation:
    """Apply a compiled scheme to records: scores, bands, ranks, rewards and actions.

    Pure and deterministic: the same scheme and records give the same `Evaluation`, whatever
    their order. Records may be `Record` objects (e.g. from `read_records`) or mappings with
    ``subject``, ``period``, ``attributes`` and ``points``.

    >>> scheme = load_scheme("schemes/chengzhuang-ladder.yaml")  # doctest: +SKIP
    >>> evaluation = evaluate(scheme, records)  # doctest: +SKIP
    >>> evaluation.get("fully-mech-1", "2024-Q1").values["coefficient"]  # doctest: +SKIP
    Decimal('0.9')

    Raises:
        RecordError: for bad records, naming file, row, subject and field; with
            ``on_error="stop"`` only the first problem.
        EvaluationError: when a valid record breaks a declared guarantee of the scheme
            (a score outside its range, a score in no band with ``unbanded: error``).
    """
    rows = check_records(scheme, records, on_error)
    run = _Run(scheme)
    by_period: dict[Period, list[Row]] = defaultdict(list)
    for row in rows:
        by_period[row.period].append(row)
    results: list[Result] = []
    warnings: list[str] = []
    history: dict[tuple[str, int], list[_State]] = defaultdict(list)
    model = scheme.model
    with decimal.localcontext(ARITHMETIC):
        for period in sorted(by_period):
            for state in run.period(by_period[period]):
                results.append(state.result())
                history[(state.row.subject, period.year)].append(state)
        if model.year_end is not None:
            year_end: list[Result] = []
            for (subject, year), states in sorted(
                history.items(), key=lambda kv: (kv[0][1], kv[0][0])
            ):
                periods = [s.row.period for s in states]
                if _year_complete(model.period, periods):
                    year_end.append(run.year_end(subject, year, states))
                else:
                    have = ", ".join(p.label for p in periods)
                    warnings.append(
                        f"{subject} {year}: year-end rules not applied: {len(periods)} of "
                        f"{PER_YEAR[model.period]} periods present ({have})"
                    )
            results = _interleave(results, year_end)
    return Evaluation(model.id, model.version, tuple(results), tuple(warnings))


def _interleave(periods: list[Result], year_end: list[Result]) -> list[Result]:
    """Period results in order, each year's year-end results after that year's last period."""

    def key(result: Result) -> tuple[int, int]:
        return (int(result.period[:4]), 1 if result.kind == "year_end" else 0)

    return sorted([*periods, *year_end], key=key)  # stable: keeps period and subject order
