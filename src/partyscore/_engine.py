"""The engine: one period of checked rows in, its results out. No I/O, no clock, no
randomness.

Within a period the scheme's steps run in order: a generated
segment (`_codegen`) runs record by record; a ranking, a top reward or a rank prize runs
over every subject of the period at once, so a reward can use a rank. Between periods only
what history rules need is kept: each subject's escalation counts, and the values of the
current year that year-end rules read.
"""

from __future__ import annotations

import decimal
import gc
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from itertools import groupby
from typing import Any

from ._codegen import BLOCKED, HISTORY, HITS, ROW, Hit, Program, RuleFailure, Segment
from ._compile import CompiledScheme
from ._diagnostics import Diagnostic, EvaluationError
from ._explain import Reasons, Values, places, prize_amount, prize_pool
from ._expr import ARITHMETIC, describe, divides_by_zero, format_value
from ._history import History, HistoryError, SubjectHistory, year_end_names
from ._i18n import _, period_word
from ._overrides import AppliedOverride as Applied
from ._overrides import Override, OverrideError, Overrides, Place
from ._overrides import apply as apply_override
from ._periods import PER_YEAR, Period, from_ordinal, in_window
from ._plan import (
    ConditionRule,
    EscalationRule,
    MoneyRule,
    Plan,
    RankingRule,
    RankPrizeRule,
    Rule,
    ScoreRule,
    TopRule,
)
from ._records import Row
from ._results import Outcome, Result

__all__ = ["Engine", "PeriodResults", "collector_paused"]


class Engine:
    """One evaluation: the generated program and the history carried across periods."""

    def __init__(
        self,
        scheme: CompiledScheme,
        history: History | None = None,
        overrides: Overrides | None = None,
    ) -> None:
        self.scheme = scheme
        self.overrides = overrides
        self.overridden: set[Override] = set()  # the overrides applied so far
        self.changed: dict[str, dict[int, Any]] = {}  # this period's values as overridden
        self.plan: Plan = scheme.plan
        program = scheme.program
        assert isinstance(program, Program)
        self.program = program
        self.slots = program.slots
        self.history: dict[str, SubjectHistory] = {}
        self.in_year: dict[int, set[str]] = {}  # subjects seen in each year not yet closed
        self.years: dict[int, list[Period]] = {}  # the periods of each year in effect
        self.year_end_names = year_end_names(self.plan) if program.year_end else ()
        self.year_end_slots = [self.slots[n] for n in self.year_end_names]
        self.year_end_scores = tuple(r.id for r in self.plan.year_end if isinstance(r, ScoreRule))
        types = self.plan.types
        self.year_end_flags = tuple(n for n in self.year_end_names if types[n].name == "bool")
        self.first: Period | None = None  # the first period known: carried in, or evaluated
        self.last: Period | None = None  # the last period evaluated (or carried in)
        self.carried: History | None = None
        # Per escalation rule: its slot, and the count beyond which nothing more can happen
        # (its highest step, unless another rule reads the count itself).
        read = {n for r in (*self.plan.rules, *self.plan.year_end) for n in r.reads}
        self.counted = tuple(
            (r, self.slots[r.id], None if r.id in read else max(s.at for s in r.steps))
            for r in program.escalations
        )
        self.may_be_short = False  # whether counts may lack periods before `first`
        self.indexes = {r.id: i for i, r in enumerate(program.escalations)}
        if history is not None:
            self.carry(history)

    def carry(self, history: History) -> None:
        """Start from the state a previous run left (`History`), checked to be this
        scheme's."""
        model = self.scheme.model
        if (history.scheme, history.version, history.first.kind) != (
            model.id,
            model.version,
            model.period,
        ):
            raise HistoryError(
                [
                    Diagnostic(
                        "<history>",
                        0,
                        0,
                        "history-scheme",
                        # TRANSLATORS: {kind} and {own_kind} are the schemes' period kinds
                        # (month, quarter, ...), made plural in English by the 's' after them
                        _(
                            "this history belongs to scheme {scheme!r} version {version!r} "
                            "({kind}s), not to {own_scheme!r} version {own_version} ({own_kind}s)"
                        ).format(
                            scheme=history.scheme,
                            version=history.version,
                            kind=history.first.kind,
                            own_scheme=model.id,
                            own_version=model.version,
                            own_kind=model.period,
                        ),
                    )
                ]
            )
        if history.subjects and (
            len(next(iter(history.subjects.values())).counts) != len(self.counted)
        ):
            raise HistoryError(
                [Diagnostic("<history>", 0, 0, "history-scheme", _("the history's rules differ"))]
            )
        self.carried = history
        for subject, state in history.subjects.items():
            mine = self.history[subject] = state.copy()
            if mine.year is not None and mine.year_values:
                self.in_year.setdefault(mine.year, set()).add(subject)

    def export(self) -> History | None:
        """The history state now, to carry into a later run (None before any period)."""
        carried = self.carried
        first = carried.first if carried is not None else self.first
        last = self.last if self.last is not None else (carried.last if carried else None)
        if first is None or last is None:
            return None
        declared = carried is not None and carried.declared
        return History(self.scheme, first, last, self.history, declared=declared)

    # -- one period ---------------------------------------------------------------------

    def values(self, row: Row) -> list[Any]:
        v = row.values
        history = self.history.get(row.subject)
        if history is None:
            history = self.history[row.subject] = SubjectHistory(len(self.counted))
        v[ROW], v[HITS], v[HISTORY] = row, [], history.counts
        return v

    def order(self, rows: list[Row]) -> list[Row]:
        """Subjects in a fixed order (by id), whatever the order of the input."""
        return sorted(rows, key=lambda r: r.subject)

    def period(self, period: Period, rows: list[Row]) -> list[list[Any]]:
        """Evaluate one period's rows; the value lists, in subject order."""
        records = [self.values(row) for row in self.order(rows)]
        ordinal, year = period.ordinal, period.year
        for step in self.program.steps:
            if isinstance(step, Segment):
                fn = step.fn
                assert fn is not None
                v: list[Any] = []
                try:
                    for v in records:
                        fn(v, ordinal, year)
                except RuleFailure as failure:
                    raise self.fail(v, failure) from None
            elif isinstance(step, RankingRule):
                self.rank(step, records)
            elif isinstance(step, TopRule):
                self.top(step, records)
            else:
                self.rank_prize(step, records)
        return records

    def groups(self, ranking: RankingRule, records: list[list[Any]]) -> Iterable[list[list[Any]]]:
        if not ranking.by_group:
            return [records]
        grouped: dict[str | None, list[list[Any]]] = defaultdict(list)
        for v in records:
            grouped[v[ROW].group].append(v)
        return grouped.values()

    def rank(self, rule: RankingRule, records: list[list[Any]]) -> None:
        score, rank_slot = self.slots[rule.score], self.slots[rule.id]
        size_slot, last_slot = self.slots[rule.size_name], self.slots[rule.last_name]
        ties_slot, first_slot = self.slots[f"#ties:{rule.id}"], self.slots[f"#first:{rule.id}"]
        int_rank_slot = self.slots[f"#rank:{rule.id}"]
        by_score = operator.itemgetter(score)
        for members in self.groups(rule, records):
            # Stable sort of records already in subject order: ties stay in subject order.
            ordered = sorted(members, key=by_score, reverse=rule.descending)
            size = Decimal(len(ordered))
            worst = ordered[-1][score]
            # A last place needs somebody above it: where all tie, nobody is last (unless
            # the ranking says everybody then is).
            has_last = rule.last_when_all_tied or ordered[0][score] != worst
            position = 1
            for distinct, (value, tied) in enumerate(groupby(ordered, key=by_score), start=1):
                holders = list(tied)
                count = len(holders)
                whole = distinct if rule.dense else position
                rank = Decimal(whole)
                last = has_last and value == worst
                for v in holders:
                    v[rank_slot] = rank
                    v[int_rank_slot] = whole
                    v[size_slot] = size
                    v[last_slot] = last
                    v[ties_slot] = count
                    v[first_slot] = position
                position += count

    def when(self, rule: Rule, v: list[Any]) -> bool:
        condition = self.program.when.get(rule.id)
        if condition is None:
            return True
        try:
            return condition(v)
        except RuleFailure as failure:
            raise self.fail(v, failure) from None

    def grant(self, rule: Rule, v: list[Any], amount: Decimal | None = None) -> None:
        blocked = v[BLOCKED]
        reason = blocked.get(rule.id) if blocked is not None else None
        v[HITS].append(Hit(rule, amount, None, reason))
        v[self.slots[rule.id]] = reason is None

    def top(self, rule: TopRule, records: list[list[Any]]) -> None:
        slot = self.slots[rule.id]
        rank_slot = self.slots[rule.ranking.id]
        for v in records:
            v[slot] = False
        for members in self.groups(rule.ranking, records):
            count = places(rule, len(members))[0]
            ordered = sorted(members, key=lambda v: v[rank_slot])
            chosen: list[list[Any]] = []
            if count > 0:
                cut = ordered[min(count, len(ordered)) - 1][rank_slot]
                chosen = [v for v in ordered if v[rank_slot] <= cut]
                if len(chosen) > count and not rule.include_ties:
                    chosen = [v for v in ordered if v[rank_slot] < cut]
            for v in chosen:
                if self.when(rule, v):
                    self.grant(rule, v)

    def rank_prize(self, rule: RankPrizeRule, records: list[list[Any]]) -> None:
        slot = self.slots[rule.id]
        ranking = rule.ranking
        rank_slot, band_slot = self.slots[f"#rank:{ranking.id}"], self.slots[rule.banding.id]
        ties_slot = self.slots[f"#ties:{ranking.id}"]
        first_slot = self.slots[f"#first:{ranking.id}"]
        # Past the last prized place nothing is paid: a rank (dense or not) and the first
        # place of a tied group are both beyond it, so are all the places the group shares.
        last_place = max(rule.prizes)
        for v in records:
            v[slot] = False
        # Once per tie group and band: the amount, and whether it is paid (a share rounded
        # to 0.00 of a pool that is not empty is paid as 0.00, so that the explanation says
        # where the pool went).
        amounts: dict[tuple[int, int, int, str], tuple[Decimal, bool]] = {}
        for v in records:
            if v[rank_slot] > last_place and v[first_slot] > last_place:
                continue
            key = (v[rank_slot], v[first_slot], v[ties_slot], v[band_slot])
            found = amounts.get(key)
            if found is None:
                amount = prize_amount(rule, *key)
                paid = amount > 0 or (rule.split and key[2] > 1 and prize_pool(rule, *key[1:]) > 0)
                found = amounts[key] = (amount, paid)
            if found[1] and self.when(rule, v):
                self.grant(rule, v, found[0])

    # -- failures -----------------------------------------------------------------------

    def fail(self, v: list[Any], failure: RuleFailure) -> EvaluationError:
        row: Row = v[ROW]
        names = Values(v, self.slots)
        return _failure(row, failure, names)

    # -- results ------------------------------------------------------------------------

    def override(self, period: Period, records: list[list[Any]]) -> dict[str, list[Applied]]:
        """Apply the overrides of this period after its rules ran, before its results are
        written and its values kept for later periods and the year end.

        Raises:
            OverrideError: for an override of a subject with no record in the period, or
                of an outcome its result does not have.
        """
        assert self.overrides is not None
        wanted = self.overrides.of(period.label)
        if not wanted:
            return {}
        by_subject = {v[ROW].subject: v for v in records}
        applied: dict[str, list[Applied]] = {}
        given: dict[str, list[Hit]] = {}  # what the rules gave each subject
        for o in wanted:
            v = by_subject.get(o.subject)
            if v is None:
                raise o.problem(
                    "unknown-subject",
                    _("no record of subject {subject} in {period}").format(
                        subject=o.subject, period=period
                    ),
                )
            changes = self.changed.setdefault(o.subject, {})
            place = Place(
                self.slots, v, v[HISTORY], self.indexes, period.ordinal, period.year, changes
            )
            rules_gave = given.setdefault(o.subject, list(v[HITS]))
            mark = apply_override(o, v[HITS], place, rules_gave)
            applied.setdefault(o.subject, []).append(mark)
            self.overridden.add(o)
        return applied

    def finish(self) -> None:
        """After the last period.

        Raises:
            OverrideError: ``unknown-period`` for each override no result of the run had (a
                period not in the input, a year end not reached).
        """
        if self.overrides is None:
            return
        left = [o for o in self.overrides.entries if o not in self.overridden]
        if left:
            raise OverrideError(
                [
                    Diagnostic(
                        o.file,
                        o.line,
                        0,
                        "unknown-period",
                        (
                            _(
                                "the run has no year-end result for {subject} in {period}: the "
                                "input does not reach the year's last period, or has no record "
                                "of the subject in that year"
                            )
                            if len(o.period) == 4
                            else _("the run has no result for {subject} in {period}")
                        ).format(subject=o.subject, period=o.period),
                        "overrides",
                    )
                    for o in left
                ]
            )

    def result(self, v: list[Any], applied: list[Applied] | None = None) -> Result:
        row: Row = v[ROW]
        group = row.group
        reasons = Reasons(self.plan, Values(v, self.slots), group, row.period.year)
        rewards: list[Outcome] = []
        withheld: list[Outcome] = []
        actions: list[Outcome] = []
        marks = _marks(applied, reasons) if applied else None
        for hit in v[HITS]:
            outcome = _outcome(hit, reasons)
            mark = marks.get(id(hit)) if marks else None
            if mark is not None:
                outcome = _overridden(outcome, mark)
            if hit.rule.__class__ in _ACTIONS:
                _take(actions, outcome)
            elif hit.withheld_by is not None:
                withheld.append(outcome)
            else:
                rewards.append(outcome)
        scores, bands, values, ranks = self.program.pick(v)
        fields: dict[str, Any] = {
            "subject": row.subject,
            "period": row.period.label,
            "group": group,
            "kind": "period",
            "scores": scores,
            "bands": bands,
            "values": values,
            "ranks": ranks,
            "rewards": tuple(rewards),
            "withheld": tuple(withheld),
            "actions": tuple(actions),
            "explain": reasons,
            "source": row.where,
            "warnings": self.short_counts(v, row.period) if self.may_be_short else (),
        }
        fields["overrides"] = None if self.overrides is None else tuple(applied or ())
        return _result(fields)

    def batch(self, period: Period, rows: list[Row], following: Period | None) -> PeriodResults:
        """One period's results, followed by the year-end results when the period closes a
        year: when the `following` period of the input is in a later year, or there is
        none. The decimal context and the paused collector hold only while the period is
        worked out, never while the caller holds its results."""
        gap = None
        if self.last is None:
            self.begin(period, rows)
            carried = self.carried
            if carried is not None and period.ordinal > carried.last.ordinal + 1:
                after = from_ordinal(carried.last.ordinal + 1, period.kind)
                before = from_ordinal(period.ordinal - 1, period.kind)
                if after == before:
                    missing = _("{period} was not evaluated").format(period=after)
                else:
                    missing = _("{first} to {last} were not evaluated").format(
                        first=after, last=before
                    )
                if carried.declared and carried.last < carried.first:
                    since = _("counting starts at {first} (a declared start)").format(
                        first=carried.first
                    )
                else:
                    since = _("the history carried in ends at {last}").format(last=carried.last)
                if any(r.consecutive for r, _slot, _top in self.counted):
                    # TRANSLATORS: {since} says where the history ends ("the history carried
                    # in ends at 2024-Q1"), {missing} which periods were not evaluated
                    gap = _(
                        "{since} and the records start at {period}: {missing}, so runs of "
                        "consecutive periods start again"
                    )
                else:
                    # TRANSLATORS: {since} says where the history ends ("the history carried
                    # in ends at 2024-Q1"), {missing} which periods were not evaluated
                    gap = _("{since} and the records start at {period}: {missing}")
                gap = gap.format(since=since, period=period, missing=missing)
        self.last = period
        closes_year = following is None or following.year != period.year
        # A year whose last period the input does not reach is still running: its year end
        # waits (for a later run, with history carried in).
        year_over = following is not None or period == self.periods_in(period.year)[-1]
        with decimal.localcontext(ARITHMETIC), collector_paused():
            batch = self._batch(period, rows, closes_year, year_over)
        if gap is not None:
            batch.warnings = (gap, *batch.warnings)
        return batch

    def begin(self, period: Period, rows: list[Row]) -> None:
        """Before the first period: check it comes after any history carried in, and note
        whether history rules may count fewer periods than happened."""
        carried = self.carried
        if carried is not None and period <= carried.last:
            row = min(rows, key=lambda r: (r.file, r.line)) if rows else None
            if carried.declared and carried.last.ordinal < carried.first.ordinal:
                message = _(
                    "the records for {period} are not after the history carried in, which "
                    "declares that counting starts at {first}: give each period once, either in "
                    "the records or in the history"
                )
            else:
                message = _(
                    "the records for {period} are not after the history carried in, which "
                    "covers {first} to {last}: give each period once, either in the records or "
                    "in the history"
                )
            raise HistoryError(
                [
                    Diagnostic(
                        row.file if row is not None else "<records>",
                        row.line if row is not None else 0,
                        0,
                        "history-overlap",
                        message.format(period=period, first=carried.first, last=carried.last),
                        "period",
                    )
                ]
            )
        if self.first is None:
            self.first = carried.first if carried is not None else period
        start = self.window_start()
        declared = carried is not None and carried.declared
        self.may_be_short = (
            bool(self.counted) and not declared and start is not None and self.first > start
        )

    def window_start(self) -> Period | None:
        """The first period in which this version of the scheme applies."""
        start = self.scheme.model.effective.start
        for year in (start.year, start.year + 1):
            periods = self.periods_in(year)
            if periods:
                return periods[0]
        return None

    def short_counts(self, v: list[Any], period: Period) -> tuple[str, ...]:
        """Warnings for escalation counts that may lack periods before the first one known:
        a run that reaches back to it, a count within a year that starts before it, unless
        the count is already at the rule's highest step (and no other rule reads it)."""
        first = self.first
        assert first is not None
        found: list[str] = []
        for rule, slot, top in self.counted:
            count = v[slot]
            if not count or (top is not None and count >= top):
                continue
            if rule.consecutive:
                if period.ordinal - int(count) + 1 == first.ordinal:
                    # TRANSLATORS: {rule} is an escalation rule id; {known} says where what
                    # is known starts ("the history carried in starts at 2024-Q1")
                    message = _(
                        "{rule}: counted {count} in a row from {first} on, but {known}; with "
                        "earlier periods the count may be higher"
                    )
                    found.append(
                        message.format(rule=rule.id, count=count, first=first, known=self.known())
                    )
            elif period.year == first.year and first != self.periods_in(first.year)[0]:
                before = [p.label for p in self.periods_in(first.year) if p < first]
                # TRANSLATORS: {rule} is an escalation rule id; {known} says where what is
                # known starts ("the history carried in starts at 2024-Q1"); {periods} lists
                # the year's periods before {first}
                message = _(
                    "{rule}: counted {count} in {year} from {first} on, but {known}; with "
                    "{periods} the count may be higher"
                )
                found.append(
                    message.format(
                        rule=rule.id,
                        count=count,
                        year=period.year,
                        first=first,
                        known=self.known(),
                        periods=", ".join(before),
                    )
                )
        return tuple(found)

    def known(self) -> str:
        """Where what history rules know starts, for a warning of `short_counts`."""
        if self.carried is not None:
            return _("the history carried in starts at {first}").format(first=self.first)
        return _("{first} is the first period of the input and no history was carried in").format(
            first=self.first
        )

    def _batch(
        self, period: Period, rows: list[Row], closes_year: bool, year_over: bool
    ) -> PeriodResults:
        warnings: list[str] = []
        results: list[Result] = []
        # Years carried in from an earlier run that this run's periods have left behind.
        for year in sorted(y for y in self.in_year if y < period.year):
            results.extend(self.close_year(year, warnings))
        records = self.period(period, rows)
        applied = self.override(period, records) if self.overrides is not None else {}
        results.extend(self.result(v, applied.get(v[ROW].subject)) for v in records)
        has_year_end = self.program.year_end is not None
        if has_year_end:
            seen = self.in_year.setdefault(period.year, set())
            for v in records:
                self.remember(v)
                seen.add(v[ROW].subject)
        self.changed = {}
        for v in records:
            v[ROW] = v[HITS] = v[HISTORY] = None  # no cycle between a row and its values
        if has_year_end and closes_year:
            subjects = sorted(self.in_year.pop(period.year, ()))
            if not year_over:
                warnings.append(year_not_over(period, self.plan.period))
                subjects = []
            results.extend(self.close(period.year, subjects, warnings))
        if self.may_be_short:
            warnings.extend(
                f"{r.subject} {r.period}: {w}"
                for r in results
                if r.kind == "period"
                for w in r.warnings
            )
        batch = PeriodResults(results)
        batch.warnings = tuple(warnings)
        batch.period = period.label
        return batch

    # -- year end -----------------------------------------------------------------------

    def close_year(self, year: int, warnings: list[str]) -> list[Result]:
        """The year-end results of a year carried in and left behind by this run."""
        return self.close(year, sorted(self.in_year.pop(year, ())), warnings)

    def close(self, year: int, subjects: list[str], warnings: list[str]) -> list[Result]:
        results = []
        for subject in subjects:
            result, warning = self.year_end(subject, year)
            if warning is not None:
                warnings.append(warning)
            if result is not None:
                results.append(result)
        return results

    def remember(self, v: list[Any]) -> None:
        """Keep what year-end rules read of this period."""
        row: Row = v[ROW]
        history = self.history[row.subject]
        if history.year != row.period.year:
            history.year, history.year_values = row.period.year, []
        kept = [v[slot] for slot in self.year_end_slots]
        changed = self.changed.get(row.subject) if self.changed else None
        if changed:  # what an override decided, not what the rules gave
            kept = [changed.get(slot, value) for slot, value in zip(self.year_end_slots, kept,
                                                                     strict=True)]  # fmt: skip
        history.year_values.append((row, kept))

    def periods_in(self, year: int) -> list[Period]:
        """The periods of a year in which this version of the scheme applies (a version
        that starts in September has two two-monthly assessments in its first year)."""
        found = self.years.get(year)
        if found is None:
            window = self.scheme.model.effective
            kind = self.plan.period
            every = (Period(year, index, kind) for index in range(1, PER_YEAR[kind] + 1))
            found = self.years[year] = [p for p in every if in_window(p, window.start, window.end)]
        return found

    def year_end(self, subject: str, year: int) -> tuple[Result | None, str | None]:
        """The year-end result of one subject, and a warning naming the periods it misses
        (once per subject and year). The scheme's `missing` policy says what a subject
        missing periods gets: the rules over the periods it has, no result, or an error."""
        history = self.history[subject]
        kept = history.year_values if history.year == year else []
        history.year_values = []
        plan = self.plan
        every = self.periods_in(year)
        carried = self.carried
        if carried is not None and carried.declared:  # nothing before a declared start
            every = [p for p in every if p >= carried.first]
        present = {row.period for row, _ in kept}
        missing = [p for p in every if p not in present]
        warning = None
        notes: tuple[str, ...] = ()
        if missing:
            gaps = ", ".join(p.label for p in missing)
            # TRANSLATORS: {kind} is the scheme's period kind (month, quarter, ...), made
            # plural in English by the 's' after it
            have = _("{present} of {total} {kind}s present").format(
                present=len(kept), total=len(every), kind=period_word(plan.period)
            )
            policy = plan.year_end_missing
            if policy == "error":
                raise _missing_periods(kept[-1][0], year, gaps, have)
            if policy == "skip":
                # TRANSLATORS: {periods} lists the periods missing; {present} says how many
                # are there ("2 of 4 quarters present")
                skipped = _(
                    "no year-end result: no record for {periods} ({present}; "
                    "year_end.missing: skip)"
                ).format(periods=gaps, present=have)
                return None, f"{subject} {year}: {skipped}"
            # TRANSLATORS: {periods} lists the periods missing; {present} says how many are
            # there ("2 of 4 quarters present")
            note = _(
                "no record for {periods} ({present}): year-end rules applied to the periods "
                "present (year_end.missing: as_absent)"
            ).format(periods=gaps, present=have)
            notes = (note,)
            warning = f"{subject} {year}: {note}"
        last: Row = kept[-1][0]
        # Each name's values in period order; parameters as the last period has them.
        columns = zip(*(vs for _, vs in kept), strict=True)
        env: dict[str, Any] = dict(zip(self.year_end_names, columns, strict=True))
        if missing:  # a flag is false in a missing period, so a missing period ends a streak
            position = {p: i for i, p in enumerate(every)}
            for name in self.year_end_flags:
                full = [False] * len(every)
                for (row, _values), value in zip(kept, env[name], strict=True):
                    full[position[row.period]] = value
                env[name] = tuple(full)
        slots, values = self.slots, last.values
        for name in plan.parameters:
            env[name] = values[slots[name]]
        hits: list[Hit] = []
        env["#"] = [last, hits, None, None]
        program_year_end = self.program.year_end
        assert program_year_end is not None
        try:
            program_year_end(env)
        except RuleFailure as failure:
            raise _failure(last, failure, env) from None
        rewards: list[Outcome] = []
        actions: list[Outcome] = []
        reasons = Reasons(plan, env, last.group, year, year_end=True)
        applied: list[Applied] = []
        if self.overrides is not None:
            rules_gave = list(hits)
            for o in self.overrides.of(f"{year:04d}"):
                if o.subject == subject:
                    applied.append(apply_override(o, hits, None, rules_gave))
                    self.overridden.add(o)
        marks = _marks(applied, reasons) if applied else None
        for hit in hits:
            outcome = _outcome(hit, reasons)
            mark = marks.get(id(hit)) if marks else None
            if mark is not None:
                outcome = _overridden(outcome, mark)
            if hit.rule.__class__ is ConditionRule:
                _take(actions, outcome)
            else:
                rewards.append(outcome)
        fields: dict[str, Any] = {
            "subject": subject,
            "period": f"{year:04d}",
            "group": last.group,
            "kind": "year_end",
            "scores": {name: env[name] for name in self.year_end_scores},
            "bands": {},
            "values": {},
            "ranks": {},
            "rewards": tuple(rewards),
            "withheld": (),
            "actions": tuple(actions),
            "explain": reasons,
            "source": ", ".join(row.where for row, _ in kept),
            "warnings": notes,
        }
        fields["overrides"] = None if self.overrides is None else tuple(applied)
        return _result(fields), warning


def _marks(applied: list[Applied] | None, reasons: Reasons) -> dict[int, Applied]:
    """The overrides applied to a result, by the hit that now stands (removed ones by
    none); each override's original outcome written with the result's reasons."""
    marks: dict[int, Applied] = {}
    for mark in applied or ():
        mark.original = _outcome(mark.original, reasons)
        if mark.new is not None:
            marks[id(mark.new)] = mark
    return marks


def _overridden(outcome: Outcome, mark: Applied) -> Outcome:
    """The outcome an override put in, marked, and saying why it stands: the rules'
    reason for theirs, then the decision (never an amount worked out as if by the rule)."""
    original = mark.original
    o = mark.override
    because = _("{because}; the rules gave {original}, replaced by decision: {reason}").format(
        because=original.because,
        original=_shown(original),
        reason=o.reason,
    )
    replaced = Outcome(
        outcome.id,
        outcome.rule,
        because,
        outcome.label,
        outcome.amount,
        outcome.currency,
        outcome.blocked_by,
        outcome.step,
    )
    replaced.override = mark
    mark.new = replaced
    return replaced


def _shown(outcome: Outcome) -> str:
    if outcome.amount is None:
        return outcome.id
    return f"{outcome.id} {format_value(outcome.amount)} {outcome.currency}"


def _result(fields: dict[str, Any]) -> Result:
    """A `Result` from every one of its fields, built in one step: a period's results are
    many, and the frozen dataclass's own `__init__` sets each field by a call."""
    result: Result = _new(Result)
    _set(result, "__dict__", fields)
    return result


_new = object.__new__
_set = object.__setattr__
_WITH_CURRENCY = (MoneyRule, RankPrizeRule)
_ACTIONS = (ConditionRule, EscalationRule)


def _take(actions: list[Outcome], outcome: Outcome) -> None:
    """Add an action, once: an action an earlier rule already took gains this rule."""
    for taken in actions:
        if taken.id == outcome.id:
            taken.also = (*taken.also, outcome)
            return
    actions.append(outcome)


def _outcome(hit: Hit, reasons: Reasons) -> Outcome:
    rule = hit.rule
    kind = rule.__class__
    if kind is EscalationRule:
        assert isinstance(rule, EscalationRule)
        assert hit.step is not None
        step = rule.steps[hit.step - 1]
        return Outcome(
            step.action,
            rule.id,
            None,
            step.label or rule.label,
            None,
            None,
            None,
            hit.step,
            reasons=reasons,
            hit=hit,
        )
    if kind is ConditionRule:
        assert isinstance(rule, ConditionRule)
        return Outcome(rule.action, rule.id, None, rule.label, reasons=reasons, hit=hit)
    currency = rule.currency if kind in _WITH_CURRENCY else None  # type: ignore[attr-defined]
    return Outcome(
        rule.id,
        rule.id,
        None,
        rule.label,
        hit.amount,
        currency,
        hit.withheld_by,
        reasons=reasons,
        hit=hit,
    )


def _missing_periods(row: Row, year: int, gaps: str, have: str) -> EvaluationError:
    return EvaluationError(
        [
            Diagnostic(
                row.file,
                row.line,
                0,
                "missing-periods",
                # TRANSLATORS: {periods} lists the periods missing; {present} says how many
                # are there ("2 of 4 quarters present")
                _(
                    "subject {subject!r}, {year}: the year-end rules need every period and "
                    "there is no record for {periods} ({present}; year_end.missing: error)"
                ).format(subject=row.subject, year=year, periods=gaps, present=have),
                keys=("year_end", "missing"),
                subject=row.subject,
            )
        ]
    )


def _failure(row: Row, failure: RuleFailure, names: Mapping[str, Any]) -> EvaluationError:
    """An `EvaluationError` for a rule that failed on a record, with the values it read."""
    rule = failure.rule
    expr = _expression(rule, failure.key)
    seen = describe(expr, names) if expr is not None else ""
    value = failure.value
    if failure.what == "decimal":
        assert failure.error is not None
        if divides_by_zero(failure.error):  # x / 0 and 0 / 0
            code = "division-by-zero"
            # TRANSLATORS: {expression} is the expression with the values it read
            message = _("{rule}: division by zero in {expression}").format(
                rule=rule.id, expression=seen
            )
        else:
            code = "arithmetic"
            # TRANSLATORS: {error} names the failure (Overflow, InvalidOperation);
            # {expression} is the expression with the values it read
            message = _("{rule}: {error} in {expression}").format(
                rule=rule.id, error=type(failure.error).__name__, expression=seen
            )
    elif failure.what == "runaway":
        code = "arithmetic"
        # TRANSLATORS: {expression} is the expression with the values it read
        message = _("{rule}: the result is beyond 10^15 in {expression}").format(
            rule=rule.id, expression=seen
        )
    elif failure.what == "range":
        assert isinstance(rule, ScoreRule)
        assert value is not None
        code = "score-out-of-range"
        # TRANSLATORS: {expression} is the expression with the values it read
        message = _(
            "{rule} = {value} is outside its declared range {min}..{max} ({expression})"
        ).format(
            rule=rule.id, value=format_value(value), min=rule.min, max=rule.max, expression=seen
        )
    elif failure.what == "unbanded":
        assert value is not None
        score = getattr(rule, "score", "")
        code = "unbanded"
        message = _(
            "{score} = {value} is in no band of {banding} and the banding says unbanded: error"
        ).format(score=score, value=format_value(value), banding=rule.id)
    elif failure.what == "negative":
        assert value is not None
        code = "negative-amount"
        message = _("{rule}: the amount {value} is negative").format(
            rule=rule.id, value=format_value(value)
        )
    else:
        assert value is not None
        code = "amount-too-large"
        # TRANSLATORS: {expression} is the expression with the values it read
        message = _("{rule}: the amount {value} is above the limit of 10^12 ({expression})").format(
            rule=rule.id, value=format_value(value), expression=seen
        )
    return EvaluationError(
        [
            Diagnostic(
                row.file,
                row.line,
                0,
                code,
                # TRANSLATORS: {problem} is what failed, as in "total: division by zero in ..."
                _("subject {subject!r}, {period}: {problem}").format(
                    subject=row.subject, period=row.period, problem=message
                ),
                keys=(rule.id, failure.key) if failure.key else (rule.id,),
                subject=row.subject,
            )
        ]
    )


def _expression(rule: Rule, key: str) -> Any:
    if key == "expr" and isinstance(rule, ScoreRule):
        return rule.expr
    if key == "amount" and isinstance(rule, MoneyRule):
        return rule.amount
    if key == "when":
        return getattr(rule, "when", None)
    if key.startswith("step") and isinstance(rule, EscalationRule):
        return rule.steps[int(key[4:])].when
    return None


class PeriodResults(tuple[Result, ...]):
    """The results of one period, in subject order, followed by any year-end results that
    period completes; `warnings` says which year ends were not applied and why, and
    repeats each result's warnings with its subject and period. The last batch of a run
    carries its `history`, to pass to a later run."""

    warnings: tuple[str, ...] = ()
    period: str = ""
    history: History | None = None


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a period is worked out: evaluation makes no
    reference cycles, and a period's many small objects would otherwise trigger collections
    that scan everything alive (about 40 % of the time). The previous state is restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def year_not_over(period: Period, kind: str) -> str:
    """The warning for a year whose year-end rules wait: the input ends at `period`."""
    # TRANSLATORS: {kind} is the scheme's period kind (month, quarter, ...)
    message = _(
        "{year}: year-end rules not applied: the input ends at {period}, before the "
        "last {kind} of the year"
    )
    return message.format(year=period.year, period=period, kind=period_word(kind))
