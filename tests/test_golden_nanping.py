"""Golden tests for the Nanping schemes, computed by hand from the source text.

Source (seed lines 183-207): a monthly activity day with member attendance of 100%
(黨員參加率達到100%); centre households reviewed every half year, keeping the title when
they perform well and are affirmed by the district's members, otherwise discussed for
replacement by the branch committee. The numbers the source does not give are the schemes'
assumptions: four roles x 25 points, keep at 60 points and 50% affirmation, the handbook
kept.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore

ROOT = Path(__file__).parent.parent
CENTRE = ROOT / "schemes" / "nanping-centre-household.yaml"
ACTIVITY = ROOT / "schemes" / "nanping-activity-day.yaml"
ROLES = ("coordinator", "mediator", "integrity_model", "helper")


@pytest.fixture(scope="module")
def centre() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(CENTRE)


@pytest.fixture(scope="module")
def activity() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(ACTIVITY)


# --- centre households --------------------------------------------------------------------


def household(
    subject: str,
    period: str,
    roles: tuple[str, str, str, str],
    affirmation: str,
    handbook_not_kept: bool = False,
    district: str = "南坪東路",
) -> dict[str, Any]:
    points: dict[str, Any] = {k: Decimal(v) for k, v in zip(ROLES, roles, strict=True)}
    points["affirmation_share"] = Decimal(affirmation)
    points["handbook_not_kept"] = handbook_not_kept
    return {
        "subject": subject,
        "period": period,
        "attributes": {"district": district},
        "points": points,
    }


@pytest.mark.parametrize(
    ("roles", "affirmation", "total", "keeps"),
    [
        (("15", "15", "15", "15"), "50", "60", True),  # 15 x 4 = 60 and 50%: both bounds kept
        (("15", "15", "15", "14.99"), "50", "59.99", False),  # 59.99 < 60
        (("15", "15", "15", "14.5"), "100", "59.5", False),  # 59.5 < 60, whatever affirmation
        (("15", "15", "15", "15"), "49.99", "60", False),  # 49.99% < 50%
        (("25", "25", "25", "25"), "49.5", "100", False),  # full marks, not affirmed
        (("25", "25", "25", "25"), "100", "100", True),
        (("20", "18", "21", "19"), "75", "78", True),  # 20 + 18 + 21 + 19 = 78
        (("0", "0", "0", "0"), "0", "0", False),
    ],
)
def test_keep_or_refer(centre, roles, affirmation, total, keeps):
    rec = household("h", "2024-H1", roles, affirmation)
    result = partyscore.evaluate(centre, [rec]).get("h", "2024-H1")
    assert result.scores["total"] == Decimal(total)
    assert [r.id for r in result.rewards] == (["keep_title"] if keeps else [])
    expected = [] if keeps else [("refer_for_replacement", "replacement")]
    assert [(a.id, a.rule) for a in result.actions] == expected


def test_handbook_not_kept_withholds_the_title(centre):
    # 每名黨員中心户一本《中心户手冊》: full marks and full affirmation, but no handbook
    rec = household("h", "2024-H1", ("25", "25", "25", "25"), "100", handbook_not_kept=True)
    result = partyscore.evaluate(centre, [rec]).get("h", "2024-H1")
    assert result.rewards == ()
    assert [(w.id, w.blocked_by) for w in result.withheld] == [
        ("keep_title", "veto handbook: handbook_not_kept")
    ]
    assert result.action_ids() == ["refer_for_replacement"]


def test_review_is_every_half_year(centre):
    records = [
        household("h", p, ("20", "20", "20", "20"), "80") for p in ("2024-H1", "2024-H2", "2025-H1")
    ]
    evaluation = partyscore.evaluate(centre, records)
    assert [r.period for r in evaluation.results] == ["2024-H1", "2024-H2", "2025-H1"]
    assert evaluation.warnings == ()  # no year-end rules


def test_group_is_the_district(centre):
    rec = household("h", "2024-H1", ("20", "20", "20", "20"), "80", district="四小區")
    assert partyscore.evaluate(centre, [rec]).get("h", "2024-H1").group == "四小區"


def test_role_points_above_25_are_rejected(centre):
    rec = household("h", "2024-H1", ("26", "20", "20", "20"), "80")
    with pytest.raises(partyscore.RecordError) as caught:
        partyscore.evaluate(centre, [rec])
    assert caught.value.render() == (
        "<records>:1: coordinator: subject 'h': coordinator = 26 is outside 0..25 [out-of-range]"
    )


def test_affirmation_above_100_is_rejected(centre):
    rec = household("h", "2024-H1", ("20", "20", "20", "20"), "100.5")
    with pytest.raises(partyscore.RecordError) as caught:
        partyscore.evaluate(centre, [rec])
    assert caught.value.render() == (
        "<records>:1: affirmation_share: subject 'h': affirmation_share = 100.5 is outside "
        "0..100 [out-of-range]"
    )


def test_centre_household_example(centre):
    path = ROOT / "examples" / "nanping-centre-household.csv"
    evaluation = partyscore.evaluate(centre, partyscore.read_records(path, centre))
    # 9 households x 2 half years
    assert len(evaluation.results) == 18
    # 老張家電維修部, 2024-H1: 15 + 14 + 16 + 15 = 60 and 50%: exactly at both bounds, kept
    zhang = evaluation.get("老張家電維修部", "2024-H1")
    assert zhang.scores["total"] == Decimal("60")
    assert [r.id for r in zhang.rewards] == ["keep_title"]
    # 興隆五金店, 2024-H1: 14 + 13 + 16 + 16.5 = 59.5 < 60: referred
    assert evaluation.get("興隆五金店", "2024-H1").action_ids() == ["refer_for_replacement"]
    # 巧手裁縫鋪, 2024-H1: 73 points but 45% < 50%: referred; 2024-H2: 76 and 62%: kept
    assert evaluation.get("巧手裁縫鋪", "2024-H1").action_ids() == ["refer_for_replacement"]
    assert evaluation.get("巧手裁縫鋪", "2024-H2").action_ids() == []
    # 天天便利店, 2024-H1: 80 points, 49.5%: referred
    assert evaluation.get("天天便利店", "2024-H1").action_ids() == ["refer_for_replacement"]
    # 正陽鮮果行, 2024-H1: 23 + 21 + 24 + 22 = 90 and 85%, but the handbook was not kept
    zhengyang = evaluation.get("正陽鮮果行", "2024-H1")
    assert zhengyang.scores["total"] == Decimal("90")
    assert [w.id for w in zhengyang.withheld] == ["keep_title"]
    assert zhengyang.action_ids() == ["refer_for_replacement"]
    assert zhengyang.group == "南城大道"
    referred = sorted(
        (r.subject, r.period)
        for r in evaluation.results
        if "refer_for_replacement" in r.action_ids()
    )
    assert referred == sorted(
        [
            ("興隆五金店", "2024-H1"),
            ("巧手裁縫鋪", "2024-H1"),
            ("天天便利店", "2024-H1"),
            ("正陽鮮果行", "2024-H1"),
            ("興隆五金店", "2024-H2"),
        ]
    )


# --- the monthly activity day -------------------------------------------------------------


def month(subject: str, period: str, members: int, attending: int) -> dict[str, Any]:
    contents = {
        "three_meetings_one_lesson": True,
        "red_education": False,
        "member_deliberation": True,
        "volunteer_service": True,
    }
    return {
        "subject": subject,
        "period": period,
        "attributes": {"members": members, "attending": attending},
        "points": contents,
    }


@pytest.mark.parametrize(
    ("members", "attending", "rate", "below"),
    [
        (24, 24, "100", False),  # 黨員參加率達到100%
        (24, 23, "95.83", True),  # 23 / 24 = 95.8333...% -> 95.83, below the target
        (3, 2, "66.66", True),  # 66.666...% shown rounded down
        (20000, 19999, "99.99", True),  # 99.995% is below 100%: shown as 99.99, never 100
        (1, 1, "100", False),
        (7, 0, "0", True),
    ],
)
def test_attendance_against_the_100_percent_target(activity, members, attending, rate, below):
    result = partyscore.evaluate(activity, [month("b", "2024-03", members, attending)]).get(
        "b", "2024-03"
    )
    assert result.scores["attendance_rate"] == Decimal(rate)
    expected = [("attendance_below_target", "attendance_below_target")] if below else []
    assert [(a.id, a.rule) for a in result.actions] == expected


def test_the_contents_are_recorded_not_scored(activity):
    quiet = month("b", "2024-03", 10, 10)
    quiet["points"] = dict.fromkeys(quiet["points"], False)
    result = partyscore.evaluate(activity, [quiet]).get("b", "2024-03")
    assert result.scores == {"attendance_rate": Decimal("100")}
    assert result.actions == ()


def test_more_attending_than_members_is_an_error(activity):
    with pytest.raises(partyscore.EvaluationError) as caught:
        partyscore.evaluate(activity, [month("b", "2024-03", 10, 11)])
    assert caught.value.render() == (
        "<records>:1: subject 'b', 2024-03: attendance_rate = 110.00 is outside its declared "
        "range 0..100 (attending / members * 100 with attending=11, members=10) "
        "[score-out-of-range]"
    )


def test_activity_day_is_monthly(activity):
    records = [month("b", f"2024-{m:02d}", 10, 10) for m in range(1, 13)]
    evaluation = partyscore.evaluate(activity, records)
    assert len(evaluation.results) == 12
    with pytest.raises(partyscore.RecordError) as caught:
        partyscore.evaluate(activity, [month("b", "2024-Q1", 10, 10)])
    assert caught.value.render() == (
        "<records>:1: period: subject 'b': '2024-Q1' is not a month label; expected e.g. "
        "'2024-03' [bad-period]"
    )


def test_activity_day_example(activity):
    path = ROOT / "examples" / "nanping-activity-day.csv"
    evaluation = partyscore.evaluate(activity, partyscore.read_records(path, activity))
    # 3 branches x 12 months of 2024
    assert len(evaluation.results) == 36
    below = sorted(
        (r.subject, r.period)
        for r in evaluation.results
        if r.action_ids() == ["attendance_below_target"]
    )
    assert below == sorted(
        [
            ("南坪分會黨支部", "2024-02"),  # 24 of 26 around the Spring Festival
            ("南坪分會黨支部", "2024-11"),  # 26 of 27
            ("銅元局分會黨支部", "2024-07"),  # 17 of 18
            ("銅元局分會黨支部", "2024-10"),  # 16 of 18
            ("彈子石分會黨支部", "2024-01"),  # 20 of 21
        ]
    )
    # 24 / 26 = 92.307...% -> 92.30; 16 / 18 = 88.88...% -> 88.88; 27 / 27 = 100%
    assert evaluation.get("南坪分會黨支部", "2024-02").scores["attendance_rate"] == Decimal("92.30")
    assert evaluation.get("銅元局分會黨支部", "2024-10").scores["attendance_rate"] == Decimal(
        "88.88"
    )
    assert evaluation.get("南坪分會黨支部", "2024-12").scores["attendance_rate"] == Decimal("100")
