"""The pure evaluator: checked records in, results out, period by period. No I/O, no
clock, no randomness.

`evaluate` returns every result; `iter_evaluate` yields one period's results at a time.
Periods are folded in order by the engine (`_engine`); `_stream` takes records in period
blocks for runs that do not hold them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ._compile import CompiledScheme
from ._diagnostics import RecordError
from ._engine import Engine, PeriodResults, collector_paused
from ._history import History
from ._overrides import Overrides
from ._periods import Period
from ._records import OnError, Record, Row, check_records
from ._results import Evaluation, Result
from ._stream import OutOfOrder, evaluate_stream

__all__ = ["PeriodResults", "evaluate", "iter_evaluate"]


def iter_evaluate(
    scheme: CompiledScheme,
    records: Iterable[Record | Mapping[str, Any]],
    *,
    on_error: OnError = "collect",
    ordered: bool = False,
    history: History | None = None,
    overrides: Overrides | None = None,
) -> Iterator[PeriodResults]:
    """Evaluate period by period, yielding each period's results (`PeriodResults`, a tuple
    of `Result` with `period` and `warnings`) as soon as it is complete.

    By default every record is checked, and kept in compact form, before the first period
    is evaluated, so a bad record never leaves a half-written result, whatever the order of
    the records. With ``ordered=True`` the records must come period by period in order (a
    generator over a database cursor sorted by period, say): each period is evaluated as
    soon as the next one begins, and only history is kept between periods (escalation
    counts, the current year's values for year-end rules), so memory does not grow with
    the number of periods. A bad record then stops the evaluation where it is found
    (earlier periods were already yielded) and `RecordError` names every problem after the
    remaining records are checked; a record out of period order is a ``period-order``
    problem.

    `history` is the state an earlier run left (`Evaluation.history`, `History.read`):
    escalation counts and the current year's values go on from it, and every record must
    come after its last period. The last batch yielded carries the new `history`.

    `overrides` (`read_overrides`) are decisions made by people, applied after each
    period's rules ran: each overridden outcome is marked (`Result.overrides`), and history
    rules count what the override says.

    >>> for batch in iter_evaluate(scheme, records):  # doctest: +SKIP
    ...     print(batch.period, len(batch))

    Raises:
        RecordError: for bad records (see `evaluate`).
        EvaluationError: when a valid record breaks a declared guarantee of the scheme.
        HistoryError: when `history` belongs to another scheme or version, or a record
            is not after its last period.
        OverrideError: for an override whose subject, period or outcome the run does not
            have.
    """
    if ordered:
        return _ordered(scheme, records, on_error, history, overrides)
    rows = check_records(scheme, records, on_error)
    by_period: dict[Period, list[Row]] = defaultdict(list)
    for row in rows:
        by_period[row.period].append(row)
    return _periods(scheme, by_period, history, overrides)


def _ordered(
    scheme: CompiledScheme,
    records: Iterable[Record | Mapping[str, Any]],
    on_error: OnError,
    history: History | None,
    overrides: Overrides | None,
) -> Iterator[PeriodResults]:
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
        check_records(scheme, records, on_error)  # raises the shape error
    try:
        yield from evaluate_stream(
            scheme, records, on_error=on_error, history=history, overrides=overrides
        )
    except OutOfOrder as exc:
        raise RecordError([exc.diagnostic()]) from None


def _periods(
    scheme: CompiledScheme,
    by_period: dict[Period, list[Row]],
    history: History | None,
    overrides: Overrides | None,
) -> Iterator[PeriodResults]:
    run = Engine(scheme, history, overrides)
    ordered = sorted(by_period)
    followers: list[Period | None] = [*ordered[1:], None] if ordered else []
    batch = None
    for period, following in zip(ordered, followers, strict=True):
        batch = run.batch(period, by_period.pop(period), following)
        if following is None:
            batch.history = run.export()
        yield batch
    if batch is None and history is not None:
        empty = PeriodResults()
        empty.history = history
        yield empty
    run.finish()


def evaluate(
    scheme: CompiledScheme,
    records: Iterable[Record | Mapping[str, Any]],
    *,
    on_error: OnError = "collect",
    history: History | None = None,
    overrides: Overrides | None = None,
) -> Evaluation:
    """Apply a compiled scheme to records: scores, bands, ranks, rewards and actions.

    Pure and deterministic: the same scheme and records give the same `Evaluation`, whatever
    their order. Records may be `Record` objects (e.g. from `read_records`) or mappings with
    ``subject``, ``period``, ``attributes`` and ``points``.

    >>> scheme = load_scheme("schemes/chengzhuang-ladder.yaml")  # doctest: +SKIP
    >>> evaluation = evaluate(scheme, records)  # doctest: +SKIP
    >>> evaluation.get("fully-mech-1", "2024-Q1").values["coefficient"]  # doctest: +SKIP
    Decimal('0.9')

    Pass the `history` of an earlier run (`Evaluation.history`, or `History.read` of a
    file it wrote) to go on counting from it; the returned `Evaluation.history` carries
    this run's state on. `overrides` (`read_overrides`) are decisions made by people,
    applied after the rules ran (see `iter_evaluate`).

    Raises:
        RecordError: for bad records, naming file, row, subject and field; with
            ``on_error="stop"`` only the first problem.
        EvaluationError: when a valid record breaks a declared guarantee of the scheme
            (a score outside its range, a score in no band with ``unbanded: error``).
        HistoryError: when `history` belongs to another scheme or version, or a record
            is not after its last period.
    """
    results: list[Result] = []
    warnings: list[str] = []
    carried = history
    # The collector stays paused for the whole evaluation (no cycles are made), instead of
    # once per period: resuming it after each period would scan every result made so far.
    with collector_paused():
        batches = iter_evaluate(
            scheme, records, on_error=on_error, history=history, overrides=overrides
        )
        for batch in batches:
            results.extend(batch)
            warnings.extend(batch.warnings)
            if batch.history is not None:
                carried = batch.history
    return Evaluation(
        scheme.model.id,
        scheme.model.version,
        tuple(results),
        tuple(warnings),
        scheme.plan,
        history=carried,
    )
