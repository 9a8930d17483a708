"""An action several rules decide is taken once, and names every rule that decided it.

Chengzhuang's 開拓隊 in 2024-Q1 of the shipped example: total 30 + 25 + 0 = 55.00, key 30,
last of twelve branches. `low_total_or_key` (55 < 70) and `face_link` (last) both order
self-reflection; the university's activist at 50 is delayed by the standard score (50 < 60)
and by the 50-60 penalty band.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import partyscore
from tests.test_golden_university import record as university_record

ROOT = Path(__file__).resolve().parent.parent
LADDER = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
EVALUATION = partyscore.evaluate(
    LADDER, partyscore.read_records(ROOT / "examples" / "chengzhuang-ladder.csv", LADDER)
)


def test_one_outcome_with_both_rules() -> None:
    result = EVALUATION.get("開拓隊", "2024-Q1")
    assert result.action_ids() == ["self_reflection", "mine_notice", "admonition_talk"]
    reflection = result.actions[0]
    assert (reflection.rule, reflection.rules) == (
        "low_total_or_key",
        ("low_total_or_key", "face_link"),
    )
    assert [o.rule for o in reflection.also] == ["face_link"]
    assert reflection.because == (
        "low_total_or_key: total < 70 or key < 40 with total=55.00, key=30; "
        "face_link: mine_rank_last or total < minimum_standard with mine_rank_last=true, "
        "total=55.00, minimum_standard=70"
    )
    # an action one rule decided keeps its plain reason
    assert result.actions[1].rules == ("face_link_notice",)
    assert not result.actions[1].because.startswith("face_link_notice:")


def test_no_result_repeats_an_action() -> None:
    for result in EVALUATION.results:
        ids = result.action_ids()
        assert len(ids) == len(set(ids)), (result.subject, result.period, ids)


def test_csv_and_table_list_it_once() -> None:
    rows = list(csv.DictReader(io.StringIO(partyscore.to_csv(EVALUATION))))
    (row,) = [r for r in rows if (r["subject"], r["period"]) == ("開拓隊", "2024-Q1")]
    assert row["actions"] == "self_reflection;mine_notice;admonition_talk"
    (line,) = [
        line
        for line in partyscore.to_table(EVALUATION).splitlines()
        if line.startswith("開拓隊") and "2024-Q1" in line
    ]
    assert line.count("self_reflection") == 1


def test_university_delay_is_taken_once() -> None:
    scheme = partyscore.load_scheme(ROOT / "schemes" / "university-member-points.yaml")
    # daily points 50 and appraisal 50: final 50 x 0.7 + 50 x 0.3 = 50.00
    record = university_record("activist", 50, 50, subject="a50")
    evaluation = partyscore.evaluate(scheme, [record])
    assert str(evaluation.get("a50", "2024").scores["final"]) == "50.00"
    result = evaluation.get("a50", "2024")
    delayed = [a for a in result.actions if a.id == "development_delayed"]
    assert len(delayed) == 1
    assert delayed[0].rules == ("standard_delay_development", "penalty_50_development")
