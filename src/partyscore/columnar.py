"""Evaluate a whole table at once: the columnar path (the ``columnar`` extra).

    import polars as pl
    import partyscore
    from partyscore.columnar import evaluate_table

    scheme = partyscore.load_scheme("schemes/chengzhuang-ladder.yaml")
    table = pl.read_csv("examples/chengzhuang-ladder.csv", infer_schema=False)
    results = evaluate_table(scheme, table)   # a polars DataFrame, as to_csv writes it

The table has one row per subject and period and one column per attribute and item, keyed
as a CSV header (ids or labels); it may be a polars or pandas DataFrame or an Arrow table.
Values are checked as the record path checks them, with the same errors. The results are
the columns of `partyscore.to_csv`, in its order and with its text (numbers as exact
decimal text), so ``results.write_csv()`` gives the bytes `to_csv` gives.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ._columnar import (
    Fallback,
    Notice,
    Source,
    Table,
    evaluate_rows,
    evaluate_source,
    source_from_rows,
)
from ._compile import CompiledScheme
from ._diagnostics import Diagnostic, PartyscoreWarning, RecordError, SchemeError
from ._i18n import _
from ._records import _encoding_of, check_records, read_records, records_from_rows
from ._table_input import source_from_frame, typed_as_text

__all__ = ["evaluate_files", "evaluate_table", "read_table"]


def evaluate_table(scheme: CompiledScheme, table: Any, *, source: str = "<table>") -> Any:
    """Evaluate every record of `table` (polars or pandas DataFrame, Arrow table) at once.

    Returns a polars DataFrame of text columns: the header and cells of `partyscore.to_csv`
    (English ids), rows in its listing order; an empty cell is null.

    Raises:
        RecordError: for bad records, as `partyscore.evaluate` reports them: in a table of
            text as in a CSV file named `source` (``.csv`` added where it has another
            ending: ``ladder.parquet.csv:2``), row 1 being the header; in a typed table by
            1-based position, as ``source:N``.
        EvaluationError: when a record breaks a declared guarantee of the scheme.
    """
    import polars as pl

    frame = _polars(table)
    text = all(dtype == pl.String for dtype in frame.schema.values())
    # A table of text is read as a CSV file is; the reader knows one by its name.
    name = source if source.lower().endswith(".csv") else f"{source}.csv"
    if text:
        found = source_from_frame(scheme, frame, name)
    else:
        as_text = typed_as_text(scheme, frame)
        found = source_from_frame(scheme, as_text, source) if as_text is not None else None
    result: Table | None = None
    if found is not None:
        try:
            result = evaluate_source(scheme, found)
        except Fallback:
            result = None
    if result is None:
        if text:
            # Text throughout, as a CSV file is: read as one, numbers from their text.
            records = read_records(frame.write_csv().encode(), scheme, name=name, skip_rows=0)
        else:
            records = records_from_rows(frame.to_dicts(), scheme, source=source)
        rows = check_records(scheme, records, "collect")
        try:
            result = evaluate_rows(scheme, rows)
        except Fallback:
            result = _record_engine(scheme, records)
    warn(result.notices)
    return result.frame()


def evaluate_files(
    scheme: CompiledScheme,
    inputs: str | Path | Sequence[str | Path],
    output: str | Path | BinaryIO,
    *,
    bom: bool = False,
) -> int:
    """Evaluate CSV and Parquet files of records into one CSV or Parquet file, a period at
    a time: memory holds about one period's records, never the whole input. Returns the
    number of result rows written.

    `output` is a path (Parquet if it ends in ``.parquet``, else CSV; removed again if
    the run fails) or a binary file (CSV). The results are those `evaluate_table` gives
    for the inputs read by `read_table` and put one after the other: the CSV written is
    the bytes of `partyscore.to_csv` (with a byte-order mark if `bom`), the Parquet file
    has the same columns as text. Problems name each input file and its own rows. A
    scheme whose ranking or top rule comes after an escalation is evaluated whole, in
    memory (its ranks depend on history).

        evaluate_files(scheme, ["q1.parquet", "q2.parquet"], "results.parquet")

    Raises:
        RecordError: for files that cannot be read, and for every bad record, as
            `evaluate_table` reports them (nothing is written then).
        EvaluationError: when a record breaks a declared guarantee of the scheme.
    """
    paths = [inputs] if isinstance(inputs, str | Path) else list(inputs)
    if not isinstance(output, str | Path):
        return write_files(scheme, paths, output, "csv", bom=bom)
    form = "parquet" if str(output).lower().endswith(".parquet") else "csv"
    target = Path(output)
    try:
        with open(target, "wb") as handle:
            return write_files(scheme, paths, handle, form, bom=bom)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def write_files(
    scheme: CompiledScheme, paths: Sequence[str | Path], handle: BinaryIO, form: str, *, bom: bool
) -> int:
    """`evaluate_files` into an open binary file, as `form` (``csv``, ``parquet``)."""
    from ._distributed import header, refuse
    from ._streaming import Sink, stream

    try:
        refuse(scheme)
    except SchemeError:
        return _in_memory(scheme, paths, handle, form, bom=bom)
    sink = Sink(handle, form, header(scheme), bom)
    try:
        return stream(scheme, paths, sink)
    finally:
        sink.close()


def _in_memory(
    scheme: CompiledScheme, paths: Sequence[str | Path], handle: BinaryIO, form: str, *, bom: bool
) -> int:
    """The inputs read whole and evaluated at once."""
    import polars as pl

    frames = [read_table(path) for path in paths]
    frame = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal")
    source = str(paths[0]) if len(paths) == 1 else "<inputs>"
    results = evaluate_table(scheme, frame, source=source)
    if form == "parquet":
        results.write_parquet(handle)
    else:
        handle.write((("\ufeff" if bom else "") + results.write_csv()).encode("utf-8"))
    return int(results.height)


def text_source(scheme: CompiledScheme, frame: Any, name: str) -> tuple[Source, Any]:
    """A table of text (named `name`, a CSV file's name) checked as a CSV file is, as
    columns, and its records (None where the columns were read straight from the text).

    Raises:
        RecordError: for bad records, as the record path reports them.
    """
    found = source_from_frame(scheme, frame, name)
    if found is not None:
        return found, None
    records = read_records(frame.write_csv().encode(), scheme, name=name, skip_rows=0)
    rows = check_records(scheme, records, "collect")
    return source_from_rows(scheme, rows), records


def record_engine_error(scheme: CompiledScheme, frame: Any, name: str, records: Any) -> None:
    """Raise the record engine's error for a table of text the columnar path handed back."""
    if records is None:
        records = read_records(frame.write_csv().encode(), scheme, name=name, skip_rows=0)
    _record_engine(scheme, records)


def _record_engine(scheme: CompiledScheme, records: Any) -> Table:
    """The record engine's results (or its error) as a table."""
    import csv
    import io

    from ._evaluate import evaluate
    from ._render import to_csv

    evaluation = evaluate(scheme, records)
    lines = list(csv.reader(io.StringIO(to_csv(evaluation))))
    header, body = lines[0], lines[1:]
    columns = [list(c) for c in zip(*body, strict=True)] or [[] for _ in header]
    notices: list[Notice] = [((0, 0, "", 0, ""), w) for w in evaluation.warnings]
    return Table(header, columns, notices=notices)


def warn(notices: Sequence[Notice], stacklevel: int = 3) -> None:
    """Issue the warnings of a run, in order, each once (`PartyscoreWarning`)."""
    for text in dict.fromkeys(text for _where, text in notices):
        warnings.warn(text, PartyscoreWarning, stacklevel=stacklevel)


def _polars(table: Any) -> Any:
    import polars as pl

    if isinstance(table, pl.DataFrame):
        return table
    if isinstance(table, pl.LazyFrame):
        return table.collect()
    module = type(table).__module__
    if module.startswith("pyarrow"):
        return pl.from_arrow(table)
    if module.startswith("pandas"):
        return pl.from_pandas(table)
    raise TypeError(f"a polars or pandas DataFrame or an Arrow table, not {type(table).__name__}")


def read_table(path: str | Path) -> Any:
    """A CSV (encoding found from its bytes, as `partyscore.read_records` finds it) or
    Parquet file as a polars DataFrame of text, ready for `evaluate_table`: every column
    as text, so that numbers are read from their digits, never through a float.

    Raises:
        RecordError: for a file that cannot be read, or of another kind.
    """
    import polars as pl

    name = str(path)
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".parquet":
            frame = pl.read_parquet(name)
            return frame.with_columns(pl.all().cast(pl.String))
        if suffix in (".csv", ".txt"):
            encoding = _encoding_of(name)
            raw = Path(name).read_bytes().decode(encoding).lstrip("\ufeff")
            return pl.read_csv(io.StringIO(raw), infer_schema=False)
    except (OSError, UnicodeDecodeError, pl.exceptions.PolarsError) as exc:
        message = _("cannot read {path}: {problem}").format(path=name, problem=exc)
        raise RecordError([Diagnostic(name, 0, 0, "unreadable", message)]) from None
    message = _("the columnar path reads CSV and Parquet files, not {path}").format(path=name)
    raise RecordError([Diagnostic(name, 0, 0, "columnar-input", message)])
