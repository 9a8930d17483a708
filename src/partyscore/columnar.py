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
from pathlib import Path
from typing import Any

from ._columnar import Fallback, Source, Table, evaluate_rows, evaluate_source, source_from_rows
from ._compile import CompiledScheme
from ._diagnostics import Diagnostic, RecordError
from ._i18n import _
from ._records import _encoding_of, check_records, read_records, records_from_rows
from ._table_input import source_from_frame, typed_as_text

__all__ = ["evaluate_table", "read_table"]


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
            records = read_records(frame.write_csv().encode(), scheme, name=name)
        else:
            records = records_from_rows(frame.to_dicts(), scheme, source=source)
        rows = check_records(scheme, records, "collect")
        try:
            result = evaluate_rows(scheme, rows)
        except Fallback:
            result = _record_engine(scheme, records)
    return result.frame()


def text_source(scheme: CompiledScheme, frame: Any, name: str) -> tuple[Source, Any]:
    """A table of text (named `name`, a CSV file's name) checked as a CSV file is, as
    columns, and its records (None where the columns were read straight from the text).

    Raises:
        RecordError: for bad records, as the record path reports them.
    """
    found = source_from_frame(scheme, frame, name)
    if found is not None:
        return found, None
    records = read_records(frame.write_csv().encode(), scheme, name=name)
    rows = check_records(scheme, records, "collect")
    return source_from_rows(scheme, rows), records


def record_engine_error(scheme: CompiledScheme, frame: Any, name: str, records: Any) -> None:
    """Raise the record engine's error for a table of text the columnar path handed back."""
    if records is None:
        records = read_records(frame.write_csv().encode(), scheme, name=name)
    _record_engine(scheme, records)


def _record_engine(scheme: CompiledScheme, records: Any) -> Table:
    """The record engine's results (or its error) as a table."""
    import csv
    import io

    from ._evaluate import evaluate
    from ._render import to_csv

    text = to_csv(evaluate(scheme, records))
    lines = list(csv.reader(io.StringIO(text)))
    header, body = lines[0], lines[1:]
    return Table(header, [list(c) for c in zip(*body, strict=True)] or [[] for _ in header])


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
