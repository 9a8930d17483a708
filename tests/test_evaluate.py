"""Evaluator semantics on tests/data/features.yaml: ranks, prizes, top places, vetoes,
escalations, year end, determinism. Every expected value is worked out in the comments."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore

FEATURES = (Path(__file__).parent / "data" / "features.yaml").read_text(encoding="utf-8")


def load(**replace: str) -> partyscore.CompiledScheme:
    text = FEATURES
    for old, new in replace.items():
        old = old.replace("__", " ")
        assert old in text, old
        text = text.replace(old, new)
    return partyscore.load_scheme_text(text, file="features.yaml")


SCHEME = load()


def rec(subject: str, period: str, w1: str, w2: str = "0", *, town: str = "t1",
        stage: str = "a", extra: str | None = None, veto: bool = False) -> dict[str, Any]:
    points: dict[str, Any] = {"w1": Decimal(w1), "w2": Decimal(w2), "v1": veto}
    if extra is not None:
        points["extra"] = Decimal(extra)
    return {"subject": subject, "period": period,
            "attributes": {"town": town, "stage": stage}, "points": points}


def amounts(evaluation: partyscore.Evaluation, period: str, reward: str) -> dict[str, Decimal]:
    found = {}
    for result in evaluation.results:
        if result.period == period:
            outcome = result.reward(reward)
            if outcome is not None and outcome.amount is not None:
                found[result.subject] = outcome.amount
    return found


def granted(evaluation: partyscore.Evaluation, period: str, reward: str) -> list[str]:
    return [r.subject for r in evaluation.results
            if r.period == period and r.reward(reward) is not None]


# --- rank prizes -------------------------------------------------------------------------

def test_rank_prize_shared_ties_each_take_the_shared_rank():
    evaluation = partyscore.evaluate(SCHEME, [
        rec("A", "2024-Q1", "58", "40"),  # 98
        rec("B", "2024-Q1", "58", "40"),  # 98: tied at rank 1
        rec("C", "2024-Q1", "50", "40"),  # 90: rank 3, band half
        rec("D", "2024-Q1", "40", "40"),  # 80: rank 4, band none
    ])
    assert [evaluation.get(s, "2024-Q1").ranks["rk"] for s in "ABCD"] == [1, 1, 3, 4]
    # rank 1 full = 600 each; rank 2 is skipped; rank 3 half = 200; D has no prize
    assert amounts(evaluation, "2024-Q1", "prize") == {
        "A": Decimal("600.00"), "B": Decimal("600.00"), "C": Decimal("200.00")}


def test_rank_prize_split_pools_the_places_a_tie_occupies():
    scheme = load(**{"ties: shared": "ties: split"})
    evaluation = partyscore.evaluate(scheme, [
        rec("A", "2024-Q1", "58", "40"),  # 98
        rec("B", "2024-Q1", "58", "40"),  # 98
        rec("C", "2024-Q1", "50", "40"),  # 90
    ])
    # A and B occupy places 1-2 (full band): (600 + 500) / 2 = 550; C rank 3 half: 200
    assert amounts(evaluation, "2024-Q1", "prize") == {
        "A": Decimal("550.00"), "B": Decimal("550.00"), "C": Decimal("200.00")}


def test_rank_prize_split_rounds_down_to_cents():
    scheme = load(**{"ties: shared": "ties: split"})
    evaluation = partyscore.evaluate(scheme, [
        rec("A", "2024-Q1", "60", "40"),  # 100
        rec("B", "2024-Q1", "59", "40"),  # 99
        rec("C", "2024-Q1", "56", "40"),  # 96
        rec("D", "2024-Q1", "56", "40"),  # 96
        rec("E", "2024-Q1", "56", "40"),  # 96: C, D, E share places 3-5
    ])
    # (400 + 0 + 0) / 3 = 133.333..., rounding mode down -> 133.33 each
    assert amounts(evaluation, "2024-Q1", "prize") == {
        "A": Decimal("600.00"), "B": Decimal("500.00"),
        "C": Decimal("133.33"), "D": Decimal("133.33"), "E": Decimal("133.33")}
    # 400 - 3 x 133.33 = 0.01 is kept back, and the reason says so
    prize = evaluation.get("C", "2024-Q1").reward("prize")
    assert prize is not None
    assert prize.because == (
        "3 tied at rank 3 split places 3-5: 400 / 3 = 133.33 each, 0.01 CNY of the pool not "
        "paid out (down to 2 places) -> 133.33 CNY")


# --- top places --------------------------------------------------------------------------

def test_top_count_includes_everyone_tied_with_the_last_one_in():
    evaluation = partyscore.evaluate(SCHEME, [
        rec("A", "2024-Q1", "58", "40"), rec("B", "2024-Q1", "58", "40"),
        rec("C", "2024-Q1", "50", "40"),
    ])
    assert granted(evaluation, "2024-Q1", "flag") == ["A", "B"]  # count 1, A and B tied


def test_top_count_excludes_a_tie_that_would_overflow():
    scheme = load(**{"count: flags, ties: include": "count: flags, ties: exclude"})
    evaluation = partyscore.evaluate(scheme, [
        rec("A", "2024-Q1", "58", "40"), rec("B", "2024-Q1", "58", "40"),
        rec("C", "2024-Q1", "50", "40"),
    ])
    assert granted(evaluation, "2024-Q1", "flag") == []


@pytest.mark.parametrize(
    ("size", "places"),
    [(1, 1), (4, 1), (5, 1), (6, 2), (10, 2), (11, 3)],  # ceiling(0.2 x size)
)
def test_top_share_per_group_rounds_up(size, places):
    records = [rec(f"m{i:02d}", "2024-Q1", str(50 - i)) for i in range(size)]  # all distinct
    records.append(rec("other", "2024-Q1", "60", "40", town="t2"))  # its own group
    evaluation = partyscore.evaluate(SCHEME, records)
    chosen = granted(evaluation, "2024-Q1", "top20")
    assert chosen == [*(f"m{i:02d}" for i in range(places)), "other"]


# --- vetoes and applicability --------------------------------------------------------------

def test_veto_withholds_only_the_blocked_reward():
    evaluation = partyscore.evaluate(SCHEME, [
        rec("A", "2024-Q1", "60", "40", veto=True),  # 100: first, but vetoed
        rec("B", "2024-Q1", "50", "40"),  # 90
    ])
    a = evaluation.get("A", "2024-Q1")
    assert [o.id for o in a.withheld] == ["flag"]
    assert a.withheld[0].blocked_by == "veto veto: v1"
    assert a.reward("prize") is not None  # the veto blocks [flag] only
    assert granted(evaluation, "2024-Q1", "flag") == []  # the flag does not pass to B


def test_item_for_another_stage_counts_zero_and_must_be_empty():
    b = partyscore.evaluate(SCHEME, [rec("B", "2024-Q1", "50", "40", stage="b", extra="5")])
    assert b.get("B", "2024-Q1").scores["total"] == Decimal("95.00")  # 50 + 40 + 5
    a = partyscore.evaluate(SCHEME, [rec("A", "2024-Q1", "50", "40")])
    assert a.get("A", "2024-Q1").scores["work"] == Decimal("90")  # extra does not apply: 0
    with pytest.raises(partyscore.RecordError) as error:
        partyscore.evaluate(SCHEME, [rec("A", "2024-Q1", "50", "40", extra="1")])
    assert error.value.render() == (
        "<records>:1: extra: subject 'A': extra applies only where stage in b; "
        "leave it empty [item-not-applicable]")


# --- escalation in the year --------------------------------------------------------------

def test_last_and_below_85_escalates_within_the_year_and_restarts():
    periods = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1"]
    records = []
    for period in periods:
        records.append(rec("top", period, "60", "40"))  # 100
        records.append(rec("low", period, "40", "40"))  # 80: last and < 85
    evaluation = partyscore.evaluate(SCHEME, records)
    ladder = [[a.id for a in evaluation.get("low", p).actions] for p in periods]
    assert ladder == [["statement"], ["lose_eligibility"], ["discipline"], ["discipline"],
                      ["statement"]]  # 1st, 2nd, 3rd, 3rd and later; 2025 starts again


def test_last_but_not_below_85_does_not_count():
    evaluation = partyscore.evaluate(SCHEME, [
        rec("top", "2024-Q1", "60", "40"), rec("low", "2024-Q1", "45", "40"),  # 85 is not < 85
        rec("top", "2024-Q2", "60", "40"), rec("low", "2024-Q2", "44", "40"),  # 84
    ])
    assert evaluation.get("low", "2024-Q1").actions == ()
    assert [a.id for a in evaluation.get("low", "2024-Q2").actions] == ["statement"]


# --- year end ----------------------------------------------------------------------------

def test_year_end_mean_streak_and_no_flag():
    totals = {"A": ["100", "99", "90", "85"], "B": ["90", "100", "99", "80"],
              "C": ["80", "80", "80", "80"]}
    records = [rec(s, f"2024-Q{q + 1}", str(Decimal(t) - 40), "40")
               for s, ts in totals.items() for q, t in enumerate(ts)]
    evaluation = partyscore.evaluate(SCHEME, records)
    # flags (rank 1): Q1 A, Q2 B, Q3 B, Q4 A
    a, b, c = (evaluation.get(s, "2024") for s in "ABC")
    assert a.kind == "year_end"
    assert a.scores["annual"] == Decimal("93.50")  # (100 + 99 + 90 + 85) / 4 = 93.5
    assert b.scores["annual"] == Decimal("92.25")  # (90 + 100 + 99 + 80) / 4 = 92.25
    assert a.action_ids() == []  # two flags, not consecutive
    assert b.action_ids() == ["extra_funds"]  # Q2 and Q3 in a row
    assert c.action_ids() == ["no_flag_all_year"]
    assert evaluation.warnings == ()
    # year-end rows follow the year's periods
    assert [r.period for r in evaluation.results][-3:] == ["2024", "2024", "2024"]


def test_incomplete_year_is_skipped_with_a_warning():
    evaluation = partyscore.evaluate(SCHEME, [rec("A", "2024-Q1", "50"), rec("A", "2024-Q3", "50")])
    # the input stops at 2024-Q3: the year is not over, so no year end (see
    # tests/test_year_end_missing.py for a subject missing periods of a year that is over)
    assert evaluation.warnings == (
        "2024: year-end rules not applied: the input ends at 2024-Q3, before the last quarter "
        "of the year",)
    with pytest.raises(KeyError):
        evaluation.get("A", "2024")


# --- declared guarantees -----------------------------------------------------------------

def test_unbanded_error_names_the_subject_and_score():
    scheme = load(**{"- {id: none, below: 85}": "- {id: none, at_least: 50, below: 85}"})
    with pytest.raises(partyscore.EvaluationError) as error:
        partyscore.evaluate(scheme, [rec("A", "2024-Q1", "40")])
    assert error.value.render() == (
        "<records>:1: subject 'A', 2024-Q1: total = 40.00 is in no band of level and the "
        "banding says unbanded: error [unbanded]")


def test_score_outside_its_declared_range_is_an_error():
    scheme = load(**{"min: 0, max: 105": "min: 0, max: 99"})
    with pytest.raises(partyscore.EvaluationError) as error:
        partyscore.evaluate(scheme, [rec("A", "2024-Q1", "60", "40")])
    assert "total = 100.00 is outside its declared range 0..99" in error.value.render()


# --- determinism -------------------------------------------------------------------------

def test_results_do_not_depend_on_record_order():
    records = [rec(f"s{i}", f"2024-Q{q}", str(30 + (i * 7 + q * 3) % 31), "40",
                   town=f"t{i % 3}") for i in range(12) for q in range(1, 5)]
    def outcome(given: list[dict[str, Any]]) -> list[dict[str, Any]]:
        document = json.loads(partyscore.to_json(partyscore.evaluate(SCHEME, given)))
        for result in document["results"]:
            del result["source"]  # the input row number moves with the shuffle, by design
        return list(document["results"])

    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    assert outcome(shuffled) == outcome(records)


def test_explanations_show_the_values_seen():
    evaluation = partyscore.evaluate(SCHEME, [rec("A", "2024-Q1", "50", "40")])
    result = evaluation.get("A", "2024-Q1")
    assert result.explain["work"] == "50 + 40 + 0 = 90"
    assert result.explain["level"] == "total=90.00 is in half [85, 95)"
    assert result.explain["rk"] == "rank 1 of 1 by total=90.00 (descending)"
    prize = result.reward("prize")
    assert prize is not None
    assert prize.because == "rank 1 with level band half -> 300.00 CNY"


def test_number_attribute_outside_its_bounds_is_rejected():
    scheme = load(**{"    stage: {type: enum, values: [a, b]}\n":
                     "    stage: {type: enum, values: [a, b]}\n"
                     "    members: {type: number, min: 1}\n",
                     "- {id: total, expr: work,": "- {id: total, expr: work / members,"})
    record = rec("A", "2024-Q1", "50")
    record["attributes"]["members"] = Decimal(0)  # would divide by zero
    with pytest.raises(partyscore.RecordError) as error:
        partyscore.evaluate(scheme, [record])
    assert error.value.render() == (
        "<records>:1: members: subject 'A': members: 0 is outside 1.. [out-of-range]")


def test_runaway_money_is_an_error_not_a_payment():
    scheme = load(**{"  - {id: flag, kind: top,": "  - {id: bonus, kind: money, amount: "
                     "total * 100000000000, currency: CNY, rounding: {places: 2, mode: down}}\n"
                     "  - {id: flag, kind: top,"})
    at_limit = partyscore.evaluate(scheme, [rec("A", "2024-Q1", "10")])
    bonus = at_limit.get("A", "2024-Q1").reward("bonus")
    assert bonus is not None
    assert bonus.amount == Decimal("1000000000000.00")  # 10 x 10^11 = 10^12, the limit itself
    with pytest.raises(partyscore.EvaluationError) as error:
        partyscore.evaluate(scheme, [rec("A", "2024-Q1", "11")])  # 11 x 10^11 > 10^12
    assert error.value.diagnostics[0].code == "amount-too-large"
    assert "the amount 1100000000000.00 is above the limit of 10^12" in error.value.render()


@pytest.mark.parametrize(("records", "shape"), [(5, "int"), ("A,2024-Q1", "str"),
                                                ({"subject": "A"}, "dict"), (None, "NoneType")])
def test_records_that_are_not_a_list_are_refused(records, shape):
    with pytest.raises(partyscore.RecordError) as error:
        partyscore.evaluate(SCHEME, records)
    assert error.value.render() == (
        f"<records>: records must be a list of records, got a {shape} [input-shape]")


def test_keys_that_are_not_strings_are_named_not_crashed_on():
    record = rec("A", "2024-Q1", "50")
    record["points"][None] = 3
    with pytest.raises(partyscore.RecordError) as error:
        partyscore.evaluate(SCHEME, [record])
    assert error.value.render() == (
        "<records>:1: None: subject 'A': unknown item None [unknown-item]")


def test_subject_ids_that_look_the_same_are_the_same_subject():
    nfd, nfc = "Jose\u0301", "Jos\u00e9"  # e + combining acute vs precomposed é
    with pytest.raises(partyscore.RecordError) as error:
        partyscore.evaluate(SCHEME, [rec(nfd, "2024-Q1", "50"), rec(nfc, "2024-Q1", "50")])
    assert error.value.render() == (
        "<records>:2: subject: subject 'José' already has a record for 2024-Q1 (<records>:1) "
        "[duplicate-record]")


@pytest.mark.parametrize("bad", ["a\x1b[2J", "b\x00", "c\ud800"])
def test_control_characters_and_lone_surrogates_in_ids_are_refused(bad):
    with pytest.raises(partyscore.RecordError) as error:
        partyscore.evaluate(SCHEME, [rec(bad, "2024-Q1", "50")])
    assert error.value.diagnostics[0].code == "bad-value"
    assert "which is not allowed" in error.value.diagnostics[0].message
