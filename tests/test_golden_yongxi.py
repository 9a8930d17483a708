"""Golden tests for schemes/yongxi-red-flag.yaml and its two-monthly first version,
computed by hand from the source text.

Source (seed lines 209-246): ten indicators, 100 points; each assessment the first three get
600 / 500 / 400 yuan at 95 or more, half from 85 to under 95, nothing below 85; the first
place gets the red flag; last and below 85: 1st time a statement, 2nd time no year-end
eligibility, 3rd time and later the township discipline commission; at year end the period
scores are averaged, consecutive red flags add branch funds, a year without a red flag
cancels the performance subsidy and orders rectification. Assessed every two months at
first, every quarter later.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore

ROOT = Path(__file__).parent.parent
QUARTERLY = ROOT / "schemes" / "yongxi-red-flag.yaml"
BIMONTHLY = ROOT / "schemes" / "yongxi-red-flag-bimonthly.yaml"
# The indicator maxima the scheme assumes (20 / 15 / 10 x 5 / 5 x 3 = 100).
MAXIMA = {
    "party_building": 20,
    "poverty_relief": 15,
    "family_planning": 10,
    "stability": 10,
    "work_safety": 10,
    "civil_affairs": 10,
    "resident_cadres": 10,
    "sanitation": 5,
    "finance_tax": 5,
    "central_tasks": 5,
}
YEAR_2024 = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]


@pytest.fixture(scope="module")
def scheme() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(QUARTERLY)


@pytest.fixture(scope="module")
def bimonthly() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(BIMONTHLY)


def points(total: str) -> dict[str, Decimal]:
    """Indicator points adding up to `total`: full marks less the shortfall, taken from the
    indicators in order (party building first)."""
    short = Decimal(100) - Decimal(total)
    result = {}
    for item, top in MAXIMA.items():
        cut = min(short, Decimal(top))
        result[item] = Decimal(top) - cut
        short -= cut
    assert short == 0, "total below 0"
    return result


def record(subject: str, period: str, total: str) -> dict[str, Any]:
    return {"subject": subject, "period": period, "attributes": {}, "points": points(total)}


def assessment(period: str, totals: dict[str, str]) -> list[dict[str, Any]]:
    """One assessment: a record per village with the given totals."""
    return [record(subject, period, total) for subject, total in totals.items()]


def prize(result: partyscore.Result) -> Decimal | None:
    outcome = result.reward("rank_prize")
    if outcome is None:
        return None
    assert outcome.currency == "CNY"
    return outcome.amount


def flagged(result: partyscore.Result) -> bool:
    return result.reward("red_flag") is not None


# --- the ten indicators -----------------------------------------------------------------


def test_indicator_maxima_add_up_to_100(scheme):
    # 10考核指標 ... 總分值100分: 20 + 15 + 10 + 10 + 10 + 10 + 10 + 5 + 5 + 5 = 100
    items = {i.id: i.max for i in scheme.model.sections[0].items}
    assert items == {k: Decimal(v) for k, v in MAXIMA.items()}
    assert sum(MAXIMA.values()) == 100


def test_total_is_the_sum_of_the_indicators(scheme):
    given = {
        "party_building": "18.5",
        "poverty_relief": "14",
        "family_planning": "9",
        "stability": "8.5",
        "work_safety": "10",
        "civil_affairs": "7.5",
        "resident_cadres": "9",
        "sanitation": "4.5",
        "finance_tax": "5",
        "central_tasks": "3.5",
    }
    rec = {"subject": "v", "period": "2024-Q1", "points": {k: Decimal(v) for k, v in given.items()}}
    result = partyscore.evaluate(scheme, [rec]).get("v", "2024-Q1")
    # 18.5 + 14 + 9 + 8.5 + 10 + 7.5 + 9 + 4.5 + 5 + 3.5 = 89.5
    assert result.scores["total"] == Decimal("89.50")
    assert result.bands["prize_level"] == "half"


def test_an_indicator_above_its_maximum_is_rejected(scheme):
    rec = record("v", "2024-Q1", "90")
    rec["points"]["sanitation"] = Decimal("5.5")
    with pytest.raises(partyscore.RecordError) as caught:
        partyscore.evaluate(scheme, [rec])
    assert caught.value.render() == (
        "<records>:1: sanitation: subject 'v': sanitation = 5.5 is outside 0..5 [out-of-range]"
    )


# --- prizes for the first three: every bound at every prize rank -------------------------


@pytest.mark.parametrize(
    ("rank", "total", "level", "amount"),
    [
        (1, "100", "full", "600"),  # 95分以上 ... 分別獎勵600元
        (1, "95", "full", "600"),  # 以上 includes 95
        (1, "94.99", "half", "300"),  # 85—95分 ... 減半: 600 / 2
        (1, "94.9", "half", "300"),
        (1, "85", "half", "300"),  # the range 85—95 starts at 85
        (1, "84.99", "none", None),  # 85以下不獎勵
        (2, "95", "full", "500"),
        (2, "94.99", "half", "250"),  # 500 / 2
        (2, "94.9", "half", "250"),
        (2, "85", "half", "250"),
        (2, "84.99", "none", None),
        (3, "95", "full", "400"),
        (3, "94.99", "half", "200"),  # 400 / 2
        (3, "94.9", "half", "200"),
        (3, "85", "half", "200"),
        (3, "84.99", "none", None),
    ],
)
def test_prize_by_rank_and_own_score(scheme, rank, total, level, amount):
    # rank - 1 villages above the one tested (100, 99.5), and one far below it
    above = {"a1": "100", "a2": "99.5"}
    totals = {k: above[k] for k in list(above)[: rank - 1]}
    totals |= {"v": total, "z": "50"}
    result = partyscore.evaluate(scheme, assessment("2024-Q1", totals)).get("v", "2024-Q1")
    assert result.ranks["village_rank"] == rank
    assert result.bands["prize_level"] == level
    assert prize(result) == (None if amount is None else Decimal(amount))


def test_fourth_place_gets_no_prize_at_95(scheme):
    # 前3名: the fourth gets nothing even at 95分以上
    totals = {"a": "99", "b": "98", "c": "97", "d": "95", "z": "60"}
    evaluation = partyscore.evaluate(scheme, assessment("2024-Q1", totals))
    assert [prize(evaluation.get(s, "2024-Q1")) for s in "abcd"] == [
        Decimal("600"),
        Decimal("500"),
        Decimal("400"),
        None,
    ]


def test_prize_follows_own_level_not_the_winners(scheme):
    # 97 -> 600; 94 is rank 2 in the half band -> 250; 86 rank 3 -> 200
    totals = {"a": "97", "b": "94", "c": "86", "z": "70"}
    evaluation = partyscore.evaluate(scheme, assessment("2024-Q1", totals))
    assert [prize(evaluation.get(s, "2024-Q1")) for s in "abc"] == [
        Decimal("600"),
        Decimal("250"),
        Decimal("200"),
    ]


# --- ties at a prize rank: the prizes of the places taken are pooled and split ------------


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        # two tied first at 96: (600 + 500) / 2 = 550 each; the next is rank 3: 400
        (
            {"a": "96", "b": "96", "c": "95", "z": "60"},
            {"a": "550", "b": "550", "c": "400", "z": None},
        ),
        # three tied first at 95: (600 + 500 + 400) / 3 = 500 each
        (
            {"a": "95", "b": "95", "c": "95", "z": "60"},
            {"a": "500", "b": "500", "c": "500", "z": None},
        ),
        # two tied second at 90 (half): (250 + 200) / 2 = 225 each
        (
            {"a": "97", "b": "90", "c": "90", "z": "60"},
            {"a": "600", "b": "225", "c": "225", "z": None},
        ),
        # three tied second at 88 (half): places 2, 3, 4: (250 + 200 + 0) / 3 = 150 each
        (
            {"a": "97", "b": "88", "c": "88", "d": "88", "z": "60"},
            {"a": "600", "b": "150", "c": "150", "d": "150", "z": None},
        ),
        # two tied third at 95: places 3 and 4: (400 + 0) / 2 = 200 each
        (
            {"a": "98", "b": "97", "c": "95", "d": "95", "z": "60"},
            {"a": "600", "b": "500", "c": "200", "d": "200", "z": None},
        ),
        # three tied third at 86 (half): (200 + 0 + 0) / 3 = 66.666..., down to the fen: 66.66
        (
            {"a": "98", "b": "96", "c": "86", "d": "86", "e": "86", "z": "60"},
            {"a": "600", "b": "500", "c": "66.66", "d": "66.66", "e": "66.66", "z": None},
        ),
        # tied third below 85: nothing to split
        (
            {"a": "98", "b": "96", "c": "84", "d": "84", "z": "60"},
            {"a": "600", "b": "500", "c": None, "d": None, "z": None},
        ),
    ],
)
def test_tied_places_split_their_prizes(scheme, totals, expected):
    evaluation = partyscore.evaluate(scheme, assessment("2024-Q1", totals))
    got = {s: prize(evaluation.get(s, "2024-Q1")) for s in totals}
    assert got == {s: None if v is None else Decimal(v) for s, v in expected.items()}


def test_tied_ranks_are_competition_ranks(scheme):
    # equal totals share the better rank, the next rank is skipped: 1, 1, 3, 4
    totals = {"a": "96", "b": "96", "c": "95", "z": "60"}
    evaluation = partyscore.evaluate(scheme, assessment("2024-Q1", totals))
    assert [evaluation.get(s, "2024-Q1").ranks["village_rank"] for s in "abcz"] == [1, 1, 3, 4]


# --- the red flag -------------------------------------------------------------------------


def test_one_red_flag_to_the_first(scheme):
    # 對第一名授流動紅旗: rank 1 only
    totals = {"a": "97", "b": "96", "c": "95", "z": "60"}
    evaluation = partyscore.evaluate(scheme, assessment("2024-Q1", totals))
    assert [flagged(evaluation.get(s, "2024-Q1")) for s in "abcz"] == [True, False, False, False]


def test_the_flag_needs_no_score(scheme):
    # 85以下不獎勵,對第一名授流動紅旗: first with 84 gets the flag but no money
    totals = {"a": "84", "b": "80", "z": "60"}
    result = partyscore.evaluate(scheme, assessment("2024-Q1", totals)).get("a", "2024-Q1")
    assert flagged(result)
    assert prize(result) is None


def test_a_tie_for_first_flags_both(scheme):
    totals = {"a": "96", "b": "96", "c": "95", "z": "60"}
    evaluation = partyscore.evaluate(scheme, assessment("2024-Q1", totals))
    assert [flagged(evaluation.get(s, "2024-Q1")) for s in "abcz"] == [True, True, False, False]


def with_red_flags(scheme: partyscore.CompiledScheme, count: int) -> partyscore.CompiledScheme:
    parameters = dict(scheme.model.parameters)
    parameters["red_flags"] = parameters["red_flags"].model_copy(update={"value": Decimal(count)})
    return partyscore.compile_scheme(scheme.model.model_copy(update={"parameters": parameters}))


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        # 評分前兩位 ... 授予“流動紅旗”: ranks 1 and 2
        ({"a": "97", "b": "96", "c": "95", "z": "60"}, [True, True, False, False]),
        # tied second: ranks 1, 2, 2 all within the first two places (ties included)
        ({"a": "97", "b": "96", "c": "96", "z": "60"}, [True, True, True, False]),
    ],
)
def test_two_red_flags(scheme, totals, expected):
    two = with_red_flags(scheme, 2)
    evaluation = partyscore.evaluate(two, assessment("2024-Q1", totals))
    assert [flagged(evaluation.get(s, "2024-Q1")) for s in totals] == expected


# --- last and below 85: statement, ineligibility, discipline -------------------------------


def ladder_records(low: dict[str, str]) -> list[dict[str, Any]]:
    """Two steady villages at 90 and 88 and `low` with the given totals by period."""
    records = []
    for period, total in low.items():
        records += assessment(period, {"a": "90", "b": "88", "low": total})
    return records


@pytest.mark.parametrize(
    ("period", "action"),
    [
        ("2024-Q1", "statement"),  # 1次作表態發言
        ("2024-Q2", "year_end_ineligible"),  # 2次取消年終參評資格
        ("2024-Q3", "discipline_accountability"),  # 3 次以上鄉紀委問責
        ("2024-Q4", "discipline_accountability"),  # the 4th is still 3次以上
        ("2025-Q1", "statement"),  # a new year counts from 1 again
        ("2025-Q2", "year_end_ineligible"),
    ],
)
def test_last_and_below_85_escalates_within_the_year(scheme, period, action):
    low = {
        "2024-Q1": "70",
        "2024-Q2": "80",
        "2024-Q3": "84.99",
        "2024-Q4": "60",
        "2025-Q1": "84",
        "2025-Q2": "75",
    }
    result = partyscore.evaluate(scheme, ladder_records(low)).get("low", period)
    assert [(a.id, a.rule) for a in result.actions] == [(action, "last_and_low")]


def test_last_at_exactly_85_counts(scheme):
    # 分數85分以下: 以下 includes 85, as everywhere else in these schemes
    low = {"2024-Q1": "80", "2024-Q2": "85", "2024-Q3": "80"}
    evaluation = partyscore.evaluate(scheme, ladder_records(low))
    assert evaluation.get("low", "2024-Q1").action_ids() == ["statement"]  # 1st
    assert evaluation.get("low", "2024-Q2").ranks["village_rank"] == 3  # last, at 85: 2nd
    assert evaluation.get("low", "2024-Q2").action_ids() == ["year_end_ineligible"]
    assert evaluation.get("low", "2024-Q3").action_ids() == ["discipline_accountability"]


def test_last_at_85_under_the_exclusive_reading_does_not_count():
    # The other reading (docs/samples/yongxi-red-flag.md): "85分以下" as below 85.
    text = QUARTERLY.read_text(encoding="utf-8")
    assert text.count("village_rank_last and total <= 85") == 1
    exclusive = partyscore.load_scheme_text(
        text.replace("village_rank_last and total <= 85", "village_rank_last and total < 85"),
        file="exclusive.yaml",
    )
    low = {"2024-Q1": "80", "2024-Q2": "85", "2024-Q3": "80"}
    evaluation = partyscore.evaluate(exclusive, ladder_records(low))
    assert evaluation.get("low", "2024-Q1").action_ids() == ["statement"]  # 1st
    assert evaluation.get("low", "2024-Q2").action_ids() == []  # last, but at 85
    assert evaluation.get("low", "2024-Q3").action_ids() == ["year_end_ineligible"]  # 2nd


def test_last_just_above_85_does_not_count(scheme):
    low = {"2024-Q1": "85.01"}
    evaluation = partyscore.evaluate(scheme, ladder_records(low))
    assert evaluation.get("low", "2024-Q1").ranks["village_rank"] == 3
    assert evaluation.get("low", "2024-Q1").action_ids() == []


def test_below_85_but_not_last_does_not_count(scheme):
    # 考核排名最後且分數85分以下: both must hold; "mid" at 80 has "low" at 70 below it
    totals = {"a": "90", "mid": "80", "low": "70"}
    evaluation = partyscore.evaluate(scheme, assessment("2024-Q1", totals))
    assert evaluation.get("mid", "2024-Q1").action_ids() == []
    assert evaluation.get("low", "2024-Q1").action_ids() == ["statement"]


def test_villages_tied_for_last_are_all_last(scheme):
    totals = {"a": "90", "x": "83.5", "y": "83.5"}
    evaluation = partyscore.evaluate(scheme, assessment("2024-Q1", totals))
    assert evaluation.get("x", "2024-Q1").action_ids() == ["statement"]
    assert evaluation.get("y", "2024-Q1").action_ids() == ["statement"]


# --- year end -----------------------------------------------------------------------------

YEAR_TOTALS = {
    # village: Q1, Q2, Q3, Q4 (the red flag is the highest total of each quarter)
    "broken": ["97", "95", "94", "98"],  # flags in Q1 and Q4: not consecutive
    "run": ["96", "96", "95.5", "92"],  # flags in Q2 and Q3: consecutive
    "never": ["90", "90", "91", "91"],  # no flag all year
    "low": ["70", "80", "75", "72"],  # last and below 85 every quarter
}


@pytest.fixture(scope="module")
def year(scheme) -> partyscore.Evaluation:
    records = []
    for i, period in enumerate(YEAR_2024):
        records += assessment(period, {v: totals[i] for v, totals in YEAR_TOTALS.items()})
    return partyscore.evaluate(scheme, records)


def test_year_flags_are_as_planned(year):
    flags = {v: [flagged(year.get(v, p)) for p in YEAR_2024] for v in YEAR_TOTALS}
    assert flags == {
        "broken": [True, False, False, True],
        "run": [False, True, True, False],
        "never": [False, False, False, False],
        "low": [False, False, False, False],
    }


@pytest.mark.parametrize(
    ("village", "annual"),
    [
        ("broken", "96.00"),  # (97 + 95 + 94 + 98) / 4 = 384 / 4 = 96
        ("run", "94.88"),  # (96 + 96 + 95.5 + 92) / 4 = 379.5 / 4 = 94.875 -> half up 94.88
        ("never", "90.50"),  # (90 + 90 + 91 + 91) / 4 = 362 / 4 = 90.5
        ("low", "74.25"),  # (70 + 80 + 75 + 72) / 4 = 297 / 4 = 74.25
    ],
)
def test_annual_score_is_the_mean(year, village, annual):
    # 年終按比例核算出各支部的綜合評價得分: each quarter in equal proportion
    result = year.get(village, "2024")
    assert result.kind == "year_end"
    assert result.scores["annual_score"] == Decimal(annual)


@pytest.mark.parametrize(
    ("village", "rewards", "actions"),
    [
        # 連續被獲得“流動紅旗”的,再增加該黨支部經費: Q2 and Q3
        ("run", ["extra_branch_funds"], []),
        # two flags, not consecutive: no extra funds, but not flagless either
        ("broken", [], []),
        # 凡評不上“流動紅旗”的,取消 ... 當年績效補貼,並責令 ... 限期整改
        ("never", [], ["performance_subsidy_cancelled", "rectification"]),
        # last and below 85 four times (count 4 >= 2): no year-end eligibility, and no flag
        ("low", [], ["year_end_ineligible", "performance_subsidy_cancelled", "rectification"]),
    ],
)
def test_year_end_rewards_and_actions(year, village, rewards, actions):
    result = year.get(village, "2024")
    assert [r.id for r in result.rewards] == rewards
    assert result.action_ids() == actions


def test_extra_funds_carry_no_amount(year):
    outcome = year.get("run", "2024").reward("extra_branch_funds")
    assert outcome is not None
    assert outcome.amount is None


def test_year_end_ineligible_after_exactly_two(scheme):
    # last and below 85 in Q1 and Q3 only: the 2nd occurrence costs the year-end eligibility
    low = dict(zip(YEAR_2024, ["80", "86", "80", "86"], strict=True))
    records = []
    for period, total in low.items():
        records += assessment(period, {"a": "90", "b": "88", "c": "85.5", "low": total})
    evaluation = partyscore.evaluate(scheme, records)
    assert evaluation.get("low", "2024-Q3").action_ids() == ["year_end_ineligible"]
    assert "year_end_ineligible" in evaluation.get("low", "2024").action_ids()


def test_one_occurrence_keeps_year_end_eligibility(scheme):
    low = dict(zip(YEAR_2024, ["80", "86", "86", "86"], strict=True))
    records = []
    for period, total in low.items():
        records += assessment(period, {"a": "90", "b": "88", "c": "85.5", "low": total})
    evaluation = partyscore.evaluate(scheme, records)
    assert evaluation.get("low", "2024-Q1").action_ids() == ["statement"]
    assert "year_end_ineligible" not in evaluation.get("low", "2024").action_ids()


def test_consecutive_flags_across_new_year_are_two_years(scheme):
    # x is first in 2024-Q4 and 2025-Q1 only: one flag in each calendar year, no run
    periods = [*YEAR_2024, "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    records = []
    for period in periods:
        x_first = period in ("2024-Q4", "2025-Q1")
        records += assessment(
            period, {"x": "97" if x_first else "90", "y": "92" if x_first else "96", "z": "86"}
        )
    evaluation = partyscore.evaluate(scheme, records)
    for label in ("2024", "2025"):
        result = evaluation.get("x", label)
        assert result.rewards == ()
        assert result.action_ids() == []  # one flag: the subsidy is kept
    assert evaluation.warnings == ()


def test_a_year_missing_a_quarter_is_judged_on_the_quarters_present(scheme):
    # missing: as_absent. No 2024-Q3 for either village; a at 90 and b at 80 otherwise.
    records = []
    for period in ("2024-Q1", "2024-Q2", "2024-Q4"):
        records += assessment(period, {"a": "90", "b": "80"})
    evaluation = partyscore.evaluate(scheme, records)
    assert evaluation.warnings == (
        "a 2024: no record for 2024-Q3 (3 of 4 quarters present): year-end rules applied to "
        "the periods present (year_end.missing: as_absent)",
        "b 2024: no record for 2024-Q3 (3 of 4 quarters present): year-end rules applied to "
        "the periods present (year_end.missing: as_absent)",
    )
    a, b = evaluation.get("a", "2024"), evaluation.get("b", "2024")
    # a: flags in Q1, Q2, (none in Q3), Q4: a run of 2 -> extra branch funds; 3 flags
    assert a.scores["annual_score"] == Decimal("90.00")
    assert [r.id for r in a.rewards] == ["extra_branch_funds"]
    assert a.action_ids() == []
    # b: last and under 85 in Q1, Q2, Q4 (counts 1, 2, 3: max 3 >= 2), never a flag
    assert b.scores["annual_score"] == Decimal("80.00")
    assert b.action_ids() == ["year_end_ineligible", "performance_subsidy_cancelled",
                              "rectification"]  # fmt: skip
    assert len(evaluation.results) == 8  # 2 villages x 3 quarters, and 2 year-end results


# --- versions: two-monthly, then quarterly ---------------------------------------------------


def test_the_two_versions_are_one_scheme(scheme, bimonthly):
    assert (scheme.id, scheme.model.version, scheme.model.period) == (
        "yongxi-red-flag",
        2,
        "quarter",
    )
    assert (bimonthly.id, bimonthly.model.version, bimonthly.model.period) == (
        "yongxi-red-flag",
        1,
        "bimonth",
    )


@pytest.mark.parametrize(
    ("which", "period", "message"),
    [
        (
            "quarterly",
            "2016-Q4",
            "<records>:1: period: subject 'v': 2016-Q4 is outside this scheme version's dates "
            "(2017-01-01 on) [period-not-effective]",
        ),
        (
            "bimonthly",
            "2015-B4",
            "<records>:1: period: subject 'v': 2015-B4 is outside this scheme version's dates "
            "(2015-09-01 to 2017-01-01) [period-not-effective]",
        ),
        (
            "bimonthly",
            "2017-B1",
            "<records>:1: period: subject 'v': 2017-B1 is outside this scheme version's dates "
            "(2015-09-01 to 2017-01-01) [period-not-effective]",
        ),
    ],
)
def test_records_outside_a_version_are_rejected(scheme, bimonthly, which, period, message):
    chosen = scheme if which == "quarterly" else bimonthly
    with pytest.raises(partyscore.RecordError) as caught:
        partyscore.evaluate(chosen, [record("v", period, "90")])
    assert caught.value.render() == message


@pytest.mark.parametrize(
    ("which", "period"),
    [("quarterly", "2017-Q1"), ("bimonthly", "2015-B5"), ("bimonthly", "2016-B6")],
)
def test_first_and_last_periods_of_a_version_are_accepted(scheme, bimonthly, which, period):
    chosen = scheme if which == "quarterly" else bimonthly
    evaluation = partyscore.evaluate(chosen, [record("v", period, "90")])
    assert evaluation.get("v", period).scores["total"] == Decimal("90")


def test_bimonthly_year_has_six_assessments(bimonthly):
    totals = {
        "2016-B1": "95",
        "2016-B2": "90",
        "2016-B3": "88",
        "2016-B4": "91",
        "2016-B5": "87",
        "2016-B6": "90",
    }
    records = []
    for period, total in totals.items():
        records += assessment(period, {"v": total, "w": "80"})
    evaluation = partyscore.evaluate(bimonthly, records)
    assert evaluation.warnings == ()
    # (95 + 90 + 88 + 91 + 87 + 90) / 6 = 541 / 6 = 90.1666... -> 90.17
    assert evaluation.get("v", "2016").scores["annual_score"] == Decimal("90.17")
    # v first every time: six consecutive flags
    assert [r.id for r in evaluation.get("v", "2016").rewards] == ["extra_branch_funds"]
    # w last and below 85 six times: 2nd -> ineligible, from the 3rd -> discipline
    assert [evaluation.get("w", p).action_ids()[0] for p in totals] == [
        "statement",
        "year_end_ineligible",
        "discipline_accountability",
        "discipline_accountability",
        "discipline_accountability",
        "discipline_accountability",
    ]
    assert evaluation.get("w", "2016").action_ids() == [
        "year_end_ineligible",
        "performance_subsidy_cancelled",
        "rectification",
    ]


def test_bimonthly_five_assessments_are_not_a_year(bimonthly):
    records = []
    for period in ("2016-B1", "2016-B2", "2016-B3", "2016-B4", "2016-B5"):
        records += assessment(period, {"v": "90"})
    evaluation = partyscore.evaluate(bimonthly, records)
    # the input stops at B5: the two-monthly year has six assessments, so it is not over
    assert evaluation.warnings == (
        "2016: year-end rules not applied: the input ends at 2016-B5, before the last bimonth "
        "of the year",
    )
    assert [r for r in evaluation.results if r.kind == "year_end"] == []


def test_bimonthly_rules_match_the_quarterly(bimonthly):
    # same prizes and flag every two months: 96 / 96 tie first -> 550 each, 95 third -> 400
    totals = {"a": "96", "b": "96", "c": "95", "z": "60"}
    evaluation = partyscore.evaluate(bimonthly, assessment("2016-B3", totals))
    assert [prize(evaluation.get(s, "2016-B3")) for s in "abcz"] == [
        Decimal("550"),
        Decimal("550"),
        Decimal("400"),
        None,
    ]
    assert [flagged(evaluation.get(s, "2016-B3")) for s in "abcz"] == [True, True, False, False]
    assert evaluation.get("z", "2016-B3").action_ids() == ["statement"]


def test_bimonthly_count_restarts_in_the_new_year(bimonthly):
    records = []
    for period in ("2015-B5", "2015-B6", "2016-B1"):
        records += assessment(period, {"a": "90", "low": "80"})
    evaluation = partyscore.evaluate(bimonthly, records)
    assert [evaluation.get("low", p).action_ids() for p in ("2015-B5", "2015-B6", "2016-B1")] == [
        ["statement"],
        ["year_end_ineligible"],
        ["statement"],
    ]


# --- the examples ------------------------------------------------------------------------------


def test_quarterly_example(scheme):
    records = partyscore.read_records(ROOT / "examples" / "yongxi-red-flag.csv", scheme)
    evaluation = partyscore.evaluate(scheme, records)
    # 20 villages x 6 quarters, plus 20 year-end results for 2024; the input stops at
    # 2025-Q2, so 2025 is not over: one warning for the year, not one per village
    assert len(records) == 120
    assert len(evaluation.results) == 140
    assert evaluation.warnings == (
        "2025: year-end rules not applied: the input ends at 2025-Q2, before the last quarter "
        "of the year",
    )

    yaxi = evaluation.get("芽溪村", "2024-Q1")
    # 20 + 15 + 10 + 9 + 10 + 9.5 + 9.5 + 4.5 + 5 + 5 = 97.5, first: 600 and the flag
    assert yaxi.scores["total"] == Decimal("97.5")
    assert (yaxi.ranks["village_rank"], prize(yaxi), flagged(yaxi)) == (1, Decimal("600"), True)
    # 2024-Q1: 湧溪村 exactly 95, second: 500
    assert prize(evaluation.get("湧溪村", "2024-Q1")) == Decimal("500")
    # 2024-Q2: 老鷹巖村 and 高坡村 tied third at 90: (200 + 0) / 2 = 100 each
    for village in ("老鷹巖村", "高坡村"):
        assert prize(evaluation.get(village, "2024-Q2")) == Decimal("100")
    # 2024-Q4: 中屯村 and 老鷹巖村 tied first at 96.5: (600 + 500) / 2 = 550 and a flag each;
    # 芽溪村 at 95 is third: 400
    for village in ("中屯村", "老鷹巖村"):
        result = evaluation.get(village, "2024-Q4")
        assert (prize(result), flagged(result)) == (Decimal("550"), True)
    assert prize(evaluation.get("芽溪村", "2024-Q4")) == Decimal("400")

    # 古樓坪村 last at 78, 81, (86, not last), 79 in 2024
    assert [evaluation.get("古樓坪村", p).action_ids() for p in YEAR_2024] == [
        ["statement"],
        ["year_end_ineligible"],
        [],
        ["discipline_accountability"],
    ]
    # 水口村 and 石門村 tied last at 83.5 in 2024-Q3
    assert evaluation.get("水口村", "2024-Q3").action_ids() == ["statement"]
    assert evaluation.get("石門村", "2024-Q3").action_ids() == ["statement"]
    # 水口村 last in 2025-Q1 (82) and 2025-Q2 (84.5): counted from 1 in 2025
    assert evaluation.get("水口村", "2025-Q1").action_ids() == ["statement"]
    assert evaluation.get("水口村", "2025-Q2").action_ids() == ["year_end_ineligible"]

    # year end 2024
    gulou = evaluation.get("古樓坪村", "2024")
    assert gulou.scores["annual_score"] == Decimal("81.00")  # (78 + 81 + 86 + 79) / 4 = 324 / 4
    assert gulou.action_ids() == [
        "year_end_ineligible",
        "performance_subsidy_cancelled",
        "rectification",
    ]
    yaxi_year = evaluation.get("芽溪村", "2024")
    # (97.5 + 96 + 93 + 95) / 4 = 381.5 / 4 = 95.375 -> 95.38; flags Q1, Q2 (and Q4)
    assert yaxi_year.scores["annual_score"] == Decimal("95.38")
    assert [r.id for r in yaxi_year.rewards] == ["extra_branch_funds"]
    # 老鷹巖村: flags Q3, Q4
    assert [r.id for r in evaluation.get("老鷹巖村", "2024").rewards] == ["extra_branch_funds"]
    zhongtun = evaluation.get("中屯村", "2024")
    # one flag (Q4): no extra funds, subsidy kept; (88 + 95.5 + 92.5 + 96.5) / 4 = 93.125 -> 93.13
    assert (zhongtun.rewards, zhongtun.action_ids()) == ((), [])
    assert zhongtun.scores["annual_score"] == Decimal("93.13")
    # 17 villages never held the flag in 2024
    flagless = [
        r.subject
        for r in evaluation.results
        if r.period == "2024" and "performance_subsidy_cancelled" in r.action_ids()
    ]
    assert len(flagless) == 17


def test_bimonthly_example(bimonthly):
    records = partyscore.read_records(
        ROOT / "examples" / "yongxi-red-flag-bimonthly.csv", bimonthly
    )
    evaluation = partyscore.evaluate(bimonthly, records)
    # 20 villages x 6 two-month periods of 2016, plus 20 year-end results
    assert len(records) == 120
    assert len(evaluation.results) == 140
    assert evaluation.warnings == ()
    # 2016-B3: 中屯村 and 湧溪村 tied second at exactly 95: (500 + 400) / 2 = 450 each
    for village in ("中屯村", "湧溪村"):
        assert prize(evaluation.get(village, "2016-B3")) == Decimal("450")
    # 2016-B5: the first, 老鷹巖村, has 94.5: half of 600 = 300, and the flag
    laoying = evaluation.get("老鷹巖村", "2016-B5")
    assert (prize(laoying), flagged(laoying)) == (Decimal("300"), True)
    # 2016-B5: 田壩村 is last at exactly 85 (85分以下 includes 85): its first time in 2016
    assert evaluation.get("田壩村", "2016-B5").ranks["village_rank"] == 20
    assert evaluation.get("田壩村", "2016-B5").action_ids() == ["statement"]
    # 古樓坪村 last in B2, B4, B6; 石門村 last in B1, B3
    assert [
        evaluation.get("古樓坪村", p).action_ids() for p in ("2016-B2", "2016-B4", "2016-B6")
    ] == [["statement"], ["year_end_ineligible"], ["discipline_accountability"]]
    assert [evaluation.get("石門村", p).action_ids() for p in ("2016-B1", "2016-B3")] == [
        ["statement"],
        ["year_end_ineligible"],
    ]
    # year end: 芽溪村 flagged B1-B3;
    # 96.5 + 97 + 98 + 94 + 86.5 + 93 = 565, / 6 = 94.1666... -> half up 94.17
    yaxi = evaluation.get("芽溪村", "2016")
    assert yaxi.scores["annual_score"] == Decimal("94.17")
    assert [r.id for r in yaxi.rewards] == ["extra_branch_funds"]
    # 中屯村 flagged in B4 and B6: a broken run, so no extra funds, and the subsidy is kept
    zhongtun = evaluation.get("中屯村", "2016")
    assert (zhongtun.rewards, zhongtun.action_ids()) == ((), [])
    assert evaluation.get("石門村", "2016").action_ids()[0] == "year_end_ineligible"
    assert evaluation.get("古樓坪村", "2016").action_ids()[0] == "year_end_ineligible"
