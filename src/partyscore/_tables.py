"""Tables of records: CSV files and spreadsheet sheets, their kind, encoding and headers.

The kind of an input file is decided from its first bytes and its extension (any case)
before anything is decoded: a workbook (``.xlsx``, ``.xlsm``, ``.ods``: a ZIP; ``.xls``: an
OLE file) is read with python-calamine; anything else by its extension. A CSV file's
encoding is found from its bytes: a BOM (UTF-8, UTF-16), UTF-16 without one, UTF-8, or one
of GB18030 and Big5, chosen by how many of the decoded characters are common Chinese
characters (the text of the wrong one of the two is rare characters and symbols). When the
two cannot be told apart, the file is refused with the encodings tried; nothing is guessed.

Headers are matched exactly (stripped, in Unicode NFC) against the scheme's names and the
labels of its attributes and items in every language it gives, and the scheme's `input`
block (or the command line) may map other headers, skip title rows and ignore columns.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._diagnostics import Diagnostic, RecordError
from ._expr import suggest
from ._i18n import LANGS, LanguageError, _, label_text, language, pgettext

if TYPE_CHECKING:
    from ._compile import CompiledScheme
    from ._records import Record, _Collector
    from .models import Label

__all__ = [
    "WORKBOOK_KINDS",
    "Layout",
    "column_letter",
    "content_kind",
    "detect_encoding",
    "input_kind",
    "sheet_rows",
    "table_records",
]

WORKBOOK_KINDS = ("xlsx", "xls", "ods")
_SUFFIXES = {
    ".csv": "csv",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
}
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Layout:
    """How a table maps to a scheme: the scheme's `input` block, overridden by the command
    line."""

    sheet: str | int | None = None
    skip_rows: int = 0
    ignore_columns: frozenset[str] = frozenset()
    columns: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        scheme: CompiledScheme,
        *,
        sheet: str | int | None = None,
        skip_rows: int | None = None,
        ignore_columns: Sequence[str] = (),
    ) -> Layout:
        given = scheme.model.input
        return cls(
            sheet if sheet is not None else (given.sheet if given else None),
            skip_rows if skip_rows is not None else (given.skip_rows if given else 0),
            frozenset(
                _norm(c) for c in (*(given.ignore_columns if given else ()), *ignore_columns)
            ),
            {_norm(k): v for k, v in (given.columns if given else {}).items()},
        )


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


# --------------------------------------------------------------------------- kind


def input_kind(path: str | Path) -> str:
    """``csv``, ``json``, ``yaml``, ``xlsx``, ``xls`` or ``ods``: from the first bytes, then
    the extension (any case).

    Raises:
        RecordError: for a file that cannot be opened, an extension that says workbook
            over content that is not one, or an unknown extension.
    """
    name = str(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(100)
    except IsADirectoryError:
        raise RecordError([Diagnostic(name, 0, 0, "unreadable", _("it is a folder"))]) from None
    except OSError as exc:
        raise RecordError(
            [Diagnostic(name, 0, 0, "unreadable", exc.strerror or str(exc))]
        ) from None
    return content_kind(head, name)


def content_kind(head: bytes | None, name: str, *, named: bool = True) -> str:
    """The kind of records content: a workbook by its first bytes (`head`; None for text
    already decoded), else by the extension of `name` (any case). `named` says whether
    `name` is a file name (False: a placeholder such as ``<bytes>``).

    Raises:
        RecordError: for an extension that says workbook over content that is not one, or
            an unknown extension (or no name, for content that is not a workbook).
    """
    suffix = Path(name).suffix.lower() if named else ""
    known = _SUFFIXES.get(suffix)
    if head is not None and head.startswith(_OLE):
        return "xls"
    if head is not None and head.startswith(_ZIP):
        return "ods" if b"opendocument.spreadsheet" in head else "xlsx"
    if known in WORKBOOK_KINDS:
        message = (
            # TRANSLATORS: {suffix} is the file's extension, as in .xlsx
            _(
                "the file is named {suffix} but is not a workbook (its first bytes are text): "
                "if it is CSV, name it .csv"
            )
            if head is not None
            # TRANSLATORS: {suffix} is the file's extension, as in .xlsx
            else _(
                "the file is named {suffix} but is not a workbook (it is given as text): "
                "give a workbook as bytes or a binary file (open(path, 'rb'))"
            )
        )
        raise RecordError(
            [
                Diagnostic(
                    name,
                    0,
                    0,
                    "input-format",
                    message.format(suffix=suffix),
                )
            ]
        )
    if known is None and not named:
        raise RecordError(
            [
                Diagnostic(
                    name,
                    0,
                    0,
                    "input-format",
                    _(
                        "cannot tell the input type without a file name: give name= with one "
                        "(e.g. name='records.csv'; .xlsx, .xls, .ods, .json and .yaml work "
                        "too); a workbook is known by its content"
                    ),
                )
            ]
        )
    if known is None:
        raise RecordError(
            [
                Diagnostic(
                    name,
                    0,
                    0,
                    "input-format",
                    # TRANSLATORS: {suffix} is the file's extension, as in '.txt'
                    _(
                        "unknown input type {suffix!r}: use .csv, .xlsx, .xls, .ods, .json or .yaml"
                    ).format(
                        # TRANSLATORS: in place of a file's extension, in quotes
                        suffix=suffix or _("(no extension)")
                    ),
                )
            ]
        )
    return known


# --------------------------------------------------------------------------- encodings


def detect_encoding(raw: bytes) -> tuple[str | None, str]:
    """The encoding of a text file's bytes, and how it was found; None and the reason when
    it cannot be told.

    >>> detect_encoding("支部".encode("gb18030"))[0]
    'gb18030'
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", _("a UTF-8 byte-order mark")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", _("a UTF-16 byte-order mark")
    sample = raw[:4000]
    if len(sample) >= 4 and sample.count(0) >= len(sample) // 3:
        even = sample[0::2].count(0)
        found = "utf-16-be" if even > sample[1::2].count(0) else "utf-16-le"
        return found, _("NUL bytes")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", _("valid UTF-8")
    scores: dict[str, float] = {}
    for candidate in ("gb18030", "big5"):
        try:
            text = raw.decode(candidate)
        except UnicodeDecodeError:
            continue
        scores[candidate] = _common_share(text)
    if not scores:
        return None, _("neither UTF-8, UTF-16, GB18030 nor Big5")
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, share = ranked[0]
    other = ranked[1][1] if len(ranked) > 1 else 0.0
    if share >= 0.9 and share - other >= 0.2:
        # TRANSLATORS: {share} is a percentage, as in 98%; {encoding} is GB18030 or BIG5
        how = _("{share} of its Chinese text common characters in {encoding}")
        return best, how.format(share=f"{share:.0%}", encoding=best.upper())
    tried = ", ".join(f"{e.upper()} {s:.0%}" for e, s in ranked)
    if share < 0.9:
        return None, (
            # TRANSLATORS: {tried} is each encoding's share of common characters, as in
            # "GB18030 60%, BIG5 40%"
            _(
                "it is not UTF-8, and neither GB18030 nor Big5 reads it as mostly common "
                "Chinese characters ({tried})"
            ).format(tried=tried)
        )
    # TRANSLATORS: {tried} is each encoding's share of common characters, as in
    # "GB18030 95%, BIG5 92%"
    why = _("it is not UTF-8, and reads as GB18030 and as Big5 alike ({tried})")
    return None, why.format(tried=tried)


def _common_share(text: str) -> float:
    """The share of non-ASCII characters that are common Chinese characters (GB2312 level
    1 or Big5's frequent characters) or Chinese punctuation; 1.0 for text without any."""
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return 1.0
    return sum(1 for c in wide if _common(c)) / len(wide)


def _common(char: str) -> bool:
    if char in "，。、；：？！「」『』（）《》〈〉—…·％＋－　\u3000":
        return True
    try:
        gb = char.encode("gb2312")
    except UnicodeEncodeError:
        gb = b""
    if len(gb) == 2 and 0xB0 <= gb[0] <= 0xD7:  # GB2312 level 1: the 3,755 common characters
        return True
    try:
        big5 = char.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(big5) == 2 and 0xA4 <= big5[0] <= 0xC6  # Big5's 5,401 frequent characters


# --------------------------------------------------------------------------- workbooks


def sheet_rows(
    path: str | Path, sheet: str | int | None, *, content: bytes | None = None
) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """The label of a workbook's sheet (``book.xlsx[Sheet1]``) and its rows as text, each
    with its row number as the spreadsheet shows it. With `content` the workbook is those
    bytes and `path` only names it.

    Numbers are written as the spreadsheet shows them at full precision (15 significant
    digits: ``0.1 + 0.2`` is 0.3), whole numbers without a decimal point, flags as
    ``true``/``false``, dates as ISO dates.

    Raises:
        RecordError: when the extra is not installed, the workbook cannot be read, or the
            sheet does not exist.
    """
    name = str(path)
    try:
        import python_calamine
    except ImportError:
        message = _("reading spreadsheets needs the 'excel' extra: pip install 'partyscore[excel]'")
        raise RecordError([Diagnostic(name, 0, 0, "input-format", message)]) from None
    try:
        if content is None:
            workbook = python_calamine.CalamineWorkbook.from_path(name)
        else:
            workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception as exc:  # the reader's own errors name no common base class
        # TRANSLATORS: {reason} is the spreadsheet reader's own message, in English
        message = _("cannot read the workbook: {reason}").format(reason=exc)
        raise RecordError([Diagnostic(name, 0, 0, "unreadable", message)]) from None
    names = list(workbook.sheet_names)
    if not names:
        message = _("the workbook has no sheet")
        raise RecordError([Diagnostic(name, 0, 0, "empty-input", message)])
    if isinstance(sheet, str) and sheet not in names and sheet.isdigit():
        sheet = int(sheet)  # "2" is the second sheet, unless a sheet is named "2"
    if sheet is None:
        chosen = names[0]
    elif isinstance(sheet, int):
        if not 1 <= sheet <= len(names):
            # TRANSLATORS: {sheet} is a position, from 1; {count} is how many sheets there
            # are, {sheets} their names
            message = _("there is no sheet {sheet}: the workbook has {count} ({sheets})").format(
                sheet=sheet, count=len(names), sheets=", ".join(names)
            )
            raise RecordError([Diagnostic(name, 0, 0, "unknown-sheet", message)])
        chosen = names[sheet - 1]
    elif sheet in names:
        chosen = sheet
    else:
        # TRANSLATORS: {hint} is empty or as in "; did you mean 'Sheet1'?"
        message = _("there is no sheet {sheet!r}{hint} (sheets: {sheets})").format(
            sheet=sheet, hint=suggest(sheet, names), sheets=", ".join(names)
        )
        raise RecordError([Diagnostic(name, 0, 0, "unknown-sheet", message)])
    try:
        data = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except Exception as exc:
        # TRANSLATORS: {reason} is the spreadsheet reader's own message, in English
        message = _("cannot read the sheet {sheet!r}: {reason}").format(sheet=chosen, reason=exc)
        raise RecordError([Diagnostic(name, 0, 0, "unreadable", message)]) from None
    label = f"{name}[{chosen}]"

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, cells in enumerate(data, start=1):
            yield number, [_cell_text(cell) for cell in cells]

    return label, rows()


def _cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        if cell != cell or cell in (float("inf"), float("-inf")):
            return repr(cell)  # refused as a number later, with the cell named
        text = format(cell, ".15g")  # what the spreadsheet shows: 15 significant digits
        return format(Decimal(text), "f") if "e" in text else text
    if hasattr(cell, "isoformat"):
        return str(cell.isoformat())
    return str(cell)


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column: 0 is A, 25 is Z, 26 is AA, 702 is AAA.

    Raises:
        ValueError: for a negative index.
    """
    if index < 0:
        raise ValueError(f"a column index is 0 or more, got {index}")
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --------------------------------------------------------------------------- headers


def _forms(label: Label) -> list[str]:
    """Every form of a label a header may take: each language it gives, and the Chinese
    form it does not give, derived with OpenCC (when the 'zh' extra is installed)."""
    forms = [t for t in (label.zh_hant, label.zh_hans, label.en) if t is not None]
    for lang in ("zh-Hans", "zh-Hant"):
        try:
            forms.append(label_text(label, label.en, lang))
        except LanguageError:  # pragma: no cover - no OpenCC: the given forms only
            break
    return forms


def header_names(scheme: CompiledScheme, layout: Layout) -> dict[str, str | None]:
    """Header text -> the scheme name it stands for (None: two names share the label)."""
    model = scheme.model
    names: dict[str, str | None] = {}

    def add(text: str | None, name: str) -> None:
        if not text:
            return
        key = _norm(text)
        if key in names and names[key] != name:
            names[key] = None
        else:
            names[key] = name

    labelled: list[tuple[str, Any]] = list(model.subject.attributes.items())
    labelled += [(item.id, item) for section in model.sections for item in section.items]
    labelled.append(("subject", model.subject))
    for name, declared in labelled:
        label = getattr(declared, "label", None)
        if label is not None:
            for text in _forms(label):
                add(text, name)
    for lang in LANGS:  # the words partyscore's own sheets use (`partyscore template`)
        with language(lang):
            add(pgettext("column", "subject"), "subject")
            add(pgettext("column", "period"), "period")
    exact = {"subject", "period", *model.subject.attributes, *scheme.items}
    for name in exact:
        names[name] = name  # an id is itself, whatever a label says
    for header, name in layout.columns.items():
        names[header] = name
    return names


def table_records(
    rows: Iterator[tuple[int, list[str]]],
    name: str,
    scheme: CompiledScheme,
    out: _Collector,
    layout: Layout,
    *,
    letters: bool,
    max_field: int,
) -> Iterator[Record]:
    """Records from a table's rows (row number as shown, cells as text); header problems
    and ragged rows go to `out`. Columns are named by letter (sheets) or number (CSV)."""
    from ._records import Record

    def where(index: int) -> str:
        if letters:
            # TRANSLATORS: a sheet's column, as in "column E"
            return _("column {letter}").format(letter=column_letter(index))
        # TRANSLATORS: a CSV file's column by its position, from 1, as in "column 5"
        return _("column {number}").format(number=index + 1)

    skipped = 0
    header: list[str] | None = None
    header_row = 0
    for number, cells in rows:
        if skipped < layout.skip_rows:
            skipped += 1
            continue
        header, header_row = [_norm(c) for c in cells], number
        break
    if header is None:
        out.add(name, 1, "empty-input", _("the file has no header row"))
        return
    if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        out.add(
            name,
            header_row,
            "csv-delimiter",
            _(
                "the header has one column; the file seems separated by tabs: partyscore "
                "reads comma-separated files"
            )
            if chr(9) in header[0]
            else _(
                "the header has one column; the file seems separated by semicolons: "
                "partyscore reads comma-separated files"
            ),
        )
        return
    known = header_names(scheme, layout)
    attributes = set(scheme.attributes)
    items = set(scheme.items)
    targets: list[str | None] = []  # per column: the name, or None (ignored or unheaded)
    unheaded: list[int] = []
    seen: dict[str, int] = {}
    present = {known.get(t) for t in header if t and t not in layout.ignore_columns}
    for column in ("subject", "period"):
        if column not in present:
            message = _("no {column!r} column").format(column=column)
            out.add(name, header_row, "missing-column", message, column)
    for index, text in enumerate(header):
        if not text:
            targets.append(None)
            unheaded.append(index)
            continue
        if text in layout.ignore_columns:
            targets.append(None)
            continue
        target = known.get(text, "")
        if target is None:
            out.add(
                name,
                header_row,
                "ambiguous-column",
                # TRANSLATORS: {column} is as in "column E" or "column 5"
                _(
                    "the header {header!r} ({column}) is the label of more than one column of "
                    "the scheme: use the id, or map it in the scheme's input.columns"
                ).format(header=text, column=where(index)),
                text,
            )
            targets.append(None)
            continue
        if not target:
            hint = suggest(text, sorted(k for k, v in known.items() if v))
            if hint:
                # TRANSLATORS: {column} is as in "column E" or "column 5"
                message = _("unknown column {header!r} ({column})")
            else:
                # TRANSLATORS: {column} is as in "column E" or "column 5"
                message = _(
                    "unknown column {header!r} ({column}); if it is not for the scheme, "
                    "ignore it with --ignore-column or the scheme's input.ignore_columns"
                )
            out.add(
                name,
                header_row,
                "unknown-column",
                message.format(header=text, column=where(index)) + hint,
                text,
            )
            targets.append(None)
            continue
        if target in seen:
            out.add(
                name,
                header_row,
                "duplicate-column",
                # TRANSLATORS: {first} and {second} are as in "column E" or "column 5"
                _("the column {name!r} appears twice ({first} and {second})").format(
                    name=target, first=where(seen[target]), second=where(index)
                ),
                target,
            )
        seen[target] = index
        targets.append(target)
    for item in sorted(items - set(seen)):
        message = _("no column for the item {item!r}").format(item=item)
        out.add(name, header_row, "missing-column", message, item)
    for attr in sorted(attributes - set(seen)):
        if scheme.attributes[attr].default is None:
            message = _("no column for the attribute {attribute!r}").format(attribute=attr)
            out.add(name, header_row, "missing-column", message, attr)
    attribute_columns = [(i, t) for i, t in enumerate(targets) if t in attributes]
    item_columns = [(i, t) for i, t in enumerate(targets) if t in items]
    subject_at, period_at = seen.get("subject"), seen.get("period")
    # a sheet's records say which column each field came from, so problems name the cell
    letter_of = {t: column_letter(i) for t, i in seen.items()} if letters else None
    width = len(header)
    for number, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # a blank row is layout, not a record
        if len(cells) > width and not any(c.strip() for c in cells[width:]):
            cells = cells[:width]  # empty cells past the header: layout
        elif len(cells) < width and letters:
            cells = [*cells, *[""] * (width - len(cells))]
        if len(cells) != width:
            message = _("the row has {count} cells but the header has {width}").format(
                count=len(cells), width=width
            )
            if cells and cells[0].strip():
                message = _("subject {subject!r}: {problem}").format(
                    subject=cells[0].strip(), problem=message
                )
            out.add(name, number, "ragged-row", message)
            continue
        stray = [i for i in unheaded if cells[i].strip()]
        if stray:
            out.add(
                name,
                number,
                "unheaded-value",
                # TRANSLATORS: {column} is as in "column E" or "column 5"
                _(
                    "a value in {column}, which has no header: give it a header (or ignore "
                    "it), or clear the cell"
                ).format(column=where(stray[0])),
            )
            continue
        if any(len(cell) > max_field for cell in cells):
            for index, cell in enumerate(cells):
                if len(cell) > max_field and targets[index]:
                    if letters:
                        # TRANSLATORS: {cell} is a spreadsheet cell, as in E3
                        message = _("cell {cell} is longer than {limit} characters").format(
                            cell=f"{column_letter(index)}{number}", limit=max_field
                        )
                    else:
                        message = _("the cell is longer than {limit} characters").format(
                            limit=max_field
                        )
                    out.add(name, number, "field-too-long", message, str(targets[index]))
            cells = ["" if len(cell) > max_field else cell for cell in cells]
        yield Record(
            subject="" if subject_at is None else cells[subject_at].strip(),
            period="" if period_at is None else cells[period_at].strip(),
            attributes={t: cells[i].strip() for i, t in attribute_columns},
            points={t: cells[i].strip() for i, t in item_columns},
            file=name,
            row=number,
            columns=letter_of,
        )
