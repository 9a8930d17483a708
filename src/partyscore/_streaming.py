"""Files larger than memory, evaluated by the columnar path a period at a time.

The records are first split by period into a folder of Parquet parts. Each period is
then evaluated on its own (phase 1 of `_distributed`): rankings and top places compare the
subjects of one period only. A scheme with history rules (escalations, year-end rules) keeps
the records with what phase 1 found, split again by subject into buckets of about a
period's size; each bucket holds every period of its subjects and is evaluated again
(phase 2), its results split by period once more. Last, each period's results are put in
`to_csv`'s order and written out. Memory holds one period (or one bucket) at a time, never
the whole input.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from ._columnar import LISTING_KEYS, Notice
from ._compile import CompiledScheme
from ._diagnostics import Diagnostic, EvaluationError, RecordError
from ._distributed import ROW, by_period, by_subject, check_names, has_history
from ._i18n import _
from ._records import _encoding_of, _flat_target, _period, check_records, read_records
from ._tables import Layout
from ._tables import header_names as layout_names
from .columnar import warn

BATCH = 200_000
"""Records read from an input at a time (at least)."""

CSV_BLOCK = 4 << 20
"""Bytes of CSV text pyarrow parses at a time (larger blocks keep more memory)."""

NAME = "<records>.csv"
"""The name the phases give the records; problems are renamed to their input's."""

PART = "#part"
"""The column of the split: a period's ordinal (-1: no period), or a subject's bucket."""

BUCKET = 250_000
"""About this many records to a subject bucket (or a period's, where periods are larger)."""


@dataclasses.dataclass
class _Input:
    """An input file: the name its problems give, its first record's number in the whole
    input, its records and the rows above its header."""

    path: Path
    name: str
    offset: int = 0
    rows: int = 0
    skip: int = 0
    columns: list[str] = dataclasses.field(default_factory=list)


class Sink:
    """Where the results go: a CSV or Parquet file written a period at a time."""

    def __init__(self, handle: BinaryIO, form: str, columns: list[str], bom: bool) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.handle = handle
        self.schema = pa.schema([(c, pa.large_string()) for c in columns])
        self.writer: Any = None
        if form == "parquet":
            self.writer = pq.ParquetWriter(handle, self.schema)
        else:
            import polars as pl

            head = pl.DataFrame(schema=dict.fromkeys(columns, pl.String)).write_csv()
            handle.write((("\ufeff" if bom else "") + head).encode("utf-8"))

    def write(self, frame: Any) -> None:
        """A period's results, in order."""
        if frame.height == 0:
            return
        if self.writer is not None:
            self.writer.write_table(frame.to_arrow().cast(self.schema))
        else:
            self.handle.write(frame.write_csv(include_header=False).encode("utf-8"))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def stream(scheme: CompiledScheme, paths: Sequence[str | Path], sink: Sink) -> int:
    """Evaluate the records of the CSV and Parquet files `paths` into `sink`, one period
    at a time; the number of result rows. Problems are those `evaluate_table` gives for
    each file; once one is found nothing more is written, and what `sink` has is to be
    thrown away.

    Raises:
        RecordError: for bad records (every one), as the record path reports them.
        EvaluationError: for the first period whose records break a guarantee.
    """
    inputs = [_Input(Path(p), _csv_name(str(p))) for p in paths]
    layout = Layout.of(scheme)
    problems = _Problems(inputs)
    written = 0
    notices: list[Notice] = []
    with tempfile.TemporaryDirectory(prefix="partyscore-") as work:
        folder = Path(work)
        offset = 0
        for index, given in enumerate(inputs):
            given.offset, given.skip = offset, layout.skip_rows
            given.rows = _split(scheme, layout, given, index, folder, problems)
            offset += given.rows
        ordinals = sorted(int(p.name[1:]) for p in folder.glob("p*"))
        periods = [o for o in ordinals if o >= 0]
        history = has_history(scheme)
        subjects = _columns_for(scheme, layout, inputs, "subject")
        largest = max((_count(folder / f"p{o}") for o in periods), default=0)
        buckets = max(1, -(-offset // max(BUCKET, largest)))
        for ordinal in [*periods, *(o for o in ordinals if o < 0)]:
            frame = _read(folder / f"p{ordinal}")
            with problems.kept():
                results = by_period(scheme, frame, NAME, notices)
                if not problems.any():
                    if history:
                        _bucketed(results, subjects, buckets, folder, ordinal)
                    else:
                        written += _write(sink, results)
        if history:
            for bucket in sorted(folder.glob("b*")):
                if problems.any():
                    break
                with problems.kept():
                    results = by_subject(scheme, _read(bucket), NAME, periods, notices)
                    for (ordinal,), part in results.partition_by("#ordinal", as_dict=True).items():
                        place = folder / f"o{ordinal}"
                        place.mkdir(exist_ok=True)
                        part.write_parquet(place / f"{bucket.name}.parquet")
            if not problems.any():
                for place in sorted(folder.glob("o*"), key=lambda p: int(p.name[1:])):
                    written += _write(sink, _read(place))
        problems.raise_if_any()
    notices.sort(key=lambda notice: notice[0])
    warn(notices, stacklevel=5)  # the caller of evaluate_files
    return written


def _csv_name(path: str) -> str:
    """The name problems give a file: a CSV file's own; another kind read as a CSV file
    (``ladder.parquet.csv``), as `evaluate_table` names it."""
    return path if path.lower().endswith(".csv") else f"{path}.csv"


def _write(sink: Sink, results: Any) -> int:
    ordered = results.sort(LISTING_KEYS, maintain_order=True).drop(LISTING_KEYS)
    sink.write(ordered)
    return int(ordered.height)


def _count(folder: Path) -> int:
    """The number of records in a folder's parts."""
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))


def _read(folder: Path) -> Any:
    """The parts of a folder as one frame (inputs may have different columns); the folder
    is removed, its records being in memory now."""
    import polars as pl

    parts = [pl.read_parquet(p) for p in sorted(folder.glob("*.parquet"))]
    shutil.rmtree(folder)
    return pl.concat(parts, how="diagonal")


def _bucketed(records: Any, subjects: list[str], buckets: int, folder: Path, ordinal: int) -> None:
    """Phase 1's records of a period, split by subject into buckets."""
    import polars as pl

    named = [pl.col(c) for c in subjects if c in records.columns]
    subject = pl.coalesce(named) if named else pl.lit(None, pl.String)
    keyed = records.with_columns((subject.hash(seed=0) % buckets).cast(pl.Int64).alias(PART))
    for (bucket,), part in keyed.partition_by(PART, as_dict=True, include_key=False).items():
        place = folder / f"b{bucket:03d}"
        place.mkdir(exist_ok=True)
        part.write_parquet(place / f"{ordinal}.parquet")


def _columns_for(
    scheme: CompiledScheme, layout: Layout, inputs: list[_Input], field: str
) -> list[str]:
    """The columns that give `field` (``subject``, ``period``) in any of the inputs."""
    known = layout_names(scheme, layout)
    found: list[str] = []
    for given in inputs:
        for column in given.columns:
            if _flat_target(column, known, layout) == field and column not in found:
                found.append(column)
    return found


def _batches(given: _Input, folder: Path) -> tuple[list[str], Iterator[Any]]:
    """The input's columns, and its records as polars frames of text of about `BATCH`
    rows, read a part at a time (pyarrow's readers: a Parquet row group, a block of CSV
    text); a CSV file not in plain UTF-8 is first written out in UTF-8 (into `folder`)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    path = given.path
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        parquet = pq.ParquetFile(path)
        return list(parquet.schema_arrow.names), _gathered(parquet.iter_batches(BATCH))
    if suffix in (".csv", ".txt"):
        encoding = _encoding_of(path)
        if encoding != "utf-8":
            path = _utf8(path, encoding, folder)
        with open(path, encoding="utf-8", newline="") as text:
            for _skipped in range(given.skip):
                text.readline()
            columns = next(csv.reader(text), [])
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(skip_rows=given.skip, block_size=CSV_BLOCK),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), quoted_strings_can_be_null=False
            ),
        )
        return columns, _gathered(reader)
    message = _("the columnar path reads CSV and Parquet files, not {path}").format(path=path)
    raise RecordError([Diagnostic(str(path), 0, 0, "columnar-input", message)])


def _gathered(parts: Iterator[Any]) -> Iterator[Any]:
    """Arrow record batches as polars frames of text of about `BATCH` rows (an empty
    cell stays empty text: the phases read it as no value)."""
    import polars as pl

    pending: list[Any] = []
    size = 0
    for part in parts:
        pending.append(pl.from_arrow(part))
        size += part.num_rows
        if size >= BATCH:
            yield pl.concat(pending).with_columns(pl.all().cast(pl.String))
            pending, size = [], 0
    if pending:
        yield pl.concat(pending).with_columns(pl.all().cast(pl.String))


def _utf8(path: Path, encoding: str, folder: Path) -> Path:
    """A copy of a text file in UTF-8 without a byte-order mark, decoded a block at a time."""
    out = folder / f"text-{len(list(folder.glob('text-*')))}.csv"
    decoder = codecs.getincrementaldecoder(encoding)()
    first = True
    with open(path, "rb") as source, open(out, "wb") as target:
        while block := source.read(1 << 20):
            text = decoder.decode(block)
            if first:
                text, first = text.lstrip("\ufeff"), False
            target.write(text.encode("utf-8"))
        target.write(decoder.decode(b"", final=True).encode("utf-8"))
    return out


def _split(
    scheme: CompiledScheme,
    layout: Layout,
    given: _Input,
    index: int,
    folder: Path,
    problems: _Problems,
) -> int:
    """Write the records of an input into a folder per period (``p<ordinal>``, ``p-1`` for
    records without a period), each numbered (`ROW`) through the whole input; its count."""
    import polars as pl
    import pyarrow as pa

    try:
        columns, batches = _batches(given, folder)
        check_names(scheme, columns, given.name)
        known = layout_names(scheme, layout)
        period = [c for c in columns if _flat_target(c, known, layout) == "period"]
        ordinals: dict[str | None, int] = {}
        rows = 0
        for number, read in enumerate(batches):
            numbers = pl.int_range(rows, rows + read.height, dtype=pl.Int64, eager=True)
            batch = read.with_columns((numbers + given.offset).alias(ROW))
            if period:
                labels = batch[period[0]]
                for label in labels.unique().to_list():
                    if label not in ordinals:
                        found = _period(label, scheme.model) if label is not None else ""
                        ordinals[label] = -1 if isinstance(found, str) else found.ordinal
                part = labels.replace_strict(ordinals, return_dtype=pl.Int64)
            else:
                part = pl.repeat(-1, batch.height, dtype=pl.Int64, eager=True)
            batch = batch.with_columns(part.alias(PART))
            for (ordinal,), piece in batch.partition_by(
                PART, as_dict=True, include_key=False
            ).items():
                place = folder / f"p{ordinal}"
                place.mkdir(exist_ok=True)
                piece.write_parquet(place / f"{index:04d}-{number:06d}.parquet")
            rows += batch.height
    except (OSError, UnicodeDecodeError, pl.exceptions.PolarsError, pa.ArrowException) as exc:
        message = _("cannot read {path}: {problem}").format(path=given.path, problem=exc)
        raise RecordError([Diagnostic(str(given.path), 0, 0, "unreadable", message)]) from None
    given.columns = columns
    if rows == 0 or len(problems.inputs) > 1:
        problems.header(scheme, given)
    return rows


class _Problems:
    """The problems of every period, renamed from the phases' numbering to their input's
    file and row; the first evaluation error, kept until every record has been checked."""

    def __init__(self, inputs: list[_Input]) -> None:
        self.inputs = inputs
        self.records: list[Diagnostic] = []
        self.headers: list[Diagnostic] = []
        self.evaluation: EvaluationError | None = None
        self.pattern = re.compile(re.escape(NAME) + r":(\d+)")

    def any(self) -> bool:
        return bool(self.records or self.headers or self.evaluation)

    def header(self, scheme: CompiledScheme, given: _Input) -> None:
        """The problems of an input's header alone, as the record path finds them."""
        import polars as pl

        text = pl.DataFrame(schema=dict.fromkeys(given.columns, pl.String)).write_csv()
        try:
            found = read_records(text.encode(), scheme, name=given.name, skip_rows=0)
            check_records(scheme, found, "collect")
        except RecordError as error:
            self.headers.extend(
                dataclasses.replace(d, line=d.line + given.skip) if d.line == 1 else d
                for d in error.diagnostics
            )

    def kept(self) -> _Keeping:
        return _Keeping(self)

    def where(self, line: int) -> tuple[str, int]:
        """The input and row of the phases' row `line` (row 2: the first record)."""
        if line >= 2:
            number = line - 2
            for given in self.inputs:
                if given.offset <= number < given.offset + given.rows:
                    return given.name, number - given.offset + 2 + given.skip
        if len(self.inputs) > 1:
            return "<inputs>", line
        return self.inputs[0].name, line + self.inputs[0].skip if line == 1 else line

    def renamed(self, d: Diagnostic) -> Diagnostic:
        def cited(hit: re.Match[str]) -> str:
            name, line = self.where(int(hit.group(1)))
            return f"{name}:{line}"

        message = self.pattern.sub(cited, d.message)
        if d.file != NAME:
            return dataclasses.replace(d, message=message)
        name, line = self.where(d.line)
        return dataclasses.replace(d, file=name, line=line, message=message)

    def add(self, error: RecordError | EvaluationError) -> None:
        renamed = [self.renamed(d) for d in error.diagnostics]
        if isinstance(error, RecordError):
            self.records.extend(renamed)
        elif self.evaluation is None:
            self.evaluation = EvaluationError(renamed)

    def raise_if_any(self) -> None:
        if self.headers or self.records:
            rows = [d for d in self.records if d.line >= 2 or not self.headers]
            unique = list(dict.fromkeys([*self.headers, *rows]))
            order = {given.name: i for i, given in enumerate(self.inputs)}
            unique.sort(key=lambda d: (order.get(d.file, len(order)), d.line))
            raise RecordError(unique)
        if self.evaluation is not None:
            raise self.evaluation


class _Keeping:
    """Keeps a record or evaluation error of a period among the problems, and goes on."""

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: Any, trace: Any) -> bool:
        if isinstance(error, RecordError | EvaluationError):
            self.problems.add(error)
            return True
        return False
