"""Golden tests for the Guodian Jingyuan schemes (sample 1): branch grading and member points.

Every expected value is worked out by hand from the source rules and the scheme's stated
assumptions; the arithmetic is in the comment next to it.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore

ROOT = Path(__file__).parent.parent
D = Decimal
TOP_FLAGS = ["top_fifth", "award_candidate", "study_priority", "training_priority"]


@pytest.fixture(scope="module")
def grading() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(ROOT / "schemes" / "jingyuan-branch-grading.yaml")


@pytest.fixture(scope="module")
def points() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(ROOT / "schemes" / "jingyuan-member-points.yaml")


def branch(subject: str, period: str, *areas: Decimal | int) -> dict[str, Any]:
    """A branch record; `areas` in the order organisation, institutions, organisational life,
    position, workflow."""
    names = ("organisation", "institutions", "organisational_life", "position", "workflow")
    return {"subject": subject, "period": period, "points": dict(zip(names, areas, strict=True))}


def member(subject: str, group: str, daily: Decimal | int, appraisal: Decimal | int,
           assessment: Decimal | int, self_: Decimal | int, period: str = "2024") -> dict[str, Any]:
    return {
        "subject": subject,
        "period": period,
        "attributes": {"branch": group},
        "points": {
            "daily_points": daily,
            "appraisal_points": appraisal,
            "assessment_points": assessment,
            "self_points": self_,
        },
    }


def flat(subject: str, group: str, score: Decimal | int) -> dict[str, Any]:
    """A member whose four components are all `score`, so the total is `score`:
    (40 + 30 + 20 + 10) x score / 100 = score."""
    return member(subject, group, score, score, score, score)


def top_members(evaluation: partyscore.Evaluation, group: str) -> list[str]:
    return [r.subject for r in evaluation.results
            if r.group == group and r.reward("top_fifth") is not None]


# --------------------------------------------------------------------------- branch grading


@pytest.mark.parametrize(
    ("areas", "total", "grade"),
    [
        ((20, 20, 20, 20, 20), D("100.00"), "A"),  # full marks: 5 x 20
        ((18, 18, 18, 18, D("18.01")), D("90.01"), "A"),  # 72 + 18.01, just above 90
        ((18, 18, 18, 18, 18), D("90.00"), "A"),  # 5 x 18 = 90: A is 90 and above
        ((18, 18, 18, 18, D("17.99")), D("89.99"), "B"),  # 72 + 17.99: just under 90
        ((18, 18, 18, 18, D("17.994")), D("89.99"), "B"),  # 89.994 rounds half up to 89.99
        ((18, 18, 18, 18, D("17.995")), D("90.00"), "A"),  # 89.995 rounds half up to 90.00
        ((16, 16, 16, 16, D("16.01")), D("80.01"), "B"),  # 64 + 16.01
        ((16, 16, 16, 16, 16), D("80.00"), "B"),  # 5 x 16 = 80: B starts at 80
        ((16, 16, 16, 16, D("15.99")), D("79.99"), "C"),  # 64 + 15.99: just under 80
        ((12, 12, 12, 12, D("12.01")), D("60.01"), "C"),  # 48 + 12.01
        ((12, 12, 12, 12, 12), D("60.00"), "C"),  # 5 x 12 = 60: C starts at 60
        ((12, 12, 12, 12, D("11.99")), D("59.99"), "D"),  # 48 + 11.99: below 60
        ((0, 0, 0, 0, 0), D("0.00"), "D"),  # the lowest possible total
    ],
)
def test_grade_boundaries(grading, areas, total, grade):
    result = partyscore.evaluate(grading, [branch("b1", "2024", *areas)]).get("b1", "2024")
    assert result.scores["total"] == total
    assert result.bands == {"grade": grade}
    # 差要求整改: rectification for grade D and for no other grade
    expected = [("rectification", "grade_d")] if grade == "D" else []
    assert [(a.id, a.rule) for a in result.actions] == expected


def test_five_areas_add_up(grading):
    record = branch("b1", "2024", D("19.5"), 17, D("18.5"), 20, D("16.5"))
    result = partyscore.evaluate(grading, [record]).get("b1", "2024")
    assert result.scores["five_builds"] == D("91.5")  # 19.5 + 17 + 18.5 + 20 + 16.5
    assert result.scores["total"] == D("91.50")
    assert result.bands["grade"] == "A"


def test_grade_is_re_evaluated_every_year(grading):
    # 動態管理: each year is graded on its own record; nothing carries over.
    records = [
        branch("b1", "2022", 11, 11, 12, 12, 12),  # 58 -> D, rectification
        branch("b1", "2023", 17, 17, 17, 17, 17),  # 85 -> B, no rectification left over
        branch("b1", "2024", 11, 12, 12, 12, 12),  # 59 -> D again: the same single action
        branch("b2", "2022", 19, 19, 19, 19, 19),  # 95 -> A; another branch does not matter
    ]
    evaluation = partyscore.evaluate(grading, records)
    assert len(evaluation.results) == 4
    assert evaluation.warnings == ()
    by_year = {year: evaluation.get("b1", year) for year in ("2022", "2023", "2024")}
    assert {y: r.bands["grade"] for y, r in by_year.items()} == {
        "2022": "D", "2023": "B", "2024": "D"}
    assert {y: r.action_ids() for y, r in by_year.items()} == {
        "2022": ["rectification"], "2023": [], "2024": ["rectification"]}
    assert evaluation.get("b2", "2022").bands["grade"] == "A"
    assert evaluation.get("b2", "2022").actions == ()


def test_branch_example_csv(grading):
    path = ROOT / "examples" / "jingyuan-branch-grading.csv"
    evaluation = partyscore.evaluate(grading, partyscore.read_records(path, grading))
    assert len(evaluation.results) == 30  # 10 branches x 3 years (2022-2024)
    assert evaluation.warnings == ()
    # 燃料部黨支部 2022: 11.5 + 9.5 + 11.5 + 13.5 + 11.5 = 57.5 < 60 -> D, rectification
    fuel = evaluation.get("燃料部黨支部", "2022")
    assert fuel.scores["total"] == D("57.50")
    assert fuel.bands["grade"] == "D"
    assert fuel.action_ids() == ["rectification"]
    # ... and 2024: 14 + 20 + 18.5 + 14.5 + 14 = 81 -> B, no action (動態管理)
    assert evaluation.get("燃料部黨支部", "2024").bands["grade"] == "B"
    assert evaluation.get("燃料部黨支部", "2024").actions == ()
    # 發電部第二黨支部 2023: 18 + 17.5 + 18 + 18.5 + 18 = 90, exactly on the A cut-off
    power = evaluation.get("發電部第二黨支部", "2023")
    assert power.scores["total"] == D("90.00")
    assert power.bands["grade"] == "A"
    assert power.actions == ()
    grades = [r.bands["grade"] for r in evaluation.results]
    # D only in 燃料部 2022 (57.5) and 後勤服務 2023 (12 + 14.5 + 8.5 + 11 + 9.5 = 55.5)
    assert grades.count("D") == 2
    assert sum(1 for r in evaluation.results if r.actions) == 2


def test_branch_bad_records_are_rejected(grading):
    records = [
        branch("b1", "2024", 21, 20, 20, 20, D("20.5")),
        {"subject": "b2", "period": "2024-Q1",
         "points": {"organisation": 1, "institutions": 1, "organisational_life": 1,
                    "position": 1, "workflow": 1}},
    ]
    with pytest.raises(partyscore.RecordError) as caught:
        partyscore.evaluate(grading, records)
    assert caught.value.render() == (
        "<records>:1: organisation: subject 'b1': organisation = 21 is outside 0..20 "
        "[out-of-range]\n"
        "<records>:1: workflow: subject 'b1': workflow = 20.5 is outside 0..20 [out-of-range]\n"
        "<records>:2: period: subject 'b2': '2024-Q1' is not a year label; expected e.g. "
        "'2024' [bad-period]"
    )


# --------------------------------------------------------------------------- member points


@pytest.mark.parametrize(
    ("components", "total"),
    [
        ((100, 100, 100, 100), D("100.00")),  # 40 + 30 + 20 + 10
        ((0, 0, 0, 0), D("0.00")),
        ((90, 80, 70, 60), D("80.00")),  # 36 + 24 + 14 + 6
        ((D("85.5"), D("90.5"), 77, 93), D("86.05")),  # 34.2 + 27.15 + 15.4 + 9.3
        # 35.2 + 24.3 + 16.8 + 8.975 = 85.275 -> 85.28. In binary floats
        # 0.4*88 + 0.3*81 + 0.2*84 + 0.1*89.75 is 85.27499999999999, which rounds to 85.27.
        ((88, 81, 84, D("89.75")), D("85.28")),
        # 32 + 24 + 16 + 8.025 = 80.025 -> 80.03 half up (half even would give 80.02)
        ((80, 80, 80, D("80.25")), D("80.03")),
        # 37.4 + 26.7 + 18.4 + 8.9 = 91.4
        ((D("93.5"), 89, 92, 89), D("91.40")),
    ],
)
def test_weighted_total(points, components, total):
    result = partyscore.evaluate(points, [member("m1", "b1", *components)]).get("m1", "2024")
    assert result.scores["total"] == total


def test_exact_total_ties_where_floats_would_not(points):
    records = [
        member("m1", "b1", 88, 81, 84, D("89.75")),  # 85.275 -> 85.28 (floats: 85.27)
        member("m2", "b1", 86, 84, 85, D("86.8")),  # 34.4 + 25.2 + 17 + 8.68 = 85.28
        flat("m3", "b1", 80),
        flat("m4", "b1", 70),
        flat("m5", "b1", 60),
        flat("m6", "b1", 50),
    ]
    evaluation = partyscore.evaluate(points, records)
    assert evaluation.get("m1", "2024").scores["total"] == D("85.28")
    assert evaluation.get("m2", "2024").scores["total"] == D("85.28")
    ranks = {r.subject: r.ranks["branch_rank"] for r in evaluation.results}
    assert ranks == {"m1": 1, "m2": 1, "m3": 3, "m4": 4, "m5": 5, "m6": 6}
    # 6 members: ceil(0.2 x 6) = ceil(1.2) = 2 places; m1 and m2 share rank 1, both in
    assert top_members(evaluation, "b1") == ["m1", "m2"]


@pytest.mark.parametrize(
    ("size", "places"),
    [
        (1, 1),  # ceil(0.2) = 1: a branch of one still has a top member
        (4, 1),  # ceil(0.8) = 1
        (5, 1),  # ceil(1.0) = 1
        (6, 2),  # ceil(1.2) = 2
        (7, 2),  # ceil(1.4) = 2
        (10, 2),  # ceil(2.0) = 2
        (12, 3),  # ceil(2.4) = 3
    ],
)
def test_top_share_is_rounded_up(points, size, places):
    # distinct totals 90, 89, 88, ...: member k has rank k
    records = [flat(f"m{k:02d}", "b1", 91 - k) for k in range(1, size + 1)]
    evaluation = partyscore.evaluate(points, records)
    assert [r.ranks["branch_rank"] for r in evaluation.results] == list(range(1, size + 1))
    assert top_members(evaluation, "b1") == [f"m{k:02d}" for k in range(1, places + 1)]


def test_top_members_get_all_three_priorities(points):
    records = [flat(f"m{k}", "b1", 95 - 5 * k) for k in range(1, 6)]  # 90, 85, 80, 75, 70
    evaluation = partyscore.evaluate(points, records)
    first = evaluation.get("m1", "2024")  # 5 members: ceil(1.0) = 1 place, m1 (90)
    assert [r.id for r in first.rewards] == TOP_FLAGS
    assert [r.rule for r in first.rewards] == TOP_FLAGS
    for k in range(2, 6):
        assert evaluation.get(f"m{k}", "2024").rewards == ()


@pytest.mark.parametrize(
    ("totals", "ranks", "chosen"),
    [
        # 6 members, 2 places; ranks 1, 2, 2, 4, ...: the tie at the cut brings in 3
        ((90, 85, 85, 80, 75, 70), [1, 2, 2, 4, 5, 6], 3),
        # 5 members, 1 place; two tied first: both in
        ((90, 90, 80, 70, 60), [1, 1, 3, 4, 5], 2),
        # 10 members, 2 places; three tied second: 1 + 3 = 4 in
        ((90, 80, 80, 80, 70, 60, 50, 40, 30, 20), [1, 2, 2, 2, 5, 6, 7, 8, 9, 10], 4),
        # 4 members, 1 place; all tied: all in
        ((75, 75, 75, 75), [1, 1, 1, 1], 4),
        # 7 members, 2 places; a tie just below the cut changes nothing
        ((95, 90, 85, 85, 80, 70, 60), [1, 2, 3, 3, 5, 6, 7], 2),
    ],
)
def test_ties_at_the_cut_are_included(points, totals, ranks, chosen):
    # zero-padded ids: results come in subject order, and m02 sorts before m10
    records = [flat(f"m{k:02d}", "b1", t) for k, t in enumerate(totals, start=1)]
    evaluation = partyscore.evaluate(points, records)
    assert [r.ranks["branch_rank"] for r in evaluation.results] == ranks
    assert top_members(evaluation, "b1") == [f"m{k:02d}" for k in range(1, chosen + 1)]
    for k in range(1, chosen + 1):
        assert [r.id for r in evaluation.get(f"m{k:02d}", "2024").rewards] == TOP_FLAGS


def test_ranking_is_within_the_branch(points):
    records = [
        *(flat(f"a{k}", "甲", 96 - k) for k in range(1, 6)),  # 甲: 95, 94, 93, 92, 91
        *(flat(f"b{k}", "乙", 71 - k) for k in range(1, 5)),  # 乙: 70, 69, 68, 67
        flat("c1", "丙", 50),  # a branch of one
    ]
    evaluation = partyscore.evaluate(points, records)
    assert len(evaluation.results) == 10
    # 甲: 5 members -> 1 place; 94 is second in 甲 (and second company-wide): not in
    assert evaluation.get("a2", "2024").ranks["branch_rank"] == 2
    assert top_members(evaluation, "甲") == ["a1"]
    # 乙: 70 is below every member of 甲 but first in its own branch: in
    assert evaluation.get("b1", "2024").ranks["branch_rank"] == 1
    assert top_members(evaluation, "乙") == ["b1"]
    # 丙: alone, rank 1, ceil(0.2 x 1) = 1 place
    assert evaluation.get("c1", "2024").ranks["branch_rank"] == 1
    assert top_members(evaluation, "丙") == ["c1"]


def test_member_example_csv(points):
    path = ROOT / "examples" / "jingyuan-member-points.csv"
    evaluation = partyscore.evaluate(points, partyscore.read_records(path, points))
    assert len(evaluation.results) == 34  # 12 + 9 + 7 + 6 members, 2024
    assert evaluation.warnings == ()
    # 燃料部 (7 members, ceil(1.4) = 2 places):
    # 孫勇 93.5, 89, 92, 89: 37.4 + 26.7 + 18.4 + 8.9 = 91.4, rank 1
    sun = evaluation.get("燃料-孫勇", "2024")
    assert sun.scores["total"] == D("91.40")
    assert sun.ranks["branch_rank"] == 1
    assert [r.id for r in sun.rewards] == TOP_FLAGS
    # 馬國慶 89, 93, 90, 88: 35.6 + 27.9 + 18 + 8.8 = 90.3, tied with
    # 吳文博 91, 91, 90, 86: 36.4 + 27.3 + 18 + 8.6 = 90.3 at rank 2: both in (3 > 2 places)
    ma = evaluation.get("燃料-馬國慶", "2024")
    assert ma.scores["total"] == D("90.30")
    assert ma.ranks["branch_rank"] == 2
    assert evaluation.get("燃料-吳文博", "2024").ranks["branch_rank"] == 2
    assert sorted(top_members(evaluation, "燃料部黨支部")) == sorted(
        ["燃料-孫勇", "燃料-馬國慶", "燃料-吳文博"])
    # ceil(0.2 x 12) = 3, ceil(0.2 x 9) = 2, 3 (tie) and ceil(0.2 x 6) = 2: 10 in all
    counts = {g: len(top_members(evaluation, g)) for g in
              ("發電部第一黨支部", "設備部黨支部", "燃料部黨支部", "機關第一黨支部")}
    assert counts == {"發電部第一黨支部": 3, "設備部黨支部": 2, "燃料部黨支部": 3,
                      "機關第一黨支部": 2}


def test_member_bad_records_are_rejected(points):
    full = {"daily_points": 90, "appraisal_points": 90, "assessment_points": 90,
            "self_points": 90}
    records = [
        {"subject": "m1", "period": "2024", "attributes": {}, "points": full},
        {"subject": "m2", "period": "2024", "attributes": {"branch": "b1"},
         "points": {**full, "self_points": D("100.5")}},
        {"subject": "m3", "period": "2023", "attributes": {"branch": "b1"}, "points": full},
    ]
    with pytest.raises(partyscore.RecordError) as caught:
        partyscore.evaluate(points, records)
    assert caught.value.render() == (
        "<records>:1: branch: subject 'm1': no value for 'branch' [missing-value]\n"
        "<records>:2: self_points: subject 'm2': self_points = 100.5 is outside 0..100 "
        "[out-of-range]\n"
        "<records>:3: period: subject 'm3': 2023 is outside this scheme version's dates "
        "(2024-01-01 on) [period-not-effective]"
    )
