"""Property tests of the evaluator on the Chengzhuang ladder with generated records."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import partyscore
from partyscore._bands import contains

ROOT = Path(__file__).parent.parent
SCHEME = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
ITEMS = dict(SCHEME.items)
STEP = next(b for b in SCHEME.model.bands if b.id == "step")


@st.composite
def records(draw: st.DrawFn, subject: str = "b", period: str = "2024-Q1") -> dict[str, Any]:
    points: dict[str, Any] = {}
    for name, item in ITEMS.items():
        if item.type == "flag":
            points[name] = draw(st.booleans())
        else:
            assert item.max is not None
            halves = draw(st.integers(0, int(item.max * 2)))
            points[name] = Decimal(halves) / 2
    line = draw(st.sampled_from(["front", "second", "surface"]))
    return {"subject": subject, "period": period, "points": points,
            "attributes": {"line": line, "major_error": draw(st.booleans()), "inaction": "none"}}


def evaluate_one(record: dict[str, Any]) -> partyscore.Result:
    return partyscore.evaluate(SCHEME, [record]).get(record["subject"], record["period"])


@settings(max_examples=60, deadline=None)
@given(records())
def test_parts_add_up_and_stay_in_range(record):
    result = evaluate_one(record)
    scores = result.scores
    assert scores["total"] == scores["key"] + scores["basic"] + scores["innovation"]
    assert Decimal(0) <= scores["total"] <= Decimal(110)
    points = record["points"]
    assert scores["key"] == sum(points[f"key_{i:02d}"] for i in range(1, 11))


@settings(max_examples=60, deadline=None)
@given(records())
def test_the_score_is_in_exactly_the_band_reported(record):
    result = evaluate_one(record)
    total = result.scores["total"]
    holding = [band.id for band in STEP.bands if contains(band, total)]
    assert len(holding) <= 1
    assert result.bands["step"] == (holding[0] if holding else "no_step")


@settings(max_examples=60, deadline=None)
@given(records(), st.sampled_from(sorted(n for n, i in ITEMS.items() if i.type == "points")))
def test_more_points_never_lower_the_coefficient_or_pay(record, item):
    before = evaluate_one(record)
    maximum = ITEMS[item].max
    assert maximum is not None
    raised = {**record, "points": {**record["points"], item: maximum}}
    after = evaluate_one(raised)
    assert after.scores["coefficient"] >= before.scores["coefficient"]
    pay_before, pay_after = before.reward("ladder_pay"), after.reward("ladder_pay")
    assert pay_before is not None
    assert pay_after is not None
    assert pay_after.amount is not None
    assert pay_before.amount is not None
    assert pay_after.amount >= pay_before.amount


@settings(max_examples=25, deadline=None)
@given(st.lists(records(), min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_row_order_does_not_change_results(generated, rnd: random.Random):
    batch = [{**r, "subject": f"s{i}"} for i, r in enumerate(generated)]
    first = partyscore.evaluate(SCHEME, batch)
    shuffled = batch[:]
    rnd.shuffle(shuffled)
    second = partyscore.evaluate(SCHEME, shuffled)
    strip = [(r.subject, r.scores, r.bands, r.ranks, r.rewards, r.actions) for r in first.results]
    assert strip == [(r.subject, r.scores, r.bands, r.ranks, r.rewards, r.actions)
                     for r in second.results]
