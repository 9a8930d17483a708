"""Data frames in and out: flat rows of a pandas DataFrame -> `records_from_rows` ->
`evaluate` -> `Evaluation.to_pandas` / `to_polars`, on the shipped Chengzhuang ladder.

The scheme (schemes/chengzhuang-ladder.yaml): key items key_01..key_05 (max 5) and
key_06..key_10 (max 4); basic items basic_01..basic_07 (max 5) and basic_08..basic_12
(max 4); five innovation items (max 2); eleven unscored flags. total = key + basic +
innovation, rounded to 2 places. Bands on total: step1 [70, 80) 0.8, step2 [80, 90) 0.9,
step3 [90, 110] 1.0. coefficient = 0.7 when total < 70 or key < 40, else the band's
step_coefficient (2 places). ladder_pay = withheld x coefficient, withheld 3000 (front line),
2000 (second), 1000 (surface). mine_rank ranks totals, highest first. The branch last in
the ranking gets self_reflection and mine_notice (face_link, face_link_notice); key < 40
gives self_reflection (low_total_or_key).
"""

from __future__ import annotations

import csv
import io
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore
from partyscore import Evaluation, Result
from partyscore._frames import polars_decimal
from partyscore._i18n import language

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

ROOT = Path(__file__).resolve().parent.parent
LADDER = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")

KEY_IDS = [f"key_{n:02}" for n in range(1, 11)]
BASIC_IDS = [f"basic_{n:02}" for n in range(1, 13)]
INNOVATION_IDS = [
    "innovation_pillar", "innovation_centre", "innovation_education", "innovation_stability",
    "innovation_culture",
]  # fmt: skip


def branch(subject: str, line: str, key: list[Any], basic: list[Any], innovation: list[Any]):
    row: dict[str, Any] = {"subject": subject, "period": "2024-Q1", "line": line}
    row.update(zip(KEY_IDS, key, strict=True))
    row.update(zip(BASIC_IDS, basic, strict=True))
    row.update(zip(INNOVATION_IDS, innovation, strict=True))
    row.update({f"autonomous_{n:02}": n % 2 == 0 for n in range(1, 12)})
    return row


# 甲隊 (front): key 5+5+5+5+5+4+4+4+4+4 = 45; basic 4.5+5x6 + 4x5 = 4.5+30+20 = 54.5;
#   innovation 2+1.5+1+0+0 = 4.5; total 45 + 54.5 + 4.5 = 104.00: step3, coefficient 1.00,
#   ladder_pay 3000 x 1.00 = 3000.00; rank 1.
# 乙隊 (second): key 5+5+4+4+4+4+3+3+3+3 = 38 (< 40); basic 5+4x6 + 4+3x4 = 29+16 = 45;
#   innovation 1+1+0.5+0+0 = 2.5; total 38 + 45 + 2.5 = 85.50: step2 (0.9), but key < 40
#   makes the coefficient 0.70; ladder_pay 2000 x 0.70 = 1400.00; rank 2; self_reflection.
# 丙隊 (surface): key 5+5+5+4+4+4+4+3+3+3 = 40; basic 3x7 + 2x5 = 21+10 = 31; innovation 0;
#   total 40 + 31 + 0 = 71.00: step1, coefficient 0.80; ladder_pay 1000 x 0.80 = 800.00;
#   rank 3 of 3, the last: self_reflection and mine_notice.
ROWS = [
    branch("甲隊", "front", [5, 5, 5, 5, 5, 4, 4, 4, 4, 4], [4.5] + [5] * 6 + [4] * 5,
           [2, 1.5, 1, 0, 0]),
    branch("乙隊", "second", [5, 5, 4, 4, 4, 4, 3, 3, 3, 3], [5] + [4] * 6 + [4] + [3] * 4,
           [1, 1, 0.5, 0, 0]),
    branch("丙隊", "surface", [5, 5, 5, 4, 4, 4, 4, 3, 3, 3], [3] * 7 + [2] * 5, [0] * 5),
]  # fmt: skip


def frame() -> Any:
    """The rows as a DataFrame as a web app holds them: a missing attribute as NaN or
    None, numbers as int64 and float64 columns, two items headed by their labels."""
    data = pd.DataFrame(ROWS)
    data["inaction"] = [float("nan"), None, "none"]  # no value: the default, none
    data["major_error"] = [None, False, float("nan")]  # no value: the default, false
    return data.rename(columns={"key_01": "key item 1", "key_02": "重點項2"})


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    records = partyscore.records_from_rows(frame().to_dict("records"), LADDER)
    return partyscore.evaluate(LADDER, records)


def test_the_frame_has_the_dtypes_a_web_app_gives() -> None:
    data = frame()
    assert str(data["basic_01"].dtype) == "float64"  # 4.5 makes the column float: 4.0, 3.0
    assert str(data["key_03"].dtype) == "int64"


def test_round_trip_to_pandas(evaluation: Evaluation) -> None:
    out = evaluation.to_pandas()
    assert list(out["subject"]) == ["甲隊", "乙隊", "丙隊"]  # by rank, as the CSV lists them
    assert list(out["total"]) == [Decimal("104.00"), Decimal("85.50"), Decimal("71.00")]
    assert [str(v) for v in out["total"]] == ["104.00", "85.50", "71.00"]  # Decimal kept
    assert list(out["key"]) == [Decimal(45), Decimal(38), Decimal(40)]
    assert list(out["basic"]) == [Decimal("54.5"), Decimal(45), Decimal(31)]
    assert list(out["innovation"]) == [Decimal("4.5"), Decimal("2.5"), Decimal(0)]
    assert list(out["step"]) == ["step3", "step2", "step1"]
    assert [str(v) for v in out["step_coefficient"]] == ["1.0", "0.9", "0.8"]
    assert [str(v) for v in out["coefficient"]] == ["1.00", "0.70", "0.80"]
    assert [str(v) for v in out["ladder_pay_amount"]] == ["3000.00", "1400.00", "800.00"]
    assert list(out["mine_rank"]) == [1, 2, 3]
    assert str(out["mine_rank"].dtype) == "Int64"
    assert str(out["total"].dtype) == "object"
    assert list(out["actions"]) == ["", "self_reflection", "self_reflection;mine_notice"]
    assert list(out["rewards"]) == ["ladder_pay"] * 3
    assert out["group"].isna().all()  # the scheme has no groups: null, not ""
    assert list(out["kind"]) == ["period"] * 3


def test_round_trip_to_polars(evaluation: Evaluation) -> None:
    out = evaluation.to_polars()
    assert out["subject"].to_list() == ["甲隊", "乙隊", "丙隊"]
    # each Decimal column with the scale of its values: nothing rounded, nothing padded away
    assert out.schema["total"] == pl.Decimal(38, 2)
    assert out.schema["basic"] == pl.Decimal(38, 1)  # 54.5
    assert out.schema["key"] == pl.Decimal(38, 0)  # 45, 38, 40
    assert out.schema["step_coefficient"] == pl.Decimal(38, 1)
    assert out.schema["ladder_pay_amount"] == pl.Decimal(38, 2)
    assert out.schema["mine_rank"] == pl.Int64
    assert out.schema["step"] == pl.String
    assert out["total"].to_list() == [Decimal("104.00"), Decimal("85.50"), Decimal("71.00")]
    assert out["coefficient"].to_list() == [Decimal("1.00"), Decimal("0.70"), Decimal("0.80")]
    assert out["ladder_pay_amount"].to_list() == [
        Decimal("3000.00"), Decimal("1400.00"), Decimal("800.00"),
    ]  # fmt: skip
    assert out["mine_rank"].to_list() == [1, 2, 3]
    assert out["group"].to_list() == [None, None, None]


def csv_header(evaluation: Evaluation) -> list[str]:
    return next(csv.reader(io.StringIO(partyscore.to_csv(evaluation))))


@pytest.mark.parametrize("lang", ["en", "zh-Hant"])
def test_frames_have_the_csv_columns(evaluation: Evaluation, lang: str) -> None:
    with language(lang):
        header = csv_header(evaluation)
        assert list(evaluation.to_pandas().columns) == header
        assert evaluation.to_polars().columns == header
    if lang == "zh-Hant":
        assert "考核總分" in header  # the label of total
    else:
        assert header[:4] == ["subject", "period", "kind", "group"]


def test_frames_hold_the_csv_cells(evaluation: Evaluation) -> None:
    # the same results read back from the CSV text: every cell of the frame, written as
    # the CSV writes it, is the CSV's cell (null is an empty cell)
    rows = list(csv.reader(io.StringIO(partyscore.to_csv(evaluation))))[1:]
    out = evaluation.to_pandas()

    def cell(value: Any) -> str:
        return "" if value is None or value is pd.NA else str(value)

    assert [[cell(v) for v in row] for row in out.itertuples(index=False)] == rows


def test_year_end_scores_are_null_on_period_rows() -> None:
    scheme = partyscore.load_scheme(ROOT / "tests" / "data" / "features.yaml")
    # v-1 in stage a: w1 + w2 each quarter; totals 40, 50, 60, 70: annual mean 55.00
    rows = [
        {"subject": "v-1", "period": f"2024-Q{q}", "town": "東鎮", "stage": "a",
         "w1": 10 * q, "w2": 30, "extra": None, "v1": False}
        for q in (1, 2, 3, 4)
    ]  # fmt: skip
    evaluation = partyscore.evaluate(scheme, partyscore.records_from_rows(rows, scheme))
    out = evaluation.to_polars()
    assert out["period"].to_list() == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2024"]
    assert out["kind"].to_list() == ["period"] * 4 + ["year_end"]
    assert out["total"].to_list() == [
        Decimal("40.00"), Decimal("50.00"), Decimal("60.00"), Decimal("70.00"), None,
    ]  # fmt: skip
    assert out["annual"].to_list() == [None] * 4 + [Decimal("55.00")]
    assert out["rk"].to_list() == [1, 1, 1, 1, None]
    panda = evaluation.to_pandas()
    assert panda["annual"].tolist() == [None] * 4 + [Decimal("55.00")]
    assert panda["rk"].isna().tolist() == [False] * 4 + [True]


def test_no_results_give_empty_frames_with_every_column() -> None:
    evaluation = partyscore.evaluate(LADDER, [])
    header = csv_header(evaluation)
    assert len(header) == 17  # 4 fixed, 5 scores, a banding, a band field, a ranking, 5 more
    assert list(evaluation.to_pandas().columns) == header
    assert evaluation.to_polars().shape == (0, 17)


def test_a_decimal_column_too_wide_for_polars_is_exact_text() -> None:
    wide = Decimal("1." + "1" * 40)  # 41 digits: more than a polars Decimal (38) holds
    result = Result("a", "2024-Q1", None, scores={"s": wide, "t": Decimal("2.5")})
    evaluation = Evaluation("x", 1, (result,))
    out = evaluation.to_polars()
    assert out.schema["s"] == pl.String
    assert out["s"].to_list() == ["1." + "1" * 40]
    assert out.schema["t"] == pl.Decimal(38, 1)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([Decimal("1.0"), Decimal("0.25"), None], (38, 2)),
        ([Decimal("123456789012"), Decimal("0.5")], (38, 1)),
        ([None], (38, 0)),
        ([Decimal("1" * 30), Decimal("0." + "1" * 8)], (38, 8)),  # 30 + 8 = 38 digits
        ([Decimal("1" * 30), Decimal("0." + "1" * 9)], None),  # 30 + 9 = 39
    ],
)
def test_polars_decimal_scale(values: list[Decimal | None], expected: object) -> None:
    assert polars_decimal(values) == expected


@pytest.mark.parametrize(("module", "method"), [("pandas", "to_pandas"), ("polars", "to_polars")])
def test_a_missing_frame_library_says_which_extra(
    evaluation: Evaluation, monkeypatch: pytest.MonkeyPatch, module: str, method: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # import of it fails
    with pytest.raises(ModuleNotFoundError) as caught:
        getattr(evaluation, method)()
    assert str(caught.value) == (
        f"Evaluation.{method}() needs {module}: pip install 'partyscore[frames]'"
    )
    assert caught.value.name == module
