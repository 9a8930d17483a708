"""Spreadsheets and encodings in: workbooks made here with xlsxwriter, text files in the
encodings Chinese office software writes. Expected values are the shipped examples' own
(hand-computed in the golden tests): 開拓隊 totals 55.00 in 2024-Q1 (30 + 25 + 0);
古樓坪村 is last and at 85 or under in 2024-Q1 (78) and Q2 (81)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

import partyscore
from partyscore import RecordError
from partyscore.cli import main

xlsxwriter = pytest.importorskip("xlsxwriter")

ROOT = Path(__file__).resolve().parent.parent
LADDER = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
YONGXI = partyscore.load_scheme(ROOT / "schemes" / "yongxi-red-flag.yaml")
LADDER_CSV = ROOT / "examples" / "chengzhuang-ladder.csv"
YONGXI_CSV = ROOT / "examples" / "yongxi-red-flag.csv"


def rows_of(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def cell(text: str) -> object:
    """A CSV cell as a spreadsheet holds it: numbers as numbers, flags as booleans."""
    if text in ("true", "false"):
        return text == "true"
    try:
        number = Decimal(text)
    except ArithmeticError:
        return text
    return int(number) if number == number.to_integral_value() else float(text)


def workbook(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


def outcomes(evaluation: partyscore.Evaluation) -> list[tuple[object, ...]]:
    return [
        (r.subject, r.period, dict(r.scores), dict(r.bands), r.action_ids(),
         [(o.id, o.amount) for o in r.rewards])
        for r in evaluation.results
    ]  # fmt: skip


def test_the_ladder_example_from_xlsx(tmp_path: Path) -> None:
    rows = rows_of(LADDER_CSV)
    book = workbook(
        tmp_path / "ladder.xlsx", {"2024": [rows[0], *([cell(c) for c in r] for r in rows[1:])]}
    )
    from_xlsx = partyscore.evaluate(LADDER, partyscore.read_records(book, LADDER))
    from_csv = partyscore.evaluate(LADDER, partyscore.read_records(LADDER_CSV, LADDER))
    assert outcomes(from_xlsx) == outcomes(from_csv)
    result = from_xlsx.get("開拓隊", "2024-Q1")
    assert result.scores["total"] == Decimal("55.00")
    assert result.source == f"{book}[2024]:6"  # the sheet's own row number


def test_an_office_sheet_with_a_title_chinese_headers_and_a_total(tmp_path: Path) -> None:
    rows = rows_of(YONGXI_CSV)
    labels = {
        "party_building": "黨組織建設", "poverty_relief": "扶貧工作", "family_planning": "計生工作",
        "stability": "綜治維穩", "work_safety": "安全生產工作", "civil_affairs": "民政民生",
        "sanitation": "整髒治亂", "finance_tax": "財政税收", "central_tasks": "鄉黨委中心工作",
    }  # fmt: skip
    header = ["序号", *(labels.get(h, h) for h in rows[0]), "合计", None]
    body = []
    for number, row in enumerate(rows[1:], start=1):
        values = [cell(c) for c in row]
        total = sum(Decimal(c) for c in row[2:])
        body.append([number, *values, float(total), None])
    book = workbook(
        tmp_path / "湧溪.xlsx",
        {"說明": [["見下頁"]], "考核": [["湧溪鄉村支部考核表", None], header, *body]},
    )
    with pytest.raises(RecordError) as caught:
        partyscore.read_records(book, YONGXI, sheet="考核")
    codes = sorted({d.code for d in caught.value.diagnostics})
    # the title row read as the header: no subject column, an unknown one, values unheaded
    assert codes == ["missing-column", "unheaded-value", "unknown-column"]
    records = partyscore.read_records(
        book, YONGXI, sheet=2, skip_rows=1, ignore_columns=["序号", "合计"]
    )
    assert len(records) == len(rows) - 1
    evaluation = partyscore.evaluate(YONGXI, records)
    assert evaluation.get("古樓坪村", "2024-Q1").action_ids() == ["statement"]
    assert evaluation.get("古樓坪村", "2024-Q2").action_ids() == ["year_end_ineligible"]
    assert evaluation.get("古樓坪村", "2024-Q1").scores["total"] == Decimal("78.00")


def test_an_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    book = workbook(tmp_path / "b.xlsx", {"一季度": [["subject"]], "二季度": [["subject"]]})
    with pytest.raises(RecordError) as caught:
        partyscore.read_records(book, YONGXI, sheet="三季度")
    (problem,) = caught.value.diagnostics
    assert problem.code == "unknown-sheet"
    assert problem.message.endswith("(sheets: 一季度, 二季度)")
    with pytest.raises(RecordError) as caught:
        partyscore.read_records(book, YONGXI, sheet=3)
    assert caught.value.diagnostics[0].message == (
        "there is no sheet 3: the workbook has 2 (一季度, 二季度)"
    )


def test_the_kind_comes_from_the_content(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = rows_of(LADDER_CSV)
    # a workbook named .CSV is read as a workbook; a CSV named .CSV (Windows) as CSV
    disguised = workbook(
        tmp_path / "book.CSV", {"S": [rows[0], *([cell(c) for c in r] for r in rows[1:])]}
    )
    upper = tmp_path / "LADDER.CSV"
    upper.write_bytes(LADDER_CSV.read_bytes())
    for path in (disguised, upper):
        assert len(partyscore.read_records(path, LADDER)) == 48
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(LADDER_CSV.read_bytes())
    with pytest.raises(RecordError) as caught:
        partyscore.read_records(fake, LADDER)
    assert caught.value.diagnostics[0].message == (
        "the file is named .xlsx but is not a workbook (its first bytes are text): if it is "
        "CSV, name it .csv"
    )
    status = main(["evaluate", str(ROOT / "schemes" / "yongxi-red-flag.yaml"), str(disguised),
                   "--sheet", "nope"])  # fmt: skip
    assert status == 1
    assert "there is no sheet 'nope'" in capsys.readouterr().err


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["big5", "gb18030", "utf-16", "utf-8-sig", "utf-8"])
def test_the_yongxi_example_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    # the example's village names are in Traditional Chinese, which Big5 and GB18030 hold
    text = YONGXI_CSV.read_text(encoding="utf-8")
    path = tmp_path / "villages.csv"
    path.write_bytes(text.encode(encoding))
    records = partyscore.read_records(path, YONGXI)
    assert [r.subject for r in records] == [row[0] for row in rows_of(YONGXI_CSV)[1:]]
    assert len(records) == 120


def test_simplified_names_in_gbk(tmp_path: Path) -> None:
    text = YONGXI_CSV.read_text(encoding="utf-8").replace("古樓坪村", "古楼坪村")
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gbk"))
    records = partyscore.read_records(path, YONGXI)
    assert records[0].subject == "古楼坪村"


def test_an_encoding_that_cannot_be_told_is_refused(tmp_path: Path) -> None:
    # bytes that decode as GB18030 and as Big5, into rare characters either way
    path = tmp_path / "odd.csv"
    # F0F0 E8E8: GB2312 level 2 (痧梃) and Big5's less frequent characters (貙鳷)
    path.write_bytes(b"subject,period\n" + bytes([0xF0, 0xF0, 0xE8, 0xE8]) * 10 + b",2024-Q1\n")
    with pytest.raises(RecordError) as caught:
        partyscore.read_records(path, YONGXI)
    (problem,) = caught.value.diagnostics
    assert problem.code == "encoding"
    assert problem.message == (
        "cannot tell the file's encoding: it is not UTF-8, and neither GB18030 nor Big5 reads "
        "it as mostly common Chinese characters (GB18030 50%, BIG5 0%); tried UTF-8, UTF-16, "
        "GB18030 and Big5: save it as UTF-8, or pass --encoding (e.g. gb18030, big5)"
    )


def test_cells_read_as_the_spreadsheet_shows_them(tmp_path: Path) -> None:
    # 0.1 + 0.2 is stored as 0.30000000000000004 and shown as 0.3 (15 significant digits)
    book = workbook(
        tmp_path / "cells.xlsx",
        {"S": [["subject", "period", "a"], ["x", 2024, 0.1 + 0.2], ["y", "2024", 19.0]]},
    )
    from partyscore._tables import sheet_rows

    label, rows = sheet_rows(book, None)
    assert label == f"{book}[S]"
    assert list(rows) == [
        (1, ["subject", "period", "a"]),
        (2, ["x", "2024", "0.3"]),
        (3, ["y", "2024", "19"]),
    ]


# --------------------------------------------------------------------------- cells named


@pytest.mark.parametrize(
    ("number", "letters"),
    [(1, "A"), (2, "B"), (26, "Z"), (27, "AA"), (52, "AZ"), (53, "BA"), (702, "ZZ"),
     (703, "AAA"), (16384, "XFD")],  # XFD: the last column Excel has
)  # fmt: skip
def test_column_letter(number: int, letters: str) -> None:
    from partyscore._tables import column_letter

    assert column_letter(number - 1) == letters  # it takes the 0-based index


def test_column_letter_refuses_a_negative_index() -> None:
    from partyscore._tables import column_letter

    with pytest.raises(ValueError, match="a column index is 0 or more, got -1"):
        column_letter(-1)


def ladder_book(path: Path, changes: dict[tuple[int, str], object]) -> Path:
    """The ladder example as a workbook, with some cells changed: (row, column) -> value,
    the row as the sheet numbers it (the header is row 1), the column by its header."""
    rows = rows_of(LADDER_CSV)
    header = rows[0]
    body = [[cell(c) for c in r] for r in rows[1:]]
    for (row, column), value in changes.items():
        body[row - 2][header.index(column)] = value
    return workbook(path, {"2024": [header, *body]})


def problems_of(book: Path | bytes, **kwargs: object) -> list[str]:
    records = partyscore.read_records(book, LADDER, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(RecordError) as caught:
        partyscore.evaluate(LADDER, records)
    return caught.value.render().splitlines()


def test_a_value_problem_names_the_cell(tmp_path: Path) -> None:
    # columns: A subject, B period, C line, D major_error, E inaction, F key_01 .. O key_10,
    # P basic_01 .. AA basic_12, AB..AF innovation, AG autonomous_01 .. AQ autonomous_11
    rows = rows_of(LADDER_CSV)
    assert (rows[0][5], rows[0][42], len(rows[0])) == ("key_01", "autonomous_11", 43)
    book = ladder_book(
        tmp_path / "book.xlsx",
        {(2, "key_01"): 6, (3, "basic_12"): None, (4, "autonomous_11"): "maybe",
         (5, "period"): "2024-Q5", (6, "line"): "underground"},
    )  # fmt: skip
    subject = {n: rows[n - 1][0] for n in (2, 3, 4, 5, 6)}
    assert problems_of(book) == [
        f"{book}[2024]:2: key_01: cell F2: subject {subject[2]!r}: key_01 = 6 is outside "
        "0..5 [out-of-range]",
        f"{book}[2024]:3: basic_12: cell AA3: subject {subject[3]!r}: no value for the item "
        "'basic_12' [missing-value]",
        f"{book}[2024]:4: autonomous_11: cell AQ4: subject {subject[4]!r}: autonomous_11: "
        "expected true or false (or 1/0, yes/no, 是/否), got 'maybe' [bad-value]",
        f"{book}[2024]:5: period: cell B5: subject {subject[5]!r}: '2024-Q5' is not a "
        "quarter label; the index must be 1 to 4 [bad-period]",
        f"{book}[2024]:6: line: cell C6: subject {subject[6]!r}: line: 'underground' is not "
        "one of front, second, surface [bad-value]",
    ]


def test_cells_are_named_after_a_title_row_and_with_columns_moved(tmp_path: Path) -> None:
    rows = rows_of(YONGXI_CSV)
    header = ["序号", *rows[0]]  # every column one to the right: subject in B
    body = [[n, *(cell(c) for c in r)] for n, r in enumerate(rows[1:], start=1)]
    column = rows[0].index("party_building") + 1  # 0-based, after 序号
    body[0][column] = 99
    book = workbook(tmp_path / "y.xlsx", {"考核": [["湧溪鄉村支部考核表"], header, *body]})
    records = partyscore.read_records(book, YONGXI, skip_rows=1, ignore_columns=["序号"])
    with pytest.raises(RecordError) as caught:
        partyscore.evaluate(YONGXI, records)
    (problem,) = caught.value.diagnostics
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[column]
    # the title is row 1, the header row 2: the first record is row 3
    assert problem.render().startswith(
        f"{book}[考核]:3: party_building: cell {letter}3: subject {rows[1][0]!r}: "
        "party_building = 99 is outside"
    )
    assert (problem.line, problem.path, problem.subject) == (3, "party_building", rows[1][0])


def test_a_duplicate_record_names_the_subject_cell(tmp_path: Path) -> None:
    rows = rows_of(LADDER_CSV)
    header, first = rows[0], [cell(c) for c in rows[1]]
    book = workbook(tmp_path / "dup.xlsx", {"S": [header, first, first]})
    assert problems_of(book) == [
        f"{book}[S]:3: subject: cell A3: subject {rows[1][0]!r} already has a record for "
        f"2024-Q1 ({book}[S]:2) [duplicate-record]"
    ]


def test_csv_problems_keep_their_form(tmp_path: Path) -> None:
    text = LADDER_CSV.read_text(encoding="utf-8").splitlines()
    cells = text[1].split(",")
    cells[5] = "6"  # key_01
    path = tmp_path / "ladder.csv"
    path.write_text("\n".join([text[0], ",".join(cells)]) + "\n", encoding="utf-8")
    assert problems_of(path) == [
        f"{path}:2: key_01: subject {cells[0]!r}: key_01 = 6 is outside 0..5 [out-of-range]"
    ]


def test_a_workbook_from_bytes_or_a_stream(tmp_path: Path) -> None:
    rows = rows_of(LADDER_CSV)
    book = workbook(
        tmp_path / "ladder.xlsx", {"2024": [rows[0], *([cell(c) for c in r] for r in rows[1:])]}
    )
    content = book.read_bytes()
    from_csv = partyscore.evaluate(LADDER, partyscore.read_records(LADDER_CSV, LADDER))
    for source, label in [
        (content, "<bytes>"),  # a workbook is known by its content: no name needed
        (content, "upload.xlsx"),
    ]:
        name = None if label == "<bytes>" else label
        evaluation = partyscore.evaluate(LADDER, partyscore.read_records(source, LADDER, name=name))
        assert outcomes(evaluation) == outcomes(from_csv)
        # 開拓隊: 30 + 25 + 0 = 55.00 in 2024-Q1, row 6 of the sheet
        result = evaluation.get("開拓隊", "2024-Q1")
        assert (result.scores["total"], result.source) == (Decimal("55.00"), f"{label}[2024]:6")
    with open(book, "rb") as handle:
        records = partyscore.read_records(handle, LADDER)
    assert records[4].file == f"{book}[2024]"
    spoiled = ladder_book(tmp_path / "spoiled.xlsx", {(2, "key_01"): 6})
    assert problems_of(spoiled.read_bytes())[0].startswith(
        "<bytes>[2024]:2: key_01: cell F2: subject"
    )


def test_a_workbook_given_as_text_is_refused() -> None:
    import io

    with pytest.raises(RecordError) as caught:
        partyscore.read_records(io.StringIO("subject,period\n"), LADDER, name="book.xlsx")
    assert caught.value.render() == (
        "book.xlsx: the file is named .xlsx but is not a workbook (it is given as text): give "
        "a workbook as bytes or a binary file (open(path, 'rb')) [input-format]"
    )


def test_a_long_cell_is_named(tmp_path: Path) -> None:
    rows = rows_of(LADDER_CSV)
    long = "x" * 10_001
    book = ladder_book(tmp_path / "long.xlsx", {(2, "inaction"): long})
    with pytest.raises(RecordError) as caught:
        partyscore.read_records(book, LADDER)
    assert caught.value.render() == (
        f"{book}[2024]:2: inaction: cell E2 is longer than 10000 characters [field-too-long]"
    )
    assert rows[0][4] == "inaction"


def test_cells_are_named_when_out_of_order_records_are_sorted_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Quarters given last first: the command sorts the records into temporary files by
    # period before evaluating; a problem found then still names its cell.
    from partyscore.cli import main

    rows = rows_of(LADDER_CSV)
    header, body = rows[0], rows[1:]
    backwards = sorted(body, key=lambda r: r[1], reverse=True)  # 2024-Q4 first
    assert backwards[0][1] == "2024-Q4"
    assert backwards[-1][1] == "2024-Q1"
    backwards[-1][header.index("key_01")] = "6"  # the last row: sheet row 1 + 48 = 49
    book = workbook(tmp_path / "backwards.xlsx", {"2024": [header, *(map(cell_row, backwards))]})
    status = main(["evaluate", str(ROOT / "schemes" / "chengzhuang-ladder.yaml"), str(book)])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"{book}[2024]:49: key_01: cell F49: subject {backwards[-1][0]!r}: key_01 = 6 is "
        "outside 0..5 [out-of-range]"
    )


def cell_row(row: list[str]) -> list[object]:
    return [cell(c) for c in row]


def test_a_sheet_named_by_digits_is_chosen_by_name(tmp_path: Path) -> None:
    rows = rows_of(LADDER_CSV)
    q1: list[list[object]] = [
        [*rows[0]], *([cell(c) for c in r] for r in rows[1:] if r[1] == "2024-Q1")
    ]
    q2: list[list[object]] = [
        [*rows[0]], *([cell(c) for c in r] for r in rows[1:] if r[1] == "2024-Q2")
    ]
    book = workbook(tmp_path / "years.xlsx", {"2024": q2, "1": q1})
    by_name = partyscore.read_records(book, LADDER, sheet="2024")
    assert {r.period for r in by_name} == {"2024-Q2"}
    # "1" names a sheet here, so it is that sheet, not the first one
    assert {r.period for r in partyscore.read_records(book, LADDER, sheet="1")} == {"2024-Q1"}
    # "2" names none: the second sheet
    assert {r.period for r in partyscore.read_records(book, LADDER, sheet="2")} == {"2024-Q1"}


@pytest.mark.parametrize("name", ["考核/2024", "x'", "'x", "a" * 32, "[1]", "a:b"])
def test_a_sheet_name_no_workbook_can_hold_is_refused(name: str) -> None:
    text = (ROOT / "schemes" / "chengzhuang-ladder.yaml").read_text(encoding="utf-8")
    quoted = name.replace("'", "''")
    with pytest.raises(partyscore.SchemeError) as caught:
        partyscore.load_scheme_text(text + f"input:\n  sheet: '{quoted}'\n")
    assert [d.code for d in caught.value.diagnostics] == ["sheet-name"]
    assert caught.value.diagnostics[0].path == "input.sheet"
