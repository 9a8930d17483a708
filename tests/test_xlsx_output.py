"""Results as a workbook (`evaluate --format xlsx`): numbers as numbers with the scheme's
decimal places, money with its currency, the CSV's columns and order, explanations on a
second sheet. Expected values are worked out by hand from the scheme files and the example
CSV rows (the arithmetic is in the comments), or, for ranks and order, by the plain sums
of `_totals` below, which read the example CSV without partyscore."""

from __future__ import annotations

import csv
import io
import math
import sys
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore
from partyscore._i18n import _, language
from partyscore._xlsx import exact_float, money_format, text_width, write_xlsx
from partyscore.cli import main

from .scheme_text import head

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("xlsxwriter")
python_calamine = pytest.importorskip("python_calamine")

ROOT = Path(__file__).resolve().parent.parent
LADDER = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
YONGXI = partyscore.load_scheme(ROOT / "schemes" / "yongxi-red-flag.yaml")
LADDER_CSV = ROOT / "examples" / "chengzhuang-ladder.csv"
YONGXI_CSV = ROOT / "examples" / "yongxi-red-flag.csv"

LADDER_HEADER = [
    # fixed columns, then chengzhuang-ladder.yaml's scored sections (key, basic, innovation;
    # autonomous is unscored), scores, the banding, its field, the ranking, the money reward
    *("subject", "period", "kind", "group", "key", "basic", "innovation", "total"),
    *("coefficient", "step", "step_coefficient", "mine_rank", "rewards", "withheld"),
    *("ladder_pay_amount", "actions", "warnings"),
]


def _evaluate(scheme: partyscore.CompiledScheme, path: Path) -> partyscore.Evaluation:
    return partyscore.evaluate(scheme, partyscore.read_records(path, scheme))


LADDER_RESULTS = _evaluate(LADDER, LADDER_CSV)
YONGXI_RESULTS = _evaluate(YONGXI, YONGXI_CSV)


def _book(evaluation: partyscore.Evaluation, lang: str = "en") -> Any:
    out = io.BytesIO()
    with language(lang):
        write_xlsx(evaluation, out)
    out.seek(0)
    return openpyxl.load_workbook(out)


def _rows(sheet: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _row(sheet: Any, subject: str, period: str) -> dict[str, Any]:
    """The cells of a result's row, by header, for a period result."""
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == subject and row[1].value == period and row[2].value == "period":
            return dict(zip(header, row, strict=True))
    raise AssertionError(f"no row for {subject} {period}")


def _totals(path: Path, prefixes: tuple[str, ...] = ("",)) -> dict[tuple[str, str], Decimal]:
    """Each row's total as the plain sum of its item columns (those whose header starts with
    one of `prefixes`; by default every column but subject and period), read with the csv
    module: the oracle for ranks and order. (The example rows never exceed a section's cap.)"""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        (row["subject"], row["period"]): sum(
            (
                Decimal(value)
                for key, value in row.items()
                if key not in ("subject", "period") and key.startswith(prefixes)
            ),
            Decimal(0),
        )
        for row in rows
    }


def _competition_rank(totals: dict[str, Decimal], subject: str) -> int:
    """1 + how many have a higher total (equal totals share the better rank)."""
    return 1 + sum(1 for t in totals.values() if t > totals[subject])


LADDER_TOTALS = _totals(LADDER_CSV, ("key_", "basic_", "innovation_"))  # not autonomous_
YONGXI_TOTALS = _totals(YONGXI_CSV)  # every column is an item of the one section


def _period_totals(totals: dict[tuple[str, str], Decimal], period: str) -> dict[str, Decimal]:
    return {s: t for (s, p), t in totals.items() if p == period}


# --------------------------------------------------------------------------- results sheet


def test_the_results_sheet_has_the_csv_columns_and_numbers_as_numbers() -> None:
    book = _book(LADDER_RESULTS)
    assert book.sheetnames == ["results", "explanations"]
    sheet = book["results"]
    assert [c.value for c in sheet[1]] == LADDER_HEADER
    row = _row(sheet, "綜採二隊", "2024-Q1")
    # examples/chengzhuang-ladder.csv, 綜採二隊 2024-Q1:
    # key   = 5 + 4.5 + 4 + 4.5 + 4.5 + 3 + 3.5 + 4 + 4 + 4 = 41 (cap 45)
    # basic = 3 + 4 + 3.5 + 3 + 3.5 + 4.5 + 3 + 2.5 + 3 + 3 + 3 + 4 = 40 (cap 55)
    # innovation = 0.5 + 0.5 + 0 + 0 + 1 = 2; total = 83, rounded to 2 places: 83.00
    # step: 80 <= 83 < 90 is step2 (step_coefficient 0.9); coefficient: total >= 70 and
    # key >= 40, so the step's 0.9, to 2 places 0.90; ladder_pay: front line withholds
    # 3000, 3000 x 0.90 = 2700.00 CNY.
    expected = {
        "key": (41, "0"),
        "basic": (40, "0"),
        "innovation": (2, "0"),
        "total": (83, "0.00"),
        "coefficient": (0.9, "0.00"),
        "step_coefficient": (0.9, "0.0"),
        "ladder_pay_amount": (2700, '#,##0.00 "CNY"'),
    }
    for key, (value, number_format) in expected.items():
        cell = row[key]
        assert (key, cell.data_type, cell.value, cell.number_format) == (
            key, "n", value, number_format,
        )  # fmt: skip
    assert row["step"].value == "step2"
    assert row["rewards"].value == "ladder_pay"
    assert row["withheld"].value is None
    assert row["actions"].value is None
    # rank: 1 + the number of 2024-Q1 branches whose plain sum is above 83
    q1 = _period_totals(LADDER_TOTALS, "2024-Q1")
    assert q1["綜採二隊"] == 83
    assert _competition_rank(q1, "綜採二隊") == 8
    assert (row["mine_rank"].value, row["mine_rank"].number_format) == (8, "0")
    assert isinstance(row["mine_rank"].value, int)


def test_actions_and_warnings_are_text_cells() -> None:
    sheet = _book(LADDER_RESULTS)["results"]
    row = _row(sheet, "開拓隊", "2024-Q1")
    # 開拓隊 2024-Q1: key = 3.5 + 3.5 + 3 + 4 + 2.5 + 3 + 2.5 + 2 + 3 + 3 = 30,
    # basic = 2.5 + 2 + 2 + 1.5 + 2 + 2.5 + 2.5 + 1 + 3 + 1 + 2 + 3 = 25, innovation = 0:
    # total 55.00, under 70: no_step and the reflection coefficient 0.70, ladder pay
    # 3000 x 0.70 = 2100.00. Actions in rule order: self_reflection (55 < 70; face_link
    # decides it again, being last), mine_notice (last of the mine), admonition_talk
    # (low_score's first step: under 60 once).
    assert row["total"].value == 55
    assert row["step"].value == "no_step"
    assert row["coefficient"].value == 0.7
    assert row["ladder_pay_amount"].value == 2100
    assert _competition_rank(_period_totals(LADDER_TOTALS, "2024-Q1"), "開拓隊") == 12
    assert row["mine_rank"].value == 12
    assert row["actions"].value == "self_reflection;mine_notice;admonition_talk"
    warning = row["warnings"].value
    assert warning.startswith("low_score: counted 1 in a row from 2024-Q1 on")
    assert row["warnings"].alignment.wrap_text is True
    assert row["subject"].data_type == "s"


def test_rows_are_in_listing_order_period_then_rank() -> None:
    sheet = _book(LADDER_RESULTS)["results"]
    rows = _rows(sheet)[1:]
    assert len(rows) == 48  # 12 branches x 4 quarters, no year-end rules
    assert [r[1] for r in rows] == [
        p for p in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4") for _ in range(12)
    ]
    for period in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"):
        totals = _period_totals(LADDER_TOTALS, period)
        # highest total first; equal totals share a rank and keep the evaluation's order
        # (by subject)
        expected = sorted(totals, key=lambda s: (-totals[s], s))
        assert [r[0] for r in rows if r[1] == period] == expected
    assert rows[0][0] == "生產技術科"  # 45 + 53 + 8 = 106, the highest of 2024-Q1


def test_the_header_is_frozen_bold_and_filtered() -> None:
    sheet = _book(LADDER_RESULTS)["results"]
    assert sheet.freeze_panes == "B2"  # the header row and the subject column
    assert sheet.auto_filter.ref == "A1:Q49"  # 17 columns, header + 48 results
    assert all(c.font.b for c in sheet[1])
    assert not sheet["A2"].font.b


def test_column_widths_count_chinese_characters_double() -> None:
    sheet = _book(LADDER_RESULTS)["results"]
    # column A: the widest subject, 後勤服務中心, is 6 characters shown 12 wide; + 3 for the
    # filter button: 15 (xlsxwriter stores it with its pixel padding, under 16)
    assert 15 <= sheet.column_dimensions["A"].width < 16
    assert text_width("後勤服務中心") == 12
    assert text_width("ab\n中文字") == 6  # the longest line


SHIPPED = sorted(
    p.stem for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml")
)


@pytest.mark.parametrize("name", SHIPPED)
def test_the_workbook_matches_the_csv_cell_by_cell(name: str) -> None:
    scheme = partyscore.load_scheme(ROOT / "schemes" / f"{name}.yaml")
    evaluation = _evaluate(scheme, ROOT / "examples" / f"{name}.csv")
    assert evaluation.results
    for lang in ("en", "zh-Hant"):
        with language(lang):
            lines = list(csv.reader(io.StringIO(partyscore.to_csv(evaluation))))
        rows = _rows(_book(evaluation, lang).worksheets[0])
        assert len(rows) == len(lines)
        for line, row in zip(lines, rows, strict=True):
            assert len(row) == len(line)
            for text, value in zip(line, row, strict=True):
                if value is None:
                    assert text == ""
                elif isinstance(value, str):
                    # the CSV guards formula-like text with a quote; the sheet needs none
                    guarded = value.startswith(("=", "+", "-", "@", "\t", "\r"))
                    assert text == ("'" + value if guarded else value)
                else:
                    assert Decimal(text) == Decimal(repr(value)), (text, value)


def test_money_and_places_of_yongxi() -> None:
    sheet = _book(YONGXI_RESULTS)["results"]
    row = _row(sheet, "芽溪村", "2024-Q1")
    # 芽溪村 2024-Q1: 20 + 15 + 10 + 9 + 10 + 9.5 + 9.5 + 4.5 + 5 + 5 = 97.5; the section
    # keeps the one place its items carry, the total is rounded to 2 (97.50); at 95 or
    # more it is `full`; first of the township, it takes 600.00 CNY and the red flag.
    assert (row["indicators"].value, row["indicators"].number_format) == (97.5, "0.0")
    assert (row["total"].value, row["total"].number_format) == (97.5, "0.00")
    assert row["prize_level"].value == "full"
    totals = _period_totals(YONGXI_TOTALS, "2024-Q1")
    assert totals["芽溪村"] == Decimal("97.5")
    assert _competition_rank(totals, "芽溪村") == 1
    assert row["village_rank"].value == 1
    assert row["rank_prize_amount"].value == 600
    assert row["rank_prize_amount"].number_format == '#,##0.00 "CNY"'
    assert row["rewards"].value == "rank_prize;red_flag"
    assert row["annual_score"].value is None  # a year-end score: empty on period rows


def test_a_year_end_row_has_its_kind_and_the_mean_of_the_year() -> None:
    sheet = _book(YONGXI_RESULTS)["results"]
    header = [c.value for c in sheet[1]]
    found = [
        dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(min_row=2)
        if row[0].value == "芽溪村" and row[2].value == "year_end"
    ]
    assert len(found) == 1
    row = found[0]
    assert row["period"].value == "2024"
    quarters = [YONGXI_TOTALS[("芽溪村", f"2024-Q{q}")] for q in (1, 2, 3, 4)]
    # annual_score = mean(total), rounded half up to the scheme's 2 places
    mean = (sum(quarters, Decimal(0)) / 4).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert Decimal(repr(row["annual_score"].value)) == mean
    assert row["annual_score"].number_format == "0.00"


def test_headers_and_names_in_simplified_chinese() -> None:
    book = _book(LADDER_RESULTS, "zh-Hans")
    with language("zh-Hans"):
        names = [_("results"), _("explanations")]
    assert book.sheetnames == names
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    # chengzhuang-ladder.yaml gives zh-Hant labels; their Simplified forms (OpenCC t2s):
    assert header[4:10] == [
        "一级清单 重点项",  # key: 一級清單 重點項
        "二级清单 基础项",  # basic: 二級清單 基礎項
        "三级清单 创新项",  # innovation: 三級清單 創新項
        "考核总分",  # total: 考核總分
        "台阶考核系数",  # coefficient: 台階考核係數
        "考核台阶",  # step: 考核台階
    ]
    assert header[11] == "全矿排名"  # mine_rank: 全礦排名
    assert header[14].startswith("台阶考核返还工资")  # ladder_pay: 台階考核返還工資
    assert header[0] == "基层党支部(及支部书记)"  # subject.label: 基層黨支部(及支部書記)
    rows = {(r[0], r[1]): r for r in _rows(sheet)[1:]}
    row = rows[("綜採二隊", "2024-Q1")]
    assert row[9] == "第二台阶"  # the band's label 第二台階
    assert row[7] == 83
    assert row[12] == "台阶考核返还工资"
    assert rows[("開拓隊", "2024-Q1")][15] == (
        # self_reflection, mine_notice, admonition_talk by their rules' labels
        "在政工例会上做自我反思检查;面子挂钩:在全矿进行通报;诫勉谈话"
    )


# --------------------------------------------------------------------------- explanations


def test_the_explanations_sheet_has_one_row_per_name() -> None:
    sheet = _book(LADDER_RESULTS)["explanations"]
    rows = _rows(sheet)
    assert rows[0] == ["subject", "period", "kind", "name", "explanation"]
    mine = [r[3:] for r in rows if r[0] == "綜採二隊" and r[1] == "2024-Q1"]
    assert [name for name, _text in mine] == [
        # every computed name of the ladder in evaluation order, then the reward
        "key", "basic", "innovation", "total", "step", "coefficient", "mine_rank",
        "low_score", "ladder_pay",
    ]  # fmt: skip
    found = dict(mine)
    assert found["key"] == "5 + 4.5 + 4 + 4.5 + 4.5 + 3 + 3.5 + 4 + 4 + 4 = 41"
    assert found["total"] == (
        "key + basic + innovation with key=41, basic=40, innovation=2 -> 83.00"
    )
    assert found["ladder_pay"] == (
        "withheld * coefficient with withheld=3000, coefficient=0.90 = 2700.00 CNY"
    )
    assert found["mine_rank"] == "rank 8 of 12 by total=83.00 (descending)"
    last = [r[3:] for r in rows if r[0] == "開拓隊" and r[1] == "2024-Q1"]
    names = [name for name, _text in last]
    assert names[-4:] == ["self_reflection", "mine_notice", "admonition_talk", "warnings"]
    assert dict(last)["admonition_talk"].startswith("total < 60 or key < 35")
    assert last[-1][1].startswith("low_score: counted 1 in a row from 2024-Q1 on")
    assert sheet.freeze_panes == "B2"


# --------------------------------------------------------------------------- exactness


THIRDS = partyscore.load_scheme_text(
    head("thirds", "三分", kind="branch")
    + """\
sections:
  - id: work
    label: {zh-Hant: 工作, en: work}
    items:
      - {id: done, max: 10}
scores:
  - id: third
    expr: done / 3
    rounding: none
  - id: total
    expr: work
rewards:
  - id: bonus
    kind: money
    amount: done * 100
    currency: USD
    rounding: {places: 0, mode: down}
""",
    file="thirds.yaml",
)


def _thirds(tmp_path: Path, rows: str) -> partyscore.Evaluation:
    path = tmp_path / "thirds.csv"
    path.write_text("subject,period,done\n" + rows, encoding="utf-8")
    return _evaluate(THIRDS, path)


def test_a_number_a_double_cannot_hold_is_written_as_text(tmp_path: Path) -> None:
    evaluation = _thirds(tmp_path, "a,2024-Q1,7\nb,2024-Q1,6\n")
    sheet = _book(evaluation)["results"]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    header = [c.value for c in sheet[1]]
    third = header.index("third")
    # 7 / 3 kept exact: 2.333... to Decimal's 28 digits, more than a double holds
    cell = rows["a"][third]
    assert cell.data_type == "s"
    assert cell.value == "2." + "3" * 27
    assert cell.alignment.horizontal == "right"
    # 6 / 3 = 2 exactly: a number
    assert (rows["b"][third].data_type, rows["b"][third].value) == ("n", 2)
    # 7 x 100 = 700 USD, no decimal places
    amount = rows["a"][header.index("bonus_amount")]
    assert (amount.value, amount.number_format) == (700, '#,##0 "USD"')


def test_an_evaluation_without_its_plan_shows_the_places_each_value_carries() -> None:
    pay = partyscore.Outcome("pay", "pay", amount=Decimal("12.5"), currency="CNY")
    result = partyscore.Result(
        "a", "2024-Q1", None, scores={"total": Decimal("1.50")}, rewards=(pay,)
    )
    sheet = _book(partyscore.Evaluation("hand", 1, (result,)))["results"]
    assert [c.value for c in sheet[1]] == [
        "subject", "period", "kind", "group", "total", "rewards", "withheld", "pay_amount",
        "actions", "warnings",
    ]  # fmt: skip
    total, amount = sheet["E2"], sheet["H2"]
    assert (total.value, total.number_format) == (1.5, "0.00")
    assert (amount.value, amount.number_format) == (12.5, '#,##0.0 "CNY"')


def test_exact_float() -> None:
    assert exact_float(Decimal("83.00")) == 83.0
    assert exact_float(Decimal("0.1")) == 0.1
    assert exact_float(Decimal("123456789012345")) == 123456789012345.0  # 15 digits
    assert exact_float(Decimal("1234567890.12345")) == 1234567890.12345  # 15 digits
    # 16 significant digits: more than a spreadsheet keeps, though this double prints back
    assert Decimal(repr(float(Decimal("0.1234567890123456")))) == Decimal("0.1234567890123456")
    assert exact_float(Decimal("0.1234567890123456")) is None
    assert exact_float(Decimal("1E+2")) == 100.0
    assert exact_float(Decimal("100.000000000000000000")) == 100.0  # zeros are no digits
    zero = exact_float(Decimal("-0.00"))
    assert zero == 0.0
    assert math.copysign(1.0, zero) == 1.0
    assert exact_float(Decimal("NaN")) is None
    assert money_format(2, "CNY") == '#,##0.00 "CNY"'
    assert money_format(0, "USD") == '#,##0 "USD"'


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    evaluation = _thirds(tmp_path, '"=1+1",2024-Q1,1\n"@SUM(A1)",2024-Q1,2\n"-2",2024-Q1,3\n')
    out = io.BytesIO()
    write_xlsx(evaluation, out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml  # no formula anywhere
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    subjects = {c.value: c.data_type for c in book["results"]["A"][1:]}
    assert subjects == {"=1+1": "s", "@SUM(A1)": "s", "-2": "s"}


def test_the_same_evaluation_gives_the_same_bytes() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    write_xlsx(LADDER_RESULTS, first)
    write_xlsx(LADDER_RESULTS, second)
    assert first.getvalue() == second.getvalue()
    with zipfile.ZipFile(first) as archive:
        core = archive.read("docProps/core.xml").decode()
        dates = {info.date_time for info in archive.infolist()}
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2000-01-01T00:00:00Z' in core
    assert dates == {(1980, 1, 1, 0, 0, 0)}


def test_without_xlsxwriter_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "xlsxwriter", None)
    with pytest.raises(ImportError, match=r"pip install 'partyscore\[excel\]'"):
        write_xlsx(LADDER_RESULTS, io.BytesIO())


# --------------------------------------------------------------------------- command line


def test_evaluate_format_xlsx_writes_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    code = main(
        ["evaluate", str(ROOT / "schemes" / "chengzhuang-ladder.yaml"), str(LADDER_CSV),
         "--format", "xlsx", "--output", str(out), "--lang", "en"]
    )  # fmt: skip
    assert code == 0
    book = python_calamine.CalamineWorkbook.from_path(str(out))
    assert book.sheet_names == ["results", "explanations", "decision record"]
    rows = book.get_sheet_by_name("results").to_python()
    assert rows[0][:8] == LADDER_HEADER[:8]
    assert len(rows) == 49
    first = dict(zip(rows[0], rows[1], strict=True))
    # 生產技術科 2024-Q1: key 5 x 5 + 4 x 5 = 45, basic 4.5 + 5 + 4 + 5 + 5 + 4.5 + 5 + 4 x 5
    # = 53, innovation 1.5 + 1.5 + 1.5 + 2 + 1.5 = 8: 106, step3, surface: 1000 x 1.00
    assert (first["subject"], first["total"], first["mine_rank"]) == ("生產技術科", 106.0, 1)
    assert first["ladder_pay_amount"] == 1000.0


def test_evaluate_format_xlsx_in_chinese(tmp_path: Path) -> None:
    out = tmp_path / "結果.xlsx"
    code = main(
        ["evaluate", str(ROOT / "schemes" / "yongxi-red-flag.yaml"), str(YONGXI_CSV),
         "--format", "xlsx", "--output", str(out), "--lang", "zh-Hant"]
    )  # fmt: skip
    assert code == 0
    book = openpyxl.load_workbook(out)
    header = [c.value for c in book.worksheets[0][1]]
    # yongxi-red-flag.yaml's own zh-Hant labels
    assert header[4:6] == ["十項考核指標", "考核得分"]
    assert "全鄉村支部排名" in header


def test_to_xlsx_is_what_the_command_writes(tmp_path: Path) -> None:
    from partyscore.cli import main

    scheme_path = ROOT / "schemes" / "chengzhuang-ladder.yaml"
    example = ROOT / "examples" / "chengzhuang-ladder.csv"
    out = tmp_path / "results.xlsx"
    args = ["evaluate", str(scheme_path), str(example), "--format", "xlsx", "-o", str(out)]
    assert main(args) == 0
    scheme = partyscore.load_scheme(scheme_path)
    evaluation = partyscore.evaluate(scheme, partyscore.read_records(example, scheme))
    data = partyscore.to_xlsx(evaluation)
    assert data[:2] == b"PK"  # a zip container, as every xlsx is
    library = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data))
    command = python_calamine.CalamineWorkbook.from_path(str(out))
    # the command adds the decision record, which names the files it read
    assert library.sheet_names == ["results", "explanations"]
    assert command.sheet_names == ["results", "explanations", "decision record"]
    for name in library.sheet_names:
        assert (
            library.get_sheet_by_name(name).to_python()
            == command.get_sheet_by_name(name).to_python()
        )
    assert partyscore.to_xlsx(evaluation) == data  # the same evaluation, the same bytes


def test_a_text_longer_than_a_cell_holds_is_refused_not_cut(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from partyscore.cli import main

    name = "村" * 40_000  # a cell holds 32,767 characters
    records = [{"subject": name, "period": "2024-Q1", "points": {"a": 1}}]
    source = tmp_path / "records.json"
    source.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    scheme = tmp_path / "s.yaml"
    scheme.write_text(
        head("long", "長")
        + "sections:\n  - id: s\n    items:\n      - {id: a, max: 1}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.xlsx"
    status = main(["evaluate", str(scheme), str(source), "--format", "xlsx", "-o", str(out)])
    assert status == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "<workbook>: results!A2: a text of 40000 characters is longer than a workbook cell "
        "holds (32767); nothing was cut: write CSV or JSON instead [xlsx-cell-too-long]"
    )
    assert not out.exists()
