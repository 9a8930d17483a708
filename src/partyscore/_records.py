"""Input records: read from CSV, a workbook, JSON or YAML (a path, bytes or a file object),
or taken from flat rows such as a data frame's, and checked against a scheme.

CSV layout: one row per subject and period; columns ``subject``, ``period``, then attribute
columns, then item columns (any order after the first two). JSON/YAML layout: a list (or
``{"records": [...]}``) of ``{"subject", "period", "attributes": {...}, "points": {...}}``.
Flat rows (`records_from_rows`) are mappings keyed like a CSV header.
"""

from __future__ import annotations

import csv
import decimal
import functools
import io
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol, TypeAlias

from ._codegen import TEXTS as _TEXTS
from ._codegen import Program, identifying_text
from ._compile import CompiledScheme
from ._diagnostics import Diagnostic, RecordError
from ._expr import suggest
from ._i18n import _
from ._loader import (
    MAX_RECORD_NODES,
    DecodeError,
    _refused,
    decode,
    parse_yaml,
    read_lines,
    read_text,
)
from ._numbers import NumberError, read_number
from ._periods import Period, in_window, parse_period
from ._plan import ItemPlan
from ._tables import (
    WORKBOOK_KINDS,
    Layout,
    content_kind,
    detect_encoding,
    header_names,
    input_kind,
    sheet_rows,
    table_records,
)
from ._text import FALSE_WORDS, TRUE_WORDS, clean_text
from .models import Attribute

OnError = Literal["collect", "stop"]
MAX_FIELD = 10_000
"""Longest CSV cell, in characters."""
MAX_INPUT_BYTES = 200_000_000
"""Largest records file read, in bytes (about a million rows of a wide scheme)."""


class Readable(Protocol):
    """A binary or text file object: what has ``read`` (a file, an upload, ``io.BytesIO``)."""

    def read(self, size: int = -1, /) -> bytes | str: ...


Source: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | memoryview | Readable"
"""What `read_records` reads: a path, or content as bytes or a binary or text file object."""


@dataclass(frozen=True)
class Record:
    """One subject in one period, as given: values may still be text (from CSV).

    `file` and `row` say where it came from (row is the CSV line, the sheet's row, or the
    list index + 1). `columns`, for a record read from a sheet, is the column letter of each
    field (``{"subject": "A", "w1": "E"}``), so that problems name the cell; None otherwise.
    """

    subject: Any
    period: Any
    attributes: Mapping[str, Any] = field(default_factory=dict)
    points: Mapping[str, Any] = field(default_factory=dict)
    file: str = "<records>"
    row: int = 0
    columns: Mapping[str, str] | None = field(default=None, compare=False, repr=False)


@dataclass(slots=True)
class Row:
    """A record checked against a scheme: a parsed period, its group, where it came from
    (file and row), and its values in compact form: one list, by the program's slots, of
    attributes, parameters and items (the evaluator adds what the rules compute)."""

    subject: str
    period: Period
    group: str | None
    values: list[Any]
    file: str
    line: int
    program: Program

    @property
    def where(self) -> str:
        """``file:row``, as results cite their source."""
        return f"{self.file}:{self.line}"

    @property
    def attributes(self) -> dict[str, Any]:
        """The attributes, typed, with defaults filled in."""
        slots = self.program.slots
        return {name: self.values[slots[name]] for name in self.program.plan.attributes}

    @property
    def points(self) -> dict[str, Any]:
        """Every item's value: 0 (or false) where the item does not apply."""
        slots = self.program.slots
        return {name: self.values[slots[name]] for name in self.program.plan.items}


class _Collector:
    """Problems of records, each with its file, row, field and (once known) subject."""

    def __init__(self, on_error: OnError) -> None:
        self.on_error = on_error
        self.problems: list[Diagnostic] = []
        self.subject: str | None = None
        """The subject of the record being checked, once its id is read."""
        self.cells: Mapping[str, str] | None = None
        """The column letters of the record being checked, when it came from a sheet."""

    def add(self, file: str, row: int, code: str, message: str, path: str = "") -> None:
        keys = (path,) if path else ()
        cells = self.cells
        if cells is not None and path and row and path in cells:
            cell = f"{cells[path]}{row}"  # as the spreadsheet names it
            # TRANSLATORS: {cell} is a spreadsheet cell, as in E3
            message = _("cell {cell}: {message}").format(cell=cell, message=message)
        self.problems.append(
            Diagnostic(file, row, 0, code, message, path, keys=keys, subject=self.subject)
        )
        if self.on_error == "stop":
            raise RecordError(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise RecordError(self.problems)


# --------------------------------------------------------------------------- reading


def read_records(
    source: Source,
    scheme: CompiledScheme,
    *,
    name: str | None = None,
    encoding: str = "auto",
    on_error: OnError = "collect",
    sheet: str | int | None = None,
    skip_rows: int | None = None,
    ignore_columns: Sequence[str] = (),
) -> list[Record]:
    """Read records from a CSV file, a workbook (``.xlsx``, ``.xls``, ``.ods``; the
    ``excel`` extra), or a JSON or YAML file; the kind is decided from the content and the
    extension (any case).

    `source` is a path (a ``str`` is always a path), or the content itself: ``bytes``, or
    a binary or text file object (``open(path, "rb")``, an uploaded file, ``io.BytesIO``,
    ``io.StringIO(text)``), read from where it stands and not closed. Content is named by
    `name`, else by the object's own ``name`` (or ``filename``), else ``<bytes>`` or
    ``<stream>``; that name is its extension (a workbook is also known by its bytes) and
    what problems cite.

    A CSV file's encoding is found from its bytes (``encoding="auto"``: UTF-8 with or
    without BOM, UTF-16, GB18030 or Big5; a file that could be either of the last two is
    refused) or given; text is already decoded. `sheet` (name or 1-based position),
    `skip_rows` and `ignore_columns` override the scheme's `input` block for tables.
    Columns and keys are checked against `scheme`; values are checked by `evaluate`.

    >>> records = read_records("examples/chengzhuang-ladder.csv", scheme)  # doctest: +SKIP
    >>> records = read_records(request.files["scores"], scheme)  # doctest: +SKIP

    Raises:
        RecordError: naming the file (and sheet), row and column of every problem (or the
            first one, with ``on_error="stop"``).
        TypeError: for `name` given with a path, or `encoding` with text.
    """
    collector = _Collector(on_error)
    layout = Layout.of(scheme, sheet=sheet, skip_rows=skip_rows, ignore_columns=ignore_columns)
    records = list(
        iter_records(source, scheme, collector, encoding=encoding, layout=layout, name=name)
    )
    collector.raise_if_any()
    return records


def iter_records(
    source: Source,
    scheme: CompiledScheme,
    out: _Collector,
    *,
    encoding: str = "auto",
    layout: Layout | None = None,
    name: str | None = None,
) -> Iterator[Record]:
    """The records of one file (or content, as `read_records` takes it), one at a time;
    problems of the file's layout go to `out` (a file that cannot be read at all raises
    `RecordError` at once)."""
    layout = layout if layout is not None else Layout.of(scheme)
    if isinstance(source, str | os.PathLike):
        if name is not None:
            raise TypeError(_("name= names bytes or a file object; a path names itself"))
        yield from _path_records(source, scheme, out, encoding, layout)
        return
    if isinstance(source, bytes | bytearray | memoryview):
        label = name if name is not None else "<bytes>"
        yield from _content_records(bytes(source), label, name is not None, scheme, out,
                                    encoding, layout)  # fmt: skip
        return
    read = getattr(source, "read", None)
    if not callable(read):
        shape = type(source).__name__
        message = (
            # TRANSLATORS: {shape} is a Python type name, as in list
            _(
                "read_records takes a path, bytes or a file object, got a {shape}: flat rows "
                "go to records_from_rows, records as mappings straight to evaluate"
            )
            if isinstance(source, Iterable)
            # TRANSLATORS: {shape} is a Python type name, as in int
            else _("read_records takes a path, bytes or a file object, got a {shape}")
        )
        raise RecordError(
            [
                Diagnostic(
                    "<records>",
                    0,
                    0,
                    "input-shape",
                    message.format(shape=shape),
                )
            ]
        )
    given = name if name is not None else _stream_name(source)
    label = given if given is not None else "<stream>"
    try:
        content = read(MAX_INPUT_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a closed file
        raise RecordError([Diagnostic(label, 0, 0, "unreadable", str(exc))]) from None
    if isinstance(content, str):
        if encoding != "auto":
            raise TypeError(_("encoding= applies to bytes; a text stream is already decoded"))
        yield from _text_records(content, label, given is not None, scheme, out, layout)
        return
    if not isinstance(content, bytes | bytearray | memoryview):
        # TRANSLATORS: {type} is a Python type name, as in int
        message = _("the file object gave a {type}, not bytes or text").format(
            type=type(content).__name__
        )
        raise RecordError([Diagnostic(label, 0, 0, "input-shape", message)])
    yield from _content_records(bytes(content), label, given is not None, scheme, out,
                                encoding, layout)  # fmt: skip


def _stream_name(stream: object) -> str | None:
    """The file name a file object carries: ``name`` (``open``, Django's uploads) or
    ``filename`` (Flask's); None when it has neither as text."""
    for attribute in ("name", "filename"):
        value = getattr(stream, attribute, None)
        if isinstance(value, str) and value:
            return value
    return None


def _path_records(
    given: str | os.PathLike[str],
    scheme: CompiledScheme,
    out: _Collector,
    encoding: str,
    layout: Layout,
) -> Iterator[Record]:
    name = path = str(os.fspath(given))
    if ("\n" in name or "\r" in name) and not os.path.exists(name):
        raise RecordError(
            [
                Diagnostic(
                    "<text>",
                    0,
                    0,
                    "input-format",
                    _(
                        "a str is read as a path, and this one holds a line break: to read "
                        "records from text, pass io.StringIO(text) with name='records.csv' (or "
                        ".json, .yaml)"
                    ),
                )
            ]
        )
    kind = input_kind(path)
    if kind in WORKBOOK_KINDS:
        refused = _refused(path, MAX_INPUT_BYTES, _("; split it by period"))
        if refused is not None:
            raise RecordError([refused])
        label, rows = sheet_rows(path, layout.sheet)
        yield from table_records(
            rows, label, scheme, out, layout, letters=True, max_field=MAX_FIELD
        )
        return
    if encoding == "auto":
        encoding = _encoding_of(path)
    limits: dict[str, Any] = {
        "max_bytes": MAX_INPUT_BYTES,
        "encoding": encoding,
        "too_large": _("; split it by period"),
    }
    if kind == "csv":
        lines, problem = read_lines(path, **limits)
        if lines is None:
            assert problem is not None
            raise RecordError([problem])
        try:
            yield from table_records(
                _csv_rows(lines, name, out), name, scheme, out, layout, letters=False,
                max_field=MAX_FIELD,
            )  # fmt: skip
        except DecodeError as exc:
            raise RecordError([exc.diagnostic]) from None
        return
    text, problem = read_text(path, **limits)
    if text is None:
        assert problem is not None
        raise RecordError([problem])
    yield from _read_structured(text, name, ".json" if kind == "json" else ".yaml", out, scheme)


def _too_large(label: str, unit: str) -> RecordError:
    if unit == "bytes":
        message = _("the input is larger than {limit} bytes; split it by period")
    else:
        message = _("the input is larger than {limit} characters; split it by period")
    message = message.format(limit=MAX_INPUT_BYTES)
    return RecordError([Diagnostic(label, 0, 0, "file-too-large", message)])


def _content_records(
    raw: bytes,
    label: str,
    named: bool,
    scheme: CompiledScheme,
    out: _Collector,
    encoding: str,
    layout: Layout,
) -> Iterator[Record]:
    """Records from the bytes of a file, named `label` (a file name when `named`)."""
    if len(raw) > MAX_INPUT_BYTES:
        raise _too_large(label, "bytes")
    kind = content_kind(raw[:100], label, named=named)
    if kind in WORKBOOK_KINDS:
        sheet_label, rows = sheet_rows(label, layout.sheet, content=raw)
        yield from table_records(
            rows, sheet_label, scheme, out, layout, letters=True, max_field=MAX_FIELD
        )
        return
    if encoding == "auto":
        encoding = _encoding_of_head(_sample(raw), label)
    text, problem = decode(raw, label, encoding)
    if text is None:
        assert problem is not None
        raise RecordError([problem])
    yield from _decoded_records(text, label, kind, scheme, out, layout)


def _text_records(
    text: str,
    label: str,
    named: bool,
    scheme: CompiledScheme,
    out: _Collector,
    layout: Layout,
) -> Iterator[Record]:
    """Records from the text of a file (from a text file object), named `label`."""
    if len(text) > MAX_INPUT_BYTES:
        raise _too_large(label, "characters")
    kind = content_kind(None, label, named=named)
    yield from _decoded_records(text.lstrip("\ufeff"), label, kind, scheme, out, layout)


def _decoded_records(
    text: str, label: str, kind: str, scheme: CompiledScheme, out: _Collector, layout: Layout
) -> Iterator[Record]:
    if kind == "csv":
        # split into lines as a file opened with newline="" is
        lines = iter(io.StringIO(text, newline=""))
        yield from table_records(
            _csv_rows(lines, label, out), label, scheme, out, layout, letters=False,
            max_field=MAX_FIELD,
        )  # fmt: skip
        return
    yield from _read_structured(text, label, ".json" if kind == "json" else ".yaml", out, scheme)


_SAMPLE = 1_000_000
"""Bytes read to find a text file's encoding."""


def _encoding_of(path: str | Path) -> str:
    """The encoding of a text file, from its first bytes (`detect_encoding`)."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SAMPLE)
    except OSError as exc:
        raise RecordError(
            [Diagnostic(name, 0, 0, "unreadable", exc.strerror or str(exc))]
        ) from None
    return _encoding_of_head(_sample(head), name)


def _sample(raw: bytes) -> bytes:
    """The first bytes of a file that its encoding is found from (no character cut)."""
    head = raw[:_SAMPLE]
    if len(head) == _SAMPLE:  # a character may be cut at the end of the sample
        head = head[: len(head) - 4] if _cut_utf8(head) else head
    return head


def _encoding_of_head(head: bytes, name: str) -> str:
    found, why = detect_encoding(head)
    if found is None:
        raise RecordError(
            [
                Diagnostic(
                    name,
                    0,
                    0,
                    "encoding",
                    # TRANSLATORS: {why} says why no encoding fits, as in "it is not
                    # UTF-8, and reads as GB18030 and as Big5 alike (GB18030 95%, BIG5 90%)"
                    _(
                        "cannot tell the file's encoding: {why}; tried UTF-8, UTF-16, GB18030 "
                        "and Big5: save it as UTF-8, or pass --encoding (e.g. gb18030, big5)"
                    ).format(why=why),
                )
            ]
        )
    return found


def _cut_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 4
    return False


_TEXT_VALUES = re.compile(r"(\.csv|\[[^\]]*\])$", re.IGNORECASE)
"""Files whose values are text (CSV, a workbook's sheet): numbers may be written as text."""


def values_may_be_text(file: str) -> bool:
    """Whether a record from `file` may write numbers and flags as text."""
    return _TEXT_VALUES.search(file) is not None


def _csv_rows(lines: Iterator[str], name: str, out: _Collector) -> Iterator[tuple[int, list[str]]]:
    """A CSV file's rows with the line each starts on; a syntax error ends them."""
    reader = csv.reader(lines, strict=True)
    while True:
        row = reader.line_num + 1  # the line a record starts on (a quoted cell may span lines)
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            out.add(name, max(reader.line_num, 1), "csv-syntax", str(exc))
            return
        yield row, cells


def _read_structured(
    text: str, name: str, suffix: str, out: _Collector, scheme: CompiledScheme
) -> Iterator[Record]:
    if suffix == ".json":
        found = _read_json(text, name, out)
        if found is None:
            return
        data, lines = found
        positions = {key: (line, 0) for key, line in lines.items()}
    else:
        document, problems = parse_yaml(text, name, max_nodes=MAX_RECORD_NODES)
        if document is None or problems:
            for p in problems:
                out.add(p.file, p.line, p.code, p.message)
            return
        data, positions = document.data, document.values
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict) and set(data) == {"records"}:
        data, prefix = data["records"], ("records",)
    if not isinstance(data, list):
        out.add(name, 1, "input-shape", _("expected a list of records (or {records: [...]})"))
        return
    for index, entry in enumerate(data):
        line = positions.get((*prefix, index), (index + 1, 0))[0]
        if not isinstance(entry, dict):
            message = _("record {number} is not a mapping").format(number=index + 1)
            out.add(name, line, "input-shape", message)
            continue
        extra = set(entry) - _RECORD_KEY_SET
        for key in sorted(extra, key=str):
            out.add(name, line, "unknown-key", unknown_key_message(key, scheme), str(key))
        attrs, points = entry.get("attributes", {}), entry.get("points", {})
        if not isinstance(attrs, dict) or not isinstance(points, dict):
            out.add(name, line, "input-shape", _("'attributes' and 'points' must be mappings"))
            continue
        yield Record(entry.get("subject"), entry.get("period"), attrs, points, name, line)


def _reject_constant(text: str) -> Any:
    raise ValueError(_("{number} is not a finite number").format(number=text))


def _json_int(text: str) -> int | Decimal:
    # int() refuses over 4,300 digits; a long one stays a Decimal, refused later by its size
    return int(text) if len(text) <= 20 else Decimal(text)


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(_("duplicate key {key!r}").format(key=key))
        result[key] = value
    return result


_JSON = json.JSONDecoder(
    parse_float=Decimal,
    parse_int=_json_int,
    parse_constant=_reject_constant,
    object_pairs_hook=_json_object,
)
_RECORDS_ARRAY = re.compile(r'\s*\{\s*"records"\s*:\s*\[|\s*\[')


def _read_json(text: str, name: str, out: _Collector) -> tuple[Any, dict[Any, int]] | None:
    """JSON records read exactly (numbers as Decimal, duplicate keys refused), with the line
    on which each record of the list starts."""
    try:
        data = _JSON.decode(text)
    except json.JSONDecodeError as exc:
        # TRANSLATORS: {reason} is Python's own description of the JSON error, in English
        message = _("{reason} (column {column})").format(reason=exc.msg, column=exc.colno)
        out.add(name, exc.lineno, "json-syntax", message)
        return None
    except ValueError as exc:
        out.add(name, 0, "json-syntax", str(exc))
        return None
    except RecursionError:
        out.add(name, 0, "json-syntax", _("the JSON is nested too deeply"))
        return None
    lines: dict[Any, int] = {}
    opening = _RECORDS_ARRAY.match(text)
    items = data.get("records") if isinstance(data, dict) else data
    if opening is not None and isinstance(items, list):
        prefix: tuple[str, ...] = ("records",) if isinstance(data, dict) else ()
        at = opening.end()
        line, counted = 1, 0  # lines are counted once, as the scan moves on
        for index in range(len(items)):
            while at < len(text) and text[at] in " \t\r\n,":
                at += 1
            line += text.count("\n", counted, at)
            counted = at
            lines[(*prefix, index)] = line
            at = _JSON.raw_decode(text, at)[1]
    return data, lines


@functools.cache
def _example_markers() -> frozenset[str]:
    """The subject cell of a template's example row, in every language."""
    from ._template import example_markers

    return example_markers()


def unknown_key_message(key: Any, scheme: CompiledScheme) -> str:
    """Why a key of a record in the nested form (``subject``, ``period``, ``attributes``,
    ``points``) is unknown: for an item or attribute given at the top level (by id or
    label), where it goes."""
    text = str(key)
    known = header_names(scheme, Layout.of(scheme))
    target = known.get(_norm_key(text)) if text.strip() else None
    for names, under in ((scheme.items, "points"), (scheme.attributes, "attributes")):
        if target is not None and target in names:
            example = f'{{"{under}": {{"{target}": ...}}}}'
            if under == "points" and target == text:
                # TRANSLATORS: {example} is JSON, as in {"points": {"w1": ...}}
                message = _(
                    "unknown key {key!r}: item points go under 'points' ({example}); or give "
                    "flat rows to records_from_rows"
                )
            elif under == "points":
                # TRANSLATORS: {example} is JSON, as in {"points": {"w1": ...}}
                message = _(
                    "unknown key {key!r} (the item {name!r}): item points go under 'points' "
                    "({example}); or give flat rows to records_from_rows"
                )
            elif target == text:
                # TRANSLATORS: {example} is JSON, as in {"attributes": {"stage": ...}}
                message = _(
                    "unknown key {key!r}: attribute values go under 'attributes' ({example}); "
                    "or give flat rows to records_from_rows"
                )
            else:
                # TRANSLATORS: {example} is JSON, as in {"attributes": {"stage": ...}}
                message = _(
                    "unknown key {key!r} (the attribute {name!r}): attribute values go under "
                    "'attributes' ({example}); or give flat rows to records_from_rows"
                )
            return message.format(key=text, name=target, example=example)
    return _("unknown key {key!r}").format(key=text) + suggest(text, list(_RECORD_KEYS))


def _norm_key(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


# --------------------------------------------------------------------------- flat rows


def records_from_rows(
    rows: Iterable[Mapping[str, Any]],
    scheme: CompiledScheme,
    *,
    source: str = "<rows>",
    on_error: OnError = "collect",
    ignore_columns: Sequence[str] = (),
) -> list[Record]:
    """Records from flat rows: mappings keyed like a CSV header, such as
    ``DataFrame.to_dict("records")`` or database rows.

    Keys are ``subject``, ``period`` and the scheme's attribute and item ids or labels (in
    any of its languages), or what the scheme's ``input.columns`` maps; keys in
    `ignore_columns` or the scheme's ``input.ignore_columns`` are left out. Any other key is
    a problem. A key a row lacks is a value it lacks. Values are taken as they are typed:
    None and NaN (``float("nan")``, numpy's, pandas' ``NA`` and ``NaT``) are no value,
    numpy and pandas scalars are their exact Python values; numbers are not read from text.

    Problems name `source` and the row's 1-based position in `rows` (``<rows>:3`` is the
    third row). Keys are checked here; values by `evaluate`, as for `read_records`.

    >>> records = records_from_rows(frame.to_dict("records"), scheme)  # doctest: +SKIP

    Raises:
        RecordError: naming the row and key of every problem (or the first one, with
            ``on_error="stop"``).
    """
    out = _Collector(on_error)
    if isinstance(rows, str | bytes | Mapping) or not isinstance(rows, Iterable):
        shape = type(rows).__name__
        # TRANSLATORS: {shape} is a Python type name, as in str
        message = _("rows must be a list of mappings, got a {shape}").format(shape=shape)
        out.add(source, 0, "input-shape", message)
    elif hasattr(rows, "columns") and (hasattr(rows, "to_dict") or hasattr(rows, "to_dicts")):
        shape = type(rows).__name__
        out.add(
            source,
            0,
            "input-shape",
            # TRANSLATORS: {shape} is a Python type name, as in DataFrame
            _(
                "rows must be a list of mappings, got a {shape}: pass frame.to_dict('records') "
                "(pandas) or frame.to_dicts() (polars)"
            ).format(shape=shape),
        )
    out.raise_if_any()
    layout = Layout.of(scheme, ignore_columns=ignore_columns)
    known = header_names(scheme, layout)
    attributes, items = scheme.attributes, scheme.items
    targets: dict[Any, str | None] = {}  # key -> field (None: ignored or a problem)
    records: list[Record] = []
    for number, row in enumerate(rows, start=1):
        out.subject = None
        if not isinstance(row, Mapping):
            # TRANSLATORS: {type} is a Python type name, as in list
            message = _("row {number} is a {type}, not a mapping").format(
                number=number, type=type(row).__name__
            )
            out.add(source, number, "input-shape", message)
            continue
        fields: dict[str, Any] = {}
        given: dict[str, Any] = {}  # field -> the key that gave it
        ok = True
        for key, value in row.items():
            if key in targets:
                target = targets[key]
            else:
                target = targets[key] = _flat_target(key, known, layout)
            if target is None:
                if not _ignored(key, layout):
                    ok = False
                    _flat_key_problem(key, known, source, number, out)
                continue
            if target in given:
                out.add(
                    source,
                    number,
                    "duplicate-column",
                    # TRANSLATORS: {field} is subject, period, an attribute or an item
                    _("the keys {key!r} and {other!r} both give {field!r}").format(
                        key=given[target], other=key, field=target
                    ),
                    target,
                )
                ok = False
                continue
            given[target] = key
            fields[target] = _plain(value)
        if not ok:
            continue
        records.append(
            Record(
                subject=fields.get("subject"),
                period=fields.get("period"),
                attributes={k: v for k, v in fields.items() if k in attributes},
                points={k: v for k, v in fields.items() if k in items},
                file=source,
                row=number,
            )
        )
    out.raise_if_any()
    return records


def _ignored(key: Any, layout: Layout) -> bool:
    return isinstance(key, str) and _norm_key(key) in layout.ignore_columns


def _flat_target(key: Any, known: Mapping[str, str | None], layout: Layout) -> str | None:
    """The field a flat row's key gives; None when it is ignored, unknown or ambiguous."""
    if not isinstance(key, str) or _ignored(key, layout):
        return None
    return known.get(_norm_key(key))


def _flat_key_problem(
    key: Any, known: Mapping[str, str | None], source: str, number: int, out: _Collector
) -> None:
    text = str(key)
    if isinstance(key, str) and _norm_key(key) in known:  # known, but as two fields' label
        out.add(
            source,
            number,
            "ambiguous-column",
            _(
                "the key {key!r} is the label of more than one field of the scheme: use the id"
            ).format(key=text),
            text,
        )
        return
    if text in _NESTED_KEYS:
        message = _(
            "unknown key {key!r}: rows are flat (attributes and item points as keys of their "
            "own); a record with 'attributes' and 'points' goes to evaluate as it is"
        ).format(key=text)
    elif hint := suggest(text, sorted(k for k, v in known.items() if v)):
        message = _("unknown key {key!r}").format(key=text) + hint
    else:
        message = _(
            "unknown key {key!r}; the keys are subject, period and the scheme's attributes "
            "and items (by id or label)"
        ).format(key=text)
    out.add(source, number, "unknown-key", message, text)


_NESTED_KEYS = ("attributes", "points")
_NAN_TYPES = frozenset({"NAType", "NaTType"})
"""pandas' missing values, known by their class names (pandas is not imported)."""


def _plain(value: Any) -> Any:
    """A value as plain Python: None for no value (None, NaN, pandas' NA and NaT); a
    numpy or pandas scalar as its exact Python value (an integer as int, a float64 as a
    float, another float as the Decimal its shortest text gives, a bool as bool, text as
    str). Anything else is returned as it is, to be judged by the check."""
    kind = value.__class__
    if kind is str or kind is int or kind is bool or kind is Decimal or value is None:
        return value
    if kind is float:
        return None if value != value else value
    module = kind.__module__ or ""
    if module.startswith("pandas") and kind.__name__ in _NAN_TYPES:
        return None
    if module.startswith("numpy") and getattr(value, "ndim", None) == 0:
        code = getattr(getattr(value, "dtype", None), "kind", "")
        if code and code in "fcmM" and bool(value != value):
            return None  # NaN, NaT
        if code == "f":
            if isinstance(value, float):  # float64: as a Python float, by its shortest repr
                return float(value)
            return Decimal(str(value))  # float16, float32, longdouble: their shortest text
        if code in ("i", "u"):
            return int(value)
        if code == "b":
            return bool(value)
        if code == "U":
            return str(value)
        return value
    if isinstance(value, float) and value != value:
        return None
    return value


# --------------------------------------------------------------------------- checking


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    message = _("expected true or false (or 1/0, yes/no, 是/否), got {value!r}")
    raise ValueError(message.format(value=value))


def _empty(value: Any) -> bool:
    """Whether a value is no value: None, blank text, or NaN and its kin (`_plain`)."""
    return value is None or (isinstance(value, str) and not value.strip())


def check_records(
    scheme: CompiledScheme,
    records: Iterable[Record | Mapping[str, Any]],
    on_error: OnError = "collect",
) -> list[Row]:
    """Check every record against the scheme; return typed rows in input order.

    Raises:
        RecordError: naming the file, row, subject and field of every bad value.
    """
    if isinstance(records, str | bytes | Mapping) or not isinstance(records, Iterable):
        shape = type(records).__name__
        raise RecordError(
            [
                Diagnostic(
                    "<records>",
                    0,
                    0,
                    "input-shape",
                    # TRANSLATORS: {shape} is a Python type name, as in dict
                    _("records must be a list of records, got a {shape}").format(shape=shape),
                )
            ]
        )
    out = _Collector(on_error)
    rows = check_rows(scheme, records, out)
    out.raise_if_any()
    return rows


def check_rows(
    scheme: CompiledScheme,
    records: Iterable[Record | Mapping[str, Any]],
    out: _Collector,
    *,
    start: int = 0,
) -> list[Row]:
    """Check records, reporting problems to `out`; the good ones as rows, in input order.
    `start` is how many records came before these (mapping records are named by position).

    Raises:
        RecordError: at the first problem, when `out` stops at the first.
    """
    checker = RowChecker(scheme, out)
    found = (checker.row(given, index) for index, given in enumerate(records, start=start))
    return [row for row in found if row is not None]


class RowChecker:
    """Checks records one at a time against a scheme; problems go to `out`. A second record
    for a subject and period already seen is a problem (`forget` starts afresh)."""

    def __init__(self, scheme: CompiledScheme, out: _Collector) -> None:
        self.scheme = scheme
        self.out = out
        self.first: dict[tuple[str, Period], tuple[str, int]] = {}
        self.csv: dict[str, bool] = {}  # whether a file's values may be text: CSV
        self.periods: dict[Any, Period | str] = {}  # a label parsed once: period, or problem
        self.group_slot = scheme.program.slots.get(scheme.model.subject.group or "")

    def forget(self) -> None:
        """Forget the records seen (a stream in period order cannot repeat a past period)."""
        self.first = {}

    def row(self, given: Record | Mapping[str, Any], index: int) -> Row | None:
        """The record as a checked row, or None when it has a problem (reported to `out`).

        Raises:
            RecordError: at the first problem, when `out` stops at the first.
        """
        out, first, periods, group_slot = self.out, self.first, self.periods, self.group_slot
        out.subject = None
        out.cells = None
        scheme = self.scheme
        model = scheme.model
        program = scheme.program
        accept = program.accept
        kind = given.__class__
        if kind is Record:
            assert isinstance(given, Record)
            subject, period_text = given.subject, given.period
            attributes_given, points_given = given.attributes, given.points
            file, line = given.file, given.row or index + 1
            out.cells = given.columns
        elif kind is dict or isinstance(given, Mapping):
            assert isinstance(given, Mapping)
            file, line = "<records>", index + 1
            if not given.keys() <= _RECORD_KEY_SET:
                for unknown in [k for k in given if k not in _RECORD_KEYS]:
                    message = unknown_key_message(unknown, scheme)
                    out.add(file, line, "unknown-key", message, str(unknown))
                return None
            subject, period_text = given.get("subject"), given.get("period")
            attributes_given, points_given = given.get("attributes", {}), given.get("points", {})
        else:
            out.add(
                "<records>",
                index + 1,
                "input-shape",
                # TRANSLATORS: {type} is a Python type name, as in list
                _("record {number} is a {type}, not a mapping").format(
                    number=index + 1, type=type(given).__name__
                ),
            )
            return None
        if not (
            (attributes_given.__class__ is dict or isinstance(attributes_given, Mapping))
            and (points_given.__class__ is dict or isinstance(points_given, Mapping))
        ):
            out.add(file, line, "input-shape", _("'attributes' and 'points' must be mappings"))
            return None
        if subject.__class__ is not str:
            subject = _plain(subject)
            if isinstance(subject, int) and not isinstance(subject, bool):
                # a number as an id, within reason (str() refuses past 4,300 digits)
                subject = str(subject) if subject.bit_length() <= 64 else None
            elif subject is not None and not isinstance(subject, str):
                # 7.0 (an id column that held a NaN), true: not silently an id, nor missing
                message = _("the subject must be text or a whole number, got {value!r}").format(
                    value=subject
                )
                out.add(file, line, "bad-value", message, "subject")
                return None
        cleaned = _TEXTS.get(subject) if subject else None
        if cleaned is None:
            if subject is None or not subject.strip():
                out.add(file, line, "missing-value", _("the subject is missing"), "subject")
                return None
            cleaned = identifying_text(subject)
        if cleaned is None:
            try:
                clean_text(subject)
            except ValueError as exc:
                # TRANSLATORS: {problem} goes on with what is wrong with the subject id, as
                # in "'x' contains the character ... at character 2, which is not allowed"
                message = _("the subject {problem}").format(problem=exc)
                out.add(file, line, "bad-value", message, "subject")
                return None
        subject = cleaned or clean_text(subject)
        if subject in _example_markers():
            message = _(
                "this is the example row of a template (partyscore template): replace it "
                "with a real record or delete it"
            )
            out.add(file, line, "template-example-row", message, "subject")
            return None
        out.subject = subject
        key_text = period_text if isinstance(period_text, str) else None
        period = periods.get(key_text) if key_text is not None else None
        if period is None:
            period = _period(period_text if key_text is not None else _plain(period_text), model)
            if key_text is not None:
                periods[key_text] = period
        if isinstance(period, str):
            code, message = period.split(" ", 1)
            message = _("subject {subject!r}: {problem}").format(subject=subject, problem=message)
            out.add(file, line, code, message, "period")
            return None
        key = (subject, period)
        if key in first:
            earlier_file, earlier_line = first[key]
            out.add(
                file,
                line,
                "duplicate-record",
                # TRANSLATORS: {where} is the earlier record's file:line
                _("subject {subject!r} already has a record for {period} ({where})").format(
                    subject=subject, period=period, where=f"{earlier_file}:{earlier_line}"
                ),
                "subject",
            )
            return None
        first[key] = (file, line)
        values = [None] * program.width
        text_ok = self.csv.get(file)
        if text_ok is None:
            text_ok = self.csv[file] = values_may_be_text(file)
        try:
            accepted = accept(attributes_given, points_given, text_ok, values)
        except (decimal.InvalidOperation, TypeError):  # NaN compared, unhashable values
            accepted = False
        if not accepted:
            record = Record(subject, period_text, attributes_given, points_given, file, line)
            attributes = _check_attributes(scheme, record, file, line, subject, out)
            points = _check_points(scheme, record, attributes, file, line, subject, out)
            if attributes is None or points is None:
                return None
            values = _values(program, attributes, points)
        group = None if group_slot is None else str(values[group_slot])
        return Row(subject, period, group, values, file, line, program)


def _period(text: Any, model: Any) -> Period | str:
    """A period label parsed and checked against the scheme's dates, or ``code message``."""
    try:
        if (
            not isinstance(text, str | int)
            or isinstance(text, bool)
            or (isinstance(text, int) and text.bit_length() > 64)
        ):
            message = _("expected a period label such as 2024-Q3, got {value!r}")
            raise ValueError(message.format(value=text))
        period = parse_period(str(text), model.period)
    except ValueError as exc:
        return f"bad-period {exc}"
    start, end = model.effective.start, model.effective.end
    if not in_window(period, start, end):
        if end is None:
            # TRANSLATORS: an open-ended effective window, as in "2024-01-01 on"
            window = _("{start} on").format(start=start)
        else:
            # TRANSLATORS: an effective window; {end} is the first day it no longer applies
            window = _("{start} to {end}").format(start=start, end=end)
        # TRANSLATORS: {window} is the scheme's effective dates, as in "2024-01-01 to 2025-01-01"
        message = _("{period} is outside this scheme version's dates ({window})").format(
            period=period, window=window
        )
        return f"period-not-effective {message}"
    return period


def _values(program: Program, attributes: dict[str, Any], points: dict[str, Any]) -> list[Any]:
    """A value list from checked attributes and points."""
    values = program.new_values()
    slots = program.slots
    for name, value in attributes.items():
        values[slots[name]] = value
    for name, parameter in program.plan.parameters.items():
        values[slots[name]] = parameter.value_for(attributes)
    for name, value in points.items():
        values[slots[name]] = value
    return values


_RECORD_KEYS = ("subject", "period", "attributes", "points")
_RECORD_KEY_SET = frozenset(_RECORD_KEYS)


def _about(subject: str, problem: str) -> str:
    """A problem of a subject's record, named by the subject: ``subject 'x': problem``."""
    return _("subject {subject!r}: {problem}").format(subject=subject, problem=problem)


def _check_attributes(
    scheme: CompiledScheme, record: Record, file: str, line: int, subject: str, out: _Collector
) -> dict[str, Any] | None:
    result: dict[str, Any] = {}
    ok = True
    text_ok = values_may_be_text(record.file)
    for name in record.attributes:
        if name not in scheme.attributes:
            out.add(
                file,
                line,
                "unknown-attribute",
                _about(
                    subject,
                    _("unknown attribute {name!r}").format(name=name)
                    + suggest(str(name), list(scheme.attributes)),
                ),
                str(name),
            )
            ok = False
    for name, attr in scheme.attributes.items():
        value = _plain(record.attributes.get(name))
        if _empty(value):
            if attr.default is None:
                message = _about(subject, _("no value for {attribute!r}").format(attribute=name))
                out.add(file, line, "missing-value", message, name)
                ok = False
            else:
                result[name] = attr.default
            continue
        try:
            result[name] = _attribute_value(attr, value, text_ok)
        except ValueError as exc:
            code = exc.code if isinstance(exc, NumberError) else "bad-value"
            out.add(file, line, code, _about(subject, f"{name}: {exc}"), name)
            ok = False
    return result if ok else None


def _attribute_value(attr: Attribute, value: Any, text_ok: bool) -> Any:
    kind, values = attr.type, attr.values or []
    if kind == "enum":
        if not isinstance(value, str) or value.strip() not in values:
            raise ValueError(
                _("{value!r} is not one of {values}").format(value=value, values=", ".join(values))
                + suggest(str(value), values)
            )
        return value.strip()
    if kind == "bool":
        return _flag(value)
    if kind == "number":
        number = read_number(value, text=text_ok)
        if (attr.min is not None and number < attr.min) or (
            attr.max is not None and number > attr.max
        ):
            low = "" if attr.min is None else f"{attr.min}"
            high = "" if attr.max is None else f"{attr.max}"
            # TRANSLATORS: {range} is as in 0..100 (an end may be missing)
            message = _("{value} is outside {range}").format(value=value, range=f"{low}..{high}")
            raise NumberError(message, "out-of-range")
        return number
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValueError(_("expected text, got {value!r}").format(value=value))
    return clean_text(str(value))


def _check_points(
    scheme: CompiledScheme,
    record: Record,
    attributes: dict[str, Any] | None,
    file: str,
    line: int,
    subject: str,
    out: _Collector,
) -> dict[str, Any] | None:
    result: dict[str, Any] = {}
    ok = True
    text_ok = values_may_be_text(record.file)
    for name in record.points:
        if name not in scheme.items:
            out.add(
                file,
                line,
                "unknown-item",
                _about(
                    subject,
                    _("unknown item {item!r}").format(item=name)
                    + suggest(str(name), list(scheme.items)),
                ),
                str(name),
            )
            ok = False
    for name, item in scheme.items.items():
        value = _plain(record.points.get(name))
        if attributes is None:
            # Which items apply is unknown while an attribute is bad; still check the values.
            if not _empty(value):
                ok = (
                    _check_value(item, name, value, text_ok, (file, line, subject), out, result)
                    and ok
                )
            continue
        if not item.applies(attributes):
            if not _empty(value):
                # TRANSLATORS: where an item applies, as in "stage in activist, full"
                part = _("{attribute} in {values}")
                scope = "; ".join(
                    part.format(attribute=a, values=", ".join(v))
                    for a, v in (item.model.applies_to or {}).items()
                )
                # TRANSLATORS: {scope} is as in "stage in activist, full; role in secretary"
                problem = _("{item} applies only where {scope}; leave it empty")
                out.add(
                    file,
                    line,
                    "item-not-applicable",
                    _about(subject, problem.format(item=name, scope=scope)),
                    name,
                )
                ok = False
            result[name] = item.absent
            continue
        if _empty(value):
            message = _about(subject, _("no value for the item {item!r}").format(item=name))
            out.add(file, line, "missing-value", message, name)
            ok = False
            continue
        ok = _check_value(item, name, value, text_ok, (file, line, subject), out, result) and ok
    return result if ok and attributes is not None else None


def _check_value(
    item: ItemPlan,
    name: str,
    value: Any,
    text_ok: bool,
    where: tuple[str, int, str],
    out: _Collector,
    result: dict[str, Any],
) -> bool:
    """Type and range of one item value; store it in `result` when good."""
    file, line, subject = where
    try:
        if item.type == "flag":
            result[name] = _flag(value)
            return True
        number = read_number(value, text=text_ok)
    except ValueError as exc:
        code = exc.code if isinstance(exc, NumberError) else "bad-value"
        out.add(file, line, code, _about(subject, f"{name}: {exc}"), name)
        return False
    assert item.max is not None
    if number < item.min or number > item.max:
        text = value if isinstance(value, str) else number
        out.add(
            file,
            line,
            "out-of-range",
            _about(
                subject,
                # TRANSLATORS: {range} is an item's range, as in 0..10
                _("{item} = {value} is outside {range}").format(
                    item=name, value=text, range=f"{item.min}..{item.max}"
                ),
            ),
            name,
        )
        return False
    result[name] = number
    return True
