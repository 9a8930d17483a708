"""Golden tests for schemes/chengzhuang-ladder.yaml, computed by hand from the source text.

Source (seed lines 153-181): 110 points = key 45 + basic 55 + innovation 10; steps
[70, 80) -> 0.8, [80, 90) -> 0.9, [90, 110] -> 1.0; withheld 3000 / 2000 / 1000 by line;
total < 70 or key < 40 -> self-reflection and coefficient 0.7; total < 60 or key < 35 ->
admonition talk, two consecutive quarters -> removal, three and a major error -> dismissal.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore

SCHEME = Path(__file__).parent.parent / "schemes" / "chengzhuang-ladder.yaml"
KEY_MAX = [5, 5, 5, 5, 5, 4, 4, 4, 4, 4]
BASIC_MAX = [5] * 7 + [4] * 5
INNOVATION = ["pillar", "centre", "education", "stability", "culture"]


@pytest.fixture(scope="module")
def scheme() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(SCHEME)


def fill(total: str, maxima: list[int]) -> list[Decimal]:
    """Points that add up to `total`, filling items in order up to their maxima."""
    left = Decimal(total)
    points = []
    for top in maxima:
        take = min(left, Decimal(top))
        points.append(take)
        left -= take
    assert left == 0, "total above the section maximum"
    return points


def record(subject: str, period: str, key: str, basic: str, innovation: str = "0", *,
           line: str = "front", major_error: bool = False, inaction: str = "none",
           autonomous: bool = True) -> dict[str, Any]:
    points: dict[str, Any] = {}
    points.update({f"key_{i:02d}": v for i, v in enumerate(fill(key, KEY_MAX), 1)})
    points.update({f"basic_{i:02d}": v for i, v in enumerate(fill(basic, BASIC_MAX), 1)})
    points.update({f"innovation_{n}": v
                   for n, v in zip(INNOVATION, fill(innovation, [2] * 5), strict=True)})
    points.update({f"autonomous_{i:02d}": autonomous for i in range(1, 12)})
    attributes = {"line": line, "major_error": major_error, "inaction": inaction}
    return {"subject": subject, "period": period, "attributes": attributes, "points": points}


def one(scheme: partyscore.CompiledScheme, rec: dict[str, Any]) -> partyscore.Result:
    """Evaluate a record beside a strong branch, so the record is not last in the mine."""
    strong = record("zz-strong", rec["period"], "45", "55", "10")
    evaluation = partyscore.evaluate(scheme, [rec, strong])
    return evaluation.get(rec["subject"], rec["period"])


# --- the ladder: step boundaries with key >= 40 -----------------------------------------

@pytest.mark.parametrize(
    ("basic", "innovation", "total", "step", "coefficient"),
    [
        # key is 40 in every row, so total = 40 + basic + innovation.
        ("29.99", "0", "69.99", "no_step", "0.7"),  # 低於70分: below the ladder
        ("30", "0", "70.00", "step1", "0.8"),  # 70-80分: 70 is in step 1
        ("39.99", "0", "79.99", "step1", "0.8"),
        ("40", "0", "80.00", "step2", "0.9"),  # 不含80分: 80 is not step 1
        ("49.99", "0", "89.99", "step2", "0.9"),
        ("50", "0", "90.00", "step3", "1.0"),  # 不含90分: 90 is step 3
        ("55", "10", "105.00", "step3", "1.0"),
    ],
)
def test_ladder_steps(scheme, basic, innovation, total, step, coefficient):
    result = one(scheme, record("b", "2024-Q1", "40", basic, innovation))
    assert result.scores["total"] == Decimal(total)
    assert result.bands["step"] == step
    assert result.scores["coefficient"] == Decimal(coefficient)


def test_full_marks_is_110_in_step_three(scheme):
    # 45 + 55 + 10 = 110, the top of [90, 110]
    result = one(scheme, record("b", "2024-Q1", "45", "55", "10"))
    assert result.scores["total"] == Decimal("110")
    assert result.bands["step"] == "step3"


def test_autonomous_items_are_not_scored(scheme):
    done = one(scheme, record("b", "2024-Q1", "42", "40", "3", autonomous=True))
    undone = one(scheme, record("b", "2024-Q1", "42", "40", "3", autonomous=False))
    # 42 + 40 + 3 = 85 either way: 自主項 ... 不納入工作績效考核
    assert done.scores["total"] == undone.scores["total"] == Decimal("85")


# --- coefficient 0.7 and self-reflection -------------------------------------------------

@pytest.mark.parametrize(
    ("key", "basic", "reflection", "coefficient"),
    [
        ("39.5", "55", True, "0.7"),  # key < 40 with total 94.5: forced to 0.7
        ("40", "54.5", False, "1.0"),  # key exactly 40 is not 低於40; total 94.5 -> step3
        ("45", "24.5", True, "0.7"),  # total 69.5 < 70
        ("45", "25", False, "0.8"),  # total 70 -> step1
    ],
)
def test_self_reflection_and_forced_coefficient(scheme, key, basic, reflection, coefficient):
    result = one(scheme, record("b", "2024-Q1", key, basic))
    fired = [a for a in result.actions if a.rule == "low_total_or_key"]
    assert bool(fired) is reflection
    if reflection:
        assert fired[0].id == "self_reflection"
    assert result.scores["coefficient"] == Decimal(coefficient)


@pytest.mark.parametrize(
    ("line", "key", "basic", "amount"),
    [
        ("front", "40", "45", "2700.00"),  # 85 -> 0.9; 3000 x 0.9
        ("second", "40", "35", "1600.00"),  # 75 -> 0.8; 2000 x 0.8 (20xx read as 2000)
        ("surface", "40", "55", "1000.00"),  # 95 -> 1.0; 1000 x 1.0
        ("front", "38", "55", "2100.00"),  # key 38 < 40 -> 0.7; 3000 x 0.7
        ("surface", "30", "20", "700.00"),  # 50 -> 0.7; 1000 x 0.7
    ],
)
def test_ladder_pay(scheme, line, key, basic, amount):
    result = one(scheme, record("b", "2024-Q1", key, basic, line=line))
    pay = result.reward("ladder_pay")
    assert pay is not None
    assert pay.amount == Decimal(amount)
    assert pay.currency == "CNY"


# --- admonition, removal, dismissal ------------------------------------------------------

def low_actions(result: partyscore.Result) -> list[str]:
    return [a.id for a in result.actions if a.rule == "low_score"]


@pytest.mark.parametrize(
    ("key", "basic", "expected"),
    [
        ("40", "20", []),  # total 60 is not 低於60分
        ("40", "19.5", ["admonition_talk"]),  # total 59.5
        ("35", "55", []),  # key 35 is not 低於35分 (total 90)
        ("34.5", "55", ["admonition_talk"]),  # key 34.5 < 35 even with total 89.5
    ],
)
def test_admonition_bounds(scheme, key, basic, expected):
    assert low_actions(one(scheme, record("b", "2024-Q1", key, basic))) == expected


def run_quarters(scheme, quarters: list[tuple[str, str, str, bool]]) -> list[list[str]]:
    """Evaluate one branch over several quarters; return its low_score actions per quarter."""
    records = [record("b", period, key, basic, major_error=major)
               for period, key, basic, major in quarters]
    records += [record("zz-strong", period, "45", "55", "10") for period, *_ in quarters]
    evaluation = partyscore.evaluate(scheme, records)
    return [low_actions(evaluation.get("b", period)) for period, *_ in quarters]


def test_two_consecutive_quarters_remove(scheme):
    assert run_quarters(scheme, [
        ("2024-Q1", "40", "10", False),  # 50 < 60: 1st
        ("2024-Q2", "30", "40", False),  # key 30 < 35: 2nd consecutive
    ]) == [["admonition_talk"], ["removal"]]


def test_broken_run_starts_again(scheme):
    assert run_quarters(scheme, [
        ("2024-Q1", "40", "10", False),  # low
        ("2024-Q2", "40", "40", False),  # 80: not low, the run breaks
        ("2024-Q3", "40", "10", False),  # low again: 1st of a new run
    ]) == [["admonition_talk"], [], ["admonition_talk"]]


def test_a_missing_quarter_breaks_the_run(scheme):
    assert run_quarters(scheme, [
        ("2024-Q1", "40", "10", False),
        ("2024-Q3", "40", "10", False),  # no Q2 record: not consecutive
    ]) == [["admonition_talk"], ["admonition_talk"]]


def test_runs_cross_the_year_end(scheme):
    assert run_quarters(scheme, [
        ("2024-Q4", "40", "10", False),
        ("2025-Q1", "40", "10", False),  # Q4 then Q1 are consecutive quarters
    ]) == [["admonition_talk"], ["removal"]]


def test_three_quarters_with_major_error_dismiss(scheme):
    assert run_quarters(scheme, [
        ("2024-Q1", "40", "10", False),
        ("2024-Q2", "40", "10", False),
        ("2024-Q3", "40", "10", True),  # 3rd consecutive and 重大失誤
    ]) == [["admonition_talk"], ["removal"], ["dismissal"]]


def test_three_quarters_without_major_error_stay_at_removal(scheme):
    assert run_quarters(scheme, [
        ("2024-Q1", "40", "10", False),
        ("2024-Q2", "40", "10", False),
        ("2024-Q3", "40", "10", False),  # 3rd consecutive, no major error: still >= 2
        ("2024-Q4", "40", "10", True),  # 4th, with a major error: 3rd and later
    ]) == [["admonition_talk"], ["removal"], ["removal"], ["dismissal"]]


# --- face link: last in the mine ---------------------------------------------------------

def test_last_in_mine_reflects_and_is_noticed_even_with_a_good_total(scheme):
    records = [
        record("a", "2024-Q1", "45", "55", "10"),  # 110
        record("b", "2024-Q1", "45", "50", "0"),  # 95
        record("c", "2024-Q1", "44", "46", "0"),  # 90: last, yet on step 3
    ]
    evaluation = partyscore.evaluate(scheme, records)
    last = evaluation.get("c", "2024-Q1")
    assert last.ranks["mine_rank"] == 3
    assert {(a.id, a.rule) for a in last.actions} == {
        ("self_reflection", "face_link"),
        ("mine_notice", "face_link_notice"),
    }
    assert last.scores["coefficient"] == Decimal("1.0")  # 面子掛鈎 does not cut pay
    assert evaluation.get("b", "2024-Q1").actions == ()


def test_branches_tied_at_the_bottom_are_both_last(scheme):
    records = [
        record("a", "2024-Q1", "45", "55", "10"),  # 110
        record("b", "2024-Q1", "44", "46", "0"),  # 90
        record("c", "2024-Q1", "44", "46", "0"),  # 90
    ]
    evaluation = partyscore.evaluate(scheme, records)
    for subject in ("b", "c"):
        result = evaluation.get(subject, "2024-Q1")
        assert result.ranks["mine_rank"] == 2  # competition ranking: 1, 2, 2
        assert "mine_notice" in result.action_ids()


def test_below_minimum_standard_is_noticed(scheme):
    # total 69 < 70 (the assumed minimum standard) while a weaker branch is last
    records = [
        record("b", "2024-Q1", "40", "29"),  # 69
        record("w", "2024-Q1", "40", "20"),  # 60, last
    ]
    evaluation = partyscore.evaluate(scheme, records)
    result = evaluation.get("b", "2024-Q1")
    assert result.ranks["mine_rank"] == 1
    assert "mine_notice" in result.action_ids()


# --- inaction (末位淘汰) -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("inaction", "expected"),
    [("none", []), ("minor", ["admonition_talk"]), ("serious", ["removal"]),
     ("grave", ["dismissal"])],
)
def test_inaction_by_severity(scheme, inaction, expected):
    result = one(scheme, record("b", "2024-Q1", "45", "50", inaction=inaction))
    assert [a.id for a in result.actions if a.rule.startswith("inaction_")] == expected


# --- the shipped example -----------------------------------------------------------------

def test_example_evaluates(scheme):
    path = Path(__file__).parent.parent / "examples" / "chengzhuang-ladder.csv"
    evaluation = partyscore.evaluate(scheme, partyscore.read_records(path, scheme))
    assert len(evaluation.results) == 48  # 12 branches x 4 quarters
    # 綜採一隊 2024-Q1: key 44, basic 50, innovation 6 -> 100, step3, front: 3000 x 1.0
    first = evaluation.get("綜採一隊", "2024-Q1")
    assert first.scores["total"] == Decimal("100")
    reward = first.reward("ladder_pay")
    assert reward is not None
    assert reward.amount == Decimal("3000.00")
    # 開拓隊: 55, 57, 52 in Q1-Q3 (< 60), a major error in Q3 -> dismissal
    assert "dismissal" in evaluation.get("開拓隊", "2024-Q3").action_ids()
    assert "removal" in evaluation.get("開拓隊", "2024-Q2").action_ids()
