"""No result, explanation or output shows ``-0``: a score or an amount that is zero is
written 0, whatever the sign the arithmetic left on it (Decimal keeps -0: -1 * 0 is -0)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import partyscore
from tests.scheme_text import head

SCHEME = head("negative-zero", "負零") + """\
sections:
  - id: work
    items:
      - {id: w1, max: 10}
      - {id: w2, min: -10, max: 0}
scores:
  - {id: penalty, expr: w2 * 2}
  - {id: tiny, expr: "0 - w1 / 1000"}
rewards:
  - id: bonus
    kind: money
    amount: w2 * 100
    currency: CNY
    rounding: {places: 2, mode: half_up}
"""


@pytest.fixture(scope="module")
def evaluation() -> partyscore.Evaluation:
    scheme = partyscore.load_scheme_text(SCHEME, file="negative-zero.yaml")
    # w2 = -0 as a caller may give it; w1 = 4, so tiny = -0.004, rounded half up: -0.00.
    records = [
        {"subject": "m1", "period": "2024-Q1", "points": {"w1": 4, "w2": Decimal("-0")}},
        {"subject": "m2", "period": "2024-Q1", "points": {"w1": 4, "w2": Decimal("-0.00")}},
    ]
    return partyscore.evaluate(scheme, records)


def test_scores_and_amounts_that_are_zero_are_not_negative(evaluation):
    for result in evaluation.results:
        # -0 * 2 = -0, rounded to the scheme's two places: -0.00;
        # 0 - 0.004 = -0.004, rounded half up to two places: -0.00
        assert str(result.scores["penalty"]) == "0.00"
        assert str(result.scores["tiny"]) == "0.00"
        [bonus] = result.rewards
        assert str(bonus.amount) == "0.00"  # -0 * 100 = -0, rounded: -0.00


def test_no_output_shows_minus_zero(evaluation):
    for text in (
        partyscore.to_json(evaluation),
        partyscore.to_csv(evaluation),
        partyscore.to_table(evaluation),
    ):
        assert "-0" not in text, text
    text = partyscore.to_json(evaluation)
    assert '"tiny": 0.00' in text
    assert json.loads(text)["results"][0]["rewards"][0]["amount"] == "0.00"


def test_explanations_do_not_show_minus_zero(evaluation):
    for result in evaluation.results:
        lines = [*result.explain.values(), *(o.because for o in result.rewards)]
        assert not any("-0" in line for line in lines), lines
