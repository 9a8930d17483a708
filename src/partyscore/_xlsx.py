"""Results as an Excel workbook: what a branch secretary opens in Excel or WPS.

`write_xlsx` writes two sheets with xlsxwriter (the ``excel`` extra), and a third with
the decision record when the command line writes it. The first lists the
results as `to_csv` does (the same columns, headers and row order), but numbers are
numbers: each score with the decimal places of its rule's rounding as the cell's number
format, ranks as integers, money as a number in its currency's format. The second sheet
holds the explanations: one row per computed name, reward, action and warning of each
result.

Numbers go to the workbook as Excel keeps them, as binary doubles; a value that a double
cannot hold exactly (more than 15 significant digits, e.g. an unrounded 1/3) is written as
text with all its digits instead, so that no number is ever changed on the way. The same
evaluation always gives the same bytes (the workbook's dates are fixed).
"""

from __future__ import annotations

import datetime
import importlib
import unicodedata
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, BinaryIO

from ._decision import DecisionRecord
from ._diagnostics import Diagnostic, PartyscoreError
from ._i18n import _, pgettext
from ._numbers import decimal_text
from ._plan import MoneyRule, Plan, RankPrizeRule, ScoreRule
from ._render import (
    Columns,
    has_overrides,
    header_names,
    kind_words,
    listing,
    override_text,
    result_columns,
)
from ._results import Evaluation, Result
from ._tables import column_letter
from ._words import Words

__all__ = ["exact_float", "text_width", "write_xlsx"]

CREATED = datetime.datetime(2000, 1, 1)
"""The creation date written into every workbook, so that the same input gives the same
bytes (xlsxwriter would write the time of the run)."""
MAX_WIDTH = 60
"""Widest column, in characters (a long cell wraps or is cut off on screen, not in data)."""
_DIGITS = 15
"""Significant digits a spreadsheet shows and keeps of a number."""


def load_xlsxwriter() -> Any:
    """The xlsxwriter module.

    Raises:
        ImportError: when the ``excel`` extra is not installed, saying how to install it.
    """
    try:
        return importlib.import_module("xlsxwriter")
    except ImportError:
        raise ImportError(
            "writing workbooks (.xlsx) needs the 'excel' extra: pip install 'partyscore[excel]'"
        ) from None


def new_workbook(out: BinaryIO, title: str) -> Any:
    """An xlsxwriter workbook writing to `out`, with fixed properties (same input, same
    bytes) and nothing in it turned into a formula, a number or a link behind our back."""
    xlsxwriter = load_xlsxwriter()
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,  # no temporary files, and zip entries with a fixed date
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    book.set_properties({"title": title, "created": CREATED})
    return book


def exact_float(value: Decimal) -> float | None:
    """`value` as the double a spreadsheet cell holds, or None when the double would not be
    exactly `value`: more than 15 significant digits (what Excel keeps and shows), or a
    value that does not convert back (``Decimal(repr(float(value))) == value``).

    >>> exact_float(Decimal("83.00")), exact_float(Decimal("0.1")), exact_float(Decimal(1) / 3)
    (83.0, 0.1, None)
    """
    if not value.is_finite():
        return None
    digits = value.as_tuple().digits
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:  # trailing zeros: not digits kept
        significant -= 1
    if significant > _DIGITS:
        return None
    number = float(value)
    if Decimal(repr(number)) != value:
        return None
    return number if number else 0.0  # never a negative zero


def places_of(value: Decimal) -> int:
    """The decimal places `value` carries (``1.0``: 1, ``45``: 0, ``1E+2``: 0)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def number_format(places: int) -> str:
    """The number format of a plain number with `places` decimals: ``0``, ``0.00``."""
    return "0." + "0" * places if places else "0"


def money_format(places: int, currency: str) -> str:
    """The number format of an amount: ``#,##0.00 "CNY"``.

    The currency is shown by its ISO 4217 code, as the scheme, the JSON and the table name
    it, rather than by a symbol: ``¥`` is the yuan's and the yen's, and a locale-bound
    format such as ``[$¥-804]#,##0.00`` is shown differently by Excel, WPS and LibreOffice
    depending on the system's locale; a quoted code reads the same in every program and
    language and works for every currency a scheme can name. The cell stays a number, so
    amounts sum, sort and filter.
    """
    return f'#,##0{"." + "0" * places if places else ""} "{currency}"'


def text_width(text: str) -> int:
    """Display width of a cell's longest line: wide (CJK) characters count double."""
    lines = text.split("\n") if text else [""]
    return max(
        sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in lines
    )


def fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 code units (Excel's measure), with ``…``."""
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    while len((text + "…").encode("utf-16-le")) // 2 > limit:
        text = text[:-1]
    return text + "…"


MAX_CELL_TEXT = 32_767
"""The most UTF-16 code units a workbook cell holds (Excel's limit)."""


class WorkbookError(PartyscoreError):
    """A result that a workbook cannot hold as it is (a text past `MAX_CELL_TEXT`)."""


class Sheet:
    """One worksheet being written: cells by kind, formats shared, widths measured."""

    def __init__(self, book: Any, name: str, formats: dict[str, Any]) -> None:
        self.book = book
        self.sheet = book.add_worksheet(name)
        self.formats = formats
        self.widths: dict[int, int] = {}

    def format(self, spec: str) -> Any:
        """A cell format by key: ``header``, ``wrap``, ``text-number``, or a number format."""
        found = self.formats.get(spec)
        if found is None:
            if spec == "header":
                found = self.book.add_format({"bold": True, "bottom": 1, "valign": "top"})
            elif spec == "wrap":
                found = self.book.add_format({"text_wrap": True, "valign": "top"})
            elif spec == "text-number":
                found = self.book.add_format({"align": "right"})
            else:
                found = self.book.add_format({"num_format": spec})
            self.formats[spec] = found
        return found

    def _measure(self, col: int, shown: str) -> None:
        self.widths[col] = max(self.widths.get(col, 0), text_width(shown))

    def header(self, row: int, names: Iterable[str]) -> None:
        style = self.format("header")
        for col, name in enumerate(names):
            self.sheet.write_string(row, col, name, style)
            self._measure(col, name)

    def text(self, row: int, col: int, value: str) -> None:
        """A text cell, never a formula (``=1+1`` stays text); wrapped when it has several
        lines or is wider than a column gets."""
        if not value:
            return
        length = len(value.encode("utf-16-le")) // 2
        if length > MAX_CELL_TEXT:
            where = f"{self.sheet.get_name()}!{column_letter(col)}{row + 1}"
            message = _(
                "{cell}: a text of {length} characters is longer than a workbook cell holds "
                "({limit}); nothing was cut: write CSV or JSON instead"
            ).format(cell=where, length=length, limit=MAX_CELL_TEXT)
            raise WorkbookError([Diagnostic("<workbook>", 0, 0, "xlsx-cell-too-long", message)])
        wide = "\n" in value or text_width(value) > MAX_WIDTH  # wraps within the column
        style = self.format("wrap") if wide else None
        self.sheet.write_string(row, col, value, style)
        self._measure(col, value)

    def number(self, row: int, col: int, value: Decimal, places: int | None = None) -> None:
        """A number with `places` decimals shown (default: the places it carries; never
        fewer); as text with every digit when a double cannot hold it exactly."""
        shown = max(places or 0, places_of(value))
        self._number(row, col, value, number_format(shown), decimal_text(value))

    def money(self, row: int, col: int, value: Decimal, places: int, currency: str) -> None:
        shown = max(places, places_of(value))
        text = f"{value:,.{shown}f} {currency}"
        self._number(row, col, value, money_format(shown, currency), text)

    def _number(self, row: int, col: int, value: Decimal, spec: str, shown: str) -> None:
        number = exact_float(value)
        if number is None:
            self.sheet.write_string(row, col, decimal_text(value), self.format("text-number"))
            self._measure(col, decimal_text(value))
            return
        self.sheet.write_number(row, col, number, self.format(spec))
        self._measure(col, shown)

    def integer(self, row: int, col: int, value: int) -> None:
        self.sheet.write_number(row, col, value, self.format("0"))
        self._measure(col, str(value))

    def boolean(self, row: int, col: int, value: bool) -> None:
        self.sheet.write_boolean(row, col, value)
        self._measure(col, "FALSE")

    def finish(self, header_row: int, columns: int, last_row: int, autofilter: bool = True) -> None:
        """Frozen header (and first column), an autofilter over the data, column widths."""
        self.sheet.freeze_panes(header_row + 1, 1)
        if autofilter and columns:
            self.sheet.autofilter(header_row, 0, max(last_row, header_row), columns - 1)
        for col in range(columns):
            # room for the filter button beside the header text
            width = min(max(self.widths.get(col, 0) + 3, 8), MAX_WIDTH)
            self.sheet.set_column(col, col, width)


def _places(plan: Plan | None) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    """Decimal places of each rounded score, and (places, currency) of each money reward."""
    scores: dict[str, int] = {}
    money: dict[str, tuple[int, str]] = {}
    if plan is None:
        return scores, money
    for rule in (*plan.rules, *plan.year_end):
        if isinstance(rule, ScoreRule) and rule.rounding is not None:
            scores[rule.id] = rule.rounding.places
        elif isinstance(rule, MoneyRule | RankPrizeRule):
            money[rule.id] = (rule.rounding.places, rule.currency)
    return scores, money


def write_xlsx(
    evaluation: Evaluation, out: BinaryIO, *, record: DecisionRecord | None = None
) -> None:
    """Write the evaluation to `out` as an ``.xlsx`` workbook (needs the ``excel`` extra).

    Sheet 1 (``results``; translated in Chinese) has the columns, headers and row order of
    `to_csv` in the language in use (`partyscore.language`). Scores, section sums and band
    fields are numbers, shown with the decimal places of their rule's rounding (``0.00``)
    or, where there is none, the places the value carries (``0``, ``0.0``); ranks are
    integers; money amounts are numbers in the format ``#,##0.00 "CNY"``; everything else
    is text, written as text (a cell starting with ``=`` is never a formula). A number a
    spreadsheet cannot hold exactly, one with more than 15 significant digits, is written as
    text with all its digits, right-aligned. The header row (and the subject column) is
    frozen, the header bold, with an autofilter, and columns as wide as their contents
    (CJK characters counting double).

    Sheet 2 (``explanations``) has one row per result and explained name: subject, period,
    kind, the name (a rule or score id in English, its label in Chinese) and the
    explanation: each line of `Result.explain`, then each reward, withheld reward and action
    with its `because`, then each of the result's warnings.

    With `record`, sheet 3 (``decision record``) holds the decision record: one row per
    field (partyscore version, scheme and its SHA-256, each input file and its SHA-256, the
    history and overrides files read, the options given).

    The workbook's dates are fixed: the same evaluation gives the same bytes.

    Raises:
        ImportError: when xlsxwriter (the ``excel`` extra) is not installed.
    """
    plan = evaluation.plan
    words = Words(plan)
    columns = result_columns(evaluation)
    score_places, money_places = _places(plan)
    book = new_workbook(out, words.title(evaluation.scheme))
    formats: dict[str, Any] = {}
    results = listing(evaluation.results)
    kinds = kind_words(words)

    sheet = Sheet(book, fit(_("results"), 31), formats)
    header = header_names(columns, words)
    overrides = has_overrides(results)
    if overrides:
        header.append(words.column("overrides"))
    sheet.header(0, header)
    for index, r in enumerate(results, start=1):
        _result_row(sheet, index, r, columns, words, kinds, score_places, money_places)
        if overrides:
            texts = "\n".join(override_text(a, words) for a in r.overrides or ())
            sheet.text(index, len(header) - 1, texts)
    sheet.finish(0, len(header), len(results))

    _explanations(Sheet(book, fit(_("explanations"), 31), formats), results, words, kinds)
    if record is not None:
        _record(Sheet(book, fit(_("decision record"), 31), formats), record)
    book.close()


def _record(sheet: Sheet, record: DecisionRecord) -> None:
    header = [pgettext("column", "field"), pgettext("column", "value")]
    sheet.header(0, header)
    rows = record.rows()
    for row, (name, value) in enumerate(rows, start=1):
        sheet.text(row, 0, name)
        sheet.text(row, 1, value)
    sheet.finish(0, len(header), len(rows), autofilter=False)


def _result_row(
    sheet: Sheet,
    row: int,
    r: Result,
    columns: Columns,
    words: Words,
    kinds: dict[str, str],
    score_places: dict[str, int],
    money_places: dict[str, tuple[int, str]],
) -> None:
    """One result's row of the results sheet, cell by cell as `to_csv` writes it."""
    scores, bands, values, ranks, money = columns
    amounts = {o.id: o.amount for o in r.rewards if o.amount is not None}
    currencies = {o.id: o.currency for o in r.rewards}
    texts = (r.subject, r.period, kinds[r.kind], r.group or "")
    col = 0
    for value in texts:
        sheet.text(row, col, value)
        col += 1
    for key in scores:
        if key in r.scores:
            sheet.number(row, col, r.scores[key], score_places.get(key))
        col += 1
    for key in bands:
        if key in r.bands:
            sheet.text(row, col, words.band(key, r.bands[key]))
        col += 1
    for key in values:
        if key in r.values:
            sheet.number(row, col, r.values[key])
        col += 1
    for key in ranks:
        if key in r.ranks:
            sheet.integer(row, col, r.ranks[key])
        col += 1
    for outcomes in (r.rewards, r.withheld):
        sheet.text(row, col, ";".join(words.outcome(o) for o in outcomes))
        col += 1
    for key in money:
        amount = amounts.get(key)
        if amount is not None:
            places, currency = money_places.get(key, (0, ""))
            sheet.money(row, col, amount, places, currencies.get(key) or currency)
        col += 1
    sheet.text(row, col, ";".join(words.outcome(o) for o in r.actions))
    sheet.text(row, col + 1, "\n".join(r.warnings))


def _explanations(sheet: Sheet, results: list[Result], words: Words, kinds: dict[str, str]) -> None:
    header = [
        words.column("subject"),
        words.column("period"),
        words.column("kind"),
        pgettext("column", "name"),
        pgettext("column", "explanation"),
    ]
    sheet.header(0, header)
    row = 0
    withheld = _("{reward} (withheld)")

    def line(r: Result, name: str, text: str) -> None:
        nonlocal row
        row += 1
        for col, value in enumerate((r.subject, r.period, kinds[r.kind], name, text)):
            sheet.text(row, col, value)

    for r in results:
        for key, text in r.explain.items():
            line(r, words.column(key), text)
        for o in r.rewards:
            line(r, words.outcome(o), o.because)
        for o in r.withheld:
            line(r, withheld.format(reward=words.outcome(o)), o.because)
        for o in r.actions:
            line(r, words.outcome(o), o.because)
        for warning in r.warnings:
            line(r, words.column("warnings"), warning)
        for applied in r.overrides or ():
            line(r, words.column("overrides"), override_text(applied, words))
    sheet.finish(0, len(header), row)
