"""An account of one subject's results, for the person scored: every rule in the order it
ran, what it read, what it gave and the sentence of the scheme it encodes.

`account` builds it as data (one `Entry` per rule and period, from the results and their
explanations); `to_text` and `to_json` write it in the language in use. Beyond what the
results already say, an entry adds what a person contesting a result asks: how far a
score is from the next band up and down, whom a rank is tied with, and which periods an
escalation counted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ._compile import CompiledScheme
from ._diagnostics import Diagnostic, RecordError
from ._explain import places, prize_how
from ._expr import describe, format_value
from ._i18n import _, label_text
from ._periods import parse_period
from ._plan import (
    BandingRule,
    ConditionRule,
    EscalationRule,
    HonourRule,
    MoneyRule,
    RankingRule,
    RankPrizeRule,
    Rule,
    ScoreRule,
    SectionRule,
    TopRule,
)
from ._render import dumps, override_dict, override_text
from ._results import Evaluation, Outcome, Result
from ._words import Words

__all__ = ["Entry", "Period", "account", "to_json", "to_text"]


@dataclass(frozen=True)
class Entry:
    """One rule's part in one result.

    `kind` is ``section``, ``score``, ``band``, ``rank``, ``reward``, ``withheld``,
    ``action``, ``not_applied`` (a reward or action whose rule did not give it) or
    ``overridden`` (one an override removed: `how` says why the rule gave it); `value`
    what it gave (a number, band, rank, outcome; None when not applied), `how` the rule
    with the values it read, `notes` what the entry adds (distances to the bands up and
    down, the subjects tied, the periods counted), `data` the same for programs."""

    rule: str
    kind: str
    name: str
    value: str | None
    how: str
    source: str | None = None
    notes: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Period:
    """The entries of one result of the subject: a period, or a year end."""

    period: str
    kind: str
    group: str | None
    entries: tuple[Entry, ...]
    warnings: tuple[str, ...]
    source: str


def account(
    scheme: CompiledScheme,
    evaluation: Evaluation,
    subject: str,
    period: str | None = None,
    *,
    inputs: Sequence[str] = (),
) -> list[Period]:
    """The account of `subject`'s results in `evaluation`, period by period (year ends
    after their year's last period); only `period` (a period label, or a year for its year
    end) when given. `inputs` names the files the records came from, for the errors.

    Raises:
        RecordError: ``unknown-subject`` when the input has no record of `subject`,
            ``unknown-period`` when it has none of `subject` in `period`, each naming
            what the input has.
    """
    mine = [r for r in evaluation.results if r.subject == subject]
    files = ", ".join(inputs) or "<records>"
    if not mine:
        known = sorted({r.subject for r in evaluation.results})
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        raise RecordError(
            [
                Diagnostic(
                    files,
                    0,
                    0,
                    "unknown-subject",
                    _("no record of subject {subject}; the input has {subjects}").format(
                        subject=subject, subjects=shown or "-"
                    ),
                )
            ]
        )
    if period is not None:
        chosen = [r for r in mine if r.period == period]
        if not chosen:
            have = ", ".join(dict.fromkeys(r.period for r in mine))
            raise RecordError(
                [
                    Diagnostic(
                        files,
                        0,
                        0,
                        "unknown-period",
                        _("no result of {subject} for {period}; it has {periods}").format(
                            subject=subject, period=period, periods=have
                        ),
                    )
                ]
            )
    else:
        chosen = mine
    words = Words(scheme.plan)
    ties = _ties(scheme, evaluation.results)
    return [
        Period(
            r.period,
            r.kind,
            r.group,
            tuple(_entries(scheme, r, mine, ties, words)),
            r.warnings,
            r.source,
        )
        for r in chosen
    ]


def entries_of(
    scheme: CompiledScheme, evaluation: Evaluation
) -> dict[tuple[str, str, str], tuple[Entry, ...]]:
    """The entries of every result of `evaluation`, by (subject, period, kind): what the
    report shows under each row's explanation."""
    words = Words(scheme.plan)
    ties = _ties(scheme, evaluation.results)
    by_subject: dict[str, list[Result]] = {}
    for r in evaluation.results:
        by_subject.setdefault(r.subject, []).append(r)
    return {
        (r.subject, r.period, r.kind): tuple(_entries(scheme, r, mine, ties, words))
        for mine in by_subject.values()
        for r in mine
    }


TieKey = tuple[str, str, str, int, str | None]


def _ties(scheme: CompiledScheme, results: Sequence[Result]) -> dict[TieKey, list[str]]:
    """The subjects on each rank: by (period, kind, ranking, rank, group; the group only for
    a ranking within groups)."""
    grouped = {r.id for r in scheme.plan.rules if isinstance(r, RankingRule) and r.by_group}
    out: dict[TieKey, list[str]] = {}
    for r in results:
        for ranking, rank in r.ranks.items():
            group = r.group if ranking in grouped else None
            out.setdefault((r.period, r.kind, ranking, rank, group), []).append(r.subject)
    return out


def _names(result: Result) -> Mapping[str, Any]:
    """Every name the result's evaluation held (items, sections, scores, counts...)."""
    names = getattr(result.explain, "names", None)
    return names if names is not None else {}


def _source(rule: Rule) -> str | None:
    source = getattr(rule.model, "source", None)
    return source if isinstance(source, str) else None


_OUTCOME_RULES = (EscalationRule, ConditionRule, HonourRule, MoneyRule, TopRule, RankPrizeRule)


def _entries(
    scheme: CompiledScheme,
    r: Result,
    mine: Sequence[Result],
    ties: Mapping[TieKey, list[str]],
    words: Words,
) -> Iterator[Entry]:
    plan = scheme.plan
    names = _names(r)
    rules = plan.year_end if r.kind == "year_end" else plan.rules
    given = {o.rule: o for o in (*r.rewards, *r.actions) for o in (o, *o.also)}
    withheld = {o.rule: o for o in r.withheld}
    for rule in rules:
        name = words.column(rule.id)
        if isinstance(rule, SectionRule | ScoreRule):
            if rule.id not in r.scores:
                continue
            kind = "section" if isinstance(rule, SectionRule) else "score"
            yield Entry(
                rule.id,
                kind,
                name,
                format_value(r.scores[rule.id]),
                r.explain.get(rule.id, ""),
                _source(rule),
            )
        elif isinstance(rule, BandingRule):
            if rule.id not in r.bands:
                continue
            notes, data = _distances(rule, r.scores.get(rule.score), r.bands[rule.id], words)
            yield Entry(
                rule.id,
                "band",
                name,
                words.band(rule.id, r.bands[rule.id]),
                r.explain.get(rule.id, ""),
                _source(rule),
                notes,
                data,
            )
        elif isinstance(rule, RankingRule):
            if rule.id not in r.ranks:
                continue
            group = r.group if rule.by_group else None
            holders = ties.get((r.period, r.kind, rule.id, r.ranks[rule.id], group), [])
            tied = [s for s in holders if s != r.subject]
            notes = (_("tied with {subjects}").format(subjects=", ".join(tied)),) if tied else ()
            yield Entry(
                rule.id,
                "rank",
                name,
                str(r.ranks[rule.id]),
                r.explain.get(rule.id, ""),
                _source(rule),
                notes,
                {"tied": tied},
            )
        elif isinstance(rule, _OUTCOME_RULES):
            yield _outcome_entry(scheme, rule, r, mine, names, given, withheld, words)


def _outcome_entry(
    scheme: CompiledScheme,
    rule: Rule,
    r: Result,
    mine: Sequence[Result],
    names: Mapping[str, Any],
    given: Mapping[str, Outcome],
    withheld: Mapping[str, Outcome],
    words: Words,
) -> Entry:
    outcome = given.get(rule.id)
    is_action = isinstance(rule, ConditionRule | EscalationRule)
    removed = next(
        (a for a in r.overrides or () if a.new is None and a.override.rule == rule.id), None
    )
    if outcome is None and removed is not None:
        return Entry(
            rule.id,
            "overridden",
            words.column(rule.id),
            None,
            removed.original.because,
            _source(rule),
            (override_text(removed, words),),
            {"override": override_dict(removed)},
        )
    if rule.id in withheld:
        o = withheld[rule.id]
        return Entry(
            rule.id, "withheld", words.column(rule.id), words.outcome(o), o.because, _source(rule),
            (_("withheld by {veto}").format(veto=o.blocked_by),), {"blocked_by": o.blocked_by},
        )  # fmt: skip
    if outcome is None:
        return Entry(
            rule.id,
            "not_applied",
            words.column(rule.id),
            None,
            _not_applied(rule, names, r),
            _source(rule),
        )
    shown = words.outcome(outcome)
    data: dict[str, Any] = {"outcome": outcome.id}
    if outcome.amount is not None:
        shown = words.money(format_value(outcome.amount), outcome.currency)
        data.update(amount=format_value(outcome.amount), currency=outcome.currency)
    notes: tuple[str, ...] = ()
    source = _source(rule)
    if isinstance(rule, EscalationRule) and outcome.step is not None:
        counted, before = _counted(scheme, rule, r, mine, names)
        line = _("counted: {periods}").format(periods=", ".join(counted))
        if before:
            line += _(" and {count} before the input").format(count=before)
        notes = (line,)
        data.update(step=outcome.step, counted=counted, counted_before=before)
        step_source = getattr(rule.model.steps[outcome.step - 1], "source", None)
        if isinstance(step_source, str):
            source = f"{source} ({step_source})" if source else step_source
    own = next(
        (o for o in (outcome, *outcome.also) if o.rule == rule.id), outcome
    )  # an action several rules took: this rule's own reason
    if own.override is not None:
        notes = (*notes, override_text(own.override, words))
        data["override"] = override_dict(own.override)
    return Entry(
        rule.id,
        "action" if is_action else "reward",
        words.column(rule.id),
        shown,
        own._own(),
        source,
        notes,
        data,
    )


def _not_applied(rule: Rule, names: Mapping[str, Any], r: Result) -> str:
    """Why a reward or action was not given, with the values its rule read."""
    not_held = _("does not hold")
    when = getattr(rule, "when", None)
    if isinstance(rule, EscalationRule):
        return r.explain.get(rule.id, "")
    if isinstance(rule, TopRule):
        ranking = rule.ranking
        size = int(names.get(ranking.size_name, 0))
        count, how = places(rule, size)
        text = _("rank {rank} of {size} is not within the top {count} ({how})").format(
            rank=r.ranks.get(ranking.id, "-"), size=size, count=count, how=how
        )
        if when is not None:
            text += "; " + describe(when, names)
        return text
    if isinstance(rule, RankPrizeRule):
        text = _("{how}: no prize").format(how=prize_how(rule, names))
        if when is not None:
            text += "; " + describe(when, names)
        return text
    if when is None:
        return not_held
    return f"{describe(when, names)} -> {not_held}"


def _counted(
    scheme: CompiledScheme,
    rule: EscalationRule,
    r: Result,
    mine: Sequence[Result],
    names: Mapping[str, Any],
) -> tuple[list[str], int]:
    """The periods an escalation counted for this result, and how many of them came
    before the input (carried in as history)."""
    count = int(names[rule.id])
    kind = scheme.model.period
    here = parse_period(r.period, kind)
    earlier = {}
    for o in mine:
        if o.kind != "period":
            continue
        p = parse_period(o.period, kind)
        if p.ordinal <= here.ordinal:
            earlier[p.ordinal] = (p, o)
    if rule.consecutive:
        wanted = range(here.ordinal - count + 1, here.ordinal + 1)
        counted = [earlier[n][0].label for n in wanted if n in earlier]
    else:
        counted = [
            p.label
            for n, (p, o) in sorted(earlier.items())
            if p.year == here.year and int(_names(o).get(rule.id, 0)) > 0 and not _removed(o, rule)
        ]
    overridden = any(
        a.override.rule == rule.id for _p, o in earlier.values() for a in o.overrides or ()
    )
    if overridden:  # the count is what the overrides decided, not a number of periods
        return counted, 0
    return counted, max(0, count - len(counted))


def _removed(result: Result, rule: Rule) -> bool:
    """Whether an override removed what `rule` gave this result (so it does not count)."""
    return any(a.new is None and a.override.rule == rule.id for a in result.overrides or ())


def _distances(
    rule: BandingRule, score: Decimal | None, band_id: str, words: Words
) -> tuple[tuple[str, ...], dict[str, Any]]:
    """How far the score is from the band above (to reach its lower bound) and from the
    band below (to fall out of the current band, or to reach the upper bound of the band
    below when the score is in no band)."""
    ordered = list(rule.ordered)
    if score is None:
        return (), {"band": band_id}
    current = next((b for b in ordered if b.id == band_id), None)
    notes: list[str] = []
    data: dict[str, Any] = {"band": band_id, "bounds": current.interval if current else None}
    if current is not None:
        index = ordered.index(current)
        up = ordered[index + 1] if index + 1 < len(ordered) else None
        below = ordered[index - 1] if index > 0 else None
        if below is not None and (below.hi, below.hi_in) != (current.lo, not current.lo_in):
            below = None  # a gap under the current band: falling leaves every band
        down: tuple[str, Decimal, bool] | None = None  # band, bound, inclusive
        if current.lo.is_finite():
            name = below.id if below else rule.unbanded.id if rule.unbanded else None
            if name is not None:
                down = (name, current.lo, not current.lo_in)
    else:  # in no band: the nearest band above and below
        up = next((b for b in ordered if b.lo > score or (b.lo == score and not b.lo_in)), None)
        lower = [b for b in ordered if b.hi < score or (b.hi == score and not b.hi_in)]
        nearest = max(lower, key=lambda b: (b.hi, b.hi_in), default=None)
        down = (nearest.id, nearest.hi, nearest.hi_in) if nearest is not None else None
    if up is not None:
        points = up.lo - score
        bound = format_value(up.lo)
        if up.lo_in:
            text = _("{points} points short of {band} ({bound})")
        else:
            text = _("more than {points} points short of {band} (above {bound})")
        notes.append(text.format(points=_places(points, score), band=words.band(rule.id, up.id),
                                 bound=bound))  # fmt: skip
        data["up"] = {"band": up.id, "bound": bound, "inclusive": up.lo_in,
                      "points": _places(points, score)}  # fmt: skip
    if down is not None:
        name, at, inclusive = down
        points = score - at
        bound = (_("at most {bound}") if inclusive else _("below {bound}")).format(
            bound=format_value(at)
        )
        if points:
            text = _("{points} points above {band} ({bound})")
        else:  # on an inclusive lower bound
            text = _("on the bound: any lower score is {band} ({bound})")
        notes.append(
            text.format(points=_places(points, score), band=words.band(rule.id, name), bound=bound)
        )
        data["down"] = {"band": name, "bound": format_value(at), "inclusive": inclusive,
                        "points": _places(points, score)}  # fmt: skip
    return tuple(notes), data


def _places(points: Decimal, score: Decimal) -> str:
    """A distance with the decimal places of the score it is measured from."""
    exponent = score.as_tuple().exponent
    if isinstance(exponent, int) and exponent < 0:
        points = points.quantize(Decimal(1).scaleb(exponent))
    return format_value(points)


# --------------------------------------------------------------------------- rendering


def _heading(period: Period) -> str:
    if period.kind == "year_end":
        return _("{year} (year end)").format(year=period.period)
    return period.period


def to_text(scheme: CompiledScheme, subject: str, periods: Sequence[Period]) -> str:
    """The account as text: the subject and the scheme, then each period with one block
    per rule (the source sentence under a rule the first time it comes)."""
    words = Words(scheme.plan)
    model = scheme.model
    lines = [
        f"{subject} · {label_text(model.subject.label, model.subject.kind)}",
        _("{title} ({id} version {version})").format(
            title=words.title(model.id), id=model.id, version=model.version
        ),
    ]
    cited: set[str] = set()
    for period in periods:
        lines.append("")
        heading = _heading(period)
        if period.group:
            heading += " · " + period.group
        if period.source:
            heading = _("{period} (from {source})").format(period=heading, source=period.source)
        lines.append(heading)
        for entry in period.entries:
            lines.extend(_entry_lines(entry, entry.rule not in cited))
            cited.add(entry.rule)
        for warning in period.warnings:
            lines.append("  " + _("warning: {message}").format(message=warning))
    return "\n".join(lines) + "\n"


def _entry_lines(entry: Entry, cite: bool) -> list[str]:
    label = entry.name if entry.name == entry.rule else f"{entry.name} ({entry.rule})"
    rule = entry.rule if entry.name == entry.value else label
    if entry.kind == "not_applied":
        head = _("{rule}: not applied").format(rule=label)
    elif entry.kind == "overridden":
        head = _("{rule}: removed by an override").format(rule=label)
    elif entry.kind == "reward":
        head = _("reward {value} (rule {rule})").format(rule=rule, value=entry.value)
    elif entry.kind == "withheld":
        head = _("reward {value} withheld (rule {rule})").format(rule=rule, value=entry.value)
    elif entry.kind == "action":
        head = _("action {value} (rule {rule})").format(rule=rule, value=entry.value)
    else:
        # TRANSLATORS: a section, score, band or rank and its value, as in "total: 73.00"
        head = _("{name}: {value}").format(name=label, value=entry.value)
    out = ["  " + head]
    if entry.how:
        out.append("    " + entry.how)
    out.extend("    " + note for note in entry.notes)
    if entry.source and cite:
        out.append("    " + _("source: {sentence}").format(sentence=entry.source))
    return out


def to_json(scheme: CompiledScheme, subject: str, periods: Sequence[Period]) -> str:
    """The account as JSON: ``{"subject", "scheme", "version", "periods": [{"period",
    "kind", "group", "source", "warnings", "entries": [{"rule", "kind", "name", "value",
    "how", "source", "notes", ...data}]}]}``."""
    data = {
        "subject": subject,
        "scheme": scheme.id,
        "version": scheme.model.version,
        "periods": [
            {
                "period": p.period,
                "kind": p.kind,
                "group": p.group,
                "source": p.source,
                "warnings": list(p.warnings),
                "entries": [
                    {
                        "rule": e.rule,
                        "kind": e.kind,
                        "name": e.name,
                        "value": e.value,
                        "how": e.how,
                        "source": e.source,
                        "notes": list(e.notes),
                        **e.data,
                    }
                    for e in p.entries
                ],
            }
            for p in periods
        ],
    }
    return dumps(data) + "\n"
