"""The developer's API: `read_records` from a path, bytes or a file object; flat rows with
`records_from_rows`; None, NaN and numpy/pandas scalars; `Result.to_dict`; `Evaluation.get`.

The scheme is tests/data/features.yaml (as in test_records.py): quarterly from 2020-01-01,
attributes `town` (text, the group) and `stage` (enum a|b), items w1 (0..60), w2 (0..40),
extra (0..5, stage b only) and the veto flag v1; total = w1 + w2 + extra (2 places), band
`level` full >= 95, half 85..95, none < 85; rankings rk (all) and grk (in the town).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore
from partyscore import Evaluation, Record, RecordError, evaluate, load_scheme, records_from_rows
from partyscore import read_records as read

ROOT = Path(__file__).resolve().parent.parent
SCHEME = load_scheme(ROOT / "tests" / "data" / "features.yaml")
LADDER = load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
INNOVATION = ("innovation_pillar", "innovation_centre", "innovation_education",
              "innovation_stability", "innovation_culture")  # fmt: skip

HEADER = "subject,period,town,stage,w1,w2,extra,v1"
ROW1 = "v-1,2024-Q1,東鎮,a,50,30,,false"  # 50 + 30 = 80: band none, rank 2
ROW2 = "v-2,2024-Q1,西鎮,b,60,40,5,no"  # 60 + 40 + 5 = 105: band full, rank 1
CSV = f"{HEADER}\n{ROW1}\n{ROW2}\n"
GOOD = {("v-1", "2024-Q1"): (Decimal("80.00"), "none", 2),
        ("v-2", "2024-Q1"): (Decimal("105.00"), "full", 1)}  # fmt: skip

FLAT1 = {"subject": "v-1", "period": "2024-Q1", "town": "東鎮", "stage": "a",
         "w1": 50, "w2": 30, "extra": None, "v1": False}  # fmt: skip
FLAT2 = {"subject": "v-2", "period": "2024-Q1", "town": "西鎮", "stage": "b",
         "w1": 60, "w2": 40, "extra": 5, "v1": False}  # fmt: skip


def totals(evaluation: Evaluation) -> dict[tuple[str, str], tuple[Decimal, str, int]]:
    return {
        (r.subject, r.period): (r.scores["total"], r.bands["level"], r.ranks["rk"])
        for r in evaluation.results
        if r.kind == "period"
    }


def problems(call: Any, *args: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(RecordError) as caught:
        call(*args, **kwargs)
    return caught.value.render().splitlines()


def evaluated(records: list[Any]) -> list[str]:
    return problems(evaluate, SCHEME, records)


# --------------------------------------------------------------------------- read_records


def test_bytes_with_a_name_read_like_the_file() -> None:
    records = read(CSV.encode(), SCHEME, name="upload.csv")
    assert [(r.subject, r.file, r.row) for r in records] == [
        ("v-1", "upload.csv", 2),
        ("v-2", "upload.csv", 3),
    ]
    assert totals(evaluate(SCHEME, records)) == GOOD
    assert records[0].points == {"w1": "50", "w2": "30", "extra": "", "v1": "false"}


def test_a_problem_in_bytes_names_the_name_and_row() -> None:
    bad = CSV.replace(",60,40,", ",61,40,").encode()
    assert evaluated(read(bad, SCHEME, name="upload.csv")) == [
        "upload.csv:3: w1: subject 'v-2': w1 = 61 is outside 0..60 [out-of-range]"
    ]
    assert evaluated(read(io.BytesIO(bad), SCHEME, name="upload.csv")) == [
        "upload.csv:3: w1: subject 'v-2': w1 = 61 is outside 0..60 [out-of-range]"
    ]


def test_the_encoding_of_bytes_is_found_as_for_files() -> None:
    records = read(CSV.encode("gb18030"), SCHEME, name="gbk.csv")
    assert [r.attributes["town"] for r in records] == ["東鎮", "西鎮"]
    records = read(CSV.encode("utf-16"), SCHEME, name="u16.csv")
    assert totals(evaluate(SCHEME, records)) == GOOD
    assert problems(read, CSV.encode("gb18030"), SCHEME, name="gbk.csv", encoding="utf-8") == [
        # everything before 東 (line 2) is ASCII: the header line and 'v-1,2024-Q1,'
        f"gbk.csv:2: the file is not valid UTF-8 (byte {len(HEADER) + 13}); it reads as "
        "GB18030: save it as UTF-8, or pass --encoding gb18030 [encoding]"
    ]


def test_bytes_without_a_name_are_refused_unless_a_workbook() -> None:
    assert problems(read, CSV.encode(), SCHEME) == [
        "<bytes>: cannot tell the input type without a file name: give name= with one "
        "(e.g. name='records.csv'; .xlsx, .xls, .ods, .json and .yaml work too); a workbook "
        "is known by its content [input-format]"
    ]
    assert problems(read, CSV.encode(), SCHEME, name="upload.txt") == [
        "upload.txt: unknown input type '.txt': use .csv, .xlsx, .xls, .ods, .json or .yaml "
        "[input-format]"
    ]


def test_a_binary_file_is_named_by_its_own_name(tmp_path: Path) -> None:
    path = tmp_path / "scores.CSV"
    path.write_bytes(CSV.encode())
    with open(path, "rb") as handle:
        records = read(handle, SCHEME)
        assert not handle.closed  # the caller's to close
    assert [(r.file, r.row) for r in records] == [(str(path), 2), (str(path), 3)]
    assert totals(evaluate(SCHEME, records)) == GOOD


class Upload:
    """What a web framework hands over: Flask's FileStorage names the file `filename`."""

    def __init__(self, data: bytes, filename: str) -> None:
        self.stream = io.BytesIO(data)
        self.filename = filename

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)


def test_an_upload_is_named_by_its_filename() -> None:
    records = read(Upload(CSV.encode(), "村支部.csv"), SCHEME)
    assert records[1].file == "村支部.csv"
    assert totals(evaluate(SCHEME, records)) == GOOD


def test_a_stream_is_read_from_where_it_stands() -> None:
    stream = io.BytesIO(b"junk to skip\n" + CSV.encode())
    stream.seek(len(b"junk to skip\n"))
    assert len(read(stream, SCHEME, name="s.csv")) == 2


def test_text_is_given_as_a_text_stream() -> None:
    records = read(io.StringIO("\ufeff" + CSV), SCHEME, name="pasted.csv")  # a BOM is dropped
    assert totals(evaluate(SCHEME, records)) == GOOD
    data = json.dumps([{"subject": "v-1", "period": "2024-Q1",
                        "attributes": {"town": "東鎮", "stage": "a"},
                        "points": {"w1": 50, "w2": 30, "v1": False}}])  # fmt: skip
    records = read(io.StringIO(data), SCHEME, name="r.json")
    assert evaluate(SCHEME, records).get("v-1", "2024-Q1").scores["total"] == Decimal("80.00")
    assert problems(read, io.StringIO(CSV), SCHEME)[0].startswith(
        "<stream>: cannot tell the input type without a file name"
    )


def test_a_line_break_in_a_str_says_how_to_give_text() -> None:
    assert problems(read, CSV, SCHEME) == [
        "<text>: a str is read as a path, and this one holds a line break: to read records "
        "from text, pass io.StringIO(text) with name='records.csv' (or .json, .yaml) "
        "[input-format]"
    ]


def test_what_is_not_a_source_is_refused() -> None:
    assert problems(read, [FLAT1], SCHEME) == [
        "<records>: read_records takes a path, bytes or a file object, got a list: flat rows "
        "go to records_from_rows, records as mappings straight to evaluate [input-shape]"
    ]
    with pytest.raises(TypeError, match="a path names itself"):
        read(ROOT / "examples" / "chengzhuang-ladder.csv", LADDER, name="x.csv")
    with pytest.raises(TypeError, match="a text stream is already decoded"):
        read(io.StringIO(CSV), SCHEME, name="x.csv", encoding="gb18030")


def test_content_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("partyscore._records.MAX_INPUT_BYTES", 40)
    assert problems(read, CSV.encode(), SCHEME, name="big.csv") == [
        "big.csv: the input is larger than 40 bytes; split it by period [file-too-large]"
    ]
    assert problems(read, io.StringIO(CSV), SCHEME, name="big.csv") == [
        "big.csv: the input is larger than 40 characters; split it by period [file-too-large]"
    ]


def test_a_closed_stream_is_unreadable() -> None:
    stream = io.BytesIO(CSV.encode())
    stream.close()
    assert problems(read, stream, SCHEME, name="c.csv") == [
        "c.csv: I/O operation on closed file. [unreadable]"
    ]


# --------------------------------------------------------------------------- flat rows


def test_flat_rows_are_records() -> None:
    records = records_from_rows([FLAT1, FLAT2], SCHEME)
    assert records[0] == Record(
        "v-1", "2024-Q1", {"town": "東鎮", "stage": "a"},
        {"w1": 50, "w2": 30, "extra": None, "v1": False}, "<rows>", 1,
    )  # fmt: skip
    assert totals(evaluate(SCHEME, records)) == GOOD


def test_flat_rows_take_labels_and_the_schemes_ignored_columns() -> None:
    # key_01 by its English label, key_02 by its Traditional Chinese one; 序号 ignored
    row: dict[str, Any] = {"subject": "綜採一隊", "period": "2024-Q1", "line": "front",
                           "序号": 1, "key item 1": 5, "重點項2": 4.5}  # fmt: skip
    row.update({f"key_{n:02}": 1 for n in range(3, 11)})
    row.update({f"basic_{n:02}": 2 for n in range(1, 13)})
    row.update(dict.fromkeys(INNOVATION, 0))
    row.update({f"autonomous_{n:02}": False for n in range(1, 12)})
    (record,) = records_from_rows([row], LADDER, ignore_columns=["序号"])
    assert (record.points["key_01"], record.points["key_02"]) == (5, 4.5)
    result = evaluate(LADDER, [record]).get("綜採一隊", "2024-Q1")
    # key 5 + 4.5 + 8 x 1 = 17.5; basic 12 x 2 = 24; innovation 0; total 41.50
    assert result.scores["key"] == Decimal("17.5")
    assert result.scores["total"] == Decimal("41.50")


def test_an_unknown_key_is_named_with_a_suggestion() -> None:
    assert problems(records_from_rows, [FLAT1, {**FLAT2, "w11": 1}], SCHEME) == [
        "<rows>:2: w11: unknown key 'w11'; did you mean 'w1'? [unknown-key]"
    ]
    assert problems(records_from_rows, [{**FLAT1, 0: 1}], SCHEME, source="frame") == [
        "frame:1: 0: unknown key '0'; the keys are subject, period and the scheme's "
        "attributes and items (by id or label) [unknown-key]"
    ]


def test_nested_keys_in_a_flat_row_say_rows_are_flat() -> None:
    nested = {"subject": "v-1", "period": "2024-Q1", "points": {"w1": 50}}
    assert problems(records_from_rows, [nested], SCHEME) == [
        "<rows>:1: points: unknown key 'points': rows are flat (attributes and item points "
        "as keys of their own); a record with 'attributes' and 'points' goes to evaluate as "
        "it is [unknown-key]"
    ]


def test_a_field_given_twice_is_refused() -> None:
    row = {"subject": "x", "period": "2024-Q1", "key_01": 5, "key item 1": 4}
    assert problems(records_from_rows, [row], LADDER) == [
        "<rows>:1: key_01: the keys 'key_01' and 'key item 1' both give 'key_01' [duplicate-column]"
    ]


def test_a_label_two_fields_share_is_ambiguous() -> None:
    text = (ROOT / "tests" / "data" / "features.yaml").read_text(encoding="utf-8")
    text = text.replace("{id: w1, max: 60}", "{id: w1, max: 60, label: {zh-Hant: 工作, en: work}}")
    text = text.replace("{id: w2, max: 40}", "{id: w2, max: 40, label: {zh-Hant: 工作, en: job}}")
    scheme = partyscore.load_scheme_text(text)
    assert problems(records_from_rows, [{**FLAT1, "工作": 5}], scheme) == [
        "<rows>:1: 工作: the key '工作' is the label of more than one field of the scheme: use "
        "the id [ambiguous-column]"
    ]


def test_rows_that_are_not_mappings() -> None:
    assert problems(records_from_rows, [FLAT1, ["v-2", "2024-Q1"]], SCHEME) == [
        "<rows>:2: row 2 is a list, not a mapping [input-shape]"
    ]
    assert problems(records_from_rows, "v-1,2024-Q1", SCHEME) == [
        "<rows>: rows must be a list of mappings, got a str [input-shape]"
    ]
    pd = pytest.importorskip("pandas")
    assert problems(records_from_rows, pd.DataFrame([FLAT1]), SCHEME) == [
        "<rows>: rows must be a list of mappings, got a DataFrame: pass "
        "frame.to_dict('records') (pandas) or frame.to_dicts() (polars) [input-shape]"
    ]


def test_value_problems_of_rows_name_the_row_position() -> None:
    rows = [FLAT1, {**FLAT2, "w1": 61}, {**FLAT2, "subject": "v-3", "w2": "40"}]
    assert evaluated(records_from_rows(rows, SCHEME, source="rows")) == [
        "rows:2: w1: subject 'v-2': w1 = 61 is outside 0..60 [out-of-range]",
        # rows hold typed values: a number is not read from text
        "rows:3: w2: subject 'v-3': w2: expected a number, got the string '40' [bad-value]",
    ]


def test_stop_at_the_first_key_problem() -> None:
    rows = [{**FLAT1, "a1": 1}, {**FLAT2, "b1": 1}]
    assert len(problems(records_from_rows, rows, SCHEME)) == 2
    assert problems(records_from_rows, rows, SCHEME, on_error="stop") == [
        "<rows>:1: a1: unknown key 'a1'; the keys are subject, period and the scheme's "
        "attributes and items (by id or label) [unknown-key]"
    ]


# --------------------------------------------------------------------------- no value


NAN = float("nan")


def test_nan_and_none_are_no_value() -> None:
    # extra does not apply in stage a: no value is its absence, 0; a key left out is the same
    records = records_from_rows(
        [{**FLAT1, "extra": NAN}, {k: v for k, v in FLAT1.items() if k != "extra"}
         | {"subject": "v-3"}],
        SCHEME,
    )  # fmt: skip
    evaluation = evaluate(SCHEME, records)
    assert evaluation.get("v-1", "2024-Q1").scores["total"] == Decimal("80.00")
    assert evaluation.get("v-3", "2024-Q1").scores["total"] == Decimal("80.00")


def test_nan_where_a_value_is_needed_is_a_missing_value() -> None:
    rows = [{**FLAT1, "w1": NAN}, {**FLAT2, "town": None}, {**FLAT2, "subject": NAN}]
    assert evaluated(records_from_rows(rows, SCHEME)) == [
        "<rows>:1: w1: subject 'v-1': no value for the item 'w1' [missing-value]",
        "<rows>:2: town: subject 'v-2': no value for 'town' [missing-value]",
        "<rows>:3: subject: the subject is missing [missing-value]",
    ]


def test_a_float_subject_is_not_taken_for_missing() -> None:
    # an id column that held a NaN is float64 in pandas: 7.0 is neither the id "7" nor none
    assert evaluated(records_from_rows([{**FLAT1, "subject": 7.0}], SCHEME)) == [
        "<rows>:1: subject: the subject must be text or a whole number, got 7.0 [bad-value]"
    ]


def test_nan_takes_an_attributes_default() -> None:
    row: dict[str, Any] = {"subject": "綜採一隊", "period": "2024-Q1", "line": "front",
                           "major_error": NAN, "inaction": None}  # fmt: skip
    row.update({f"key_{n:02}": 4 for n in range(1, 11)})
    row.update({f"basic_{n:02}": 4 for n in range(1, 13)})
    row.update(dict.fromkeys(INNOVATION, 1))
    row.update({f"autonomous_{n:02}": True for n in range(1, 12)})
    result = evaluate(LADDER, records_from_rows([row], LADDER)).get("綜採一隊", "2024-Q1")
    # key 10 x 4 = 40, basic 12 x 4 = 48, innovation 5 x 1 = 5: total 93.00, step3, 1.0;
    # inaction none and major_error false (their defaults): ladder_pay 3000 x 1.00 = 3000.00
    assert result.scores["total"] == Decimal("93.00")
    assert result.bands["step"] == "step3"
    reward = result.reward("ladder_pay")
    assert reward is not None
    assert reward.amount == Decimal("3000.00")
    # 93 >= 70 and key 40 is not under 40; alone in its ranking, it holds no last place
    # (docs/language.md: only one ranked, `_last` holds for nobody): no action
    assert result.action_ids() == []


def test_nan_in_a_nested_mapping_is_no_value_too() -> None:
    nested = {"subject": "v-1", "period": "2024-Q1",
              "attributes": {"town": "東鎮", "stage": "a"},
              "points": {"w1": 50, "w2": 30, "extra": NAN, "v1": False}}  # fmt: skip
    assert totals(evaluate(SCHEME, [nested])) == {("v-1", "2024-Q1"): (Decimal("80.00"), "none", 1)}


def test_decimal_nan_is_still_refused() -> None:
    assert evaluated(records_from_rows([{**FLAT1, "w1": Decimal("NaN")}], SCHEME)) == [
        "<rows>:1: w1: subject 'v-1': w1: Decimal('NaN') is not a finite number [bad-value]"
    ]


def test_floats_are_read_by_their_shortest_repr() -> None:
    # 0.25 is 0.25; 0.1 + 0.2 is 0.30000000000000004, more places than a number may have
    rows = [{**FLAT1, "w1": 0.25}, {**FLAT2, "w1": 0.1 + 0.2}]
    with pytest.raises(RecordError) as caught:
        evaluate(SCHEME, records_from_rows(rows, SCHEME))
    (problem,) = caught.value.diagnostics
    assert (problem.line, problem.code) == (2, "number-range")
    assert problem.message == (
        "subject 'v-2': w1: 0.30000000000000004 has more than 10 decimal places"
    )
    result = evaluate(SCHEME, records_from_rows(rows[:1], SCHEME)).get("v-1", "2024-Q1")
    assert result.scores["total"] == Decimal("30.25")  # 0.25 + 30


# --------------------------------------------------------------------------- numpy, pandas


def test_numpy_scalars_are_exact() -> None:
    np = pytest.importorskip("numpy")
    rows = [
        {"subject": np.str_("v-1"), "period": np.str_("2024-Q1"), "town": np.str_("東鎮"),
         "stage": np.str_("a"), "w1": np.float64(0.1), "w2": np.float32(0.2),
         "extra": np.float64("nan"), "v1": np.False_},
        {"subject": np.int64(7), "period": "2024-Q1", "town": "西鎮", "stage": "b",
         "w1": np.int64(60), "w2": np.uint8(40), "extra": np.int32(5), "v1": np.bool_(False)},
    ]  # fmt: skip
    evaluation = evaluate(SCHEME, records_from_rows(rows, SCHEME))
    # 0.1 (float64, repr 0.1) + 0.2 (float32, whose shortest text is 0.2) = 0.30 exactly
    assert evaluation.get("v-1", "2024-Q1").scores["total"] == Decimal("0.30")
    # 60 + 40 + 5 = 105.00; the subject 7 is the id "7"
    assert evaluation.get("7", "2024-Q1").scores["total"] == Decimal("105.00")
    # the same values in the nested form, straight to evaluate
    nested = [
        {"subject": r["subject"], "period": r["period"],
         "attributes": {"town": r["town"], "stage": r["stage"]},
         "points": {k: r[k] for k in ("w1", "w2", "extra", "v1")}}
        for r in rows
    ]  # fmt: skip
    assert totals(evaluate(SCHEME, nested)) == {
        ("v-1", "2024-Q1"): (Decimal("0.30"), "none", 2),
        ("7", "2024-Q1"): (Decimal("105.00"), "full", 1),
    }


def test_numpy_values_outside_an_items_range_are_named_as_numbers() -> None:
    np = pytest.importorskip("numpy")
    assert evaluated(records_from_rows([{**FLAT1, "w1": np.int64(61)}], SCHEME)) == [
        "<rows>:1: w1: subject 'v-1': w1 = 61 is outside 0..60 [out-of-range]"
    ]


def test_pandas_missing_values_are_no_value() -> None:
    pd = pytest.importorskip("pandas")
    rows = [{**FLAT1, "extra": pd.NA}, {**FLAT1, "subject": "v-3", "extra": pd.NaT}]
    evaluation = evaluate(SCHEME, records_from_rows(rows, SCHEME))
    assert [r.scores["total"] for r in evaluation.results] == [Decimal("80.00")] * 2
    assert evaluated(records_from_rows([{**FLAT1, "w2": pd.NA}], SCHEME)) == [
        "<rows>:1: w2: subject 'v-1': no value for the item 'w2' [missing-value]"
    ]


def test_a_pandas_frame_of_mixed_columns() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame([FLAT1, FLAT2])
    assert str(frame["extra"].dtype) == "float64"  # None became NaN
    # rows taken by iloc hold numpy scalars (int64, float64 NaN, numpy bool)
    rows = [dict(frame.iloc[i]) for i in range(len(frame))]
    assert type(rows[1]["w1"]).__module__ == "numpy"
    assert totals(evaluate(SCHEME, records_from_rows(rows, SCHEME))) == GOOD
    assert totals(evaluate(SCHEME, records_from_rows(frame.to_dict("records"), SCHEME))) == GOOD


def test_numpy_is_not_imported_by_partyscore() -> None:
    code = (
        "import sys, partyscore\n"
        "s = partyscore.load_scheme('tests/data/features.yaml')\n"
        "rows = [{'subject': 'v-1', 'period': '2024-Q1', 'town': 't', 'stage': 'a',\n"
        "         'w1': float('nan'), 'w2': 1, 'v1': False}]\n"
        "try:\n"
        "    partyscore.evaluate(s, partyscore.records_from_rows(rows, s))\n"
        "except partyscore.RecordError:\n"
        "    pass\n"
        "print(sorted(m for m in ('numpy', 'pandas', 'polars') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout == "[]\n"


# --------------------------------------------------------------------------- nested form


def test_a_flat_item_key_in_the_nested_form_says_where_it_goes() -> None:
    flat_item = {"subject": "v-1", "period": "2024-Q1", "w1": 50}
    flat_attribute = {"subject": "v-1", "period": "2024-Q1", "town": "東鎮"}
    assert evaluated([flat_item, flat_attribute]) == [
        "<records>:1: w1: unknown key 'w1': item points go under 'points' "
        '({"points": {"w1": ...}}); or give flat rows to records_from_rows [unknown-key]',
        "<records>:2: town: unknown key 'town': attribute values go under 'attributes' "
        '({"attributes": {"town": ...}}); or give flat rows to records_from_rows '
        "[unknown-key]",
    ]


def test_a_label_in_the_nested_form_names_its_item() -> None:
    record = {"subject": "x", "period": "2024-Q1", "重點項1": 5}
    assert problems(evaluate, LADDER, [record]) == [
        "<records>:1: 重點項1: unknown key '重點項1' (the item 'key_01'): item points go "
        'under \'points\' ({"points": {"key_01": ...}}); or give flat rows to '
        "records_from_rows [unknown-key]"
    ]


def test_a_flat_item_key_in_a_json_file_says_where_it_goes(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps([{"subject": "v-1", "period": "2024-Q1", "w2": 30}], indent=2))
    assert problems(read, path, SCHEME) == [
        f"{path}:2: w2: unknown key 'w2': item points go under 'points' "
        '({"points": {"w2": ...}}); or give flat rows to records_from_rows [unknown-key]'
    ]


# --------------------------------------------------------------------------- results


def test_result_to_dict() -> None:
    evaluation = evaluate(SCHEME, records_from_rows([FLAT1, FLAT2], SCHEME))
    data = evaluation.get("v-1", "2024-Q1").to_dict()
    assert {k: data[k] for k in ("subject", "period", "kind", "group", "band", "rank")} == {
        "subject": "v-1", "period": "2024-Q1", "kind": "period", "group": "東鎮",
        "band": "none", "rank": 2,
    }  # fmt: skip
    assert data["scores"] == {"work": Decimal("80"), "total": Decimal("80.00")}  # 50 + 30
    assert data["ranks"] == {"rk": 2, "grk": 1}  # second of two; first in 東鎮
    # last (rank 2 of 2) with 80 < 85: the first step of last_low
    assert [(a["id"], a["rule"], a["step"]) for a in data["actions"]] == [
        ("statement", "last_low", 1)
    ]
    assert data["source"] == "<rows>:1"
    prize = evaluation.get("v-2", "2024-Q1").to_dict()["rewards"][0]
    # rank 1 in band full: 600 CNY, money written as text
    assert (prize["id"], prize["amount"], prize["currency"]) == ("prize", "600.00", "CNY")


def test_get_finds_period_and_year_end_results() -> None:
    # v-1 in stage a each quarter of 2024: totals 40, 50, 60, 70, so the annual mean is 55.00
    rows = [{**FLAT1, "period": f"2024-Q{q}", "w1": 10 * q} for q in (1, 2, 3, 4)]
    evaluation = evaluate(SCHEME, records_from_rows(rows, SCHEME))
    assert evaluation.get("v-1", "2024-Q3").scores["total"] == Decimal("60.00")
    year = evaluation.get("v-1", "2024")
    assert (year.kind, year.scores["annual"]) == ("year_end", Decimal("55.00"))
    with pytest.raises(KeyError) as caught:
        evaluation.get("v-9", "2024-Q1")
    assert caught.value.args == ("no result for subject 'v-9' in '2024-Q1'",)
    with pytest.raises(KeyError) as caught:
        evaluation.get("v-1", "2025")
    assert caught.value.args == ("no result for subject 'v-1' in '2025'",)
