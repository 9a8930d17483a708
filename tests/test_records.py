"""Input records: CSV, JSON and YAML files read with `read_records`, checked by `evaluate`.

The scheme is tests/data/features.yaml: quarterly from 2020-01-01, attributes `town` (text,
the group) and `stage` (enum a|b), items w1 (0..60), w2 (0..40), extra (0..5, stage b only)
and the veto flag v1. Expected messages are whole rendered lines; CSV rows are numbered as
lines of the file, the header being line 1.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from partyscore import (
    Evaluation,
    Record,
    RecordError,
    evaluate,
    load_scheme,
    read_records,
)
from partyscore._records import OnError

ROOT = Path(__file__).parent.parent
SCHEME = load_scheme(Path(__file__).parent / "data" / "features.yaml")

HEADER = "subject,period,town,stage,w1,w2,extra,v1"
ROW1 = "v-1,2024-Q1,東鎮,a,50,30,,false"  # 50 + 30 = 80: band none
ROW2 = "v-2,2024-Q1,西鎮,b,60,40,5,no"  # 60 + 40 + 5 = 105: band full


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def write(tmp_path: Path, text: str, name: str = "r.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def row1(**changes: str) -> str:
    """ROW1 with some cells replaced, by column name."""
    cells = dict(zip(HEADER.split(","), ROW1.split(","), strict=True))
    cells.update(changes)
    return ",".join(cells.values())


def run(path: Path, *, encoding: str = "utf-8", on_error: OnError = "collect") -> Evaluation:
    records = read_records(path, SCHEME, encoding=encoding, on_error=on_error)
    return evaluate(SCHEME, records, on_error=on_error)


def problems(path: Path, *, encoding: str = "utf-8", on_error: OnError = "collect") -> list[str]:
    with pytest.raises(RecordError) as info:
        run(path, encoding=encoding, on_error=on_error)
    return info.value.render().splitlines()


def totals(evaluation: Evaluation) -> dict[tuple[str, str], tuple[Decimal, str, int]]:
    return {
        (r.subject, r.period): (r.scores["total"], r.bands["level"], r.ranks["rk"])
        for r in evaluation.results
        if r.kind == "period"
    }


GOOD = {
    ("v-1", "2024-Q1"): (Decimal("80.00"), "none", 2),
    ("v-2", "2024-Q1"): (Decimal("105.00"), "full", 1),
}


# --------------------------------------------------------------------------- encodings


def test_good_csv(tmp_path: Path) -> None:
    evaluation = run(write(tmp_path, csv_text(ROW1, ROW2)))
    assert totals(evaluation) == GOOD
    prize = evaluation.get("v-2", "2024-Q1").reward("prize")
    assert prize is not None
    assert (prize.amount, prize.currency) == (Decimal("600.00"), "CNY")
    assert evaluation.get("v-1", "2024-Q1").group == "東鎮"


def test_csv_with_and_without_bom_give_the_same_results(tmp_path: Path) -> None:
    plain = write(tmp_path / "plain", csv_text(ROW1, ROW2))
    bom = write(tmp_path / "bom", "\ufeff" + csv_text(ROW1, ROW2))
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")

    def without_source(evaluation: Evaluation) -> list[Any]:
        return [dataclasses.replace(r, source="") for r in evaluation.results]

    assert without_source(run(bom)) == without_source(run(plain))
    assert totals(run(bom)) == GOOD


def test_gb18030_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1, ROW2), encoding="gb18030")
    # everything before 東 (line 2) is ASCII: the header line and 'v-1,2024-Q1,'
    offset = len(f"{HEADER}\nv-1,2024-Q1,")
    assert problems(path) == [
        f"{path}:2: the file is not valid UTF-8 (byte {offset}); it reads as GB18030: save it "
        "as UTF-8, or pass --encoding gb18030 [encoding]"
    ]


def test_gb18030_file_is_read_with_its_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1, ROW2), encoding="gb18030")
    evaluation = run(path, encoding="gb18030")
    assert totals(evaluation) == GOOD
    assert evaluation.get("v-2", "2024-Q1").group == "西鎮"


def test_utf16_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1, ROW2), encoding="utf-16")  # with its BOM
    assert problems(path) == [
        f"{path}: the file is UTF-16; save it as UTF-8 or pass --encoding utf-16 [encoding]"
    ]
    assert totals(run(path, encoding="utf-16")) == GOOD


def test_utf16_without_bom_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1, ROW2), encoding="utf-16-le")
    assert problems(path) == [
        f"{path}: the file is UTF-16; save it as UTF-8 or pass --encoding utf-16 [encoding]"
    ]


def test_unknown_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1))
    assert problems(path, encoding="klingon") == [f"{path}: unknown encoding 'klingon' [encoding]"]


# --------------------------------------------------------------------------- columns


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        pytest.param(
            "period,town,stage,w1,w2,extra,v1",
            "2024-Q1,東鎮,a,50,30,,false",
            ["1: subject: no 'subject' column [missing-column]"],
            id="no-subject",
        ),
        pytest.param(
            "subject,town,stage,w1,w2,extra,v1",
            "v-1,東鎮,a,50,30,,false",
            ["1: period: no 'period' column [missing-column]"],
            id="no-period",
        ),
        pytest.param(
            HEADER + ",w11",
            ROW1 + ",1",
            ["1: w11: unknown column 'w11' (column 9); did you mean 'w1'? [unknown-column]"],
            id="unknown-column",
        ),
        pytest.param(
            HEADER + ",w2",
            ROW1 + ",30",
            ["1: w2: the column 'w2' appears twice (column 6 and column 9) [duplicate-column]"],
            id="duplicate-column",
        ),
        pytest.param(
            "subject,period,town,stage,w1,extra,v1",
            "v-1,2024-Q1,東鎮,a,50,,false",
            ["1: w2: no column for the item 'w2' [missing-column]"],
            id="missing-item-column",
        ),
        pytest.param(
            "subject,period,town,w1,w2,extra,v1",
            "v-1,2024-Q1,東鎮,50,30,,false",
            ["1: stage: no column for the attribute 'stage' [missing-column]"],
            id="missing-attribute-column",
        ),
    ],
)
def test_header_problems(tmp_path: Path, header: str, row: str, expected: list[str]) -> None:
    path = write(tmp_path, csv_text(row, header=header))
    assert problems(path) == [f"{path}:{line}" for line in expected]


def test_header_cells_are_trimmed(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1, ROW2, header=HEADER.replace(",", " , ")))
    assert totals(run(path)) == GOOD


def test_ragged_row_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1, "v-2,2024-Q1,西鎮,b,60,40"))
    assert problems(path) == [
        f"{path}:3: subject 'v-2': the row has 6 cells but the header has 8 [ragged-row]"
    ]


def test_row_of_a_quoted_cell_over_two_lines_is_its_first_line(tmp_path: Path) -> None:
    # line 2: ROW1; lines 3-4: v-2, whose town cell holds a line break; line 5: v-3
    rows = [ROW1, 'v-2,2024-Q1,"西\n鎮",b,61,40,5,no', row1(subject="v-3", w1="99")]
    path = write(tmp_path, csv_text(*rows))
    assert problems(path) == [
        # a line break is a control character: not allowed in identifying text such as a group
        f"{path}:3: town: subject 'v-2': town: '西\\n鎮' contains the character '\\n' (U+000A, "
        "a control character) at character 2, which is not allowed [bad-value]",
        f"{path}:3: w1: subject 'v-2': w1 = 61 is outside 0..60 [out-of-range]",
        f"{path}:5: w1: subject 'v-3': w1 = 99 is outside 0..60 [out-of-range]",
    ]


@pytest.mark.parametrize(
    ("separator", "name"), [(";", "semicolons"), ("\t", "tabs")], ids=["semicolon", "tab"]
)
def test_other_separator_is_named(tmp_path: Path, separator: str, name: str) -> None:
    text = csv_text(ROW1.replace(",", separator), header=HEADER.replace(",", separator))
    path = write(tmp_path, text)
    assert problems(path) == [
        f"{path}:1: the header has one column; the file seems separated by {name}: "
        "partyscore reads comma-separated files [csv-delimiter]"
    ]


def test_unterminated_quote(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text('v-1,2024-Q1,"東鎮,a,50,30,,false'))
    assert problems(path) == [f"{path}:2: unexpected end of data [csv-syntax]"]


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    empty = write(tmp_path, "", name="empty.csv")
    assert problems(empty) == [f"{empty}:1: the file has no header row [empty-input]"]
    header_only = write(tmp_path, HEADER + "\n", name="header.csv")
    assert run(header_only).results == ()


def test_unknown_file_type(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1), name="r.txt")
    assert problems(path) == [
        f"{path}: unknown input type '.txt': use .csv, .xlsx, .xls, .ods, .json or .yaml "
        "[input-format]"
    ]


# --------------------------------------------------------------------------- values

NOT_A_NUMBER = "is not a number (write digits 0-9, e.g. 85 or 92.5) [bad-value]"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("61", "w1 = 61 is outside 0..60 [out-of-range]"),
        ("60.01", "w1 = 60.01 is outside 0..60 [out-of-range]"),
        ("-1", "w1 = -1 is outside 0..60 [out-of-range]"),
        ("abc", f"w1: 'abc' {NOT_A_NUMBER}"),
        ("NaN", f"w1: 'NaN' {NOT_A_NUMBER}"),
        ("inf", f"w1: 'inf' {NOT_A_NUMBER}"),
        ("-Infinity", f"w1: '-Infinity' {NOT_A_NUMBER}"),
        ("", "no value for the item 'w1' [missing-value]"),
        ("85%", f"w1: '85%' {NOT_A_NUMBER}"),
        ('"1,000"', f"w1: '1,000' {NOT_A_NUMBER}"),
        ("1 000", f"w1: '1 000' {NOT_A_NUMBER}"),
        ("0x10", f"w1: '0x10' {NOT_A_NUMBER}"),
    ],
)
def test_bad_points(tmp_path: Path, cell: str, expected: str) -> None:
    path = write(tmp_path, csv_text(row1(w1=cell)))
    assert problems(path) == [f"{path}:2: w1: subject 'v-1': {expected}"]


def test_unquoted_thousands_separator_is_a_ragged_row(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(w1="1,000")))
    assert problems(path) == [
        f"{path}:2: subject 'v-1': the row has 9 cells but the header has 8 [ragged-row]"
    ]


@pytest.mark.parametrize(
    ("cell", "total"),
    [("0", "30.00"), ("60", "90.00"), ("0.5", "30.50"), (" 45 ", "75.00")],
)
def test_good_points_at_and_inside_the_bounds(tmp_path: Path, cell: str, total: str) -> None:
    path = write(tmp_path, csv_text(row1(w1=cell)))
    assert run(path).get("v-1", "2024-Q1").scores["total"] == Decimal(total)


@pytest.mark.parametrize(
    "cell", ["５０", "٥٠", "８５"], ids=["full-width-50", "arabic-indic-50", "full-width-85"]
)
def test_non_ascii_digits_are_refused_by_name(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path, csv_text(row1(w1=cell)))
    with pytest.raises(RecordError) as info:
        run(path)
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "bad-value"
    assert repr(cell) in diagnostic.message
    assert info.value.render() == f"{path}:2: w1: subject 'v-1': w1: {cell!r} {NOT_A_NUMBER}"


def test_underscore_separator_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(w1="1_0")))
    assert problems(path) == [f"{path}:2: w1: subject 'v-1': w1: '1_0' {NOT_A_NUMBER}"]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1e-100000", "1e-100000 has more than 10 decimal places"),
        ("0.00000000001", "0.00000000001 has more than 10 decimal places"),
        ("1e13", "1e13 is outside the allowed range (at most 10^12 in magnitude)"),
    ],
    ids=["absurd-exponent", "eleven-places", "over-10-to-12"],
)
def test_absurd_exponent_is_refused(tmp_path: Path, cell: str, message: str) -> None:
    path = write(tmp_path, csv_text(row1(w1=cell)))
    with pytest.raises(RecordError) as info:
        run(path)
    (diagnostic,) = info.value.diagnostics
    assert (diagnostic.line, diagnostic.path, diagnostic.message) == (
        2, "w1", f"subject 'v-1': w1: {message}"
    )


@pytest.mark.parametrize("cell", ["1e-100000", "1e13"], ids=["absurd-exponent", "over-10-to-12"])
def test_number_past_the_limits_has_code_number_range(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path, csv_text(row1(w1=cell)))
    with pytest.raises(RecordError) as info:
        run(path)
    assert [d.code for d in info.value.diagnostics] == ["number-range"]


def test_unknown_enum_value_with_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(stage="bb")))
    assert problems(path) == [
        f"{path}:2: stage: subject 'v-1': stage: 'bb' is not one of a, b; did you mean 'b'? "
        "[bad-value]"
    ]


def test_bad_flag(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(v1="maybe")))
    assert problems(path) == [
        f"{path}:2: v1: subject 'v-1': v1: expected true or false (or 1/0, yes/no, 是/否), "
        "got 'maybe' [bad-value]"
    ]


def test_missing_attribute_value(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(town="")))
    assert problems(path) == [f"{path}:2: town: subject 'v-1': no value for 'town' [missing-value]"]


def test_missing_subject(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(subject="")))
    assert problems(path) == [f"{path}:2: subject: the subject is missing [missing-value]"]


def test_item_for_a_stage_it_does_not_apply_to(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(extra="3")))
    assert problems(path) == [
        f"{path}:2: extra: subject 'v-1': extra applies only where stage in b; leave it empty "
        "[item-not-applicable]"
    ]


def test_duplicate_subject_and_period_names_the_first_row(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1, ROW2, row1(w1="40")))
    assert problems(path) == [
        f"{path}:4: subject: subject 'v-1' already has a record for 2024-Q1 ({path}:2) "
        "[duplicate-record]"
    ]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2024-03", "'2024-03' is not a quarter label; expected e.g. '2024-Q3' [bad-period]"),
        ("2024Q1", "'2024Q1' is not a quarter label; expected e.g. '2024-Q3' [bad-period]"),
        ("2024-Q5", "'2024-Q5' is not a quarter label; the index must be 1 to 4 [bad-period]"),
        (
            "2019-Q4",
            "2019-Q4 is outside this scheme version's dates (2020-01-01 on) "
            "[period-not-effective]",
        ),
    ],
)
def test_bad_period(tmp_path: Path, period: str, expected: str) -> None:
    path = write(tmp_path, csv_text(row1(period=period)))
    assert problems(path) == [f"{path}:2: period: subject 'v-1': {expected}"]


def test_first_effective_period_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(period="2020-Q1")))
    assert [r.period for r in run(path).results] == ["2020-Q1"]


def test_full_width_period_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(period="２０２４-Q1")))
    assert problems(path) == [
        f"{path}:2: period: subject 'v-1': '２０２４-Q1' is not a quarter label; expected e.g. "
        "'2024-Q3' [bad-period]"
    ]


def test_blank_lines_are_ignored(tmp_path: Path) -> None:
    text = HEADER + "\n\n" + ROW1 + "\n\n,,,,,,,\n" + ROW2 + "\n\n"
    path = write(tmp_path, text)
    evaluation = run(path)
    assert totals(evaluation) == GOOD
    assert evaluation.get("v-2", "2024-Q1").source == f"{path}:6"  # the file's 6th line


# --------------------------------------------------------------------------- JSON and YAML


def record(subject: str, stage: str, **points: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "period": "2024-Q1",
        "attributes": {"town": "東鎮" if subject == "v-1" else "西鎮", "stage": stage},
        "points": points,
    }


R1 = record("v-1", "a", w1=50, w2=30, v1=False)
R2 = record("v-2", "b", w1=60, w2=40, extra=5, v1=False)


def test_json_list(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps([R1, R2], ensure_ascii=False, indent=2), name="r.json")
    assert totals(run(path)) == GOOD


def test_json_records_object(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps({"records": [R1, R2]}, indent=2), name="r.json")
    assert totals(run(path)) == GOOD


def test_json_decimals_are_exact(tmp_path: Path) -> None:
    data = [record("v-1", "a", w1=0.1, w2=0.2, v1=False)]
    path = write(tmp_path, json.dumps(data), name="r.json")
    assert run(path).get("v-1", "2024-Q1").scores["work"] == Decimal("0.3")


def test_json_string_where_a_number_belongs(tmp_path: Path) -> None:
    bad = record("v-1", "a", w1="50", w2=30, v1=False)
    path = write(tmp_path, json.dumps([bad, R2], indent=2), name="r.json")
    # the list opens on line 1, the first record on line 2
    assert problems(path) == [
        f"{path}:2: w1: subject 'v-1': w1: expected a number, got the string '50' [bad-value]"
    ]


def test_json_records_object_string_where_a_number_belongs(tmp_path: Path) -> None:
    bad = record("v-2", "b", w1=60, w2="40", extra=5, v1=False)
    path = write(tmp_path, json.dumps({"records": [R1, bad]}, indent=2), name="r.json")
    # '{', '"records": [', then R1 takes 13 lines (3..15): the second record opens on line 16
    assert problems(path) == [
        f"{path}:16: w2: subject 'v-2': w2: expected a number, got the string '40' [bad-value]"
    ]


def test_json_unknown_key_with_suggestion(tmp_path: Path) -> None:
    bad = {**R1, "pionts": {}}
    path = write(tmp_path, json.dumps([bad], indent=2), name="r.json")
    assert problems(path) == [
        f"{path}:2: pionts: unknown key 'pionts'; did you mean 'points'? [unknown-key]"
    ]


def test_json_syntax_error_names_its_line(tmp_path: Path) -> None:
    # the comma after "v-1" on line 2 is missing: line 3 starts with three spaces, then '"'
    text = '[\n  {"subject": "v-1"\n   "period": "2024-Q1"}\n]\n'
    path = write(tmp_path, text, name="r.json")
    assert problems(path) == [f"{path}:3: Expecting ',' delimiter (column 4) [json-syntax]"]


def test_json_not_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, json.dumps({"rows": [R1]}), name="r.json")
    assert problems(path) == [
        f"{path}:1: expected a list of records (or {{records: [...]}}) [input-shape]"
    ]


def test_yaml_records(tmp_path: Path) -> None:
    text = (
        "- subject: v-1\n"
        "  period: 2024-Q1\n"
        "  attributes: {town: 東鎮, stage: a}\n"
        "  points: {w1: 50, w2: 30, v1: no}\n"
        "- subject: v-2\n"
        "  period: 2024-Q1\n"
        "  attributes: {town: 西鎮, stage: b}\n"
        "  points: {w1: 60, w2: 40, extra: 5, v1: false}\n"
    )
    path = write(tmp_path, text, name="r.yaml")
    assert totals(run(path)) == GOOD


def test_yaml_records_refuse_tags(tmp_path: Path) -> None:
    path = write(tmp_path, "- !!python/object/apply:os.system ['true']\n", name="r.yaml")
    assert problems(path) == [
        f"{path}:1: the tag '!!python/object/apply:os.system' is not allowed [yaml-tag]"
    ]


# --------------------------------------------------------------------------- collect or stop


def test_header_problems_collected_or_stopped(tmp_path: Path) -> None:
    header = "subj,period,town,stage,w1,w3,extra,v1"
    path = write(tmp_path, csv_text(ROW1, header=header))
    assert problems(path) == [
        f"{path}:1: subject: no 'subject' column [missing-column]",
        f"{path}:1: subj: unknown column 'subj' (column 1); did you mean 'subject'? "
        "[unknown-column]",
        f"{path}:1: w3: unknown column 'w3' (column 6); if it is not for the scheme, ignore it "
        "with --ignore-column or the scheme's input.ignore_columns [unknown-column]",
        f"{path}:1: w2: no column for the item 'w2' [missing-column]",
    ]
    assert problems(path, on_error="stop") == [
        f"{path}:1: subject: no 'subject' column [missing-column]"
    ]


def test_value_problems_collected_or_stopped(tmp_path: Path) -> None:
    rows = [
        row1(stage="c"),
        "v-2,2024-Q1,西鎮,b,99,40,5,no",
        ROW1.replace("v-1", "v-3"),
        "v-4,2024-Q1,西鎮,b,60,x,5,no",
    ]
    path = write(tmp_path, csv_text(*rows))
    collected = problems(path)
    assert len(collected) == 3
    assert collected == [
        f"{path}:2: stage: subject 'v-1': stage: 'c' is not one of a, b [bad-value]",
        f"{path}:3: w1: subject 'v-2': w1 = 99 is outside 0..60 [out-of-range]",
        f"{path}:5: w2: subject 'v-4': w2: 'x' {NOT_A_NUMBER}",
    ]
    assert problems(path, on_error="stop") == collected[:1]


def test_collect_reports_every_problem_of_one_row(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(row1(stage="c", w1="70")))
    assert problems(path) == [
        f"{path}:2: stage: subject 'v-1': stage: 'c' is not one of a, b [bad-value]",
        f"{path}:2: w1: subject 'v-1': w1 = 70 is outside 0..60 [out-of-range]",
    ]


# --------------------------------------------------------------------------- no record dropped


def test_example_batch_keeps_every_record() -> None:
    path = ROOT / "examples" / "chengzhuang-ladder.csv"
    scheme = load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    with path.open(encoding="utf-8", newline="") as handle:
        given = [(row["subject"], row["period"]) for row in csv.DictReader(handle)]
    assert len(given) == 48  # 12 branches x 4 quarters
    results = evaluate(scheme, read_records(path, scheme)).results
    assert len([r for r in results if r.kind == "period"]) == len(given)
    assert sorted((r.subject, r.period) for r in results) == sorted(given)


def test_batch_over_periods_keeps_every_record(tmp_path: Path) -> None:
    rows = []
    subjects = [("v-1", "東鎮", "a"), ("v-2", "西鎮", "b"), ("v-3", "東鎮", "a")]
    for quarter in (1, 2, 3):
        for subject, town, stage in subjects:
            extra = "1" if stage == "b" else ""
            rows.append(f"{subject},2024-Q{quarter},{town},{stage},10,10,{extra},false")
        rows.append("")  # blank separator lines are layout, not records
    path = write(tmp_path, csv_text(*rows))
    evaluation = run(path)
    periods = [r for r in evaluation.results if r.kind == "period"]
    assert len(periods) == 9
    assert {(r.subject, r.period) for r in periods} == {
        (s, f"2024-Q{q}") for s in ("v-1", "v-2", "v-3") for q in (1, 2, 3)
    }
    # three of four quarters: the year-end rules say so instead of silently skipping
    assert evaluation.warnings == (
        "2024: year-end rules not applied: the input ends at 2024-Q3, before the last quarter "
        "of the year",
    )


def test_records_from_read_records_carry_file_and_row(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(ROW1, ROW2))
    records = read_records(path, SCHEME)
    assert [(r.subject, r.file, r.row) for r in records] == [
        ("v-1", str(path), 2),
        ("v-2", str(path), 3),
    ]
    assert isinstance(records[0], Record)


# --------------------------------------------------------------------------- records given in code


def evaluate_mappings(records: Iterable[Mapping[str, Any]]) -> Evaluation:
    return evaluate(SCHEME, list(records))


def test_mappings_are_checked_like_files() -> None:
    bad = record("v-1", "a", w1="50", w2=30, v1=False)
    with pytest.raises(RecordError) as info:
        evaluate_mappings([bad])
    assert info.value.render() == (
        "<records>:1: w1: subject 'v-1': w1: expected a number, got the string '50' [bad-value]"
    )


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({**R1, "points": [50, 30]}, "'attributes' and 'points' must be mappings"),
        ({**R1, "attributes": ["東鎮", "a"]}, "'attributes' and 'points' must be mappings"),
        ("v-1,2024-Q1", "record 1 is a str, not a mapping"),
    ],
    ids=["points-list", "attributes-list", "not-a-mapping"],
)
def test_malformed_mapping_records_raise_record_error(bad: Any, expected: str) -> None:
    with pytest.raises(RecordError) as info:
        evaluate_mappings([bad])
    assert info.value.render() == f"<records>:1: {expected} [input-shape]"


ROOT_DIR = Path(__file__).parent.parent


def test_record_problems_carry_the_subject_and_field_as_data():
    scheme = load_scheme(ROOT_DIR / "schemes" / "chengzhuang-ladder.yaml")
    records = read_records(ROOT_DIR / "examples" / "chengzhuang-ladder.csv", scheme)
    first = records[0]
    spoiled = Record(
        first.subject, first.period, first.attributes, {**first.points, "key_01": "9"},
        first.file, first.row,
    )  # fmt: skip
    with pytest.raises(RecordError) as info:
        evaluate(scheme, [spoiled, *records[1:]])
    (problem,) = info.value.diagnostics
    assert (problem.subject, problem.keys, problem.line) == (first.subject, ("key_01",), 2)
