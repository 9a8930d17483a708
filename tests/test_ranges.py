"""One range analysis: what the linter calls unreachable, evaluation never reaches, and the
linter, evaluation and partyscore.testing agree about the values a score can take.

An item with `applies_to` counts as 0 for a subject it does not apply to (docs/language.md,
"Sections and items"), so its reachable values are {0} and [min, max]: for an item of
min -10, max -2 that is {0} and [-10, -2], whose hull is [-10, 0]; for min 2, max 10 it is
{0} and [2, 10], hull [0, 10]. A score rounded `up` reaches the rounded-up end of its raw
range: 10 / 3 = 3.333... rounds up to 3.34.

Every expected value is worked out in the comments.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import hypothesis
import pytest

import partyscore
from partyscore.testing import (
    Boundary,
    boundary_records,
    check_all,
    records,
)

# Fixed examples, no database: the same verdict on every run and machine, and fast.
SETTINGS = hypothesis.settings(max_examples=20, derandomize=True, database=None, deadline=None)
# Finding one example is enough: no shrinking (slow on records, and not needed here).
FIND = hypothesis.settings(
    SETTINGS, max_examples=50, phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])

HEAD = """\
partyscore: 1
id: ranges
version: 1
title: {zh-Hant: 範圍, en: ranges}
source: {document: x}
period: quarter
effective: {start: 2020-01-01}
rounding: {places: 2, mode: half_up}
subject:
  kind: member
  attributes:
    kind: {type: enum, values: [a, b]}
"""

PLAIN = HEAD.replace("  attributes:\n    kind: {type: enum, values: [a, b]}\n", "")

# A deduction of 2 to 10 points that only members of kind a can get. Kind b scores 0 on it,
# so total = conduct = penalty takes 0 (kind b) or -10..-2 (kind a): [-10, 0] in all.
DEDUCTION = HEAD + """\
sections:
  - id: conduct
    items:
      - {id: penalty, min: -10, max: -2, applies_to: {kind: [a]}}
scores:
  - {id: total, expr: conduct, min: -10, max: 0}
bands:
  - id: grade
    score: total
    unbanded: error
    bands:
      - {id: clean, at_least: 0}
      - {id: penalised, below: 0}
rewards:
  - {id: spotless, kind: honour, when: total >= 0}
actions:
  - {id: no_deduction, kind: condition, when: total > -2}
"""

# A bonus of 2 to 10 points that only members of kind a can get. Kind b scores 0 on it, below
# the item's min: total = extra takes 0 (kind b) or 2..10 (kind a): [0, 10] in all.
BONUS = HEAD + """\
sections:
  - id: extra
    items:
      - {id: bonus, min: 2, max: 10, applies_to: {kind: [a]}}
scores:
  - {id: total, expr: extra, min: 0, max: 10}
bands:
  - id: grade
    score: total
    unbanded: error
    bands:
      - {id: clean, below: 2}
      - {id: penalised, at_least: 2}
rewards:
  - {id: spotless, kind: honour, when: total < 2}
actions:
  - {id: no_deduction, kind: condition, when: total <= 0}
"""
# (The band and rule ids are the same in both schemes, so the tests below read alike: in
# both, `clean`, `spotless` and `no_deduction` are what kind b's 0 gets.)

SCHEMES = [pytest.param(DEDUCTION, id="deduction-min-10-max-2"),
           pytest.param(BONUS, id="bonus-min-2-max-10")]


def load(text: str) -> partyscore.CompiledScheme:
    return partyscore.load_scheme_text(text, file="s.yaml")


def warnings(text: str) -> list[str]:
    return [d.render() for d in load(text).warnings]


def codes(text: str, code: str) -> list[partyscore.Diagnostic]:
    return [d for d in load(text).warnings if d.code == code]


def line_of(text: str, pattern: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), 1) if re.search(pattern, line)]
    assert len(found) == 1, (pattern, found)
    return found[0]


def member(subject: str, kind: str, **points: str) -> dict[str, Any]:
    return {"subject": subject, "period": "2024-Q1", "attributes": {"kind": kind},
            "points": {k: Decimal(v) for k, v in points.items()}}


def variant(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


# --- 1. the linter does not call the non-applicable 0 unreachable -----------------------------

@pytest.mark.parametrize("text", SCHEMES)
def test_band_reached_by_the_non_applicable_zero_is_not_unreachable(text):
    # kind b's total is 0: in clean (at_least 0; below 2)
    assert [d.render() for d in codes(text, "band-unreachable")] == []


@pytest.mark.parametrize("text", SCHEMES)
def test_condition_met_by_the_non_applicable_zero_is_not_unreachable(text):
    # total = 0 (kind b): 0 >= 0 and 0 > -2 hold; 0 < 2 and 0 <= 0 hold
    assert [d.render() for d in codes(text, "rule-unreachable")] == []


@pytest.mark.parametrize("text", SCHEMES)
def test_declared_range_of_the_hull_adds_up(text):
    # deduction: declared [-10, 0] is the hull of {0} and [-10, -2]; the 0 is reached by kind b
    # bonus: declared [0, 10] is the hull of {0} and [2, 10]
    assert [d.render() for d in codes(text, "score-range")] == []


@pytest.mark.parametrize("text", SCHEMES)
def test_scheme_with_a_non_applicable_item_lints_clean(text):
    assert warnings(text) == []


# --- 2. evaluation: the non-applicable item counts 0 ----------------------------------------

def test_deduction_not_applicable_scores_zero_and_is_clean():
    evaluation = partyscore.evaluate(load(DEDUCTION), [
        member("A", "a", penalty="-5"),  # kind a: total = -5
        member("B", "b"),  # kind b: penalty does not apply, counts 0: total = 0
    ])
    a, b = evaluation.get("A", "2024-Q1"), evaluation.get("B", "2024-Q1")
    assert b.scores["total"] == Decimal("0.00")
    assert b.bands["grade"] == "clean"  # 0 >= 0
    assert b.reward("spotless") is not None  # 0 >= 0
    assert b.action_ids() == ["no_deduction"]  # 0 > -2
    assert a.scores["total"] == Decimal("-5.00")
    assert a.bands["grade"] == "penalised"  # -5 < 0
    assert a.reward("spotless") is None  # -5 >= 0 does not hold
    assert a.action_ids() == []  # -5 > -2 does not hold


def test_deduction_of_the_least_amount_is_penalised():
    evaluation = partyscore.evaluate(load(DEDUCTION), [member("A", "a", penalty="-2")])
    a = evaluation.get("A", "2024-Q1")
    # -2 is the item's max: still below 0, and -2 > -2 does not hold
    assert (a.scores["total"], a.bands["grade"], a.action_ids()) == (
        Decimal("-2.00"), "penalised", [])


def test_bonus_not_applicable_scores_zero_below_the_item_min():
    evaluation = partyscore.evaluate(load(BONUS), [
        member("A", "a", bonus="2"),  # kind a at the item's min: total = 2
        member("B", "b"),  # kind b: counts 0, below the item's min 2
    ])
    a, b = evaluation.get("A", "2024-Q1"), evaluation.get("B", "2024-Q1")
    assert (b.scores["total"], b.bands["grade"]) == (Decimal("0.00"), "clean")  # 0 < 2
    assert b.reward("spotless") is not None  # 0 < 2
    assert b.action_ids() == ["no_deduction"]  # 0 <= 0
    assert (a.scores["total"], a.bands["grade"]) == (Decimal("2.00"), "penalised")  # 2 >= 2
    assert a.reward("spotless") is None
    assert a.action_ids() == []


# --- 3. partyscore.testing and the linter agree, and both agree with evaluation ---------------

@pytest.mark.parametrize("text", SCHEMES)
def test_property_checks_pass(text):
    # check_scores_in_range compares every generated total with the range testing works out
    # for it (kind b records give 0, so that range must include 0); check_one_band and
    # check_bounds_inclusive evaluate records on and one unit either side of every bound
    check_all(load(text), settings=SETTINGS)


def on_boundary(scheme: partyscore.CompiledScheme, band: str) -> Boundary:
    """A boundary case of `grade` that belongs in `band` (Hypothesis' `find`: fails if none),
    checked against evaluation."""

    def lands(cases: list[Boundary]) -> bool:
        return any(case.band == band for case in cases)

    cases = hypothesis.find(boundary_records(scheme, "grade"), lands, settings=FIND)
    case = next(case for case in cases if case.band == band)
    result = partyscore.evaluate(scheme, case.records).get(
        case.record["subject"], case.record["period"])
    assert result.scores["total"] == case.value
    assert result.bands["grade"] == band
    return case


def generated(scheme: partyscore.CompiledScheme, band: str) -> list[dict[str, Any]]:
    """Generated records (partyscore.testing.records) of which evaluation puts one in `band`."""

    def lands(batch: list[dict[str, Any]]) -> bool:
        evaluation = partyscore.evaluate(scheme, batch)
        return any(r.bands.get("grade") == band for r in evaluation.results)

    batch: list[dict[str, Any]] = hypothesis.find(
        records(scheme, subjects=(1, 3), periods=1), lands, settings=FIND)
    assert lands(batch)
    return batch


def test_boundary_search_reaches_the_zero_of_the_deduction():
    case = on_boundary(load(DEDUCTION), "clean")
    # only kind b reaches clean: its total is the 0 of the item it does not apply to
    assert (case.value, case.side, case.record["attributes"]["kind"]) == (
        Decimal("0"), "on", "b")


def test_linter_agrees_with_the_boundary_search():
    scheme = load(DEDUCTION)
    on_boundary(scheme, "clean")  # a record exactly on 0 lands in clean ...
    # ... so the linter must not call clean unreachable
    assert "bands[grade].bands[clean]" not in {
        d.path for d in scheme.warnings if d.code == "band-unreachable"}


@pytest.mark.parametrize("text", SCHEMES)
def test_linter_agrees_with_generated_records(text):
    scheme = load(text)
    unreachable = {d.path for d in scheme.warnings if d.code == "band-unreachable"}
    for band in ("clean", "penalised"):
        generated(scheme, band)  # evaluation puts a generated record in the band ...
        # ... so the linter must not call it unreachable
        assert f"bands[grade].bands[{band}]" not in unreachable


# --- 4. what truly cannot happen is still reported ---------------------------------------------

def test_band_beyond_the_item_max_is_unreachable():
    text = PLAIN + """\
sections:
  - id: work
    items:
      - {id: w1, max: 5}
scores:
  - {id: total, expr: work, min: 0, max: 5}
bands:
  - id: grade
    score: total
    unbanded: {id: ordinary}
    bands:
      - {id: high, at_least: 50}
"""
    # total = w1 lies in [0, 5]: at_least 50 is never reached
    (diagnostic,) = load(text).warnings
    assert (diagnostic.code, diagnostic.severity) == ("band-unreachable", "warning")
    assert diagnostic.path == "bands[grade].bands[high]"
    assert diagnostic.line == line_of(text, "id: high")
    assert diagnostic.render().startswith(
        f"s.yaml:{diagnostic.line}:9: warning: bands[grade].bands[high]: ")
    assert diagnostic.render().endswith(" [band-unreachable]")


def test_above_zero_is_unreachable_for_the_deduction():
    # {0} and [-10, -2] hold nothing above 0: the band and the rule are still reported
    text = variant(DEDUCTION, "      - {id: clean, at_least: 0}\n",
                   "      - {id: clean, at_least: 0, at_most: 0}\n"
                   "      - {id: credit, above: 0}\n")
    text = variant(text, "  - {id: spotless, kind: honour, when: total >= 0}\n",
                   "  - {id: spotless, kind: honour, when: total >= 0}\n"
                   "  - {id: praised, kind: honour, when: total > 0}\n")
    found = [(d.code, d.path, d.line, d.severity) for d in load(text).warnings]
    assert ("band-unreachable", "bands[grade].bands[credit]", line_of(text, "id: credit"),
            "warning") in found
    assert ("rule-unreachable", "rewards[praised].when", line_of(text, "id: praised"),
            "warning") in found


def test_below_the_deduction_range_is_unreachable():
    # the least total is -10 (kind a at the item's min): below -10 is never reached
    text = variant(DEDUCTION, "      - {id: penalised, below: 0}\n",
                   "      - {id: penalised, at_least: -10, below: 0}\n"
                   "      - {id: beyond, below: -10}\n")
    found = [d.path for d in load(text).warnings if d.code == "band-unreachable"]
    assert "bands[grade].bands[beyond]" in found


# --- rounding: a score reaches its rounded range, not only its raw one -------------------------

ROUNDED_UP = PLAIN + """\
sections:
  - id: work
    items:
      - {id: w1, max: 10}
scores:
  - {id: third, expr: work / 3, rounding: {places: 2, mode: up}, min: 0, max: 3.34}
bands:
  - id: grade
    score: third
    unbanded: error
    bands:
      - {id: top, at_least: 3.34}
      - {id: rest, below: 3.34}
rewards:
  - {id: best, kind: honour, when: third >= 3.34}
"""
# work / 3 lies in [0, 3.333...]; rounded up to 2 places, third lies in [0, 3.34]


def test_rounded_up_score_reaches_the_top_band():
    result = partyscore.evaluate(load(ROUNDED_UP), [
        {"subject": "A", "period": "2024-Q1", "attributes": {}, "points": {"w1": Decimal(10)}},
    ]).get("A", "2024-Q1")
    # 10 / 3 = 3.333..., up to 2 places: 3.34 >= 3.34
    assert result.scores["third"] == Decimal("3.34")
    assert result.bands["grade"] == "top"
    assert result.reward("best") is not None


def test_linter_uses_the_rounded_range():
    # max 3.34 is reached (w1 = 10), the top band and the reward too: nothing to report
    assert warnings(ROUNDED_UP) == []


def test_property_checks_pass_on_the_rounded_score():
    check_all(load(ROUNDED_UP), settings=SETTINGS)
