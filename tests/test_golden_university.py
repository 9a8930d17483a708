"""Golden tests for schemes/university-member-points.yaml (sample 2, 經濟與管理學院).

Every expected value is worked out by hand from the source text (seeds/000_88f9be4b6d340837.txt,
lines 75-151) and the readings in docs/samples/university-member-points.md:

- daily_points = min(daily + min(publication + class_college_work, 5), 100)
- final = (7 x daily_points + 3 x annual_appraisal) / 10, rounded half up to 2 places
- grades: [95, 100], [90, 95), [80, 90), [70, 80), [60, 70), [50, 60), [0, 50)
- awards are cumulative (以上 includes the number) and differ for members and activists
- a veto withholds every reward, including on-schedule development and conversion
- standard score 60: at or above it activists and probationary members proceed on schedule
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore
from tests.scheme_text import DOWNWARD

ROOT = Path(__file__).parent.parent
SCHEME_PATH = ROOT / "schemes" / "university-member-points.yaml"
EXAMPLE_PATH = ROOT / "examples" / "university-member-points.csv"

SCHEME = partyscore.load_scheme(SCHEME_PATH)

# The five major items in order, then the stage's own item; `spread` fills them in this order.
MAJOR_ITEMS = [
    ("political", 20),
    ("discipline", 20),
    ("study", 20),
    ("work_practice", 15),
    ("innovation", 10),
]
STAGE_ITEM = {
    "activist": "activist_study_group",
    "probationary": "probationary_obligations",
    "full": "full_leading_role",
}
VETO_ITEMS = ("political_violation", "school_sanction", "exam_cheating")

MEMBER_AWARDS_95 = [
    "member_praise",
    "member_honour_roll",
    "outstanding_member",
    "reported_upward",
    "school_recommendation",
]
MEMBER_AWARDS_90 = ["member_praise", "member_honour_roll", "outstanding_member"]
MEMBER_AWARDS_80 = ["member_praise", "member_honour_roll"]
ACTIVIST_AWARDS_90 = ["activist_praise", "development_priority", "development_file_entry"]
ACTIVIST_AWARDS_80 = ["activist_praise"]

CRITICISM_60 = [
    ("public_criticism", "penalty_60_criticism"),
    ("recorded_in_file", "penalty_60_record"),
]
CRITICISM_50 = [
    ("public_criticism", "penalty_50_criticism"),
    ("recorded_in_file", "penalty_50_record"),
]
DELAY_DEVELOPMENT = ("development_delayed", "standard_delay_development")
DELAY_CONVERSION = ("conversion_delayed", "standard_delay_conversion")


def spread(stage: str, daily: Decimal | int) -> dict[str, Decimal]:
    """Daily points filled item by item up to each maximum: 20, 20, 20, 15, 10, then 15."""
    left = Decimal(daily)
    points = {}
    for name, maximum in [*MAJOR_ITEMS, (STAGE_ITEM[stage], 15)]:
        points[name] = min(left, Decimal(maximum))
        left -= points[name]
    assert left == 0, "daily points above 100"
    return points


def record(
    stage: str,
    daily: Decimal | int | str,
    appraisal: Decimal | int | str,
    *,
    publication: int = 0,
    class_college_work: int = 0,
    veto: tuple[str, ...] = (),
    subject: str = "s1",
) -> dict[str, Any]:
    """One student's year as a record mapping."""
    points: dict[str, Any] = dict(spread(stage, Decimal(daily)))
    points.update(
        publication=publication,
        class_college_work=class_college_work,
        annual_appraisal=Decimal(appraisal),
    )
    points.update({item: item in veto for item in VETO_ITEMS})
    return {
        "subject": subject,
        "period": "2024",
        "attributes": {"stage": stage, "branch": "經管院本科生第一黨支部"},
        "points": points,
    }


def result_of(rec: dict[str, Any], scheme: partyscore.CompiledScheme = SCHEME) -> partyscore.Result:
    return partyscore.evaluate(scheme, [rec]).get(rec["subject"], "2024")


def reward_ids(result: partyscore.Result) -> list[str]:
    return [r.id for r in result.rewards]


def actions_of(result: partyscore.Result) -> list[tuple[str, str]]:
    """(action, rule) for every rule that decided an action, in rule order; each action is
    taken once, however many rules decided it."""
    ids = [a.id for a in result.actions]
    assert len(ids) == len(set(ids)), ids
    return [(a.id, rule) for a in result.actions for rule in a.rules]


def variant(old: str, new: str) -> str:
    """The scheme text with one passage changed (to test parameters and readings)."""
    text = SCHEME_PATH.read_text(encoding="utf-8")
    assert text.count(old) == 1
    return text.replace(old, new)


# --------------------------------------------------------------------------- daily points


def test_daily_points_sum_the_five_major_items_and_the_stage_item():
    rec = record("full", 0, 80)
    rec["points"].update(
        political=Decimal(18),
        discipline=Decimal(19),
        study=Decimal("17.5"),
        work_practice=Decimal(12),
        innovation=Decimal(8),
        full_leading_role=Decimal("13.5"),
    )
    result = result_of(rec)
    # 18 + 19 + 17.5 + 12 + 8 + 13.5 = 88
    assert result.scores["daily"] == Decimal(88)
    assert result.scores["bonus"] == Decimal(0)
    assert result.scores["daily_points"] == Decimal("88.00")
    # (7*88 + 3*80)/10 = (616 + 240)/10 = 85.60
    assert result.scores["final"] == Decimal("85.60")
    assert result.bands["grade"] == "award_80"


@pytest.mark.parametrize("stage", ["activist", "probationary", "full"])
def test_every_stage_reaches_exactly_100_daily_points(stage):
    result = result_of(record(stage, 100, 100))
    # 20 + 20 + 20 + 15 + 10 + 15 (the stage's own item) = 100
    assert result.scores["daily"] == Decimal(100)
    # (7*100 + 3*100)/10 = 100.00
    assert result.scores["final"] == Decimal("100.00")
    assert result.bands["grade"] == "award_95"


@pytest.mark.parametrize("stage", ["activist", "probationary", "full"])
def test_other_stages_items_are_left_empty_and_count_nothing(stage):
    rec = record(stage, 85, 85)
    others = [item for s, item in STAGE_ITEM.items() if s != stage]
    assert not any(item in rec["points"] for item in others)
    result = result_of(rec)
    # 20 + 20 + 20 + 15 + 10 + 0 (stage item) = 85: the other stages' items add nothing
    assert result.scores["daily"] == Decimal(85)


@pytest.mark.parametrize(
    ("daily", "publication", "class_college_work", "bonus", "daily_points"),
    [
        (90, 2, 2, "4", "94"),  # 2 + 2 = 4 bonus; 90 + 4 = 94
        (90, 3, 2, "5", "95"),  # 3 + 2 = 5, exactly the bonus cap; 90 + 5 = 95
        (90, 5, 4, "5", "95"),  # 5 + 4 = 9, capped at 5; 90 + 5 = 95
        (95, 5, 0, "5", "100"),  # 95 + 5 = 100, exactly the daily cap
        (96, 0, 3, "3", "99"),  # 96 + 3 = 99, under the cap
        (98, 5, 4, "5", "100"),  # 5 + 4 = 9 -> 5; 98 + 5 = 103, capped at 100
        (100, 5, 5, "5", "100"),  # 5 + 5 = 10 -> 5; 100 + 5 = 105, capped at 100
    ],
)
def test_bonus_is_capped_at_5_and_daily_points_at_100(
    daily, publication, class_college_work, bonus, daily_points
):
    result = result_of(
        record("full", daily, 80, publication=publication, class_college_work=class_college_work)
    )
    assert result.scores["daily"] == Decimal(daily)
    assert result.scores["bonus"] == Decimal(bonus)
    assert result.scores["daily_points"] == Decimal(daily_points)


def test_capped_daily_points_enter_the_final_score():
    result = result_of(record("full", 98, 97, publication=5, class_college_work=4))
    # daily 98 + min(5 + 4, 5) = 103 -> capped at 100; (7*100 + 3*97)/10 = (700 + 291)/10 = 99.10
    assert result.scores["final"] == Decimal("99.10")
    assert result.bands["grade"] == "award_95"


# --------------------------------------------------------------------------- final score 7:3


@pytest.mark.parametrize(
    ("daily", "appraisal", "final"),
    [
        (92, 52, "80.00"),  # (7*92 + 3*52)/10 = (644 + 156)/10 = 80.00 (floats: 79.99999999999999)
        (60, 60, "60.00"),  # (420 + 180)/10 = 60.00
        (100, 0, "70.00"),  # (700 + 0)/10 = 70.00
        (0, 100, "30.00"),  # (0 + 300)/10 = 30.00
        (0, 0, "0.00"),
        ("88.5", 71, "83.25"),  # (619.5 + 213)/10 = 83.25
        ("89.95", "90.1", "90.00"),  # (629.65 + 270.3)/10 = 89.995 -> half up -> 90.00
        ("89.95", "90.09", "89.99"),  # (629.65 + 270.27)/10 = 89.992 -> 89.99
        ("59.95", "60.1", "60.00"),  # (419.65 + 180.3)/10 = 59.995 -> half up -> 60.00
    ],
)
def test_final_weighs_daily_and_appraisal_7_to_3(daily, appraisal, final):
    assert result_of(record("full", daily, appraisal)).scores["final"] == Decimal(final)


def test_float_trap_lands_in_the_80_band():
    result = result_of(record("probationary", 92, 52))
    # (7*92 + 3*52)/10 = 80.00 exactly: 80分以上 includes 80
    assert result.scores["final"] == Decimal("80.00")
    assert result.bands["grade"] == "award_80"
    assert reward_ids(result) == [*MEMBER_AWARDS_80, "convert_on_schedule"]


def test_weights_are_data_5_to_3():
    scheme = partyscore.load_scheme_text(
        variant("  daily_ratio:\n    value: 7", "  daily_ratio:\n    value: 5"), file="5-3.yaml"
    )
    result = result_of(record("full", 92, 52), scheme)
    # (5*92 + 3*52)/(5 + 3) = (460 + 156)/8 = 616/8 = 77.00
    assert result.scores["final"] == Decimal("77.00")
    assert result.bands["grade"] == "neither"


# --------------------------------------------------------------------------- grades

# With daily = appraisal = x, final = (7x + 3x)/10 = x exactly.
GRADES = [
    ("100", "award_95", 3, 0),
    ("95.01", "award_95", 3, 0),
    ("95", "award_95", 3, 0),  # 95分以上 includes 95
    ("94.99", "award_90", 2, 0),
    ("90.01", "award_90", 2, 0),
    ("90", "award_90", 2, 0),  # 90分以上 includes 90
    ("89.99", "award_80", 1, 0),
    ("80.01", "award_80", 1, 0),
    ("80", "award_80", 1, 0),  # 80分以上 includes 80
    ("79.99", "neither", 0, 0),
    ("70.01", "neither", 0, 0),
    ("70", "neither", 0, 0),  # "70-60分" is [60, 70): 70 is neither praised nor penalised
    ("69.99", "penalty_60", 0, 1),
    ("60.01", "penalty_60", 0, 1),
    ("60", "penalty_60", 0, 1),  # [60, 70) starts at 60
    ("59.99", "penalty_50", 0, 2),
    ("50.01", "penalty_50", 0, 2),
    ("50", "penalty_50", 0, 2),  # [50, 60) starts at 50; "50分以下" is read as under 50
    ("49.99", "penalty_below_50", 0, 3),
    ("0", "penalty_below_50", 0, 3),
]


@pytest.mark.parametrize(("score", "grade", "award_level", "penalty_level"), GRADES)
def test_grade_bounds(score, grade, award_level, penalty_level):
    result = result_of(record("full", score, score))
    assert result.scores["final"] == Decimal(score)
    assert result.bands["grade"] == grade
    assert result.values == {
        "award_level": Decimal(award_level),
        "penalty_level": Decimal(penalty_level),
    }


def test_literal_reading_of_50_and_below_overlaps_and_is_rejected():
    text = variant(
        "        at_least: 0\n        below: 50", "        at_least: 0\n        at_most: 50"
    )
    with pytest.raises(partyscore.SchemeError) as caught:
        partyscore.load_scheme_text(text, file="literal.yaml")
    line = text.splitlines().index("      - id: penalty_50") + 1  # where the band starts
    assert caught.value.render() == (
        f"literal.yaml:{line}:9: bands[grade].bands[penalty_50]: penalty_50 [50, 60) overlaps "
        "penalty_below_50 [0, 50] [band-overlap]"
    )


# --------------------------------------------------------------------------- consequences by stage

# (score, rewards, actions) for each stage; daily = appraisal = score, so final = score.
ACTIVIST = [
    ("100", [*ACTIVIST_AWARDS_90, "develop_on_schedule"], []),
    ("95", [*ACTIVIST_AWARDS_90, "develop_on_schedule"], []),  # no 95 tier for activists
    ("94.99", [*ACTIVIST_AWARDS_90, "develop_on_schedule"], []),
    ("90", [*ACTIVIST_AWARDS_90, "develop_on_schedule"], []),
    ("89.99", [*ACTIVIST_AWARDS_80, "develop_on_schedule"], []),
    ("80", [*ACTIVIST_AWARDS_80, "develop_on_schedule"], []),
    ("79.99", ["develop_on_schedule"], []),
    ("70", ["develop_on_schedule"], []),
    ("69.99", ["develop_on_schedule"], CRITICISM_60),
    ("60", ["develop_on_schedule"], CRITICISM_60),  # 60 is not below the standard score 60
    (
        "59.99",
        [],
        [DELAY_DEVELOPMENT, ("development_delayed", "penalty_50_development"), *CRITICISM_50],
    ),
    (
        "50",
        [],
        [DELAY_DEVELOPMENT, ("development_delayed", "penalty_50_development"), *CRITICISM_50],
    ),
    ("49.99", [], [DELAY_DEVELOPMENT, ("development_delayed", "penalty_below_50_development")]),
    ("0", [], [DELAY_DEVELOPMENT, ("development_delayed", "penalty_below_50_development")]),
]
PROBATIONARY = [
    ("100", [*MEMBER_AWARDS_95, "convert_on_schedule"], []),
    ("95", [*MEMBER_AWARDS_95, "convert_on_schedule"], []),
    ("94.99", [*MEMBER_AWARDS_90, "convert_on_schedule"], []),
    ("90", [*MEMBER_AWARDS_90, "convert_on_schedule"], []),
    ("89.99", [*MEMBER_AWARDS_80, "convert_on_schedule"], []),
    ("80", [*MEMBER_AWARDS_80, "convert_on_schedule"], []),
    ("79.99", ["convert_on_schedule"], []),
    ("70", ["convert_on_schedule"], []),
    ("69.99", ["convert_on_schedule"], CRITICISM_60),
    ("60", ["convert_on_schedule"], CRITICISM_60),
    (
        "59.99",
        [],
        [DELAY_CONVERSION, ("conversion_delayed", "penalty_50_conversion"), *CRITICISM_50],
    ),
    ("50", [], [DELAY_CONVERSION, ("conversion_delayed", "penalty_50_conversion"), *CRITICISM_50]),
    (
        "49.99",
        [],
        [
            DELAY_CONVERSION,
            ("conversion_delayed", "penalty_below_50_conversion"),
            ("consider_no_conversion", "penalty_below_50_no_conversion"),
        ],
    ),
    (
        "0",
        [],
        [
            DELAY_CONVERSION,
            ("conversion_delayed", "penalty_below_50_conversion"),
            ("consider_no_conversion", "penalty_below_50_no_conversion"),
        ],
    ),
]
FULL = [
    ("100", MEMBER_AWARDS_95, []),
    ("95", MEMBER_AWARDS_95, []),
    ("94.99", MEMBER_AWARDS_90, []),
    ("90", MEMBER_AWARDS_90, []),
    ("89.99", MEMBER_AWARDS_80, []),
    ("80", MEMBER_AWARDS_80, []),
    ("79.99", [], []),
    ("70", [], []),
    ("69.99", [], CRITICISM_60),
    ("60", [], CRITICISM_60),
    ("59.99", [], CRITICISM_50),  # no development or conversion to delay
    ("50", [], CRITICISM_50),
    (
        "49.99",
        [],
        [
            ("party_warning", "penalty_below_50_warning"),
            ("consider_probation_within_party", "penalty_below_50_probation"),
        ],
    ),
    (
        "0",
        [],
        [
            ("party_warning", "penalty_below_50_warning"),
            ("consider_probation_within_party", "penalty_below_50_probation"),
        ],
    ),
]
CONSEQUENCES = [
    pytest.param(stage, score, rewards, actions, id=f"{stage}-{score}")
    for stage, table in (("activist", ACTIVIST), ("probationary", PROBATIONARY), ("full", FULL))
    for score, rewards, actions in table
]


@pytest.mark.parametrize(("stage", "score", "rewards", "actions"), CONSEQUENCES)
def test_awards_and_penalties_by_stage(stage, score, rewards, actions):
    result = result_of(record(stage, score, score))
    assert result.scores["final"] == Decimal(score)
    assert reward_ids(result) == rewards
    assert result.withheld == ()
    assert actions_of(result) == actions


# --------------------------------------------------------------------------- standard score


@pytest.mark.parametrize(
    ("stage", "score", "rewards", "actions"),
    [
        # standard 75: 75 is not below it, so on schedule; no penalty band is involved
        ("activist", "75", ["develop_on_schedule"], []),
        ("activist", "74.99", [], [DELAY_DEVELOPMENT]),
        ("probationary", "75", ["convert_on_schedule"], []),
        ("probationary", "74.99", [], [DELAY_CONVERSION]),
        ("full", "74.99", [], []),  # full members are neither developed nor converted
    ],
)
def test_standard_score_is_a_parameter(stage, score, rewards, actions):
    scheme = partyscore.load_scheme_text(
        variant("  standard_score:\n    value: 60", "  standard_score:\n    value: 75"),
        file="standard-75.yaml",
    )
    result = result_of(record(stage, score, score), scheme)
    assert reward_ids(result) == rewards
    assert actions_of(result) == actions


def test_standard_score_reached_through_rounding():
    result = result_of(record("activist", "59.95", "60.1"))
    # (7*59.95 + 3*60.1)/10 = (419.65 + 180.3)/10 = 59.995 -> half up -> 60.00 = standard score
    assert result.scores["final"] == Decimal("60.00")
    assert reward_ids(result) == ["develop_on_schedule"]
    assert actions_of(result) == CRITICISM_60


# --------------------------------------------------------------------------- veto


@pytest.mark.parametrize("item", VETO_ITEMS)
def test_each_veto_item_withholds_every_award(item):
    result = result_of(record("full", 95, 95, veto=(item,)))
    # the score is kept: (7*95 + 3*95)/10 = 95.00, grade award_95, but nothing is granted
    assert result.scores["final"] == Decimal("95.00")
    assert result.bands["grade"] == "award_95"
    assert result.rewards == ()
    assert [(w.id, w.blocked_by) for w in result.withheld] == [
        (reward, f"veto veto_items: {item}") for reward in MEMBER_AWARDS_95
    ]
    assert result.actions == ()


def test_veto_withholds_an_activists_awards_and_delays_development():
    result = result_of(record("activist", 92, 90, veto=("exam_cheating",)))
    # (7*92 + 3*90)/10 = (644 + 270)/10 = 91.40: 90 tier, above the standard score
    assert result.scores["final"] == Decimal("91.40")
    assert result.rewards == ()
    assert [w.id for w in result.withheld] == [*ACTIVIST_AWARDS_90, "develop_on_schedule"]
    assert {w.blocked_by for w in result.withheld} == {"veto veto_items: exam_cheating"}
    assert actions_of(result) == [DELAY_DEVELOPMENT]


def test_veto_withholds_conversion_of_a_probationary_member():
    result = result_of(record("probationary", 86, 85, veto=("school_sanction",)))
    # (7*86 + 3*85)/10 = (602 + 255)/10 = 85.70: 80 tier
    assert result.scores["final"] == Decimal("85.70")
    assert result.rewards == ()
    assert [w.id for w in result.withheld] == [*MEMBER_AWARDS_80, "convert_on_schedule"]
    assert actions_of(result) == [DELAY_CONVERSION]


def test_veto_names_every_item_set():
    result = result_of(record("full", 90, 90, veto=("school_sanction", "exam_cheating")))
    assert {w.blocked_by for w in result.withheld} == {
        "veto veto_items: school_sanction, exam_cheating"
    }


def test_veto_does_not_lift_penalties():
    result = result_of(record("activist", 55, 55, veto=("political_violation",)))
    # (7*55 + 3*55)/10 = 55.00: [50, 60); no reward to withhold, the penalties stand
    assert result.rewards == ()
    assert result.withheld == ()
    assert actions_of(result) == [
        DELAY_DEVELOPMENT,
        ("development_delayed", "penalty_50_development"),
        *CRITICISM_50,
    ]


def test_no_veto_item_set_blocks_nothing():
    result = result_of(record("full", 95, 95))
    assert reward_ids(result) == MEMBER_AWARDS_95
    assert result.withheld == ()


# --------------------------------------------------------------------------- the example


def test_example_csv_evaluates():
    records = partyscore.read_records(EXAMPLE_PATH, SCHEME)
    evaluation = partyscore.evaluate(SCHEME, records)
    assert len(evaluation.results) == 40
    assert evaluation.warnings == ()

    chen = evaluation.get("陳子涵", "2024")  # activist, 第五黨支部
    # 19.5 + 18 + 18.5 + 13.5 + 8.5 + 14 = 92; bonus 0 + 0 = 0
    assert chen.group == "經管院本科生第五黨支部"
    assert chen.scores["daily"] == Decimal(92)
    # (7*92 + 3*52)/10 = (644 + 156)/10 = 80.00
    assert chen.scores["final"] == Decimal("80.00")
    assert chen.bands["grade"] == "award_80"
    assert reward_ids(chen) == ["activist_praise", "develop_on_schedule"]
    assert chen.actions == ()

    peng = evaluation.get("彭書瑤", "2024")  # full member, 第四黨支部
    # 20 + 19.5 + 19.5 + 14.5 + 10 + 14.5 = 98; bonus 5 + 4 = 9 -> 5; 98 + 5 = 103 -> 100
    assert peng.scores["daily"] == Decimal(98)
    assert peng.scores["bonus"] == Decimal(5)
    assert peng.scores["daily_points"] == Decimal(100)
    # (7*100 + 3*97)/10 = (700 + 291)/10 = 99.10
    assert peng.scores["final"] == Decimal("99.10")
    assert reward_ids(peng) == MEMBER_AWARDS_95

    # The example exercises every grade, every reward, every action rule and a veto.
    grade = SCHEME.model.bands[0]
    assert {r.bands["grade"] for r in evaluation.results} == {b.id for b in grade.bands}
    granted = {o.id for r in evaluation.results for o in r.rewards}
    assert granted == {reward.id for reward in SCHEME.model.rewards}
    fired = {rule for r in evaluation.results for o in r.actions for rule in o.rules}
    assert fired == {action.id for action in SCHEME.model.actions}
    assert any(r.withheld for r in evaluation.results)
    stage_of = {str(rec.subject): rec.attributes["stage"] for rec in records}
    vetoed = {stage_of[r.subject] for r in evaluation.results if r.withheld}
    assert vetoed == {"activist", "probationary", "full"}


# --------------------------------------------------------------------------- bad records


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"political": Decimal(21)},
            "<records>:1: political: subject 's1': political = 21 is outside 0..20 [out-of-range]",
        ),
        (
            {"publication": 6},
            "<records>:1: publication: subject 's1': publication = 6 is outside 0..5 "
            "[out-of-range]",
        ),
        (
            {"annual_appraisal": Decimal("100.5")},
            "<records>:1: annual_appraisal: subject 's1': annual_appraisal = 100.5 is outside "
            "0..100 [out-of-range]",
        ),
        (
            {"full_leading_role": 0},
            "<records>:1: full_leading_role: subject 's1': full_leading_role applies only where "
            "stage in full; leave it empty [item-not-applicable]",
        ),
        (
            {"probationary_obligations": Decimal(10)},
            "<records>:1: probationary_obligations: subject 's1': probationary_obligations "
            "applies only where stage in probationary; leave it empty [item-not-applicable]",
        ),
        (
            {"activist_study_group": None},
            "<records>:1: activist_study_group: subject 's1': no value for the item "
            "'activist_study_group' [missing-value]",
        ),
    ],
)
def test_bad_records_are_rejected(change, message):
    rec = record("activist", 80, 80)
    rec["points"].update(change)
    with pytest.raises(partyscore.RecordError) as caught:
        partyscore.evaluate(SCHEME, [rec])
    assert caught.value.render() == message


def test_unknown_stage_is_rejected():
    rec = record("activist", 80, 80)
    rec["attributes"]["stage"] = "member"
    with pytest.raises(partyscore.RecordError) as caught:
        partyscore.evaluate(SCHEME, [rec])
    assert caught.value.render() == (
        "<records>:1: stage: subject 's1': stage: 'member' is not one of activist, "
        "probationary, full [bad-value]"
    )


# --------------------------------------------------------------------------- rounded once


def test_the_final_score_is_rounded_once_not_after_the_daily_points():
    # 日常行為積分與年度評議積分按7:3的比例加權確定: one published score. Daily 79.995 and
    # appraisal 79.99: (7 x 79.995 + 3 x 79.99) / 10 = (559.965 + 239.97) / 10 = 79.9935,
    # half up to 79.99: below the 80 tier. Rounding the daily points first (80.00) would give
    # (560 + 239.97) / 10 = 79.997 -> 80.00, an award.
    result = result_of(record("full", "79.995", "79.99"))
    assert result.scores["daily_points"] == Decimal("79.995")
    assert result.scores["final"] == Decimal("79.99")
    assert result.bands["grade"] != "award_80"
    assert "award_80" not in str(result.values)
    assert result.values["award_level"] == 0


def test_a_daily_score_rounded_first_would_have_reached_the_award():
    # The same record under a scheme that rounds daily_points to two places (the reading
    # this scheme does not take) gets 80.00 and the 80 tier: the difference is the rounding.
    text = variant("    rounding: none\n", "")
    twice = partyscore.load_scheme_text(text, file="twice.yaml")
    result = result_of(record("full", "79.995", "79.99"), twice)
    assert result.scores["daily_points"] == Decimal("80.00")
    assert result.scores["final"] == Decimal("80.00")
    assert result.values["award_level"] == 1


# --------------------------------------------------------------------------- ranges read downward



@pytest.mark.parametrize(
    ("score", "upward", "downward"),
    [
        ("70", "neither", "penalty_60"),
        ("69.99", "penalty_60", "penalty_60"),
        ("60", "penalty_60", "penalty_50"),
        ("59.99", "penalty_50", "penalty_50"),
        ("50", "penalty_50", "penalty_below_50"),
        ("49.99", "penalty_below_50", "penalty_below_50"),
        ("70.01", "neither", "neither"),
    ],
)
def test_the_penalty_ranges_read_upward_and_downward(score, upward, downward):
    text = SCHEME_PATH.read_text(encoding="utf-8")
    for old, new in DOWNWARD.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    other = partyscore.load_scheme_text(text, file="downward.yaml")
    rec = record("full", score, score)
    assert result_of(rec).bands["grade"] == upward  # the reading this scheme takes
    assert result_of(rec, other).bands["grade"] == downward
