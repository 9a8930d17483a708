"""Empty input sheets for a scheme: what a secretary fills in, and `evaluate` reads back.

`template_csv` and `template_xlsx` write a header row naming the subject, the period, the
scheme's attributes and its items, and one example row with valid values, whose subject
cell marks it as the example (`example_markers`): a reader refuses a record so marked,
so that the example is never evaluated by mistake. Headers are the labels of the
attributes and items in the language in use (`partyscore.language`); in English, and
wherever a label would not be read back as its column (two columns share it, or the reader
does not know that form of it), the id. ``subject`` and ``period`` are always named so.

The workbook also checks values as they are typed (data validation: each item's range,
TRUE/FALSE for flags, the values of an enum attribute), and lists every column with its
id, section, range and source sentence on a second sheet.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO, Literal

from ._compile import CompiledScheme
from ._i18n import LANGS, _, current, label_text, language, pgettext
from ._numbers import decimal_text
from ._periods import EXAMPLE, PER_YEAR, Period, from_ordinal, in_window, parse_period
from ._plan import ItemPlan
from ._tables import Layout, header_names
from ._words import Words
from ._xlsx import Sheet, exact_float, fit, new_workbook
from .models import Attribute, Label, Scheme

__all__ = ["EXAMPLE_MARKER", "example_markers", "template_csv", "template_xlsx"]

EXAMPLE_MARKER = "[example] replace or delete this row"
"""The subject cell of a template's example row, in English (`example_markers`: in every
language)."""
ROWS = 1000
"""Rows below the header that the workbook's data validation covers (rows 2 to 1001)."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_CHARS = frozenset("[]:*?/\\")
_LISTS = "_lists"
"""The hidden sheet of long validation lists."""


def example_marker() -> str:
    """The example row's subject cell in the language in use."""
    return _("[example] replace or delete this row")


def example_markers() -> frozenset[str]:
    """The example row's subject cell in every language partyscore speaks: a record whose
    subject is one of these is a template's example left in (``template-example-row``)."""
    found = set()
    for lang in LANGS:
        with language(lang):
            found.add(example_marker())
    return frozenset(found)


Kind = Literal["subject", "period", "attribute", "item"]


@dataclass(frozen=True)
class Column:
    """One column of a template: its header, the scheme name it stands for, and what it is."""

    header: str
    name: str
    kind: Kind
    attribute: Attribute | None = None
    item: ItemPlan | None = None


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def columns(scheme: CompiledScheme) -> list[Column]:
    """The template's columns in order: subject, period, attributes, items (scheme order),
    each headed by its label in the language in use where the reader takes it back."""
    layout = Layout.of(scheme)
    known = header_names(scheme, layout)
    english = current() == "en"
    used: set[str] = set()

    def readable(name: str, text: str) -> bool:
        return (
            known.get(text) == name  # not another column's label too, and a form read back
            and text not in layout.ignore_columns
            and text not in used
            and not text.startswith(_FORMULA_START)
        )

    def header(name: str, label: Label | None) -> str:
        if english or label is None:
            return name
        # The label in the language in use; else the Chinese form the scheme gives (the
        # reader takes the forms a scheme gives, not always the ones derived from them).
        for text in (label_text(label, name), label.zh_hans, label.zh_hant):
            if text is not None and readable(name, _norm(text)):
                used.add(_norm(text))
                return _norm(text)
        return name

    found = [Column("subject", "subject", "subject"), Column("period", "period", "period")]
    for name, attribute in scheme.attributes.items():
        found.append(Column(header(name, attribute.label), name, "attribute", attribute=attribute))
    for name, item in scheme.items.items():
        found.append(Column(header(name, item.model.label), name, "item", item=item))
    return found


def example_period(model: Scheme) -> str:
    """A period label valid for the scheme: ``2024-Q3`` (the format's example) where the
    scheme applies then, else the first period it applies to."""
    kind = model.period
    start, end = model.effective.start, model.effective.end
    period = parse_period(EXAMPLE[kind], kind)
    if in_window(period, start, end):
        return period.label
    months = 12 // PER_YEAR[kind]
    first = Period(start.year, (start.month - 1) // months + 1, kind)  # holds the start day
    if first.start < start:
        first = from_ordinal(first.ordinal + 1, kind)
    return first.label if in_window(first, start, end) else EXAMPLE[kind]


def _attribute_example(name: str, attribute: Attribute) -> Any:
    """A valid value of an attribute: its default, else the first enum value, false, the
    lowest number allowed, or (text) its label."""
    if attribute.default is not None:
        return attribute.default
    if attribute.type == "enum":
        return (attribute.values or [""])[0]
    if attribute.type == "bool":
        return False
    if attribute.type == "number":
        if attribute.min is not None:
            return attribute.min
        zero = Decimal(0)
        return attribute.max if attribute.max is not None and attribute.max < zero else zero
    return label_text(attribute.label, name)


def example_values(scheme: CompiledScheme, cols: list[Column]) -> list[Any]:
    """The example row: the marker, a valid period, a valid value of each attribute, and
    each item at its maximum (false for a flag; empty where it does not apply)."""
    attributes = {
        c.name: _attribute_example(c.name, c.attribute) for c in cols if c.attribute is not None
    }
    row: list[Any] = []
    for column in cols:
        if column.kind == "subject":
            row.append(example_marker())
        elif column.kind == "period":
            row.append(example_period(scheme.model))
        elif column.kind == "attribute":
            row.append(attributes[column.name])
        else:
            item = column.item
            assert item is not None
            if not item.applies(attributes):
                row.append(None)
            elif item.type == "flag":
                row.append(False)
            else:
                row.append(item.max)
    return row


def _title_rows(scheme: CompiledScheme) -> int:
    """Rows above the header the reader skips (the scheme's ``input.skip_rows``)."""
    given = scheme.model.input
    return given.skip_rows if given is not None else 0


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    return str(value)


def template_csv(scheme: CompiledScheme) -> str:
    """An input sheet for `scheme` as CSV text: the header row (see `columns`) and the
    example row, below as many title rows (the scheme's title, then empty) as the scheme's
    ``input.skip_rows`` says the reader skips.

    The text starts with a UTF-8 byte-order mark, so that Excel on Chinese Windows opens it
    as UTF-8 rather than GBK; partyscore reads it either way.
    """
    cols = columns(scheme)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    for index in range(_title_rows(scheme)):
        writer.writerow([Words(scheme.plan).title(scheme.id)] if index == 0 else [])
    writer.writerow([c.header for c in cols])
    writer.writerow([_csv_cell(v) for v in example_values(scheme, cols)])
    return out.getvalue()


def _sheet_name(text: str) -> str:
    """`text` as a valid sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    cleaned = "".join("_" if ch in _SHEET_CHARS else ch for ch in text).strip("'")
    return fit(cleaned or "Sheet1", 31)


def _range(low: Decimal | None, high: Decimal | None) -> str:
    """What a number column takes, in words."""
    if low is not None and high is not None:
        return _("a number from {min} to {max}").format(
            min=decimal_text(low), max=decimal_text(high)
        )
    if low is not None:
        return _("a number of at least {min}").format(min=decimal_text(low))
    if high is not None:
        return _("a number of at most {max}").format(max=decimal_text(high))
    return _("any number")


def _between(low: Decimal | None, high: Decimal | None) -> dict[str, Any] | None:
    """Decimal data validation between the bounds given (None: no bound at all)."""
    lo = None if low is None else exact_float(low)
    hi = None if high is None else exact_float(high)
    if lo is not None and hi is not None:
        return {"validate": "decimal", "criteria": "between", "minimum": lo, "maximum": hi}
    if lo is not None:
        return {"validate": "decimal", "criteria": ">=", "value": lo}
    if hi is not None:
        return {"validate": "decimal", "criteria": "<=", "value": hi}
    return None


class _Lists:
    """A hidden sheet holding the values of lists too long for a validation's own list
    (Excel allows 255 characters there)."""

    def __init__(self, book: Any) -> None:
        self.book = book
        self.sheet: Any = None
        self.used = 0

    def source(self, values: list[str]) -> list[str] | str:
        if len(",".join(values).encode("utf-16-le")) // 2 <= 255:
            return values
        if self.sheet is None:
            self.sheet = self.book.add_worksheet(_LISTS)
            self.sheet.hide()
        col = self.used
        self.used += 1
        for row, value in enumerate(values):
            self.sheet.write_string(row, col, value)
        letter = _letter(col)
        return f"={_LISTS}!${letter}$1:${letter}${len(values)}"


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _validation(column: Column, lists: _Lists, period: str) -> dict[str, Any] | None:
    """The data validation of a column, with its input message and error alert."""
    name = column.header
    check: dict[str, Any] | None
    if column.kind == "subject":
        return None
    if column.kind == "period":
        message = _("a period label such as {example}").format(example=period)
        return {"validate": "any", "input_title": fit(name, 32), "input_message": message}
    flag_words = ["TRUE", "FALSE"]
    if column.item is not None:
        item = column.item
        if item.type == "flag":
            check = {"validate": "list", "source": flag_words}
            allowed = _("TRUE or FALSE")
        else:
            check = _between(item.min, item.max)
            allowed = _range(item.min, item.max)
        if item.applies_to:
            scope = "; ".join(f"{a}: {', '.join(sorted(v))}" for a, v in item.applies_to)
            allowed += "\n" + _("only for {scope}; else leave empty").format(scope=scope)
    else:
        attribute = column.attribute
        assert attribute is not None
        if attribute.type == "enum":
            values = list(attribute.values or [])
            check = {"validate": "list", "source": lists.source(values)}
            allowed = _("one of {values}").format(values=", ".join(values))
        elif attribute.type == "bool":
            check = {"validate": "list", "source": flag_words}
            allowed = _("TRUE or FALSE")
        elif attribute.type == "number":
            check = _between(attribute.min, attribute.max)
            allowed = _range(attribute.min, attribute.max)
        else:
            return None
    if check is None:
        return None
    label = name if name == column.name else f"{name} ({column.name})"
    check["input_title"] = fit(name, 32)
    check["input_message"] = fit(f"{label}: {allowed}", 255)
    check["error_title"] = fit(_("Not allowed here"), 32)
    check["error_message"] = fit(
        _("{column} takes {allowed}.").format(column=label, allowed=allowed), 255
    )
    check["error_type"] = "stop"
    return check


def _sheet_order(scheme: CompiledScheme) -> tuple[str, int]:
    """The data sheet's name and 1-based position: where the reader looks by default (the
    scheme's ``input.sheet``, else the first sheet)."""
    given = scheme.model.input
    wanted = given.sheet if given is not None else None
    if isinstance(wanted, str):
        name = wanted
        valid = len(name) <= 31 and not (_SHEET_CHARS & set(name)) and not name.startswith("'")
        return (name if valid else _sheet_name(name)), 1
    return _sheet_name(_("records")), wanted or 1


def template_xlsx(scheme: CompiledScheme, out: BinaryIO) -> None:
    """An input sheet for `scheme` as an ``.xlsx`` workbook, written to `out` (needs the
    ``excel`` extra).

    The data sheet (the scheme's ``input.sheet``, else the first, ``records``) has the
    header row of `template_csv`, bold and frozen with the subject column, above it as many
    title rows as ``input.skip_rows`` says, and the example row. The 1,000 rows below the
    header check values as they are typed: a number between the item's minimum and maximum
    (TRUE or FALSE for a flag item), one of the values of an enum attribute, TRUE or FALSE
    for a flag attribute, an attribute's range; each with an input message naming the
    column and what it takes, and a stop alert for anything else. A second sheet
    (``columns``) lists every column: header, id, section, minimum, maximum, the values
    allowed, which subjects an item applies to, and its source sentence.

    The same scheme gives the same bytes.

    Raises:
        ImportError: when xlsxwriter (the ``excel`` extra) is not installed.
    """
    words = Words(scheme.plan)
    cols = columns(scheme)
    book = new_workbook(out, words.title(scheme.id))
    formats: dict[str, Any] = {}
    name, position = _sheet_order(scheme)
    info_name = _sheet_name(_("columns"))
    if info_name == name:
        info_name = _sheet_name(name[:28] + " (2)")
    ahead = [info_name] if position > 1 else []
    ahead += [f"Sheet{n}" for n in range(2, position)]
    info: Sheet | None = None
    for sheet_name in ahead:
        made = Sheet(book, sheet_name, formats)
        if sheet_name == info_name:
            info = made
    data = Sheet(book, name, formats)
    if info is None:
        info = Sheet(book, info_name, formats)
    lists = _Lists(book)

    titles = _title_rows(scheme)
    if titles:
        data.sheet.write_string(0, 0, words.title(scheme.id), data.format("header"))
    data.header(titles, [c.header for c in cols])
    example = titles + 1
    period = example_period(scheme.model)
    for col, value in enumerate(example_values(scheme, cols)):
        _example_cell(data, example, col, value)
    for col, column in enumerate(cols):
        check = _validation(column, lists, period)
        if check is not None:
            data.sheet.data_validation(example, col, titles + ROWS, col, check)
    data.finish(titles, len(cols), example, autofilter=False)
    data.sheet.activate()

    _columns_sheet(info, scheme, cols, period)
    book.close()


def _example_cell(sheet: Sheet, row: int, col: int, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.boolean(row, col, value)
    elif isinstance(value, Decimal):
        sheet.number(row, col, value)
    else:
        sheet.text(row, col, str(value))


def _section_names(scheme: CompiledScheme) -> dict[str, str]:
    return {
        section.id: label_text(section.label, section.id) if current() != "en" else section.id
        for section in scheme.plan.sections
    }


def _columns_sheet(sheet: Sheet, scheme: CompiledScheme, cols: list[Column], period: str) -> None:
    header = [
        pgettext("column", "header"),
        pgettext("column", "id"),
        pgettext("column", "section"),
        pgettext("column", "min"),
        pgettext("column", "max"),
        pgettext("column", "values"),
        pgettext("column", "applies to"),
        pgettext("column", "source"),
    ]
    sheet.header(0, header)
    sections = _section_names(scheme)
    for row, column in enumerate(cols, start=1):
        for col, value in enumerate(_describe(column, sections, period)):
            if isinstance(value, Decimal):
                sheet.number(row, col, value)
            elif value:
                sheet.text(row, col, value)
    sheet.finish(0, len(header), len(cols))


def _describe(column: Column, sections: dict[str, str], period: str) -> Iterator[Any]:
    """header, id, section, min, max, values, applies to, source."""
    yield column.header
    yield column.name
    item, attribute = column.item, column.attribute
    if item is not None:
        yield sections.get(item.section, item.section)
        flag = item.type == "flag"
        yield None if flag else item.min
        yield None if flag else item.max
        yield "TRUE, FALSE" if flag else ""
        yield "; ".join(f"{a}: {', '.join(sorted(v))}" for a, v in item.applies_to)
        yield item.model.source or ""
    elif attribute is not None:
        yield ""
        yield attribute.min
        yield attribute.max
        if attribute.type == "enum":
            yield ", ".join(attribute.values or [])
        else:
            yield "TRUE, FALSE" if attribute.type == "bool" else ""
        yield ""
        yield attribute.source or ""
    else:
        yield from ("", None, None)
        yield (
            _("a period label such as {example}").format(example=period)
            if column.kind == "period"
            else ""
        )
        yield from ("", "")
