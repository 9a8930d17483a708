"""The two phases of a distributed evaluation, each on one partition (a polars DataFrame
of text), shared by `partyscore.dask` and `partyscore.spark`.

Ranking compares the subjects of a period; history compares the periods of a subject.
Phase 1 gets whole periods: it evaluates them by the columnar path and, for a scheme with
history rules, keeps per record what compares subjects (ranks, top places). Phase 2 gets
whole subjects with those facts: it evaluates them again, taking the facts instead of
ranking, so that escalations count the subject's periods and year-end rules see its year.
Every result row carries the keys of `to_csv`'s listing order, by which the engine sorts
the parts into one table.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from typing import Any, NoReturn

import numpy as np

from . import models as m
from ._columnar import Across, Fallback, Notice, Table, fact_names, facts, key_types, rules
from ._compile import CompiledScheme, compile_scheme
from ._diagnostics import Diagnostic, EvaluationError, PartyscoreError, RecordError, SchemeError
from ._i18n import _
from ._plan import EscalationRule, RankingRule, TopRule
from ._records import _period
from ._render import columns_of, header_names
from ._words import Words
from .columnar import record_engine_error, text_source

ROW = "#row"
"""The column numbering the records of the whole input (0-based), for problems."""


def model_text(scheme: CompiledScheme) -> str:
    """The scheme as text that travels to the workers (compiled code does not pickle)."""
    refuse(scheme)
    dumped = scheme.model.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return json.dumps(dumped, ensure_ascii=False, sort_keys=True)


@functools.lru_cache(maxsize=8)
def scheme_of(model: str) -> CompiledScheme:
    """The scheme, compiled once per worker process from `model_text`."""
    return compile_scheme(m.Scheme.model_validate(json.loads(model)))


def refuse(scheme: CompiledScheme) -> None:
    """Refuse a scheme whose ranking or top rule comes after an escalation: phase 1 ranks
    before any subject's history is known."""
    seen: EscalationRule | None = None
    for rule in scheme.plan.rules:
        if isinstance(rule, EscalationRule) and seen is None:
            seen = rule
        elif isinstance(rule, RankingRule | TopRule) and seen is not None:
            message = _(
                "rule {rule!r} compares subjects after escalation {escalation!r} counts "
                "their history: a distributed run ranks before it counts; evaluate this "
                "scheme with partyscore.columnar or the record engine"
            ).format(rule=rule.id, escalation=seen.id)
            raise SchemeError([Diagnostic("<scheme>", 0, 0, "distributed-order", message)])


def has_history(scheme: CompiledScheme) -> bool:
    """Whether the scheme compares a subject's periods (escalations, year-end rules)."""
    plan = scheme.plan
    return bool(plan.year_end) or any(isinstance(r, EscalationRule) for r in plan.rules)


def header(scheme: CompiledScheme) -> list[str]:
    """The columns of the results: those of `to_csv`."""
    return header_names(columns_of(scheme.plan), Words(None))


def present(scheme: CompiledScheme, labels: list[Any]) -> list[int]:
    """The ordinals of the periods of these labels (those that are periods), in order."""
    found = set()
    for label in labels:
        if isinstance(label, str):
            period = _period(label, scheme.model)
            if not isinstance(period, str):
                found.add(period.ordinal)
    return sorted(found)


def check_columns(scheme: CompiledScheme, columns: list[str], source: str) -> None:
    """Refuse a table without its subject or period column (partitions are made by
    them) or with a column named as one the phases add."""
    check_names(scheme, columns, source)
    for key in ("subject", "period"):
        if key not in columns:
            message = _(
                "the table has no {column!r} column: a distributed run partitions the "
                "records by subject and by period"
            ).format(column=key)
            raise RecordError([Diagnostic(source, 1, 0, "columnar-input", message)])


def check_names(scheme: CompiledScheme, columns: list[str], source: str) -> None:
    """Refuse a table with a column named as one the phases add."""
    for name in columns:
        if name == ROW or name in fact_names(scheme.plan):
            message = _(
                "column {column!r} has the name of a column a distributed run adds; rename it"
            ).format(column=name)
            raise RecordError([Diagnostic(source, 1, 0, "columnar-input", message)])


def _compiled(model: str | CompiledScheme) -> CompiledScheme:
    return model if isinstance(model, CompiledScheme) else scheme_of(model)


def by_period(
    model: str | CompiledScheme, frame: Any, source: str, notices: list[Notice] | None = None
) -> Any:
    """Phase 1 on whole periods (`model`: the scheme, or its `model_text`). For a scheme
    without history: the results with their keys, the run's warnings going to `notices`
    where given. With history: the records with their facts (one column per
    `fact_names`)."""
    import polars as pl

    scheme = _compiled(model)
    frame, data, rows, name = _input(frame, source, [])
    if data.height == 0:
        if has_history(scheme):
            return with_facts(scheme, frame)
        return empty_results(scheme)
    with _lines(rows, name):
        found, records = text_source(scheme, data, name)
        try:
            run = rules(scheme, found)
            if not has_history(scheme):
                return _keyed(run.table(keys=True), notices)
            at = found.positions
            made = facts(run)
        except Fallback:
            _raise_record_engine(scheme, data, name, records)
    columns = [
        pl.Series(fact, [None] * data.height, dtype=kind).scatter(at, made[fact])
        for fact, kind in fact_types(scheme).items()
    ]
    return frame.with_columns(columns)


def by_subject(
    model: str | CompiledScheme,
    frame: Any,
    source: str,
    periods: list[int],
    notices: list[Notice] | None = None,
) -> Any:
    """Phase 2 on whole subjects (with their facts from phase 1): the results with their
    keys. `periods`: the ordinals of every period of the whole table. The run's warnings
    go to `notices` where given (else they are not kept)."""
    scheme = _compiled(model)
    names = fact_names(scheme.plan)
    frame, data, rows, name = _input(frame, source, names)
    if data.height == 0:
        return empty_results(scheme)
    with _lines(rows, name):
        found, records = text_source(scheme, data, name)
        given = {n: frame[n].to_numpy()[found.positions] for n in names}
        try:
            table = rules(scheme, found, Across(given, periods)).table(keys=True)
            return _keyed(table, notices)
        except Fallback:
            _raise_record_engine(scheme, data, name, records)


def _fact_columns(scheme: CompiledScheme) -> list[Any]:
    """No facts: the columns of an empty partition."""
    import polars as pl

    return [pl.Series(n, [], dtype=t) for n, t in fact_types(scheme).items()]


def fact_types(scheme: CompiledScheme) -> dict[str, Any]:
    """The polars type of each fact phase 1 adds."""
    import polars as pl

    return {
        n: pl.Boolean if n.endswith(("#last", "#places")) else pl.Int64
        for n in fact_names(scheme.plan)
    }


def with_facts(scheme: CompiledScheme, records: Any) -> Any:
    """Records (a polars DataFrame) with the facts phase 1 adds (an empty frame: its
    schema)."""
    return records.with_columns(_fact_columns(scheme))


def _input(frame: Any, source: str, phase_columns: list[str]) -> tuple[Any, Any, Any, str]:
    """A partition in the input's order; its records as a CSV file's text (empty cells as
    nulls, without the columns of the phases); their numbers in the whole input; the name
    problems give them."""
    import polars as pl

    name = source if source.lower().endswith(".csv") else f"{source}.csv"
    if ROW in frame.columns:
        frame = frame.sort(ROW)  # a shuffle mixes them: problems come in the input's order
        rows = frame[ROW].to_numpy()
    else:
        rows = np.arange(frame.height)
    data = frame.drop([c for c in frame.columns if c == ROW or c in phase_columns])
    data = data.with_columns(
        pl.when(pl.col(c).cast(pl.String) == "")
        .then(None)
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in data.columns
    )
    return frame, data, rows, name


def _raise_record_engine(scheme: CompiledScheme, data: Any, name: str, records: Any) -> NoReturn:
    """The record engine's error where the columnar path handed the partition back; a
    value beyond the columnar path's digits (the record engine takes it) is refused."""
    record_engine_error(scheme, data, name, records)
    message = _(
        "a value of these records has more digits than the columnar path computes "
        "exactly; evaluate them with partyscore.evaluate"
    )
    raise EvaluationError([Diagnostic(name, 0, 0, "distributed-digits", message)])


class _lines:
    """Problems of a partition named by the rows of the whole input: ``name:N`` in the
    partition is row N - 2 of it, and becomes that record's row of the input."""

    def __init__(self, rows: Any, name: str) -> None:
        self.rows, self.name = rows, name
        self.pattern = re.compile(re.escape(name) + r":(\d+)")

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if isinstance(error, PartyscoreError) and not isinstance(error, SchemeError):
            raise type(error)([self.diagnostic(d) for d in error.diagnostics]) from None

    def line(self, line: int) -> int:
        if 2 <= line < len(self.rows) + 2:
            return int(self.rows[line - 2]) + 2
        return line

    def diagnostic(self, d: Diagnostic) -> Diagnostic:
        message = self.pattern.sub(
            lambda hit: f"{self.name}:{self.line(int(hit.group(1)))}", d.message
        )
        line = self.line(d.line) if d.file == self.name else d.line
        return dataclasses.replace(d, line=line, message=message)


def _keyed(table: Table, notices: list[Notice] | None) -> Any:
    """A `Table` as a polars DataFrame of text, with its listing keys; its warnings go to
    `notices` where given."""
    import polars as pl

    if notices is not None:
        notices.extend(table.notices)

    return pl.concat([table.frame(), table.keys], how="horizontal")


def empty_results(scheme: CompiledScheme) -> Any:
    import polars as pl

    return pl.DataFrame(schema={**dict.fromkeys(header(scheme), pl.String), **key_types()})
