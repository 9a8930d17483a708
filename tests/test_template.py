"""`partyscore template`: empty input sheets a secretary fills in and `evaluate` reads back.
Headers, example values and validation ranges are written out by hand from the scheme
files; evaluated totals are worked out by hand in the comments."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore
from partyscore import RecordError
from partyscore._i18n import language
from partyscore._template import (
    EXAMPLE_MARKER,
    ROWS,
    columns,
    example_markers,
    example_period,
    template_csv,
    template_xlsx,
)
from partyscore.cli import main

from .scheme_text import head

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("xlsxwriter")
python_calamine = pytest.importorskip("python_calamine")

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = ROOT / "schemes"
LADDER = partyscore.load_scheme(SCHEMES / "chengzhuang-ladder.yaml")
YONGXI = partyscore.load_scheme(SCHEMES / "yongxi-red-flag.yaml")
UNIVERSITY = partyscore.load_scheme(SCHEMES / "university-member-points.yaml")
NANPING = partyscore.load_scheme(SCHEMES / "nanping-activity-day.yaml")
SHIPPED = sorted(p for p in SCHEMES.glob("*.yaml") if not p.name.endswith(".test.yaml"))

# chengzhuang-ladder.yaml, in scheme order: attributes, then the items of each section
LADDER_IDS = [
    "line", "major_error", "inaction",
    *(f"key_{n:02d}" for n in range(1, 11)),
    *(f"basic_{n:02d}" for n in range(1, 13)),
    "innovation_pillar", "innovation_centre", "innovation_education", "innovation_stability",
    "innovation_culture",
    *(f"autonomous_{n:02d}" for n in range(1, 12)),
]  # fmt: skip
LADDER_MAXIMA = [
    *(["5"] * 5 + ["4"] * 5),  # key_01..05 max 5, key_06..10 max 4
    *(["5"] * 7 + ["4"] * 5),  # basic_01..07 max 5, basic_08..12 max 4
    *(["2"] * 5),  # innovation items max 2
    *(["false"] * 11),  # autonomous flags
]


def _csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")  # a BOM, for Excel on Chinese Windows
    return list(csv.reader(io.StringIO(text[1:])))


def _workbook(scheme: partyscore.CompiledScheme, lang: str = "en") -> Any:
    out = io.BytesIO()
    with language(lang):
        template_xlsx(scheme, out)
    out.seek(0)
    return openpyxl.load_workbook(out)


def _validations(sheet: Any) -> dict[str, Any]:
    return {str(v.sqref): v for v in sheet.data_validations.dataValidation}


# --------------------------------------------------------------------------- CSV


def test_the_csv_template_of_the_ladder_in_english() -> None:
    rows = _csv(template_csv(LADDER))
    assert rows[0] == ["subject", "period", *LADDER_IDS]
    assert rows[1] == [
        EXAMPLE_MARKER,
        "2024-Q3",  # the format's example; the scheme applies from 2016-01-01 on
        "front",  # line: the first of front, second, surface
        "false",  # major_error: its default
        "none",  # inaction: its default
        *LADDER_MAXIMA,
    ]
    assert len(rows) == 2


def test_the_csv_template_in_traditional_chinese_uses_the_schemes_labels() -> None:
    with language("zh-Hant"):
        header = _csv(template_csv(LADDER))[0]
    assert header[:8] == [
        "subject",
        "period",
        "一線、二線、地面",
        "重點工作出現重大失誤,造成較大負面影響",
        "不作為、慢作為、亂作為造成的負面影響",
        "重點項1",
        "重點項2",
        "重點項3",
    ]
    assert header[-1] == "自主項11"
    assert "在提升抓“主業”定力上創新" in header


def test_a_simplified_template_is_chinese_and_read_back() -> None:
    with language("zh-Hans"):
        header = _csv(template_csv(LADDER))[0]
    # the label in Simplified (OpenCC t2s of 重點項1), or, while the reader takes only the
    # forms a scheme gives, the scheme's own zh-Hant: never the bare id
    assert header[5] in ("重点项1", "重點項1")
    assert header[2] in ("一线、二线、地面", "一線、二線、地面")


def test_a_simplified_template_has_simplified_headers() -> None:
    with language("zh-Hans"):
        header = _csv(template_csv(LADDER))[0]
    assert header[2:6] == [
        "一线、二线、地面",  # 一線、二線、地面
        "重点工作出现重大失误,造成较大负面影响",  # 重點工作出現重大失誤,造成較大負面影響
        "不作为、慢作为、乱作为造成的负面影响",  # 不作為、慢作為、亂作為造成的負面影響
        "重点项1",  # 重點項1
    ]


def _fill(template: str, rows: list[list[str]], path: Path) -> Path:
    """The template with its example row replaced by `rows`, saved as CSV."""
    found = _csv(template)
    assert found[1][0] == EXAMPLE_MARKER or found[1][0] in example_markers()
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([found[0], *rows])
    return path


# Two branches of 2024-Q1, values in LADDER_IDS order.
ONE = ["front", "false", "none", *LADDER_MAXIMA[:22], *(["0"] * 5), *(["true"] * 11)]
TWO = ["surface", "false", "none", *(["4"] * 10), *(["3"] * 12), *(["1"] * 5), *(["false"] * 11)]


def _check_the_two_branches(evaluation: partyscore.Evaluation) -> None:
    one = evaluation.get("一號隊", "2024-Q1")
    # every key item at its maximum: 45; every basic item: 55; innovation 0: total 100.00,
    # step3 (90..110), coefficient 1.00 (total >= 70, key >= 40), front line: 3000 x 1.00
    assert dict(one.scores) == {
        "key": 45, "basic": 55, "innovation": 0, "total": Decimal("100.00"),
        "coefficient": Decimal("1.00"),
    }  # fmt: skip
    assert one.bands == {"step": "step3"}
    assert one.ranks == {"mine_rank": 1}
    assert [(o.id, o.amount) for o in one.rewards] == [("ladder_pay", Decimal("3000.00"))]
    assert one.action_ids() == []
    two = evaluation.get("二號隊", "2024-Q1")
    # key 10 x 4 = 40, basic 12 x 3 = 36, innovation 5 x 1 = 5: total 81.00, step2
    # (80..90), key 40 is not under 40: coefficient 0.90; surface: 1000 x 0.90 = 900.00;
    # last of the two: face_link (self_reflection) and face_link_notice (mine_notice)
    assert dict(two.scores) == {
        "key": 40, "basic": 36, "innovation": 5, "total": Decimal("81.00"),
        "coefficient": Decimal("0.90"),
    }  # fmt: skip
    assert two.bands == {"step": "step2"}
    assert two.ranks == {"mine_rank": 2}
    assert [(o.id, o.amount) for o in two.rewards] == [("ladder_pay", Decimal("900.00"))]
    assert two.action_ids() == ["self_reflection", "mine_notice"]


def test_a_filled_csv_template_evaluates(tmp_path: Path) -> None:
    for lang in ("en", "zh-Hant", "zh-Hans"):
        with language(lang):
            text = template_csv(LADDER)
        path = _fill(
            text,
            [["一號隊", "2024-Q1", *ONE], ["二號隊", "2024-Q1", *TWO]],
            tmp_path / f"{lang}.csv",
        )
        records = partyscore.read_records(path, LADDER)
        assert [r.subject for r in records] == ["一號隊", "二號隊"]
        _check_the_two_branches(partyscore.evaluate(LADDER, records))


def _typed(text: str) -> object:
    """A cell as a secretary types it: numbers as numbers, flags as booleans."""
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return text


def test_a_filled_workbook_template_evaluates(tmp_path: Path) -> None:
    book = _workbook(LADDER, "zh-Hant")
    sheet = book.worksheets[0]
    sheet.delete_rows(2)  # the example row
    for row in (["一號隊", "2024-Q1", *ONE], ["二號隊", "2024-Q1", *TWO]):
        sheet.append([_typed(cell) for cell in row])
    path = tmp_path / "2024-Q1.xlsx"
    book.save(path)
    _check_the_two_branches(partyscore.evaluate(LADDER, partyscore.read_records(path, LADDER)))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_example_row_of_every_shipped_scheme_is_valid(path: Path, tmp_path: Path) -> None:
    scheme = partyscore.load_scheme(path)
    for lang in ("en", "zh-Hant"):
        with language(lang):
            text = template_csv(scheme)
        example = _csv(text)[1]
        named = _fill(text, [["x", *example[1:]]], tmp_path / f"{path.stem}-{lang}.csv")
        evaluation = partyscore.evaluate(scheme, partyscore.read_records(named, scheme))
        assert [r.subject for r in evaluation.results if r.kind == "period"] == ["x"]


def test_the_example_rows_work_out_by_hand(tmp_path: Path) -> None:
    rows = _csv(template_csv(UNIVERSITY))
    header, example = rows
    values = dict(zip(header, example, strict=True))
    # stage: the first of activist, probationary, full; only the activists' own item applies
    assert values["stage"] == "activist"
    assert values["activist_study_group"] == "15"
    assert values["probationary_obligations"] == values["full_leading_role"] == ""
    assert values["branch"] == "student party branch"  # a text attribute: its label
    assert values["period"] == "2024"  # a year scheme
    path = _fill(template_csv(UNIVERSITY), [["徐同學", *example[1:]]], tmp_path / "u.csv")
    result = partyscore.evaluate(UNIVERSITY, partyscore.read_records(path, UNIVERSITY)).get(
        "徐同學", "2024"
    )
    # daily = 20 + 20 + 20 + 15 + 10 + 15 = 100; bonus = min(5 + 5, cap 5) = 5;
    # daily_points = min(100 + 5, 100) = 100; appraisal = 100;
    # final = (7 x 100 + 3 x 100) / (7 + 3) = 100.00
    assert result.scores["daily"] == 100
    assert result.scores["bonus"] == 5
    assert result.scores["final"] == Decimal("100.00")
    nanping = dict(zip(*_csv(template_csv(NANPING)), strict=True))
    # members: at least 1; attending: at least 0; flags false; a month scheme
    assert (nanping["members"], nanping["attending"], nanping["period"]) == ("1", "0", "2024-03")
    assert nanping["red_education"] == "false"


def test_the_example_period_is_one_the_scheme_applies_to() -> None:
    def model(period: str, start: str, end: str | None = None) -> Any:
        text = head("p", "期", period=period).replace("start: 2020-01-01", f"start: {start}")
        if end is not None:
            text = text.replace(f"start: {start}", f"start: {start}, end: {end}")
        text += "sections:\n  - id: s\n    items:\n      - {id: a, max: 1}\n"
        return partyscore.load_scheme_text(text).model

    assert example_period(model("quarter", "2016-01-01")) == "2024-Q3"
    # from 2025-02-10 on: 2024-Q3 is too early, and 2025-Q1 starts before the 10th
    assert example_period(model("quarter", "2025-02-10")) == "2025-Q2"
    assert example_period(model("month", "2025-02-01")) == "2025-02"  # starts that day
    assert example_period(model("bimonth", "2025-03-01")) == "2025-B2"  # March-April
    assert example_period(model("half", "2025-01-02")) == "2025-H2"
    assert example_period(model("year", "2025-06-01")) == "2026"
    assert example_period(model("quarter", "2020-01-01", "2021-01-01")) == "2020-Q1"


def test_a_label_that_cannot_be_read_back_is_replaced_by_the_id() -> None:
    scheme = partyscore.load_scheme_text(
        head("labels", "標籤")
        + """\
sections:
  - id: s
    items:
      - {id: a, max: 1, label: {zh-Hant: 同名, en: same}}
      - {id: b, max: 1, label: {zh-Hant: 同名, en: same}}
      - {id: c, max: 1, label: {zh-Hant: "=合計", en: total}}
      - {id: d, max: 1, label: {zh-Hant: 出勤, en: attendance}}
"""
    )
    with language("zh-Hant"):
        assert [c.header for c in columns(scheme)] == ["subject", "period", "a", "b", "c", "出勤"]


def test_the_title_rows_a_scheme_skips_come_first(tmp_path: Path) -> None:
    text = (SCHEMES / "yongxi-red-flag.yaml").read_text(encoding="utf-8")
    scheme = partyscore.load_scheme_text(text + "input:\n  sheet: 考核\n  skip_rows: 2\n")
    with language("zh-Hant"):
        rows = _csv(template_csv(scheme))
    assert rows[0] == ["湧溪鄉 大黨建“流動紅旗”考核(季度)"]  # the scheme's title
    assert rows[1] == []
    assert rows[2][:3] == ["subject", "period", "黨組織建設"]
    book = _workbook(scheme, "zh-Hant")
    assert book.sheetnames[0] == "考核"
    sheet = book["考核"]
    assert sheet["A1"].value == "湧溪鄉 大黨建“流動紅旗”考核(季度)"
    assert sheet["C3"].value == "黨組織建設"
    assert sheet.freeze_panes == "B4"
    # the 1000 rows below the header: 4 to 1003
    assert _validations(sheet)["C4:C1003"].formula2 == "20.0"  # party_building max 20
    # filled in, it reads back with the scheme's own layout
    sheet.delete_rows(4)
    sheet.append(["中屯村", "2024-Q1", 18, 12.5, 9, 9.5, 8.5, 8.5, 9, 4, 4, 5])
    path = tmp_path / "q1.xlsx"
    book.save(path)
    result = partyscore.evaluate(scheme, partyscore.read_records(path, scheme)).get(
        "中屯村", "2024-Q1"
    )
    # 18 + 12.5 + 9 + 9.5 + 8.5 + 8.5 + 9 + 4 + 4 + 5 = 88
    assert result.scores["total"] == Decimal("88.00")


def test_a_sheet_named_by_position_is_there() -> None:
    text = (SCHEMES / "yongxi-red-flag.yaml").read_text(encoding="utf-8")
    scheme = partyscore.load_scheme_text(text + "input:\n  sheet: 3\n")
    book = _workbook(scheme)
    assert book.sheetnames == ["columns", "Sheet2", "records"]
    assert book.worksheets[2]["C1"].value == "party_building"


# --------------------------------------------------------------------------- workbook


def test_the_workbook_template_of_the_ladder() -> None:
    book = _workbook(LADDER)
    assert book.sheetnames == ["records", "columns"]
    sheet = book["records"]
    assert sheet.freeze_panes == "B2"
    assert [c.value for c in sheet[1]] == ["subject", "period", *LADDER_IDS]
    assert all(c.font.b for c in sheet[1])
    example = [c.value for c in sheet[2]]
    assert example[:5] == [EXAMPLE_MARKER, "2024-Q3", "front", False, "none"]
    assert example[5:15] == [5, 5, 5, 5, 5, 4, 4, 4, 4, 4]  # numbers, not text
    assert sheet["F2"].data_type == "n"
    assert example[-1] is False
    checks = _validations(sheet)
    key_01 = checks["F2:F1001"]
    assert (key_01.type, key_01.operator, key_01.formula1, key_01.formula2) == (
        "decimal", None, "0.0", "5.0",  # operator None is "between"
    )  # fmt: skip
    assert key_01.promptTitle == "key_01"
    assert key_01.prompt == "key_01: a number from 0 to 5"
    assert key_01.error == "key_01 takes a number from 0 to 5."
    assert key_01.showErrorMessage
    assert key_01.showInputMessage
    assert key_01.errorStyle in (None, "stop")  # stop is the default
    assert checks["O2:O1001"].formula2 == "4.0"  # key_10: max 4
    assert checks["AF2:AF1001"].formula2 == "2.0"  # innovation_culture: max 2
    flag = checks["AG2:AG1001"]  # autonomous_01
    assert (flag.type, flag.formula1) == ("list", '"TRUE,FALSE"')
    line = checks["C2:C1001"]
    assert (line.type, line.formula1) == ("list", '"front,second,surface"')
    assert checks["E2:E1001"].formula1 == '"none,minor,serious,grave"'
    assert checks["D2:D1001"].formula1 == '"TRUE,FALSE"'  # major_error: bool
    assert checks["B2:B1001"].prompt == "a period label such as 2024-Q3"
    assert "A2:A1001" not in checks
    assert ROWS == 1000


def test_the_columns_sheet_lists_every_column() -> None:
    book = _workbook(YONGXI, "zh-Hant")
    sheet = book.worksheets[1]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(rows) == 1 + 2 + 10  # header, subject, period, ten indicators
    assert rows[1][:2] == ["subject", "subject"]
    party = rows[3]
    # yongxi-red-flag.yaml: party_building, in 十項考核指標, 0..20, with its source sentence
    assert party[:5] == ["黨組織建設", "party_building", "十項考核指標", 0, 20]
    assert party[7] == "考核分為黨組織建設、扶貧工作、計生工作、綜治工作、安全生產工作等10考核指標"
    assert sheet.freeze_panes == "B2"
    ladder = {
        r[1]: r
        for r in ([c.value for c in row] for row in _workbook(LADDER).worksheets[1].iter_rows())
    }
    assert ladder["line"][5] == "front, second, surface"
    assert ladder["autonomous_01"][2:6] == ["autonomous", None, None, "TRUE, FALSE"]
    university = {
        r[1]: r
        for r in ([c.value for c in row] for row in _workbook(UNIVERSITY).worksheets[1].iter_rows())
    }
    assert university["activist_study_group"][6] == "stage: activist"


def test_a_number_attribute_is_checked_by_its_range() -> None:
    checks = _validations(_workbook(NANPING)["records"])
    members = checks["C2:C1001"]
    assert (members.type, members.operator, members.formula1) == (
        "decimal", "greaterThanOrEqual", "1.0",
    )  # fmt: skip
    assert members.prompt == "members: a number of at least 1"


def test_a_long_list_of_values_is_kept_on_a_hidden_sheet() -> None:
    values = [f"value_{n:02d}_long" for n in range(30)]  # 30 x 13 + 29 commas: 419 > 255
    scheme = partyscore.load_scheme_text(
        head("long-list", "長")
        + f"""\
  attributes:
    unit: {{type: enum, values: [{", ".join(values)}]}}
sections:
  - id: s
    items:
      - {{id: a, max: 1, label: {{zh-Hant: {"一個很長很長的標籤" * 4}, en: a}}}}
"""
    )
    book = _workbook(scheme, "zh-Hant")
    assert book.sheetnames[0] == "記錄"  # "records" in the zh-Hant catalogue
    checks = _validations(book.worksheets[0])
    assert checks["C2:C1001"].formula1 == "_lists!$A$1:$A$30"
    assert book["_lists"].sheet_state == "hidden"
    assert [book["_lists"].cell(row=n + 1, column=1).value for n in range(30)] == values
    title = checks["D2:D1001"].promptTitle
    assert len(title) == 32
    assert title.endswith("…")


def test_the_same_scheme_gives_the_same_workbook() -> None:
    first, second = io.BytesIO(), io.BytesIO()
    template_xlsx(LADDER, first)
    template_xlsx(LADDER, second)
    assert first.getvalue() == second.getvalue()


# --------------------------------------------------------------------------- the example row


def test_the_example_markers() -> None:
    markers = example_markers()
    assert EXAMPLE_MARKER == "[example] replace or delete this row"
    assert EXAMPLE_MARKER in markers
    assert 1 <= len(markers) <= 3  # one per language (the same text until translated)
    with language("zh-Hans"):
        assert _csv(template_csv(LADDER))[1][0] in markers


def test_the_example_row_left_in_is_refused(tmp_path: Path) -> None:
    for lang in ("en", "zh-Hans", "zh-Hant"):
        path = tmp_path / f"{lang}.csv"
        with language(lang):
            path.write_text(template_csv(LADDER), encoding="utf-8")
        with pytest.raises(RecordError) as caught:  # values are checked when evaluated
            partyscore.evaluate(LADDER, partyscore.read_records(path, LADDER))
        assert [d.code for d in caught.value.diagnostics] == ["template-example-row"]
        assert caught.value.diagnostics[0].line == 2
        book = tmp_path / f"{lang}.xlsx"
        with language(lang), open(book, "wb") as handle:
            template_xlsx(LADDER, handle)
        with pytest.raises(RecordError) as caught:
            partyscore.evaluate(LADDER, partyscore.read_records(book, LADDER))
        assert [d.code for d in caught.value.diagnostics] == ["template-example-row"]


# --------------------------------------------------------------------------- command line


def test_template_csv_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "records.csv"
    code = main(["template", str(SCHEMES / "yongxi-red-flag.yaml"), "--format", "csv",
                 "--output", str(out)])  # fmt: skip
    assert code == 0
    rows = _csv(out.read_text(encoding="utf-8"))
    assert rows[0] == [
        "subject", "period", "party_building", "poverty_relief", "family_planning",
        "stability", "work_safety", "civil_affairs", "resident_cadres", "sanitation",
        "finance_tax", "central_tasks",
    ]  # fmt: skip
    # each indicator at its maximum: 20, 15, 10 x 5, 5 x 3
    assert rows[1][1:] == ["2024-Q3", "20", "15", "10", "10", "10", "10", "10", "5", "5", "5"]


def test_template_xlsx_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "2024-Q1.xlsx"
    code = main(["template", str(SCHEMES / "chengzhuang-ladder.yaml"), "--format", "xlsx",
                 "--output", str(out), "--lang", "zh-Hant"])  # fmt: skip
    assert code == 0
    book = python_calamine.CalamineWorkbook.from_path(str(out))
    rows = book.get_sheet_by_name(book.sheet_names[0]).to_python()
    assert rows[0][:6] == ["subject", "period", "一線、二線、地面",
                           "重點工作出現重大失誤,造成較大負面影響",
                           "不作為、慢作為、亂作為造成的負面影響", "重點項1"]  # fmt: skip
    assert rows[1][5] == 5.0  # key_01 at its maximum, a number
