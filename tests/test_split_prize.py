"""A split rank prize never pays more than the places it pools, and says what it keeps back.

Tied subjects pool the amounts of the places they occupy and share them equally; the share
is rounded down (the only modes allowed are down and floor), so n shares add up to at most
the pool, and the difference is named in the explanation.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import partyscore
from tests.scheme_text import head


def scheme_text(amounts: tuple[str, str, str], mode: str = "down") -> str:
    first, second, third = amounts
    return head("split-prize", "平分獎金", kind="village") + f"""\
sections:
  - id: work
    items:
      - {{id: w1, max: 100}}
scores:
  - {{id: total, expr: work, min: 0, max: 100}}
bands:
  - id: level
    score: total
    bands: [{{id: paid, at_least: 0}}]
    unbanded: error
rankings:
  - {{id: rk, score: total, within: all, ties: competition}}
rewards:
  - id: prize
    kind: rank_prize
    ranking: rk
    banding: level
    currency: CNY
    rounding: {{places: 2, mode: {mode}}}
    ties: split
    prizes:
      - {{rank: 1, amounts: {{paid: "{first}"}}}}
      - {{rank: 2, amounts: {{paid: "{second}"}}}}
      - {{rank: 3, amounts: {{paid: "{third}"}}}}
"""


def three_tied(amounts: tuple[str, str, str]) -> list[partyscore.Outcome]:
    scheme = partyscore.load_scheme_text(scheme_text(amounts), file="split.yaml")
    records = [
        {"subject": s, "period": "2024-Q1", "points": {"w1": 90}} for s in ("a", "b", "c")
    ]
    evaluation = partyscore.evaluate(scheme, records)
    prizes = [r.reward("prize") for r in evaluation.results]
    assert all(p is not None for p in prizes)
    return [p for p in prizes if p is not None]


@pytest.mark.parametrize("mode", ["up", "half_up", "half_even", "half_down", "ceiling"])
def test_a_mode_that_can_round_a_share_up_is_refused(mode):
    text = scheme_text(("50", "30", "20"), mode)
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text, file="split.yaml")
    [found] = error.value.diagnostics
    line = text.splitlines().index(f"    rounding: {{places: 2, mode: {mode}}}") + 1
    assert (found.line, found.path, found.code) == (line, "rewards[prize].rounding.mode",
                                                    "split-rounding")  # fmt: skip


def test_three_tied_for_100_get_33_33_and_the_cent_kept_back_is_named():
    # (50 + 30 + 20) / 3 = 33.333..., down to 33.33; 3 x 33.33 = 99.99, 0.01 kept back
    prizes = three_tied(("50", "30", "20"))
    assert [p.amount for p in prizes] == [Decimal("33.33")] * 3
    assert sum(p.amount or 0 for p in prizes) <= Decimal(100)
    assert prizes[0].because == (
        "3 tied at rank 1 split places 1-3: 100 / 3 = 33.33 each, 0.01 CNY of the pool not "
        "paid out (down to 2 places) -> 33.33 CNY"
    )


def test_200_among_three_is_66_66_not_66_67():
    # 200 / 3 = 66.666...: half up would give 66.67 and pay 200.01
    prizes = three_tied(("100", "60", "40"))
    assert [p.amount for p in prizes] == [Decimal("66.66")] * 3
    assert "0.02 CNY of the pool not paid out" in prizes[0].because


def test_a_share_that_rounds_to_nothing_is_granted_as_zero_and_explained():
    # (0.01 + 0.01 + 0) / 3 = 0.00666..., down to 0.00: each is told where the 0.02 went
    prizes = three_tied(("0.01", "0.01", "0"))
    assert [p.amount for p in prizes] == [Decimal("0.00")] * 3
    assert "0.02 CNY of the pool not paid out" in prizes[0].because


def test_an_empty_pool_pays_nothing():
    scheme = partyscore.load_scheme_text(scheme_text(("0", "0", "0")), file="split.yaml")
    records = [{"subject": s, "period": "2024-Q1", "points": {"w1": 90}} for s in ("a", "b")]
    evaluation = partyscore.evaluate(scheme, records)
    assert [r.rewards for r in evaluation.results] == [(), ()]
