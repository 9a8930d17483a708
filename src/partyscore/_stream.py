"""Streaming runs: records in, one period's results out at a time, memory bounded.

Records are checked as they come. While periods come in order (a sheet per quarter, or
rows sorted by period), each period is evaluated as soon as the next one begins; between
periods only history is kept (escalation counts, the current year's
values for year-end rules). A record for an earlier period than the one being read raises
`OutOfOrder`; the caller then starts again with `spilled`, which writes the records to one
temporary file per period and gives them back in period order.

Nothing is lost or changed on the way: a bad record stops evaluation, every later record is
still checked so that every problem is reported, and `RecordError` is raised at the end.
The caller keeps what it wrote until then to itself (the command line writes to a temporary
file and shows or renames it only when the whole run succeeded).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from typing import IO, Any

from ._compile import CompiledScheme
from ._diagnostics import Diagnostic, PartyscoreError, RecordError
from ._engine import Engine, PeriodResults
from ._history import History
from ._i18n import _
from ._overrides import Overrides
from ._periods import Period, parse_period
from ._records import OnError, Record, RowChecker, _Collector

__all__ = ["OutOfOrder", "evaluate_stream", "spilled", "temporary_folder"]

MAX_OPEN_SPILLS = 128
"""Most per-period spill files held open at once; beyond that they are reopened as needed."""


class OutOfOrder(Exception):
    """A record's period comes after a later period was already read."""

    def __init__(self, record: Any, index: int, period: Period, after: Period) -> None:
        file, line = (record.file, record.row) if isinstance(record, Record) else ("", 0)
        self.file = file or "<records>"
        self.line = line or index + 1
        super().__init__(f"{self.file}:{self.line}: {period} after {after}")
        self.period = period
        self.after = after

    def diagnostic(self) -> Diagnostic:
        """The problem, for a caller that promised records in period order."""
        return Diagnostic(
            self.file,
            self.line,
            0,
            "period-order",
            _(
                "a record for {period} comes after records for {after}: with ordered=True "
                "records must come period by period, in order"
            ).format(period=self.period, after=self.after),
            "period",
        )


def _period_of(record: Any, kind: str, known: dict[Any, Period | None]) -> Period | None:
    """The record's period, or None when its label is not one (the check will say why)."""
    if isinstance(record, Record):
        label = record.period
    elif isinstance(record, Mapping):
        label = record.get("period")
    else:
        return None
    if isinstance(label, str | int) and not isinstance(label, bool):
        key = label if isinstance(label, str) else str(label)
        if key not in known:
            try:
                known[key] = parse_period(key, kind) if len(key) <= 40 else None
            except ValueError:
                known[key] = None
        return known[key]
    return None


def spilled(records: Iterable[Any], kind: str, folder: str) -> Iterator[Any]:
    """The records in period order (records whose label is not a period first, then in the
    order given within a period), through one temporary file per period in `folder`."""
    known: dict[Any, Period | None] = {}
    paths: dict[Period | None, str] = {}
    counts: dict[Period | None, int] = {}
    with ExitStack() as stack:
        handles: dict[Period | None, IO[bytes]] = {}
        for record in records:
            period = _period_of(record, kind, known)
            handle = handles.get(period)
            if handle is None:
                if len(handles) >= MAX_OPEN_SPILLS:
                    for open_handle in handles.values():
                        open_handle.close()
                    handles.clear()
                if period not in paths:
                    paths[period] = os.path.join(folder, f"spill-{len(paths)}.pickle")
                handle = handles[period] = open(paths[period], "ab")  # noqa: SIM115
                stack.callback(handle.close)
            pickle.dump(_plain(record), handle, protocol=pickle.HIGHEST_PROTOCOL)
            counts[period] = counts.get(period, 0) + 1
        for handle in handles.values():
            handle.close()
    order = sorted(paths, key=lambda p: (p is not None, p or Period(0, 0, kind)))
    for period in order:
        with open(paths[period], "rb") as handle:
            for _ in range(counts[period]):
                yield _record(pickle.load(handle))
        os.unlink(paths[period])


def _plain(record: Record) -> tuple[Any, ...]:
    return (
        record.subject,
        record.period,
        dict(record.attributes),
        dict(record.points),
        record.file,
        record.row,
        None if record.columns is None else dict(record.columns),  # cells, for messages
    )


def _record(fields: tuple[Any, ...]) -> Record:
    return Record(*fields)


def evaluate_stream(
    scheme: CompiledScheme,
    records: Iterable[Any],
    *,
    on_error: OnError = "collect",
    layout: _Collector | None = None,
    order: dict[str, int] | None = None,
    history: History | None = None,
    overrides: Overrides | None = None,
) -> Iterator[PeriodResults]:
    """Check records as they come, in period order, and evaluate each period as soon as the
    next one begins (which also tells whether it closes a year); one period's rows are held.

    `history` is the state an earlier run left, to go on from; the last batch carries the
    state this run leaves. `layout` collects the problems the readers find in files
    (header, ragged rows): any of those stops evaluation, and they are reported instead of
    value problems, as `read_records` would. `order` numbers the input files, to report
    problems in input order. `overrides` (`read_overrides`) are applied after each
    period's rules ran.

    Raises:
        OutOfOrder: when a record's period comes after a later period.
        RecordError: at the end, with every problem (or at the first, with ``on_error="stop"``).
        EvaluationError: when a valid record breaks a declared guarantee of the scheme.
        OverrideError: for an override whose subject, period or outcome the run does not
            have (after the last period, for one no period or year end of the run had).
    """
    run = Engine(scheme, history, overrides)
    values = _Collector(on_error)
    checker = RowChecker(scheme, values)
    kind = scheme.model.period
    known: dict[Any, Period | None] = {}
    current: Period | None = None
    rows: list[Any] = []

    def failed() -> bool:
        return bool(values.problems or (layout is not None and layout.problems))

    given = enumerate(records)
    for index, record in given:
        period = _period_of(record, kind, known)
        if period is not None and period != current:
            if current is not None and period < current:
                raise OutOfOrder(record, index, period, current)
            if current is not None and not failed():
                try:
                    batch = run.batch(current, rows, following=period)
                except PartyscoreError:
                    # the period may lack rows that come later, out of order: then it is
                    # evaluated again from sorted rows, and the problem may not be one
                    _out_of_order(given, kind, known, period)
                    raise
                yield batch
            current, rows = period, []
            checker.forget()
        row = checker.row(record, index)
        if row is not None and not failed():
            rows.append(row)
    if layout is not None and layout.problems:
        raise RecordError(_in_order(layout.problems, order))
    if values.problems:
        raise RecordError(_in_order(values.problems, order))
    if current is not None:
        batch = run.batch(current, rows, following=None)
        batch.history = run.export()
        yield batch
    elif history is not None:
        empty = PeriodResults()
        empty.history = history
        yield empty
    run.finish()


def _out_of_order(
    rest: Iterator[tuple[int, Any]], kind: str, known: dict[Any, Period | None], latest: Period
) -> None:
    """Raise `OutOfOrder` at the first of the remaining records that comes before a later
    period; return when they are all in order."""
    for index, record in rest:
        period = _period_of(record, kind, known)
        if period is None:
            continue
        if period < latest:
            raise OutOfOrder(record, index, period, latest)
        latest = period


def _in_order(problems: list[Diagnostic], order: dict[str, int] | None) -> list[Diagnostic]:
    """Problems in input order: by file as given, then by row (blocks may come out of it)."""
    if order is None:
        return problems
    return sorted(problems, key=lambda d: (order.get(d.file, len(order)), d.line))


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    """A folder for spill files, removed with everything in it when the run ends."""
    return tempfile.TemporaryDirectory(prefix="partyscore-")
