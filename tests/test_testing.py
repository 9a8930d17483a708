"""partyscore.testing: every check passes on every shipped scheme, catches a planted bug, and
the strategies produce what they promise."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

import partyscore
from partyscore import _codegen, _engine, _explain, _expr, testing
from partyscore._periods import parse_period
from partyscore._plan import BandPlan

ROOT = Path(__file__).parent.parent
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))
FEATURES = ROOT / "tests" / "data" / "features.yaml"

# Fixed examples, no database: the suite gives the same verdict on every run and machine.
FAST = hypothesis.settings(max_examples=20, derandomize=True, database=None, deadline=None)
FEWER = hypothesis.settings(FAST, max_examples=10)
# A planted bug must be found however the examples fall: give the search room, and skip
# shrinking (slow on record lists) where only finding it matters.
SEARCH = hypothesis.settings(
    FAST,
    max_examples=200,
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
)
SHRINK = hypothesis.settings(FAST, max_examples=200)


def load(path: Path) -> partyscore.CompiledScheme:
    return partyscore.load_scheme(path)


def _attendance(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """No more members attend than the branch has."""
    for record in batch:
        attributes = record["attributes"]
        attributes["attending"] = min(attributes["attending"], attributes["members"])
    return batch


def preconditions(scheme: partyscore.CompiledScheme) -> st.SearchStrategy[Any] | None:
    """Records that respect what a scheme assumes of its inputs but cannot declare."""
    if scheme.id == "nanping-activity-day":
        # attendance_rate = attending / members * 100 with max 100: a branch has members and
        # no more of them attend than it has (the scheme cannot say attending <= members).
        headcount = st.integers(0, 60).map(Decimal)
        strategy = testing.records(
            scheme,
            attributes={"members": st.integers(1, 60).map(Decimal), "attending": headcount},
        )
        return strategy.map(_attendance)
    return None


# --------------------------------------------------------------------------- shipped schemes


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_check_passes_on_every_shipped_scheme(path):
    scheme = load(path)
    testing.check_all(scheme, records=preconditions(scheme), settings=FAST)


def test_every_check_passes_on_the_feature_scheme():
    testing.check_all(load(FEATURES), settings=FAST)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_rewards_never_fall_as_points_rise_in_any_shipped_scheme(path):
    # check_all compares rewards only where a banding is declared monotone; every shipped
    # scheme's rewards happen to be monotone too.
    scheme = load(path)
    if scheme.id != "nanping-activity-day":  # no item points
        testing.check_monotone(scheme, rewards=True, settings=FEWER)


def test_nanping_attendance_needs_its_preconditions():
    # Without them, a branch of 0 members (0 / 0) or more attendees than members breaks
    # the scheme's declared range: the checks say so instead of passing.
    scheme = load(ROOT / "schemes" / "nanping-activity-day.yaml")
    with pytest.raises(AssertionError, match="valid records make evaluation fail"):
        testing.check_scores_in_range(scheme, records=one(scheme), settings=FAST)


# --------------------------------------------------------------------------- planted bugs

BASE = """\
partyscore: 1
id: planted
version: 1
title: {zh-Hant: 測試, en: planted}
source: {document: tests}
period: quarter
effective: {start: 2020-01-01}
rounding: {places: 2, mode: half_up}
subject: {kind: branch}
sections:
  - id: work
    items:
      - {id: a, max: 60}
      - {id: b, max: 40}
scores:
  - {id: total, expr: work, min: 0, max: 100}
bands:
  - id: level
    score: total
    monotone: true
    fields: [pay]
    unbanded: error
    bands:
      - {id: low, below: 60, values: {pay: 100}}
      - {id: high, at_least: 60, values: {pay: 200}}
"""


def one(scheme: partyscore.CompiledScheme) -> st.SearchStrategy[list[dict[str, Any]]]:
    """One record a time: enough for a bug in one subject's scores, and quick to shrink."""
    return testing.records(scheme, subjects=1, periods=1)


def planted(**replace: str) -> partyscore.CompiledScheme:
    text = BASE
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return partyscore.load_scheme_text(text, file="planted.yaml")


def test_the_unplanted_scheme_passes():
    testing.check_all(planted(), settings=FAST)


def test_a_payload_that_falls_is_refused_before_any_check_runs():
    # Between the bands (50 up to 60) the unbanded band pays more than the band above it:
    # the linter finds it when the scheme is loaded, so check_monotone never sees it.
    with pytest.raises(partyscore.SchemeError, match=r"pay falls from 300 in between to 200"):
        planted(
            **{
                "below: 60,": "below: 50,",
                "unbanded: error": "unbanded: {id: between, values: {pay: 300}}",
            }
        )


def test_check_monotone_finds_a_score_that_falls():
    scheme = planted(**{"expr: work,": "expr: 100 - b,"})
    with pytest.raises(AssertionError, match=r"raising b from .* lowers total"):
        testing.check_monotone(scheme, records=one(scheme), settings=SEARCH)


def test_check_scores_in_range_finds_a_score_above_its_max():
    scheme = planted(**{"{id: b, max: 40}": "{id: b, max: 60}"})
    with pytest.raises(AssertionError) as found:
        testing.check_scores_in_range(scheme, records=one(scheme), settings=SHRINK)
    message = str(found.value)
    assert "valid records make evaluation fail" in message
    assert re.search(r"total = 1\d\d(\.\d+)? is outside its declared range 0\.\.100", message)
    assert "[score-out-of-range]\nrecords:\n  s1 2020-Q1: attributes {} points {a=" in message


def unbounded() -> partyscore.CompiledScheme:
    text = BASE.split("scores:")[0]  # the section alone: no declared range to stop evaluation
    return partyscore.load_scheme_text(text, file="planted.yaml")


def test_check_scores_in_range_finds_a_section_beyond_its_items(monkeypatch):
    period = _engine.Engine.period

    def adds_1000(self, *args):  # an engine bug: the section gains 1000 after it is summed
        records = period(self, *args)
        for v in records:
            v[self.slots["work"]] += 1000
        return records

    monkeypatch.setattr(_engine.Engine, "period", adds_1000)
    with pytest.raises(AssertionError, match=r"work = 1\d\d\d.* implied by its parts 0\.\.100"):
        testing.check_scores_in_range(unbounded(), records=one(unbounded()), settings=SEARCH)


def test_check_parts_add_up_finds_a_total_that_rounds_its_parts_away():
    scheme = planted(
        **{
            "places: 2": "places: 1",
            "- {id: b, max: 40}": "- {id: b, max: 40}\n  - id: more\n    items: [{id: c, max: 5}]",
            "expr: work,": "expr: work + more, rounding: {places: 0, mode: half_up},",
            "max: 100}": "max: 105}",
        }
    )
    with pytest.raises(AssertionError, match=r"total = \d+ .* parts add up to \d+\.\d"):
        testing.check_parts_add_up(scheme, records=one(scheme), settings=SEARCH)


def test_check_one_band_finds_a_gap_between_bands():
    scheme = planted(**{"at_least: 60,": "at_least: 60.5,"})  # 60 up to 60.5 has no band
    with pytest.raises(AssertionError, match=r"total = 60\.\d+ is in no band of level"):
        testing.check_one_band(scheme, records=one(scheme), settings=SEARCH)


def test_check_bounds_inclusive_finds_an_exclusive_at_least(monkeypatch):
    def contains(band, value):  # an engine bug: at_least read as above
        return (value > band.lo) and (value < band.hi or (band.hi_in and value == band.hi))

    monkeypatch.setattr(_codegen, "INLINE_BANDS", 0)  # bands found by BandPlan.contains
    monkeypatch.setattr(BandPlan, "contains", contains)
    scheme = planted(**{"unbanded: error": "unbanded: {id: nowhere, values: {pay: 0}}"})
    with pytest.raises(
        AssertionError,
        match=r"total = 60 \(on low below 60 and high at_least 60\) "
        r"belongs in high of level, evaluation put it in nowhere",
    ):
        testing.check_bounds_inclusive(scheme, settings=SEARCH)


def test_check_deterministic_finds_results_that_change_between_runs(monkeypatch):
    calls = itertools.count()
    real = _expr.format_value
    monkeypatch.setattr(_explain, "format_value", lambda v: f"{real(v)} (call {next(calls)})")
    with pytest.raises(AssertionError, match="two evaluations of the same records differ"):
        testing.check_deterministic(planted(), records=one(planted()), settings=SEARCH)


def test_check_order_independent_finds_results_in_input_order(monkeypatch):
    def order(self, rows):  # an engine bug: subjects kept in input order
        return rows

    monkeypatch.setattr(_engine.Engine, "order", order)
    scheme = planted()
    few = testing.records(scheme, subjects=(2, 3), periods=1)
    with pytest.raises(AssertionError, match=r"reordering the records as .* changes results"):
        testing.check_order_independent(scheme, records=few, settings=SEARCH)


RANKED = (
    BASE.replace(
        "  - id: level\n    score: total\n    monotone: true",
        """\
  - id: level
    score: total""",
    )
    + """\
rankings:
  - {id: rk, score: total, within: all, ties: dense}
rewards:
  - id: prize
    kind: rank_prize
    ranking: rk
    banding: level
    currency: CNY
    rounding: {places: 2, mode: down}
    ties: shared
    prizes:
      - {rank: 1, amounts: {low: "30", high: "60"}}
      - {rank: 2, amounts: {low: "20", high: "50"}}
      - {rank: 3, amounts: {low: "10", high: "40"}}
"""
)


def test_check_rank_prize_count_passes_with_competition_ranks():
    scheme = partyscore.load_scheme_text(RANKED.replace("ties: dense", "ties: competition"))
    testing.check_rank_prize_count(scheme, settings=SEARCH)


def test_check_rank_prize_count_finds_dense_ranks_paying_an_extra_place():
    # Dense ranks 1, 2, 2, 3 pay four subjects from three prizes, though no tie is at the cut.
    scheme = partyscore.load_scheme_text(RANKED)
    field = testing.records(scheme, subjects=(4, 6), periods=1)
    with pytest.raises(AssertionError, match=r"prize in .* more than its 3, .* is not tied"):
        testing.check_rank_prize_count(scheme, records=field, settings=SEARCH)


def test_check_rank_prize_count_finds_an_overflowing_top_with_ties_exclude():
    scheme = partyscore.load_scheme_text(
        RANKED.replace("ties: dense", "ties: competition")
        + """\
  - {id: first, kind: top, ranking: rk, count: "1", ties: exclude}
"""
    )
    original = _engine.Engine.top

    def top(self, rule, records):  # an engine bug: ties let in regardless
        original(self, dataclasses.replace(rule, include_ties=True), records)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_engine.Engine, "top", top)
        with pytest.raises(AssertionError, match=r"first in .* more than its 1, with ties: excl"):
            testing.check_rank_prize_count(scheme, settings=SEARCH)


# --------------------------------------------------------------------------- the strategies


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_generated_records_are_accepted(path):
    scheme = load(path)
    start, end = scheme.model.effective.start, scheme.model.effective.end
    strategy = preconditions(scheme)

    @FAST
    @given(testing.records(scheme) if strategy is None else strategy)
    def run(batch):
        keys = [(r["subject"], r["period"]) for r in batch]
        assert len(keys) == len(set(keys))
        for record in batch:
            period = parse_period(record["period"], scheme.model.period)
            assert start <= period.start
            assert end is None or period.start < end
        evaluation = partyscore.evaluate(scheme, batch)
        assert {(r.subject, r.period) for r in evaluation.results if r.kind == "period"} == set(
            keys
        )

    run()


def test_records_respect_applies_to_ranges_and_counts():
    scheme = load(ROOT / "schemes" / "university-member-points.yaml")
    stage_items = {
        "activist_study_group": "activist",
        "probationary_obligations": "probationary",
        "full_leading_role": "full",
    }

    @FAST
    @given(testing.records(scheme, subjects=(2, 3), periods=2))
    def run(batch):
        assert 2 <= len({r["subject"] for r in batch}) <= 3
        assert len({r["period"] for r in batch}) <= 2
        for record in batch:
            stage = record["attributes"]["stage"]
            for item, only in stage_items.items():
                assert (item in record["points"]) == (stage == only)
            for item, value in record["points"].items():
                info = scheme.items[item]
                assert info.max is None or info.min <= value <= info.max

    run()


def test_records_reach_ties_year_ends_and_every_band():
    scheme = load(ROOT / "schemes" / "yongxi-red-flag.yaml")
    seen: Counter[str] = Counter()

    @hypothesis.settings(FAST, max_examples=100)
    @given(testing.records(scheme))
    def run(batch):
        evaluation = partyscore.evaluate(scheme, batch)
        totals: dict[str, list[Decimal]] = {}
        for result in evaluation.results:
            if result.kind == "year_end":
                seen["year end"] += 1
                continue
            seen[result.bands["prize_level"]] += 1
            totals.setdefault(result.period, []).append(result.scores["total"])
        seen["tie"] += any(len(v) != len(set(v)) for v in totals.values())

    run()
    assert {"year end", "tie", "full", "half", "none"} <= set(seen)


@pytest.mark.parametrize("path", [p for p in SHIPPED if load(p).model.bands], ids=lambda p: p.stem)
def test_boundary_records_hit_every_bound_exactly(path):
    scheme = load(path)
    reached: set[tuple[str, Decimal]] = set()

    @FEWER
    @given(testing.boundary_records(scheme))
    def run(cases):
        for case in cases:
            result = partyscore.evaluate(scheme, case.records).results[0]
            assert result.scores[case.score] == case.value
            offset = {"below": -1, "on": 0, "above": 1}[case.side]
            assert case.value == case.bound + offset * Decimal("0.01")  # the shipped rounding
            reached.add((case.banding, case.value))

    run()
    for banding in scheme.model.bands:
        bounds = {
            getattr(b, k) for b in banding.bands for k in ("at_least", "above", "at_most", "below")
        } - {None}
        on = {value for name, value in reached if name == banding.id}
        assert bounds <= on, f"bounds never reached: {sorted(bounds - on)}"


def test_boundary_records_of_one_banding():
    scheme = load(ROOT / "schemes" / "chengzhuang-ladder.yaml")

    @FEWER
    @given(testing.boundary_records(scheme, "step"))
    def run(cases):
        assert {c.value for c in cases} == {
            Decimal(v)
            for v in (
                "69.99",
                "70",
                "70.01",
                "79.99",
                "80",
                "80.01",
                "89.99",
                "90",
                "90.01",
                "109.99",
                "110",
            )
        }  # 110.01 is above what the items can reach
        assert {c.band for c in cases if c.value < 70} == {"no_step"}

    run()


NONLINEAR = BASE.replace("expr: work,", "expr: a * b / 24,")


def test_boundary_records_refuse_what_they_cannot_steer():
    with pytest.raises(ValueError, match="no banding 'steps'"):
        testing.boundary_records(planted(), "steps")
    nonlinear = partyscore.load_scheme_text(NONLINEAR)
    with pytest.raises(ValueError, match="multiplies two terms that depend on item points"):
        testing.boundary_records(nonlinear, "level")


def test_checks_say_which_bandings_they_skip():
    nonlinear = partyscore.load_scheme_text(NONLINEAR)
    with pytest.warns(UserWarning, match="the bounds of level are not checked"):
        testing.check_bounds_inclusive(nonlinear, settings=FAST)


def test_bad_arguments_are_refused():
    scheme = planted()
    with pytest.raises(ValueError, match="subjects must be"):
        testing.records(scheme, subjects=(3, 1))
    with pytest.raises(ValueError, match="has no attribute stage"):
        testing.records(scheme, attributes={"stage": st.just("full")})
    with pytest.raises(ValueError, match="not points items: c"):
        testing.check_monotone(scheme, items=["c"])


# --------------------------------------------------------------------------- the docs


def test_the_example_in_the_docs_runs(monkeypatch):
    text = (ROOT / "docs" / "testing.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 2
    source = "\n".join(blocks).replace("max_examples=50", "max_examples=5")
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {}
    exec(compile(source, "docs/testing.md", "exec"), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert len(tests) == 5
    for test in tests:
        test()
