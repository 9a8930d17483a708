"""A subject without a record for some period of a year: the year-end block's `missing`
policy decides, and the evaluation says which periods are missing, once per subject and year.

Yongxi (seed lines 228-231): "凡評不上“流動紅旗”的,取消黨組織當年績效補貼,並責令村黨組織限期整改" -
a village with no red flag in the year loses the subsidy and must rectify; "連續被獲得“流動紅旗”的,
再增加該黨支部經費" - consecutive flags add branch funds. The shipped scheme declares
``missing: as_absent``: the rules read the periods a village has, a missing period brings no
flag (so it ends a run of flags) and no score (the mean is over the periods present).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import partyscore
from tests.test_golden_yongxi import record

ROOT = Path(__file__).parent.parent
QUARTERLY = ROOT / "schemes" / "yongxi-red-flag.yaml"


@pytest.fixture(scope="module")
def scheme() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(QUARTERLY)


def with_policy(policy: str) -> partyscore.CompiledScheme:
    text = QUARTERLY.read_text(encoding="utf-8")
    assert text.count("  missing: as_absent\n") == 1
    return partyscore.load_scheme_text(
        text.replace("  missing: as_absent\n", f"  missing: {policy}\n"), file="policy.yaml"
    )


def a_year_without_q2_for_a() -> list[dict[str, object]]:
    # b: 95 in every quarter, first each time (red flag). a: 80 in Q1, Q3 and Q4, none in Q2.
    records = [record("b", f"2024-Q{q}", "95") for q in (1, 2, 3, 4)]
    records += [record("a", f"2024-Q{q}", "80") for q in (1, 3, 4)]
    return records


def test_a_village_missing_a_quarter_still_loses_the_subsidy(scheme):
    evaluation = partyscore.evaluate(scheme, a_year_without_q2_for_a())
    a = evaluation.get("a", "2024")
    # no flag in Q1, Q3, Q4 -> count(red_flag) == 0: subsidy cancelled, rectification;
    # last and under 85 in Q1, Q3, Q4 (b alone in Q2 is not last): count 1, 2, 3 in the year,
    # max 3 >= 2: not eligible for the year-end award
    assert a.action_ids() == ["year_end_ineligible", "performance_subsidy_cancelled",
                              "rectification"]  # fmt: skip
    assert a.scores["annual_score"] == Decimal("80.00")  # (80 + 80 + 80) / 3
    assert a.source.count(":") == 3  # the three rows it came from
    b = evaluation.get("b", "2024")
    assert b.action_ids() == []
    assert [r.id for r in b.rewards] == ["extra_branch_funds"]  # four flags in a row


def test_the_warning_names_the_subject_and_the_missing_quarter_once(scheme):
    evaluation = partyscore.evaluate(scheme, a_year_without_q2_for_a())
    about_a = [w for w in evaluation.warnings if w.startswith("a 2024")]
    assert about_a == [
        "a 2024: no record for 2024-Q2 (3 of 4 quarters present): year-end rules applied to "
        "the periods present (year_end.missing: as_absent)"
    ]
    assert not any(w.startswith("b 2024") for w in evaluation.warnings)


def test_a_missing_quarter_ends_a_run_of_flags(scheme):
    # c: 95 in Q1 and Q3 only; d: 90 in every quarter. c is first when present, d otherwise.
    records = [record("c", "2024-Q1", "95"), record("c", "2024-Q3", "95")]
    records += [record("d", f"2024-Q{q}", "90") for q in (1, 2, 3, 4)]
    evaluation = partyscore.evaluate(scheme, records)
    c, d = evaluation.get("c", "2024"), evaluation.get("d", "2024")
    # c's flags by quarter: yes, (missing), yes, (missing): the longest run is 1, not 2
    assert c.rewards == ()
    assert c.action_ids() == []  # two flags: the subsidy stays
    # d's flags: no, yes, no, yes: run 1, count 2
    assert d.rewards == ()
    assert d.action_ids() == []
    assert c.scores["annual_score"] == Decimal("95.00")


def test_skip_gives_no_year_end_result_and_says_so():
    evaluation = partyscore.evaluate(with_policy("skip"), a_year_without_q2_for_a())
    assert [r.subject for r in evaluation.results if r.kind == "year_end"] == ["b"]
    assert [w for w in evaluation.warnings if w.startswith("a 2024")] == [
        "a 2024: no year-end result: no record for 2024-Q2 (3 of 4 quarters present; "
        "year_end.missing: skip)"
    ]


def test_error_stops_and_names_the_subject_and_the_quarter():
    with pytest.raises(partyscore.EvaluationError) as error:
        partyscore.evaluate(with_policy("error"), a_year_without_q2_for_a())
    [found] = error.value.diagnostics
    assert found.code == "missing-periods"
    assert "subject 'a', 2024" in found.message
    assert "no record for 2024-Q2" in found.message


def test_a_year_the_input_does_not_finish_has_no_year_end(scheme):
    records = [record(v, f"2024-Q{q}", "90") for v in ("a", "b") for q in (1, 2, 3)]
    evaluation = partyscore.evaluate(scheme, records)
    assert [r for r in evaluation.results if r.kind == "year_end"] == []
    assert evaluation.warnings == (
        "2024: year-end rules not applied: the input ends at 2024-Q3, before the last quarter "
        "of the year",
    )


def test_a_year_the_input_has_passed_is_closed_even_without_its_last_quarter(scheme):
    # nobody has 2024-Q4, but 2025-Q1 follows: 2024 is over, and every village misses Q4
    records = [record(v, f"2024-Q{q}", "90") for v in ("a", "b") for q in (1, 2, 3)]
    records += [record(v, "2025-Q1", "90") for v in ("a", "b")]
    evaluation = partyscore.evaluate(scheme, records)
    assert [r.subject for r in evaluation.results if r.kind == "year_end"] == ["a", "b"]
    assert sum("no record for 2024-Q4" in w for w in evaluation.warnings) == 2
