"""Year-end rules keep the promises period rules keep: a money amount is never negative nor
above 10^12, a score stays in its declared min/max, a division by zero or a runaway result
(beyond 10^15) is an error, and the linter reads year-end rules like period rules
(docs/errors.md: negative-amount, amount-too-large, score-out-of-range, division-by-zero,
arithmetic, rule-unreachable, score-range).

The scheme is quarterly, so a complete year is 4 periods. Its one item w1 takes 0..100, the
score total = work = w1 is declared 0..100, and the condition passed (total >= 60) is a flag
per period. At year end, then:

- mean(total), min(total), max(total) lie in [0, 100] (the range of one period's total);
- sum(total) lies in [4 x 0, 4 x 100] = [0, 400] (4 values in [0, 100]);
- count(passed) and streak(passed) lie in [0, 4] (4 periods a year).

Every expected value is worked out in the comments.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

import partyscore
from partyscore import EvaluationError

HEAD = """\
partyscore: 1
id: year-end-guards
version: 1
title: {zh-Hant: 年終, en: year-end guards}
source: {document: x}
period: quarter
effective: {start: 2020-01-01}
rounding: {places: 2, mode: half_up}
subject:
  kind: member
sections:
  - id: work
    items:
      - {id: w1, max: 100}
scores:
  - {id: total, expr: work, min: 0, max: 100}
actions:
  - {id: passed, kind: condition, when: total >= 60}
year_end:
"""

MONEY = "currency: CNY, rounding: {places: 2, mode: half_up}"


def scheme_text(*, scores: str = "", rewards: str = "", actions: str = "") -> str:
    """The scheme above with the given year-end entries (each a YAML flow mapping)."""
    text = HEAD
    for key, entry in (("scores", scores), ("rewards", rewards), ("actions", actions)):
        if entry:
            text += f"  {key}:\n    - {entry}\n"
    return text


def load(**entries: str) -> partyscore.CompiledScheme:
    return partyscore.load_scheme_text(scheme_text(**entries), file="s.yaml")


def money(amount: str) -> str:
    return f"{{id: bonus, kind: money, amount: {amount}, {MONEY}}}"


def year(*totals: str) -> list[dict[str, Any]]:
    """One subject's four quarters of 2024 with these totals (total = w1)."""
    assert len(totals) == 4
    return [
        {"subject": "A", "period": f"2024-Q{quarter}", "attributes": {},
         "points": {"w1": Decimal(total)}}
        for quarter, total in enumerate(totals, start=1)
    ]


def year_end(scheme: partyscore.CompiledScheme, *totals: str) -> partyscore.Result:
    evaluation = partyscore.evaluate(scheme, year(*totals))
    assert evaluation.warnings == ()  # the year is complete: year-end rules ran
    result = evaluation.get("A", "2024")
    assert result.kind == "year_end"
    return result


def fails(scheme: partyscore.CompiledScheme, *totals: str) -> partyscore.Diagnostic:
    with pytest.raises(EvaluationError) as info:
        partyscore.evaluate(scheme, year(*totals))
    return info.value.diagnostics[0]


def line_of(text: str, pattern: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), 1) if re.search(pattern, line)]
    assert len(found) == 1, (pattern, found)
    return found[0]


# Totals 6, 8, 10, 12: mean (6 + 8 + 10 + 12) / 4 = 36 / 4 = 9, sum 36.
LOW = ("6", "8", "10", "12")
# Totals 80, 90, 70, 100: sum 340, mean 340 / 4 = 85.
SANE = ("80", "90", "70", "100")
FULL = ("100", "100", "100", "100")  # sum 400, mean 100


# --- 1. negative money ------------------------------------------------------------------

def test_negative_year_end_amount_is_an_error():
    scheme = load(rewards=money("mean(total) - 100"))
    # mean 9 - 100 = -91, rounded half_up to 2 places: -91.00 < 0
    diagnostic = fails(scheme, *LOW)
    assert diagnostic.code == "negative-amount"
    assert "bonus" in diagnostic.message
    assert "-91.00" in diagnostic.message


def test_negative_year_end_amount_of_one_cent_is_an_error():
    scheme = load(rewards=money("mean(total) - 85.01"))
    # mean 85 - 85.01 = -0.01: one cent below zero is still negative
    assert fails(scheme, *SANE).code == "negative-amount"


def test_year_end_amount_of_zero_and_above_is_paid():
    scheme = load(rewards=money("mean(total) - 85"))
    # mean 85 - 85 = 0.00: zero is not negative
    bonus = year_end(scheme, *SANE).reward("bonus")
    assert bonus is not None
    assert bonus.amount == Decimal("0.00")
    scheme = load(rewards=money("mean(total) - 80"))
    bonus = year_end(scheme, *SANE).reward("bonus")  # 85 - 80 = 5.00
    assert bonus is not None
    assert (bonus.amount, bonus.currency) == (Decimal("5.00"), "CNY")


# --- 2. declared score range --------------------------------------------------------------

def test_year_end_score_above_its_declared_max_is_an_error():
    scheme = load(scores="{id: annual, expr: mean(total), max: 5}")
    # mean 9 -> 9.00 > 5
    diagnostic = fails(scheme, *LOW)
    assert diagnostic.code == "score-out-of-range"
    assert "annual" in diagnostic.message


def test_year_end_score_below_its_declared_min_is_an_error():
    scheme = load(scores="{id: annual, expr: mean(total), min: 50}")
    # mean 9 -> 9.00 < 50
    diagnostic = fails(scheme, *LOW)
    assert diagnostic.code == "score-out-of-range"
    assert "annual" in diagnostic.message


def test_year_end_score_one_unit_above_its_max_is_an_error():
    scheme = load(scores="{id: annual, expr: mean(total), max: 84.99}")
    # mean 85.00 > 84.99 by one rounding unit
    assert fails(scheme, *SANE).code == "score-out-of-range"


def test_year_end_score_on_its_declared_bounds_is_kept():
    scheme = load(scores="{id: annual, expr: mean(total), min: 85, max: 85}")
    # mean 85.00: both bounds are inclusive
    assert year_end(scheme, *SANE).scores["annual"] == Decimal("85.00")


# --- 3. runaway money -------------------------------------------------------------------

def test_year_end_amount_above_the_limit_is_an_error():
    scheme = load(rewards=money("sum(total) * 10000000000"))
    # sum 340 x 10^10 = 3.4 x 10^12 > 10^12 (and below 10^15: not a runaway result)
    diagnostic = fails(scheme, *SANE)
    assert diagnostic.code == "amount-too-large"
    assert "bonus" in diagnostic.message


def test_year_end_amount_at_the_limit_is_paid_one_above_is_not():
    scheme = load(rewards=money("sum(total) * 2500000000"))
    # sum 400 x 2.5 x 10^9 = 10^12: the limit itself is allowed
    bonus = year_end(scheme, *FULL).reward("bonus")
    assert bonus is not None
    assert bonus.amount == Decimal("1000000000000.00")
    scheme = load(rewards=money("sum(total) * 2500000001"))
    # sum 400 x 2500000001 = 1000000000400 > 10^12
    assert fails(scheme, *FULL).code == "amount-too-large"


# --- 4. division by zero and runaway results ----------------------------------------------

@pytest.mark.parametrize(
    "entries",
    [
        # sum(total) - sum(total) = 36 - 36 = 0: 100 / 0
        pytest.param({"rewards": money("100 / (sum(total) - sum(total))")}, id="amount"),
        pytest.param({"scores": "{id: annual, expr: 100 / (sum(total) - sum(total))}"},
                     id="score"),
        pytest.param({"actions": "{id: odd, kind: condition, "
                                 "when: 100 / (sum(total) - sum(total)) > 1}"}, id="condition"),
        # 0 / 0: (36 - 36) / (36 - 36)
        pytest.param({"scores": "{id: annual, expr: (sum(total) - sum(total)) / "
                                "(sum(total) - sum(total))}"}, id="zero-by-zero"),
    ],
)
def test_year_end_division_by_zero_is_an_error(entries):
    assert fails(load(**entries), *LOW).code == "division-by-zero"


@pytest.mark.parametrize(
    "entries",
    [
        # sum 36 x 10^12 x 1000 = 3.6 x 10^16 > 10^15
        pytest.param({"scores": "{id: annual, expr: sum(total) * 1000000000000 * 1000}"},
                     id="score"),
        pytest.param({"rewards": money("sum(total) * 1000000000000 * 1000")}, id="amount"),
    ],
)
def test_year_end_runaway_result_is_an_arithmetic_error(entries):
    assert fails(load(**entries), *LOW).code == "arithmetic"


# --- 5. sane values evaluate ----------------------------------------------------------------

def test_sane_year_end_rules_evaluate():
    text = HEAD + (
        "  scores:\n"
        "    - {id: annual, expr: mean(total), min: 0, max: 100}\n"
        "    - {id: third, expr: mean(total) / 3, rounding: {places: 1, mode: up}}\n"
        "    - {id: yearly, expr: sum(total), min: 0, max: 400}\n"
        "  rewards:\n"
        "    - {id: share, kind: money, amount: sum(total) / 7, currency: CNY,"
        " rounding: {places: 2, mode: down}}\n"
        "    - {id: good_year, kind: honour, when: annual >= 85}\n"
        "  actions:\n"
        "    - {id: steady, kind: condition, when: streak(passed) >= 4}\n"
        "    - {id: lowest, kind: condition, when: min(total) < 75 and max(total) >= 100}\n"
    )
    scheme = partyscore.load_scheme_text(text, file="s.yaml")
    assert scheme.warnings == ()  # every bound adds up and every rule can apply
    result = year_end(scheme, *SANE)
    assert result.scores == {
        "annual": Decimal("85.00"),  # (80 + 90 + 70 + 100) / 4 = 85
        "third": Decimal("28.4"),  # 85 / 3 = 28.333..., up to 1 place: 28.4
        "yearly": Decimal("340.00"),  # 80 + 90 + 70 + 100 = 340
    }
    share = result.reward("share")
    assert share is not None
    assert share.amount == Decimal("48.57")  # 340 / 7 = 48.5714..., down to 2 places
    assert result.reward("good_year") is not None  # 85.00 >= 85
    # passed (total >= 60) holds in all 4 quarters: streak 4
    # min 70 < 75 and max 100 >= 100
    assert result.action_ids() == ["steady", "lowest"]


# --- 6. the linter reads year-end rules ---------------------------------------------------

def lint(text: str) -> list[partyscore.Diagnostic]:
    return list(partyscore.load_scheme_text(text, file="s.yaml").warnings)


UNREACHABLE = [
    # count of a flag series over 4 quarters is at most 4
    pytest.param("actions", "{id: many, kind: condition, when: count(passed) > 10}",
                 id="count-above-10"),
    pytest.param("actions", "{id: many, kind: condition, when: count(passed) > 4}",
                 id="count-above-4"),
    pytest.param("actions", "{id: many, kind: condition, when: streak(passed) >= 5}",
                 id="streak-5"),
    # mean, max, min of total stay in [0, 100]
    pytest.param("actions", "{id: many, kind: condition, when: mean(total) > 200}",
                 id="mean-above-200"),
    pytest.param("actions", "{id: many, kind: condition, when: max(total) > 100}",
                 id="max-above-100"),
    pytest.param("actions", "{id: many, kind: condition, when: min(total) < 0}",
                 id="min-below-0"),
    # sum of 4 totals in [0, 100] is at most 400
    pytest.param("actions", "{id: many, kind: condition, when: sum(total) > 400}",
                 id="sum-above-400"),
    # a year-end honour reward is a rule too
    pytest.param("rewards", "{id: many, kind: honour, when: mean(total) > 100}",
                 id="honour"),
]


@pytest.mark.parametrize(("key", "entry"), UNREACHABLE)
def test_unreachable_year_end_rule_is_reported(key, entry):
    text = scheme_text(**{key: entry})
    found = [d for d in lint(text) if d.code == "rule-unreachable"]
    assert len(found) == 1, [d.render() for d in lint(text)]
    (diagnostic,) = found
    assert diagnostic.severity == "warning"
    assert diagnostic.path.startswith(f"year_end.{key}[many]")
    assert diagnostic.line == line_of(text, "id: many")
    assert diagnostic.render().startswith(f"s.yaml:{diagnostic.line}:")
    assert f": warning: year_end.{key}[many]" in diagnostic.render()
    assert diagnostic.render().endswith(" [rule-unreachable]")


def test_unreachable_year_end_rule_on_a_year_end_score_is_reported():
    text = scheme_text(scores="{id: annual, expr: mean(total)}",
                       rewards="{id: many, kind: honour, when: annual > 100}")
    # annual = mean(total) lies in [0, 100]: annual > 100 never holds
    found = [d for d in lint(text) if d.code == "rule-unreachable"]
    assert [d.path.split(".")[:2] for d in found] == [["year_end", "rewards[many]"]]


REACHABLE = [
    # the largest values the aggregates reach: each condition holds for some complete year
    pytest.param("{id: many, kind: condition, when: count(passed) >= 4}", id="count-4"),
    pytest.param("{id: many, kind: condition, when: streak(passed) >= 4}", id="streak-4"),
    pytest.param("{id: many, kind: condition, when: mean(total) >= 100}", id="mean-100"),
    pytest.param("{id: many, kind: condition, when: min(total) <= 0}", id="min-0"),
    # the sum goes past one period's total: 4 x 100 = 400
    pytest.param("{id: many, kind: condition, when: sum(total) > 100}", id="sum-above-100"),
    pytest.param("{id: many, kind: condition, when: sum(total) >= 400}", id="sum-400"),
]


@pytest.mark.parametrize("entry", REACHABLE)
def test_reachable_year_end_rule_is_not_reported(entry):
    assert [d.render() for d in lint(scheme_text(actions=entry))] == []


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        # sum(total) reaches 4 x 100 = 400 > 100: an evaluation would fail
        pytest.param("{id: annual, expr: sum(total), max: 100}", "400", id="can-leave-max"),
        # mean(total) reaches 0 < 10: an evaluation would fail
        pytest.param("{id: annual, expr: mean(total), min: 10}", "0", id="can-leave-min"),
        # mean(total) never passes 100, so max 120 is a bound its parts never reach
        pytest.param("{id: annual, expr: mean(total), max: 120}", "100", id="never-reached"),
    ],
)
def test_year_end_score_range_is_checked(entry, words):
    text = scheme_text(scores=entry)
    found = [d for d in lint(text) if d.code == "score-range"]
    assert len(found) == 1, [d.render() for d in lint(text)]
    (diagnostic,) = found
    assert diagnostic.severity == "warning"
    assert diagnostic.path.startswith("year_end.scores[annual]")
    assert diagnostic.line == line_of(text, "id: annual")
    assert ": warning: year_end.scores[annual]" in diagnostic.render()
    assert words in diagnostic.message
    assert diagnostic.render().endswith(" [score-range]")


@pytest.mark.parametrize(
    "entry",
    [
        "{id: annual, expr: mean(total), min: 0, max: 100}",  # exactly [0, 100]
        "{id: annual, expr: sum(total), min: 0, max: 400}",  # exactly [4 x 0, 4 x 100]
        "{id: annual, expr: count(passed), min: 0, max: 4}",  # exactly [0, 4]
    ],
)
def test_year_end_score_range_that_adds_up_is_not_reported(entry):
    assert [d.render() for d in lint(scheme_text(scores=entry))] == []
