"""Results to JSON, CSV and a plain-text table. Rendering never changes a value."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from ._expr import format_value
from ._results import Evaluation, Outcome, Result

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _dumps(value: Any, level: int = 0) -> str:
    """JSON text like ``json.dumps(indent=2, ensure_ascii=False)``, but a Decimal is written
    as a JSON number with exactly its digits (floats would round long decimals)."""
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, Decimal):
        return format_value(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = (
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_dumps(v, level + 1)}"
            for k, v in value.items()
        )
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"{inner}{_dumps(v, level + 1)}" for v in value) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def _outcome(outcome: Outcome) -> dict[str, Any]:
    data: dict[str, Any] = {"id": outcome.id, "rule": outcome.rule}
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
    }


def to_json(evaluation: Evaluation) -> str:
    """The evaluation as a JSON document: ``{"scheme", "version", "results", "warnings"}``."""
    document = {
        "scheme": evaluation.scheme,
        "version": evaluation.version,
        "results": [result_to_dict(r) for r in evaluation.results],
        "warnings": list(evaluation.warnings),
    }
    return _dumps(document) + "\n"


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in a text cell (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _columns(
    evaluation: Evaluation,
) -> tuple[list[str], list[str], list[str], list[str], list[str]]:
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


def to_csv(evaluation: Evaluation) -> str:
    """One row per result: identifiers, every score, band, value and rank, the ids of granted
    rewards, withheld rewards and actions (each joined by ``;``) and one amount column per
    money reward."""
    scores, bands, values, ranks, money = _columns(evaluation)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "subject",
            "period",
            "kind",
            "group",
            *scores,
            *bands,
            *values,
            *(f"rank_{r}" for r in ranks),
            "rewards",
            "withheld",
            *(f"{m}_amount" for m in money),
            "actions",
        ]
    )
    for r in evaluation.results:
        amounts = {o.id: format_value(o.amount) for o in r.rewards if o.amount is not None}
        writer.writerow(
            [
                _safe(r.subject),
                r.period,
                r.kind,
                _safe(r.group or ""),
                *(format_value(r.scores[k]) if k in r.scores else "" for k in scores),
                *(r.bands.get(k, "") for k in bands),
                *(format_value(r.values[k]) if k in r.values else "" for k in values),
                *(str(r.ranks[k]) if k in r.ranks else "" for k in ranks),
                ";".join(o.id for o in r.rewards),
                ";".join(o.id for o in r.withheld),
                *(amounts.get(k, "") for k in money),
                ";".join(o.id for o in r.actions),
            ]
        )
    return out.getvalue()


def _printable(text: str) -> str:
    """Control characters shown as escapes, so no cell can steer the terminal."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def to_table(evaluation: Evaluation) -> str:
    """A plain-text table for reading in a terminal, one line per result."""
    scores, bands, values, ranks, _ = _columns(evaluation)
    header = ["subject", "period", "group", *scores, *bands, *values, *ranks, "rewards", "actions"]
    rows = [header]
    # Within each period, list subjects group by group in rank order: a public listing (公示).
    block: dict[tuple[str, str], int] = {}
    for index, r in enumerate(evaluation.results):
        block.setdefault((r.period, r.kind), index)

    def order(r: Result) -> tuple[int, str, int]:
        return (block[(r.period, r.kind)], r.group or "", next(iter(r.ranks.values()), 0))

    listed = sorted(evaluation.results, key=order)
    for r in listed:
        rewards = ", ".join(
            [
                *(
                    f"{o.id} {format_value(o.amount)} {o.currency}"
                    if o.amount is not None
                    else o.id
                    for o in r.rewards
                ),
                *(f"{o.id} (withheld)" for o in r.withheld),
            ]
        )
        rows.append(
            [
                r.subject,
                r.period,
                r.group or "",
                *(format_value(r.scores[k]) if k in r.scores else "" for k in scores),
                *(r.bands.get(k, "") for k in bands),
                *(format_value(r.values[k]) if k in r.values else "" for k in values),
                *(str(r.ranks[k]) if k in r.ranks else "" for k in ranks),
                rewards or "-",
                ", ".join(dict.fromkeys(o.id for o in r.actions)) or "-",
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
    lines.extend(f"warning: {w}" for w in evaluation.warnings)
    return "\n".join(lines) + "\n"
