"""Results to JSON, CSV and a plain-text table. Rendering never changes a value."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

from ._decision import KEY as DECISION_KEY
from ._decision import DecisionRecord
from ._expr import format_value
from ._i18n import _
from ._numbers import decimal_text
from ._plan import MoneyRule, Plan, RankPrizeRule, ScoreRule
from ._results import Evaluation, Outcome, Result
from ._words import Words

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def dumps(value: Any, level: int = 0) -> str:
    """JSON text like ``json.dumps(indent=2, ensure_ascii=False)``, but a Decimal is written
    as a JSON number with exactly its digits (floats would round long decimals)."""
    parts: list[str] = []
    _write(value, level, parts.append)
    return "".join(parts)


_quote = encode_basestring  # a JSON string, non-ASCII kept as it is


def _write(value: Any, level: int, out: Callable[[str], None]) -> None:
    kind = type(value)
    if kind is str:
        out(_quote(value))
    elif kind is Decimal:
        out(decimal_text(value))
    elif kind is dict or isinstance(value, Mapping):
        if not value:
            out("{}")
            return
        inner = "\n" + "  " * (level + 1)
        first = True
        for key, item in value.items():
            out(("{" if first else ",") + inner + _quote(str(key)) + ": ")
            first = False
            _write(item, level + 1, out)
        out("\n" + "  " * level + "}")
    elif kind is list or kind is tuple:
        if not value:
            out("[]")
            return
        inner = "\n" + "  " * (level + 1)
        for index, item in enumerate(value):
            out(("[" if index == 0 else ",") + inner)
            _write(item, level + 1, out)
        out("\n" + "  " * level + "]")
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    else:
        out(json.dumps(value, ensure_ascii=False))


def _outcome(outcome: Outcome) -> dict[str, Any]:
    data: dict[str, Any] = {"id": outcome.id, "rule": outcome.rule}
    if outcome.also:
        data["rules"] = list(outcome.rules)
    if outcome.amount is not None:
        data["amount"] = format_value(outcome.amount)
        data["currency"] = outcome.currency
    if outcome.blocked_by:
        data["blocked_by"] = outcome.blocked_by
    if outcome.step is not None:
        data["step"] = outcome.step
    data["because"] = outcome.because
    return data


def result_to_dict(result: Result) -> dict[str, Any]:
    """One result as JSON-ready data; money amounts are strings, scores exact numbers."""
    first_band = next(iter(result.bands.values()), None)
    first_rank = next(iter(result.ranks.values()), None)
    return {
        "subject": result.subject,
        "period": result.period,
        "kind": result.kind,
        "group": result.group,
        "scores": dict(result.scores),
        "band": first_band,
        "bands": dict(result.bands),
        "values": dict(result.values),
        "rank": first_rank,
        "ranks": dict(result.ranks),
        "rewards": [_outcome(o) for o in result.rewards],
        "withheld": [_outcome(o) for o in result.withheld],
        "actions": [_outcome(o) for o in result.actions],
        "explain": dict(result.explain),
        "source": result.source,
        "warnings": list(result.warnings),
        **(
            {"overrides": [override_dict(a) for a in result.overrides]}
            if result.overrides is not None
            else {}
        ),
    }


def _scalar(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _quote(value)
    if kind is Decimal:
        return decimal_text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return json.dumps(value, ensure_ascii=False)


def _flat(mapping: Mapping[str, Any], pad: str) -> str:
    """A mapping of scalars, as `dumps` writes it at the indent `pad` (its own line's)."""
    if not mapping:
        return "{}"
    inner = ",\n" + pad + "  "
    body = inner.join(f"{_quote(key)}: {_scalar(value)}" for key, value in mapping.items())
    return "{\n" + pad + "  " + body + "\n" + pad + "}"


def _outcomes(outcomes: tuple[Outcome, ...], pad: str) -> str:
    if not outcomes:
        return "[]"
    inner = pad + "  "
    return (
        "[\n" + ",\n".join(inner + _flat(_outcome(o), inner) for o in outcomes) + "\n" + pad + "]"
    )


def _texts(texts: tuple[str, ...], pad: str) -> str:
    if not texts:
        return "[]"
    return "[\n" + ",\n".join(pad + "  " + _quote(t) for t in texts) + "\n" + pad + "]"


def result_json(result: Result, level: int = 2) -> str:
    """One result as `dumps(result_to_dict(result), level)` writes it, without building the
    dictionary first."""
    pad = "  " * level
    inner = pad + "  "
    first_band = next(iter(result.bands.values()), None)
    first_rank = next(iter(result.ranks.values()), None)
    fields: tuple[tuple[str, str], ...] = (
        ("subject", _scalar(result.subject)),
        ("period", _scalar(result.period)),
        ("kind", _scalar(result.kind)),
        ("group", _scalar(result.group)),
        ("scores", _flat(result.scores, inner)),
        ("band", _scalar(first_band)),
        ("bands", _flat(result.bands, inner)),
        ("values", _flat(result.values, inner)),
        ("rank", _scalar(first_rank)),
        ("ranks", _flat(result.ranks, inner)),
        ("rewards", _outcomes(result.rewards, inner)),
        ("withheld", _outcomes(result.withheld, inner)),
        ("actions", _outcomes(result.actions, inner)),
        ("explain", _flat(result.explain, inner)),
        ("source", _scalar(result.source)),
        ("warnings", _texts(result.warnings, inner)),
    )
    if result.overrides is not None:
        overrides = [override_dict(a) for a in result.overrides]
        fields = (*fields, ("overrides", dumps(overrides, level + 1)))
    return "{\n" + ",\n".join(f'{inner}"{k}": {v}' for k, v in fields) + "\n" + pad + "}"


def override_dict(applied: Any) -> dict[str, Any]:
    """An override applied to a result, as JSON-ready data: the decision as the overrides
    file gives it, where it is written, the outcome the rules gave and the one that stands
    (None: removed)."""
    o = applied.override
    return {
        "outcome": o.outcome,
        "rule": o.rule,
        "decision": o.decision,
        "new": o.new if o.amount is None else format_value(o.amount),
        "reason": o.reason,
        "decided_by": o.decided_by,
        "decided_on": o.decided_on,
        "file": o.file,
        "line": o.line,
        "original": _outcome(applied.original),
        "now": _outcome(applied.new) if applied.new is not None else None,
    }


def override_text(applied: Any, words: Words) -> str:
    """An override as one line: ``admonition_talk removed (low_score): reason; decided by
    X on D`` or ``removal -> admonition_talk (low_score): ...``."""
    o = applied.override

    def shown(outcome: Outcome) -> str:
        text = words.outcome(outcome)
        if outcome.amount is not None:
            text += " " + words.money(format_value(outcome.amount), outcome.currency)
        return text

    if applied.new is None:
        what = _("{outcome} removed").format(outcome=shown(applied.original))
    else:
        what = f"{shown(applied.original)} -> {shown(applied.new)}"
    return _("{what} ({rule}): {reason}; decided by {who} on {when}").format(
        what=what, rule=o.rule, reason=o.reason, who=o.decided_by, when=o.decided_on
    )


def json_head(scheme: str, version: int, record: DecisionRecord | None = None) -> str:
    """The start of a JSON document of results, up to its first result; with `record`,
    the decision record comes before the results."""
    head = "{\n" + f'  "scheme": {_scalar(scheme)},\n  "version": {version},\n'
    if record is not None:
        head += f'  "{DECISION_KEY}": ' + dumps(record.to_dict(), 1) + ",\n"
    return head + '  "results": ['


def json_tail(warnings: list[str] | tuple[str, ...], any_results: bool) -> str:
    """The end of a JSON document of results, after its last result."""
    close = "\n  ]" if any_results else "]"
    return close + ',\n  "warnings": ' + dumps(list(warnings), 1) + "\n}\n"


def to_json(evaluation: Evaluation) -> str:
    """The evaluation as a JSON document: ``{"scheme", "version", "results", "warnings"}``."""
    results = ",".join("\n    " + result_json(r) for r in evaluation.results)
    return (
        json_head(evaluation.scheme, evaluation.version)
        + results
        + json_tail(evaluation.warnings, bool(evaluation.results))
    )


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in a text cell (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


Columns = tuple[list[str], list[str], list[str], list[str], list[str]]
"""Scores, bandings, band fields, rankings and money rewards, in scheme order."""


def columns_of(plan: Plan) -> Columns:
    """The columns of a scheme's results, known before any result: every score (year-end
    scores last), banding, band field, ranking, and reward that pays money."""
    scores = [*plan.score_names, *(r.id for r in plan.year_end if isinstance(r, ScoreRule))]
    paying = (*plan.rules, *plan.year_end)
    money = [r.id for r in paying if isinstance(r, MoneyRule | RankPrizeRule)]
    return (
        scores,
        [b.id for b in plan.bandings],
        list(plan.field_names),
        [r.id for r in plan.rankings],
        money,
    )


def result_columns(evaluation: Evaluation) -> Columns:
    """The columns of an evaluation's results: from its plan, else from the results."""
    if evaluation.plan is not None:
        return columns_of(evaluation.plan)
    scores: list[str] = []
    bands: list[str] = []
    values: list[str] = []
    ranks: list[str] = []
    money: list[str] = []
    for result in evaluation.results:
        for target, keys in (
            (scores, result.scores),
            (bands, result.bands),
            (values, result.values),
            (ranks, result.ranks),
        ):
            target.extend(k for k in keys if k not in target)
        money.extend(o.id for o in result.rewards if o.amount is not None and o.id not in money)
    return scores, bands, values, ranks, money


def listing(results: Iterable[Result]) -> list[Result]:
    """Results in the order of a public listing (公示), the order of the table, the CSV and
    the workbook: period by period as evaluated (a year's year-end rows after its last
    period), then group by group, then by rank (the first ranking), else as evaluated."""
    block: dict[tuple[str, str], int] = {}
    keyed = []
    for index, r in enumerate(results):
        first = block.setdefault((r.period, r.kind), len(block))
        keyed.append(((first, r.group or "", next(iter(r.ranks.values()), 0), index), r))
    keyed.sort(key=lambda pair: pair[0])
    return [r for _, r in keyed]


def header_names(columns: Columns, words: Words) -> list[str]:
    """The header of `to_csv` in the language in use: ids in English, labels in Chinese."""
    scores, bands, values, ranks, money = columns
    keys = [
        "subject",
        "period",
        "kind",
        "group",
        *scores,
        *bands,
        *values,
        *ranks,
        "rewards",
        "withheld",
        *(f"{m}_amount" for m in money),
        "actions",
        "warnings",
    ]
    amounts = {f"{m}_amount": m for m in money}
    return unique_headers(
        keys, [words.amount(amounts[k]) if k in amounts else words.column(k) for k in keys]
    )


def unique_headers(keys: list[str], names: list[str]) -> list[str]:
    """Headers that name one column each: where two labels are alike (two Chinese forms
    derived alike, say 乾部 and 幹部 both 干部), each of them is followed by its id."""
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    return [
        f"{name} ({key})" if seen[name] > 1 and name != key else name
        for key, name in zip(keys, names, strict=True)
    ]


def csv_header(
    columns: Columns,
    words: Words | None = None,
    *,
    explain: bool = False,
    overrides: bool = False,
) -> str:
    """The header line of `to_csv`."""
    words = words or Words(None)
    names = header_names(columns, words)
    if overrides:
        names.append(words.column("overrides"))
    if explain:
        names.append(words.column("explain"))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(names)
    return out.getvalue()


def csv_rows(
    results: Iterable[Result],
    columns: Columns,
    words: Words | None = None,
    *,
    explain: bool = False,
    overrides: bool = False,
) -> str:
    """The lines of `to_csv` for these results, in listing order (`listing`); with
    `overrides`, a column of the overrides applied to each result, one per line."""
    scores, bands, values, ranks, money = columns
    words = words or Words(None)
    english = words.english
    kind_word = kind_words(words)
    band_name = _band_id if english else words.band
    named = _outcome_id if english else words.outcome
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for r in listing(results):
        amounts = {o.id: decimal_text(o.amount) for o in r.rewards if o.amount is not None}
        result_scores, result_bands, result_values, result_ranks = (
            r.scores,
            r.bands,
            r.values,
            r.ranks,
        )
        writer.writerow(
            [
                _safe(r.subject),
                r.period,
                kind_word[r.kind],
                _safe(r.group or ""),
                *(decimal_text(result_scores[k]) if k in result_scores else "" for k in scores),
                *(band_name(k, result_bands[k]) if k in result_bands else "" for k in bands),
                *(decimal_text(result_values[k]) if k in result_values else "" for k in values),
                *(str(result_ranks[k]) if k in result_ranks else "" for k in ranks),
                _safe(";".join(named(o) for o in r.rewards)),
                _safe(";".join(named(o) for o in r.withheld)),
                *(amounts.get(k, "") for k in money),
                _safe(";".join(named(o) for o in r.actions)),
                _safe("\n".join(r.warnings)),
                *(
                    (_safe("\n".join(override_text(a, words) for a in r.overrides or ())),)
                    if overrides
                    else ()
                ),
                *((_safe("\n".join(explanations(r))),) if explain else ()),
            ]
        )
    return out.getvalue()


def _band_id(banding: str, band: str) -> str:
    return band


def _outcome_id(outcome: Outcome) -> str:
    return outcome.id


def kind_words(words: Words) -> dict[str, str]:
    """The words of the `kind` column: the kinds themselves in English, else translated."""
    if words.english:
        return {"period": "period", "year_end": "year_end"}
    return {"period": _("period"), "year_end": _("year end")}


def to_csv(evaluation: Evaluation, *, explain: bool = False) -> str:
    """One row per result, in listing order (period, group, rank): identifiers, every score,
    band, value and rank, the granted rewards, withheld rewards and actions (each joined by
    ``;``), one amount column per money reward, and the result's warnings (one per line of
    the cell); from a run with overrides, a column ``overrides`` (`override_text`, one per
    line); with `explain`, a last column ``explain`` of `explanations`, one per line.
    Headers and names are ids in English and the scheme's labels in Chinese
    (`partyscore.language`); numbers are never changed."""
    columns = result_columns(evaluation)
    words = Words(evaluation.plan)
    overrides = has_overrides(evaluation.results)
    return csv_header(columns, words, explain=explain, overrides=overrides) + csv_rows(
        evaluation.results, columns, words, explain=explain, overrides=overrides
    )


def has_overrides(results: Iterable[Result]) -> bool:
    """Whether the results come from a run with an overrides file."""
    return any(r.overrides is not None for r in results)


def to_xlsx(evaluation: Evaluation) -> bytes:
    """The evaluation as an xlsx workbook (the 'excel' extra): the results as `to_csv` lists
    them, numbers as numbers with their places, money with its currency, and a sheet of
    explanations. The same evaluation gives the same bytes."""
    from ._xlsx import write_xlsx

    book = io.BytesIO()
    write_xlsx(evaluation, book)
    return book.getvalue()


def _printable(text: str) -> str:
    """Control characters shown as escapes, so no cell can steer the terminal."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def explanations(result: Result) -> list[str]:
    """How a result was reached, one line per computed name and per outcome
    (``name: how``), in the language in use."""
    lines = [f"{name}: {how}" for name, how in result.explain.items()]
    for outcome in (*result.rewards, *result.withheld, *result.actions):
        lines.append(f"{outcome.id}: {outcome.because}")
    return lines


def to_table(evaluation: Evaluation, *, explain: bool = False) -> str:
    """A plain-text table for reading in a terminal, one line per result in listing order
    (period, group, rank), columns named as in `to_csv`; a result with warnings is marked
    ``[!]`` and its warnings follow the table, with the evaluation's, then the overrides
    applied (`override_text`). With `explain`, each
    result's explanations (`explanations`) follow, in the same order."""
    scores, bands, values, ranks, _money = result_columns(evaluation)
    words = Words(evaluation.plan)
    column = words.column
    keys = ["subject", "period", "group", *scores, *bands, *values, *ranks, "rewards", "actions"]
    header = unique_headers(keys, [column(k) for k in keys])
    rows = [header]
    withheld = _("{reward} (withheld)")
    for r in listing(evaluation.results):
        rewards = ", ".join(
            [
                *(
                    f"{words.outcome(o)} {words.money(format_value(o.amount), o.currency)}"
                    if o.amount is not None
                    else words.outcome(o)
                    for o in r.rewards
                ),
                *(withheld.format(reward=words.outcome(o)) for o in r.withheld),
            ]
        )
        rows.append(
            [
                r.subject,
                r.period,
                r.group or "",
                *(format_value(r.scores[k]) if k in r.scores else "" for k in scores),
                *(words.band(k, r.bands[k]) if k in r.bands else "" for k in bands),
                *(format_value(r.values[k]) if k in r.values else "" for k in values),
                *(str(r.ranks[k]) if k in r.ranks else "" for k in ranks),
                rewards or "-",
                (", ".join(dict.fromkeys(words.outcome(o) for o in r.actions)) or "-")
                + (" [!]" if r.warnings else ""),
            ]
        )
    rows = [[_printable(cell) for cell in row] for row in rows]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    warning = _("warning: {message}")
    lines.extend(warning.format(message=w) for w in evaluation.warnings)
    overridden = _("override: {subject} {period}: {override}")
    for r in listing(evaluation.results):
        for a in r.overrides or ():
            text = override_text(a, words)
            lines.append(overridden.format(subject=r.subject, period=r.period, override=text))
    if explain:
        for r in listing(evaluation.results):
            lines.append("")
            lines.append(_printable(f"{r.subject} {r.period}:"))
            lines.extend("  " + _printable(line) for line in explanations(r))
    return "\n".join(lines) + "\n"
