"""Decisions made by people after the rules ran: an appeal upheld, a sanction lifted, a
prize corrected. Recorded, never edited into a spreadsheet.

An overrides file (YAML or CSV) lists, for a subject and a period, the outcome decided,
whether it is removed or replaced (by another step of the same escalation, or a money
reward by another amount), the reason, who decided and when (as given: partyscore reads
no clock). `read_overrides` checks every entry against the scheme before anything is
evaluated; the engine applies each after the period's rules ran (`apply`), so that
history rules count what the override says, and refuses an override whose subject, period
or outcome the run does not have.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError, field_validator

from . import models as m
from ._codegen import MAX_AMOUNT, Hit, round_to
from ._compile import CompiledScheme
from ._diagnostics import Diagnostic, PartyscoreError
from ._expr import ARITHMETIC
from ._i18n import _
from ._loader import parse_yaml, read_text
from ._locate import Locator, pydantic_diagnostics
from ._periods import parse_period
from ._plan import (
    ConditionRule,
    EscalationRule,
    HonourRule,
    MoneyRule,
    RankPrizeRule,
    Rule,
    TopRule,
)

__all__ = ["AppliedOverride", "Override", "OverrideError", "Overrides", "read_overrides"]

MAX_OVERRIDES_BYTES = 20_000_000
"""Largest overrides file accepted, in bytes."""
FIELDS = (
    "subject",
    "period",
    "outcome",
    "rule",
    "decision",
    "new",
    "amount",
    "reason",
    "decided_by",
    "decided_on",
)
"""The fields of an override, in the order a CSV file gives them."""


class OverrideError(PartyscoreError):
    """An overrides file that is invalid, or an override the run cannot apply."""


class _Entry(m.Model):
    """One override as the file gives it."""

    subject: str
    period: str
    outcome: str
    rule: str | None = None
    decision: Literal["remove", "replace"]
    new: str | None = None
    amount: str | None = None
    reason: str
    decided_by: str
    decided_on: str

    @field_validator("subject", "period", "amount", "decided_on", "decided_by", mode="before")
    @classmethod
    def _as_given(cls, value: Any) -> Any:
        # YAML reads 2024 as a number, 2100.5 as a decimal and 2024-07-15 as a date: keep
        # each as the text it was written as
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return str(value)
        return value


class _File(m.Model):
    overrides: list[_Entry]


@dataclass(frozen=True)
class Override:
    """One decision made by people: for `subject` in `period` (a period label, or a year
    for a year-end outcome), the outcome `outcome` (given by `rule`) is removed, or
    replaced by `new` (another step of the same escalation) or `amount` (a money reward).
    `file` and `line` say where it is written."""

    subject: str
    period: str
    outcome: str
    rule: str
    decision: Literal["remove", "replace"]
    new: str | None
    amount: Decimal | None
    reason: str
    decided_by: str
    decided_on: str
    file: str
    line: int

    def problem(self, code: str, message: str) -> OverrideError:
        return OverrideError([Diagnostic(self.file, self.line, 0, code, message, "overrides")])

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "period": self.period,
            "outcome": self.outcome,
            "rule": self.rule,
            "decision": self.decision,
            "new": self.new,
            "amount": None if self.amount is None else str(self.amount),
            "reason": self.reason,
            "decided_by": self.decided_by,
            "decided_on": self.decided_on,
            "file": self.file,
            "line": self.line,
        }


@dataclass(frozen=True)
class Overrides:
    """The overrides of one file, checked against a scheme."""

    file: str
    entries: tuple[Override, ...]

    def of(self, period: str) -> list[Override]:
        """The overrides of one period (or year-end) label."""
        return [o for o in self.entries if o.period == period]


@dataclass
class AppliedOverride:
    """An override as applied to a result: the outcome the rules gave (`original`, an
    `Outcome` once the result is written) and the one that stands (None: removed)."""

    override: Override
    original: Any
    new: Any = None


# --------------------------------------------------------------------------- reading


def read_overrides(
    path: str | Path, scheme: CompiledScheme, *, name: str | None = None
) -> Overrides:
    """Read and check an overrides file (``.yaml``/``.yml``: a mapping with a list
    ``overrides``; ``.csv``: one override per row with the columns of `FIELDS`, its
    encoding found from its bytes as for records: UTF-8, UTF-16, GB18030 or Big5). `name`
    is what problems and marks call the file (default: `path`).

    Raises:
        OverrideError: naming the file, line and field of every problem: a missing or
            unknown field, an outcome the scheme cannot give, a rule that does not give it,
            a replacement that is not another step of the same escalation (or an amount of
            a money reward), a period that is not one of the scheme's, two overrides of one
            outcome.
    """
    where = str(path)
    name = name if name is not None else where
    csv_file = where.lower().endswith(".csv")
    encoding = _csv_encoding(where, name) if csv_file else "utf-8"
    text, problem = read_text(path, max_bytes=MAX_OVERRIDES_BYTES, encoding=encoding)
    if text is None:
        assert problem is not None
        raise OverrideError([replace(problem, file=name)])
    entries = _csv_entries(text, name) if csv_file else _yaml_entries(text, name)
    checked = [_checked(entry, line, name, scheme) for entry, line in entries]
    problems = [p for result in checked if isinstance(result, Diagnostic) for p in [result]]
    overrides = [o for o in checked if isinstance(o, Override)]
    seen: dict[tuple[str, str, str, str], Override] = {}
    for o in overrides:
        key = (o.subject, o.period, o.outcome, o.rule)
        if key in seen:
            problems.append(
                Diagnostic(
                    name,
                    o.line,
                    0,
                    "duplicate-override",
                    _(
                        "a second override of {outcome} for {subject} in {period} (line {first})"
                    ).format(
                        outcome=o.outcome, subject=o.subject, period=o.period, first=seen[key].line
                    ),
                    "overrides",
                )
            )
        seen.setdefault(key, o)
    if problems:
        raise OverrideError(problems)
    return Overrides(name, tuple(overrides))


def _csv_encoding(path: str, name: str) -> str:
    """The encoding of an overrides CSV, found from its first bytes."""
    from ._tables import detect_encoding

    try:
        with open(path, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return "utf-8"  # read_text says what is wrong with the file
    found, why = detect_encoding(head)
    if found is None:
        message = _("cannot tell the encoding of the file: {why}; save it as UTF-8").format(why=why)
        raise OverrideError([Diagnostic(name, 0, 0, "encoding", message)])
    return found


def _yaml_entries(text: str, name: str) -> list[tuple[_Entry, int]]:
    document, problems = parse_yaml(text, name)
    if document is None or problems:
        raise OverrideError(problems)
    locator = Locator(name, document)
    try:
        spec = _File.model_validate(document.data)
    except ValidationError as exc:
        raise OverrideError(pydantic_diagnostics(exc, locator, _File)) from None
    return [
        (entry, document.position(("overrides", index))[0])
        for index, entry in enumerate(spec.overrides)
    ]


def _csv_entries(text: str, name: str) -> list[tuple[_Entry, int]]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    rows = list(reader)
    if not rows:
        raise OverrideError([Diagnostic(name, 0, 0, "empty-document", _("the file is empty"))])
    header = [h.strip() for h in rows[0]]
    problems = []
    unknown = [h for h in header if h not in FIELDS]
    for h in unknown:
        problems.append(
            Diagnostic(name, 1, 0, "unknown-key", _("unknown column {column!r}").format(column=h))
        )
    if problems:
        raise OverrideError(problems)
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        data = {h: cell.strip() for h, cell in zip(header, row, strict=False) if cell.strip()}
        try:
            entries.append((_Entry.model_validate(data), number))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                field = ".".join(str(p) for p in err["loc"])
                message = (
                    _("missing required column {column!r}").format(column=field)
                    if err["type"] == "missing"
                    else err["msg"]
                )
                problems.append(Diagnostic(name, number, 0, "override-field", message, field))
    if problems:
        raise OverrideError(problems)
    return entries


def _givers(scheme: CompiledScheme) -> dict[str, list[Rule]]:
    """Each outcome id the scheme can give, with the rules that give it."""
    plan = scheme.plan
    out: dict[str, list[Rule]] = {}
    for rule in (*plan.rules, *plan.year_end):
        if isinstance(rule, HonourRule | MoneyRule | TopRule | RankPrizeRule):
            out.setdefault(rule.id, []).append(rule)
        elif isinstance(rule, ConditionRule):
            out.setdefault(rule.action, []).append(rule)
        elif isinstance(rule, EscalationRule):
            for step in rule.steps:
                if rule not in out.setdefault(step.action, []):
                    out[step.action].append(rule)
    return out


def _checked(entry: _Entry, line: int, name: str, scheme: CompiledScheme) -> Override | Diagnostic:
    def problem(code: str, message: str) -> Diagnostic:
        return Diagnostic(name, line, 0, code, message, "overrides")

    for field in ("subject", "period", "outcome", "reason", "decided_by", "decided_on"):
        if not getattr(entry, field).strip():
            return problem("override-field", _("{field} is empty").format(field=field))
    period = entry.period.strip()
    givers = _givers(scheme)
    rules = givers.get(entry.outcome)
    if not rules:
        return problem(
            "unknown-outcome",
            _("the scheme gives no outcome {outcome}; it gives {outcomes}").format(
                outcome=entry.outcome, outcomes=", ".join(sorted(givers))
            ),
        )
    if entry.rule is not None:
        rules = [r for r in rules if r.id == entry.rule]
        if not rules:
            return problem(
                "unknown-rule",
                _("rule {rule} does not give {outcome}").format(
                    rule=entry.rule, outcome=entry.outcome
                ),
            )
    if len(rules) > 1:
        return problem(
            "ambiguous-outcome",
            _("{outcome} is given by {rules}: name the rule (rule: ...)").format(
                outcome=entry.outcome, rules=", ".join(r.id for r in rules)
            ),
        )
    rule = rules[0]
    year_end = rule in scheme.plan.year_end
    kind = scheme.model.period
    try:
        if year_end:
            if not (len(period) == 4 and period.isdigit()):
                raise ValueError(period)
        else:
            parse_period(period, kind)
    except ValueError:
        expected = _("a year such as 2024") if year_end else _("a {kind} label").format(kind=kind)
        return problem(
            "override-period",
            _("{period} is not {expected} ({outcome} is a {what} outcome)").format(
                period=entry.period,
                expected=expected,
                outcome=entry.outcome,
                what=_("year-end") if year_end else _("period"),
            ),
        )
    readers = [
        r.id for r in scheme.plan.rules if r is not rule and rule.id in r.reads and not year_end
    ]
    if readers:
        return problem(
            "override-read",
            _(
                "rule(s) {rules} read {rule} in the same period: an override applied after "
                "the rules would leave them as computed"
            ).format(rules=", ".join(readers), rule=rule.id),
        )
    amount: Decimal | None = None
    if entry.decision == "remove":
        if entry.new is not None or entry.amount is not None:
            return problem("override-field", _("decision remove takes no new or amount"))
    elif isinstance(rule, EscalationRule):
        steps = [s.action for s in rule.steps]
        if entry.amount is not None or entry.new not in steps or entry.new == entry.outcome:
            return problem(
                "override-replace",
                _(
                    "{outcome} of {rule} is replaced by another of its steps: new: one of {steps}"
                ).format(
                    outcome=entry.outcome,
                    rule=rule.id,
                    steps=", ".join(s for s in steps if s != entry.outcome),
                ),
            )
    elif isinstance(rule, MoneyRule | RankPrizeRule):
        try:
            amount = Decimal(entry.amount) if entry.amount is not None else None
        except InvalidOperation:
            amount = None
        if (
            amount is None
            or entry.new is not None
            or not amount.is_finite()
            or amount < 0
            or amount > MAX_AMOUNT
        ):
            return problem(
                "override-replace",
                _("{outcome} is money: replace it with amount: a number from 0 to {most}").format(
                    outcome=entry.outcome, most=MAX_AMOUNT
                ),
            )
        with localcontext(ARITHMETIC):
            amount = round_to(amount, rule.rounding)
    else:
        return problem(
            "override-replace",
            _(
                "{outcome} can only be removed: replace takes another step of an escalation "
                "or an amount of a money reward"
            ).format(outcome=entry.outcome),
        )
    return Override(
        entry.subject.strip(),
        period,
        entry.outcome,
        rule.id,
        entry.decision,
        entry.new,
        amount,
        entry.reason,
        entry.decided_by,
        entry.decided_on,
        name,
        line,
    )


# --------------------------------------------------------------------------- applying


def outcome_of(hit: Hit) -> str:
    """The outcome id a hit gives: a reward's id, a condition's or an escalation step's action."""
    rule = hit.rule
    if isinstance(rule, EscalationRule):
        assert hit.step is not None
        return rule.steps[hit.step - 1].action
    if isinstance(rule, ConditionRule):
        return rule.action
    return rule.id


@dataclass(frozen=True)
class Place:
    """Where what an override changes goes, for a period result: `changes` (slot: value)
    for the values the year end keeps of the period (the result's own values stay as the
    rules left them, so that its explanations say what the rules saw), and the subject's
    escalation counts `history` (by the escalation's position, `indexes`) for later
    periods; the value list `v` by `slots`, and the period's `ordinal` and `year`."""

    slots: Mapping[str, int]
    v: Any
    history: Any
    indexes: Mapping[str, int]
    ordinal: int
    year: int
    changes: dict[int, Any]


def apply(
    override: Override, hits: list[Hit], place: Place | None, given: Sequence[Hit] = ()
) -> AppliedOverride:
    """Apply one override to the hits of its result, and (for a period result, at
    `place`) to what later periods and the year end read: a removed reward or condition is
    false, a removed escalation step does not count, a replaced one counts as its step.

    Raises:
        OverrideError: when the result has no such outcome.
    """
    candidates = given or hits  # what the rules gave, not what an earlier override put in
    found = [
        h for h in candidates if h.rule.id == override.rule and outcome_of(h) == override.outcome
    ]
    if found and found[0] not in hits:
        raise override.problem(
            "duplicate-override",
            _(
                "another override already changed {outcome} of {subject} in {period}: one "
                "decision per outcome"
            ).format(outcome=override.outcome, subject=override.subject, period=override.period),
        )
    if not found:
        gave = sorted({outcome_of(h) for h in candidates}) or [_("none")]
        raise override.problem(
            "unknown-outcome",
            _("{subject} has no {outcome} in {period}; it has {outcomes}").format(
                subject=override.subject,
                outcome=override.outcome,
                period=override.period,
                outcomes=", ".join(gave),
            ),
        )
    hit = found[0]
    index = hits.index(hit)
    rule = hit.rule
    new: Hit | None = None
    if override.decision == "replace":
        if isinstance(rule, EscalationRule):
            step = next(i for i, s in enumerate(rule.steps, 1) if s.action == override.new)
            new = Hit(rule, None, step)
        else:
            new = Hit(rule, override.amount, None, hit.withheld_by)
        hits[index] = new
    else:
        del hits[index]
    if place is not None:
        _carry(rule, new, place)
    return AppliedOverride(override, hit, new)


def _carry(rule: Rule, new: Hit | None, place: Place) -> None:
    """What an override leaves for later periods and the year end to read."""
    slot = place.slots[rule.id]
    if isinstance(rule, EscalationRule):
        count = int(place.v[slot])
        if new is not None:
            now = rule.steps[(new.step or 1) - 1].at
        elif rule.consecutive:
            now = 0  # the run is broken: the next period counts from 1
        else:
            now = count - 1  # this time is not counted; the earlier ones of the year are
        place.changes[slot] = Decimal(now)
        when = place.ordinal if rule.consecutive else place.year
        place.history[place.indexes[rule.id]] = (when, now)
    elif new is None:
        place.changes[slot] = False
