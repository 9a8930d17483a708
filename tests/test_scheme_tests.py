"""Scheme tests: the test-file format, the runner's diffs, coverage, `partyscore test` and the
pytest plugin.

Coverage of the small scheme MINI, by hand: bands low (< 10), mid [10, 15), high [15, 20]
are 3 items; their bounds (low below 10; mid at_least 10, below 15; high at_least 15,
at_most 20) 5 boundary items; rewards star and pay 2 items; actions warn, and the two steps
of the escalation repeat, 3 items: 13 in all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from partyscore.cli import main
from partyscore.scheme_tests import (
    SchemeTestError,
    find_test_files,
    load_test_file,
    run_case,
    run_tests,
)

ROOT = Path(__file__).parent.parent

MINI = """\
partyscore: 1
id: mini
version: 1
title: {zh-Hant: 小, en: mini}
source: {document: tests}
period: quarter
effective: {start: 2024-01-01}
rounding: {places: 2, mode: half_up}
subject: {kind: branch}
sections:
  - id: work
    items:
      - {id: a, max: 10}
      - {id: b, max: 10}
scores:
  - {id: total, expr: work, min: 0, max: 20}
bands:
  - id: level
    score: total
    unbanded: error
    bands:
      - {id: low, below: 10}
      - {id: mid, at_least: 10, below: 15}
      - {id: high, at_least: 15, at_most: 20}
rewards:
  - {id: star, kind: honour, when: level == "high"}
  - id: pay
    kind: money
    amount: total * 2
    currency: CNY
    rounding: {places: 2, mode: half_up}
actions:
  - {id: warn, kind: condition, when: total < 10, action: warning}
  - id: repeat
    kind: escalation
    when: total < 10
    count: consecutive
    steps:
      - {at: 1, action: talk}
      - {at: 2, action: removal}
"""

# total 10: band mid, on two bounds (low below 10, mid at_least 10); pay 10 x 2 = 20
PASSING = """\
scheme: mini.yaml
cases:
  - name: ten is mid
    records:
      - {subject: b1, period: 2024-Q1, points: {a: 5, b: 5}}
    expect:
      - subject: b1
        period: 2024-Q1
        scores: {work: 10, total: "10.00"}
        bands: {level: mid}
        rewards: [{id: pay, amount: "20.00", currency: CNY}]
        actions: []
"""

# total 4: band low; warning, and the first step of the escalation; pay 8
LOW = """\
  - name: four is low
    records:
      - {subject: b2, period: 2024-Q1, points: {a: 4, b: 0}}
    expect:
      - subject: b2
        period: 2024-Q1
        bands: {level: low}
        rewards: [{id: pay, amount: 8}]
        actions: [warning, {id: talk, rule: repeat}]
"""

FAILING = """\
scheme: mini.yaml
cases:
  - name: wrong on purpose
    records:
      - {subject: b1, period: 2024-Q1, points: {a: 5, b: 5}}
    expect:
      - subject: b1
        period: 2024-Q1
        scores: {total: 11}
        bands: {level: high}
        ranks: {}
        rewards: [{id: pay, amount: "20.01"}, star]
        actions: [warning]
      - {subject: b1, period: 2024-Q2, scores: {total: 10}}
"""


def write(folder: Path, tests: str, name: str = "mini.test.yaml") -> Path:
    (folder / "mini.yaml").write_text(MINI, encoding="utf-8")
    path = folder / name
    path.write_text(tests, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


# --------------------------------------------------------------------------- the shipped cases


def test_every_shipped_scheme_has_tests_with_full_coverage():
    report = run_tests([ROOT / "schemes"])
    assert report.problems == ()
    assert report.untested == ()
    assert [c.render() for c in report.cases if not c.passed] == []
    shipped = {
        str(p) for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml")
    }
    assert {s.scheme for s in report.schemes} == shipped
    for scheme in report.schemes:
        for category in scheme.coverage.categories:
            assert category.missing == (), (scheme.scheme, category.name)
    assert report.coverage.percent == Decimal("100.0")


def test_partyscore_test_schemes_passes_at_100_percent(capsys):
    status, out, err = run(capsys, "test", str(ROOT / "schemes"), "--min-coverage", "100")
    assert (status, err) == (0, "")
    assert "FAIL" not in out
    last = out.splitlines()[-1]
    assert last.endswith(" passed, 0 failed")
    assert out.splitlines()[-2].split() == [
        "all",
        "schemes",
        "21/21",
        "22/22",
        "37/37",
        "36/36",
        "100.0%",
    ]


# --------------------------------------------------------------------------- running cases


def test_a_passing_file(tmp_path):
    path = write(tmp_path, PASSING + LOW)
    tests = load_test_file(path)
    assert [c.name for c in tests.cases] == ["ten is mid", "four is low"]
    assert [run_case(tests, c).failures for c in tests.cases] == [(), ()]


def test_a_failing_case_says_what_differs(tmp_path):
    path = write(tmp_path, FAILING)
    tests = load_test_file(path)
    result = run_case(tests, tests.cases[0])
    assert not result.passed
    assert result.failures == (
        "b1 2024-Q1 scores.total: expected 11, got 10.00",
        "b1 2024-Q1 bands.level: expected high, got mid",
        "b1 2024-Q1 rewards: expected [pay 20.01, star], got [pay 20.00]",
        "b1 2024-Q1 actions: expected [warning], got []",
        "b1 2024-Q2: expected a result, got none (b1 has results for 2024-Q1)",
    )
    assert result.render() == (
        f"{path}:3: FAIL wrong on purpose\n"
        "    b1 2024-Q1 scores.total: expected 11, got 10.00\n"
        "    b1 2024-Q1 bands.level: expected high, got mid\n"
        "    b1 2024-Q1 rewards: expected [pay 20.01, star], got [pay 20.00]\n"
        "    b1 2024-Q1 actions: expected [warning], got []\n"
        "    b1 2024-Q2: expected a result, got none (b1 has results for 2024-Q1)"
    )


def test_numbers_compare_exactly_but_not_by_their_digits(tmp_path):
    # 10, 10.0 and "10.00" are the same number; 10.001 is not
    cases = "".join(
        f"""\
  - name: total {text}
    records: [{{subject: b1, period: 2024-Q1, points: {{a: 5, b: 5}}}}]
    expect: [{{subject: b1, period: 2024-Q1, scores: {{total: {text}}}}}]
"""
        for text in ("10", "10.0", '"10.00"', "10.001")
    )
    tests = load_test_file(write(tmp_path, "scheme: mini.yaml\ncases:\n" + cases))
    failures = [run_case(tests, c).failures for c in tests.cases]
    assert failures == [(), (), (), ("b1 2024-Q1 scores.total: expected 10.001, got 10.00",)]


def test_outcome_lists_are_exact_in_any_order(tmp_path):
    case = """\
scheme: mini.yaml
cases:
  - name: order does not matter
    records: [{subject: b, period: 2024-Q1, points: {a: 1, b: 1}}]
    expect: [{subject: b, period: 2024-Q1, actions: [talk, warning]}]
  - name: a missing one does
    records: [{subject: b, period: 2024-Q1, points: {a: 1, b: 1}}]
    expect: [{subject: b, period: 2024-Q1, actions: [{id: talk, rule: repeat}]}]
  - name: so does a wrong rule
    records: [{subject: b, period: 2024-Q1, points: {a: 1, b: 1}}]
    expect: [{subject: b, period: 2024-Q1, actions: [talk, {id: warning, rule: repeat}]}]
"""
    tests = load_test_file(write(tmp_path, case))
    assert [run_case(tests, c).failures for c in tests.cases] == [
        (),
        ("b 2024-Q1 actions: expected [talk (repeat)], got [warning (warn), talk (repeat)]",),
        (
            "b 2024-Q1 actions: expected [talk, warning (repeat)], "
            "got [warning (warn), talk (repeat)]",
        ),
    ]


def test_an_action_taken_by_two_rules_is_one_entry(tmp_path):
    scheme = MINI.replace(
        "  - id: repeat\n",
        "  - {id: warn_again, kind: condition, when: total < 5, action: warning}\n  - id: repeat\n",
    )
    (tmp_path / "mini.yaml").write_text(scheme, encoding="utf-8")
    case = """\
scheme: mini.yaml
cases:
  - name: the action once, with both rules
    records: [{subject: b, period: 2024-Q1, points: {a: 1, b: 1}}]
    expect:
      - {subject: b, period: 2024-Q1, actions: [{id: warning, rules: [warn, warn_again]}, talk]}
  - name: an id alone matches it too
    records: [{subject: b, period: 2024-Q1, points: {a: 1, b: 1}}]
    expect: [{subject: b, period: 2024-Q1, actions: [warning, talk]}]
  - name: rule names the one rule that decided
    records: [{subject: b, period: 2024-Q1, points: {a: 1, b: 1}}]
    expect: [{subject: b, period: 2024-Q1, actions: [{id: warning, rule: warn}, talk]}]
  - name: two entries for one action
    records: [{subject: b, period: 2024-Q1, points: {a: 1, b: 1}}]
    expect:
      - subject: b
        period: 2024-Q1
        actions: [{id: warning, rule: warn}, {id: warning, rule: warn_again}, talk]
"""
    path = tmp_path / "mini.test.yaml"
    path.write_text(case, encoding="utf-8")
    tests = load_test_file(path)
    assert [run_case(tests, c).failures for c in tests.cases] == [
        (),
        (),
        (
            "b 2024-Q1 actions: expected [warning (warn), talk], "
            "got [warning (warn, warn_again), talk (repeat)]",
        ),
        (
            "b 2024-Q1 actions: expected [warning (warn), warning (warn_again), talk], "
            "got [warning (warn, warn_again), talk (repeat)]",
        ),
    ]


def test_expected_errors(tmp_path):
    case = """\
scheme: mini.yaml
cases:
  - name: the expected error
    records:
      - {subject: b1, period: 2024-Q1, points: {a: 11, b: 0}}
    expect_error: {code: out-of-range, message: a = 11 is outside 0..10}
  - name: another error
    records:
      - {subject: b1, period: 2024-Q1, points: {a: 11, b: 0}}
    expect_error: {code: bad-period}
  - name: no error at all
    records:
      - {subject: b1, period: 2024-Q1, points: {a: 1, b: 0}}
    expect_error: {code: out-of-range}
  - name: an error nobody expected
    records:
      - {subject: b1, period: 2024-Q1, points: {a: 11, b: 0}}
    expect: []
"""
    path = write(tmp_path, case)
    tests = load_test_file(path)
    assert [run_case(tests, c).failures for c in tests.cases] == [
        (),
        (
            "expected an error [bad-period], got other errors:",
            f"  {path}:9: a: subject 'b1': a = 11 is outside 0..10 [out-of-range]",
        ),
        ("expected an error [out-of-range], got results",),
        (f"unexpected error: {path}:17: a: subject 'b1': a = 11 is outside 0..10 [out-of-range]",),
    ]


def test_defaults_fill_in_records_and_a_case_overrides_them(tmp_path):
    case = """\
scheme: mini.yaml
defaults: {points: {a: 5, b: 5}}
cases:
  - name: file defaults
    records: [{subject: b1, period: 2024-Q1}]
    expect: [{subject: b1, period: 2024-Q1, scores: {total: 10}}]
  - name: case defaults over file defaults, the record over both
    defaults: {points: {b: 2}}
    records: [{subject: b1, period: 2024-Q1, points: {a: 1}}]
    expect: [{subject: b1, period: 2024-Q1, scores: {total: 3}}]
"""
    tests = load_test_file(write(tmp_path, case))
    assert [run_case(tests, c).failures for c in tests.cases] == [(), ()]


def test_records_file_and_warnings(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "mini.csv").write_text(
        "subject,period,a,b\nb1,2024-Q1,5,5\nb1,2024-Q2,1,1\n", encoding="utf-8"
    )
    case = """\
scheme: ../mini.yaml
cases:
  - name: from a CSV file
    records_file: ../data/mini.csv
    expect:
      - {subject: b1, period: 2024-Q2, scores: {total: 2}, actions: [warning, talk]}
    expect_warnings: [no year end here]
"""
    (tmp_path / "tests").mkdir()
    path = write(tmp_path, case, name="tests/mini.test.yaml")
    tests = load_test_file(path)
    assert run_case(tests, tests.cases[0]).failures == (
        "warnings: expected ['no year end here'], got []",
    )


def test_year_end_results(tmp_path):
    scheme = MINI + "year_end:\n  scores:\n    - {id: annual, expr: mean(total)}\n"
    (tmp_path / "mini.yaml").write_text(scheme, encoding="utf-8")
    quarters = "".join(
        f"      - {{subject: b1, period: 2024-Q{q}, points: {{a: {q}, b: 0}}}}\n"
        for q in (1, 2, 3, 4)
    )
    case = f"""\
scheme: mini.yaml
cases:
  - name: the mean of the year
    records:
{quarters}    expect:
      # (1 + 2 + 3 + 4) / 4 = 2.5
      - {{subject: b1, period: 2024, kind: year_end, scores: {{annual: 2.50}}}}
      - {{subject: b1, period: 2024, scores: {{annual: 2.5}}}}
      - {{subject: b1, period: 2025, kind: year_end, scores: {{annual: 2.5}}}}
"""
    path = tmp_path / "mini.test.yaml"
    path.write_text(case, encoding="utf-8")
    tests = load_test_file(path)
    assert run_case(tests, tests.cases[0]).failures == (
        "b1 2025: expected a year-end result, got none "
        "(b1 has results for 2024-Q1, 2024-Q2, 2024-Q3, 2024-Q4, 2024)",
    )


# --------------------------------------------------------------------------- the format


def problems(tmp_path: Path, text: str) -> list[str]:
    path = write(tmp_path, text)
    with pytest.raises(SchemeTestError) as caught:
        load_test_file(path)
    prefix = f"{path}:"
    return [line.removeprefix(prefix) for line in caught.value.render().splitlines()]


FORMAT_ERRORS = [
    pytest.param(
        "scheme: mini.yaml\ncases:\n  - name: c\n    recods: []\n    records: []\n    expect: []\n",
        ["4:5: cases[c].recods: unknown key 'recods'; did you mean 'records'? [unknown-key]"],
        id="unknown-key-in-case",
    ),
    pytest.param(
        "scheme: mini.yaml\ncase: []\n",
        [
            "1:1: missing required key 'cases' [missing-key]",
            "2:1: case: unknown key 'case'; did you mean 'cases'? [unknown-key]",
        ],
        id="unknown-top-key",
    ),
    pytest.param(
        "scheme: mini.yaml\ncases:\n  - name: c\n    records: []\n    expect:\n"
        "      - {subject: b1, period: 2024-Q1, band: {level: low}}\n",
        [
            "6:40: cases[c].expect[b1 2024-Q1].band: unknown key 'band'; did you mean 'bands'? "
            "[unknown-key]"
        ],
        id="unknown-key-in-expectation",
    ),
    pytest.param(
        "scheme: nope.yaml\ncases:\n  - {name: c, records: [], expect: []}\n",
        [
            "1:9: scheme: no scheme file 'nope.yaml' (looked for {folder}/nope.yaml); the path "
            "is relative to the test file [missing-scheme]"
        ],
        id="missing-scheme",
    ),
    pytest.param(
        "scheme: mini.yaml\ncases:\n  - name: c\n    records: []\n    expect:\n"
        "      - subject: b1\n        period: 2024-Q1\n        scores: {totl: 1}\n"
        "        bands: {level: lo, lvl: low}\n        ranks: {rank: 1}\n"
        "        rewards: [stra]\n        actions: [{id: warning, rule: warm}]\n",
        [
            "8:18: cases[c].expect[b1 2024-Q1].scores.totl: the scheme has no score 'totl'; "
            "did you mean 'total'? [unknown-name]",
            "9:24: cases[c].expect[b1 2024-Q1].bands.level: the banding 'level' has no band "
            "'lo'; did you mean 'low'? [unknown-band]",
            "9:28: cases[c].expect[b1 2024-Q1].bands.lvl: the scheme has no banding 'lvl'; "
            "did you mean 'level'? [unknown-name]",
            "10:17: cases[c].expect[b1 2024-Q1].ranks.rank: the scheme has no ranking 'rank' "
            "[unknown-name]",
            "11:19: cases[c].expect[b1 2024-Q1].rewards[stra]: the scheme has no reward 'stra'; "
            "did you mean 'star'? [unknown-name]",
            "12:39: cases[c].expect[b1 2024-Q1].actions[warning].rule: the scheme has no action "
            "rule 'warm'; did you mean 'warn'? [unknown-name]",
        ],
        id="unknown-names",
    ),
    pytest.param(
        "scheme: mini.yaml\ncases:\n  - name: c\n    records: []\n    expect:\n"
        "      - subject: b1\n        period: 2024-Q1\n"
        "        actions: [{id: warning, rules: [warn, warm]}]\n",
        [
            "8:47: cases[c].expect[b1 2024-Q1].actions[warning].rules[warm]: the scheme has no "
            "action rule 'warm'; did you mean 'warn'? [unknown-name]",
        ],
        id="unknown-rule-in-rules",
    ),
    pytest.param(
        "scheme: mini.yaml\ncases:\n  - name: c\n    records: []\n    records_file: x.csv\n"
        "  - name: c\n    records: []\n    expect: []\n    expect_error: {code: out-of-range}\n",
        [
            "3:5: cases[c]: give either 'expect' or 'expect_error' [test-shape]",
            "5:5: cases[c].records_file: give either 'records' or 'records_file' [test-shape]",
            "6:11: cases[c].name: another case is named 'c' (line 3) [duplicate-name]",
            "9:5: cases[c].expect_error: give either 'expect' or 'expect_error' [test-shape]",
        ],
        id="shapes",
    ),
    pytest.param(
        "scheme: mini.yaml\ncases:\n  - name: c\n    records: {subject: b1}\n"
        "    expect: [{subject: [b1], period: 2024-Q1, scores: {total: ten}, ranks: {}}]\n"
        "    expect_warnings: nothing\n",
        [
            "4:14: cases[c].records: expected a list, got {'subject': 'b1'} [list-type]",
            "5:24: cases[c].expect[0].subject: Input should be a valid string, got ['b1'] "
            "[string-type]",
            "5:63: cases[c].expect[0].scores.total: 'ten' is not a number (write digits 0-9, "
            "e.g. 85 or 92.5) [number]",
            "6:22: cases[c].expect_warnings: expected a list, got 'nothing' [list-type]",
        ],
        id="types",
    ),
    pytest.param(
        "scheme: mini.yaml\ncases:\n  - name: c\n    records: []\n    expect:\n"
        "      - subject: b1\n        period: 2024-Q1\n        ranks: {level: 0}\n"
        "        rewards: [5, {id: pay, amont: 1}]\n"
        "      - subject: b1\n        period: 2024\n        scores: {totl: 1}\n"
        "        actions: [{id: talk, rule: rept}]\n"
        "  - {name: d, records: [], expect_error: {code: Out_of_range}}\n",
        [
            "8:24: cases[c].expect[b1 2024-Q1].ranks.level: Input should be greater than or "
            "equal to 1 [greater-than-equal]",
            "9:19: cases[c].expect[b1 2024-Q1].rewards[0]: expected an id or a mapping with an "
            "'id', got 5 [dict-type]",
            "9:32: cases[c].expect[b1 2024-Q1].rewards[pay].amont: unknown key 'amont'; did you "
            "mean 'amount'? [unknown-key]",
            "12:18: cases[c].expect[b1 2024].scores.totl: the scheme has no score 'totl'; did you "
            "mean 'total'? [unknown-name]",
            "13:36: cases[c].expect[b1 2024].actions[talk].rule: the scheme has no action rule "
            "'rept'; did you mean 'repeat'? [unknown-name]",
            "14:49: cases[d].expect_error.code: 'Out_of_range' is not an error code: use "
            "lower-case words joined by '-', such as out-of-range [error-code]",
        ],
        id="shape-and-names-at-once",
    ),
    pytest.param(
        "- scheme: mini.yaml\n",
        ["1:1: a scheme test file must be a YAML mapping [not-a-mapping]"],
        id="not-a-mapping",
    ),
    pytest.param(
        "scheme: mini.yaml\ncases: [\n",
        [
            "3:1: while parsing a flow node: expected the node content, but found '<stream end>' "
            "[yaml-syntax]"
        ],
        id="yaml-syntax",
    ),
]


@pytest.mark.parametrize(("text", "expected"), FORMAT_ERRORS)
def test_format_errors_have_a_line_and_column(tmp_path, text, expected):
    assert problems(tmp_path, text) == [e.replace("{folder}", str(tmp_path)) for e in expected]


def test_an_invalid_scheme_reports_the_scheme_problems(tmp_path):
    path = write(tmp_path, PASSING)
    (tmp_path / "mini.yaml").write_text(MINI.replace("expr: work", "expr: wrok"), encoding="utf-8")
    with pytest.raises(SchemeTestError) as caught:
        load_test_file(path)
    assert [d.code for d in caught.value.diagnostics] == ["expr-unknown-name"]
    assert caught.value.diagnostics[0].file == str(tmp_path / "mini.yaml")


# --------------------------------------------------------------------------- coverage


def test_coverage_of_a_small_scheme(tmp_path):
    report = run_tests([write(tmp_path, PASSING + LOW)])
    assert report.ok
    (scheme,) = report.schemes
    coverage = scheme.coverage
    shown = {c.name: c.show() for c in coverage.categories}
    assert shown == {"bands": "2/3", "rewards": "1/2", "actions": "2/3", "boundaries": "2/5"}
    # 7 of 13 = 53.846...% -> 53.8 (rounded down)
    assert (coverage.covered, coverage.total, coverage.percent) == (7, 13, Decimal("53.8"))
    assert {c.name: c.missing for c in coverage.categories} == {
        "bands": ("level.high",),
        "rewards": ("star",),
        "actions": ("repeat step 2 (at 2) -> removal",),
        "boundaries": (
            "level.mid below 15",
            "level.high at_least 15",
            "level.high at_most 20",
        ),
    }
    assert coverage.category("boundaries").covered == (
        "level.low below 10",
        "level.mid at_least 10",
    )


def test_escalation_steps_with_the_same_action_are_told_apart(tmp_path):
    scheme = MINI.replace(
        "      - {at: 2, action: removal}\n",
        "      - {at: 2, action: removal}\n      - {at: 3, action: talk}\n",
    )
    (tmp_path / "mini.yaml").write_text(scheme, encoding="utf-8")
    for n in (1, 2, 3):
        records = "".join(
            f"      - {{subject: b, period: 2024-Q{q}, points: {{a: 1, b: 1}}}}\n"
            for q in range(1, n + 1)
        )
        path = tmp_path / "mini.test.yaml"
        path.write_text(
            f"scheme: mini.yaml\ncases:\n  - name: low\n    records:\n{records}    expect: []\n",
            encoding="utf-8",
        )
        actions = run_tests([path]).schemes[0].coverage.category("actions")
        assert (
            actions.covered
            == (
                "warn -> warning",
                "repeat step 1 (at 1) -> talk",
                "repeat step 2 (at 2) -> removal",
                "repeat step 3 (at 3) -> talk",
            )[: n + 1]
        )


def test_a_boundary_of_a_banded_item_is_seen_in_the_record(tmp_path):
    scheme = MINI.replace(
        "rewards:\n",
        "  - id: a_level\n    score: a\n    unbanded: error\n    bands:\n"
        "      - {id: a_low, below: 5}\n      - {id: a_high, at_least: 5}\n"
        "rewards:\n",
    )
    (tmp_path / "mini.yaml").write_text(scheme, encoding="utf-8")
    path = tmp_path / "mini.test.yaml"
    path.write_text(PASSING, encoding="utf-8")  # a = 5
    boundaries = run_tests([path]).schemes[0].coverage.category("boundaries")
    assert boundaries.covered == (
        "level.low below 10",
        "level.mid at_least 10",
        "a_level.a_low below 5",
        "a_level.a_high at_least 5",
    )


def test_failed_cases_count_for_coverage_and_error_cases_do_not(tmp_path):
    text = FAILING + (
        "  - name: refused\n    records: [{subject: b, period: 2024-Q1, points: {a: 1, b: 30}}]\n"
        "    expect_error: {code: out-of-range}\n"
    )
    report = run_tests([write(tmp_path, text)])
    assert (report.passed, report.failed) == (1, 1)
    assert report.schemes[0].coverage.category("bands").covered == ("level.mid",)


# --------------------------------------------------------------------------- finding files


def test_finding_test_files(tmp_path):
    write(tmp_path, PASSING)
    (tmp_path / "sub").mkdir()
    nested = write(tmp_path / "sub", PASSING, name="other.test.yaml")
    mini_tests = tmp_path / "mini.test.yaml"
    assert find_test_files([tmp_path]) == [mini_tests, nested]
    # a scheme stands for its test file; each file once
    assert find_test_files([tmp_path / "mini.yaml", mini_tests]) == [mini_tests]


def test_schemes_without_tests_are_listed(tmp_path, capsys):
    write(tmp_path, PASSING)
    (tmp_path / "lonely.yaml").write_text(MINI.replace("id: mini", "id: lonely"), encoding="utf-8")
    status, out, _ = run(capsys, "test", str(tmp_path))
    assert status == 0
    assert f"{tmp_path / 'lonely.yaml'}: no scheme tests (lonely.test.yaml)" in out.splitlines()


# --------------------------------------------------------------------------- the command


def test_cli_prints_each_failing_case_and_coverage(tmp_path, capsys):
    path = write(tmp_path, FAILING + LOW)
    status, out, err = run(capsys, "test", str(path))
    assert (status, err) == (1, "")
    scheme = str(tmp_path / "mini.yaml")
    assert out == (
        f"{path}:3: FAIL wrong on purpose\n"
        "    b1 2024-Q1 scores.total: expected 11, got 10.00\n"
        "    b1 2024-Q1 bands.level: expected high, got mid\n"
        "    b1 2024-Q1 rewards: expected [pay 20.01, star], got [pay 20.00]\n"
        "    b1 2024-Q1 actions: expected [warning], got []\n"
        "    b1 2024-Q2: expected a result, got none (b1 has results for 2024-Q1)\n"
        "\n"
        f"{'coverage'.ljust(len(scheme))}  bands  rewards  actions  boundaries  total\n"
        f"{scheme}    2/3      1/2      2/3         2/5  53.8%\n"
        f"{'all schemes'.ljust(len(scheme))}    2/3      1/2      2/3         2/5  53.8%\n"
        "2 cases in 1 file: 1 passed, 1 failed\n"
    )


def test_cli_lists_what_is_not_covered(tmp_path, capsys):
    status, out, _ = run(capsys, "test", str(write(tmp_path, PASSING + LOW)), "--coverage")
    assert status == 0
    assert [line for line in out.splitlines() if line.startswith("    ")] == [
        "    not covered bands: level.high",
        "    not covered rewards: star",
        "    not covered actions: repeat step 2 (at 2) -> removal",
        "    not covered boundaries: level.mid below 15, level.high at_least 15, "
        "level.high at_most 20",
    ]


@pytest.mark.parametrize(
    ("minimum", "status"),
    [("0", 0), ("53", 0), ("53.8", 0), ("53.85", 1), ("54", 1), ("100", 1)],
)
def test_min_coverage(tmp_path, capsys, minimum, status):
    # 7 of 13 is 53.846...%: exactly compared, so 53.8 passes and 53.85 does not
    path = write(tmp_path, PASSING + LOW)
    got, _, err = run(capsys, "test", str(path), "--min-coverage", minimum)
    assert got == status
    expected = f"partyscore: coverage 53.8% is below --min-coverage {minimum}\n"
    assert err == ("" if status == 0 else expected)


@pytest.mark.parametrize("minimum", ["abc", "101", "-1", "nan"])
def test_min_coverage_must_be_a_percentage(tmp_path, capsys, minimum):
    with pytest.raises(SystemExit) as caught:
        main(["test", str(write(tmp_path, PASSING)), "--min-coverage", minimum])
    assert caught.value.code == 2
    assert "--min-coverage" in capsys.readouterr().err


def test_cli_json(tmp_path, capsys):
    path = write(tmp_path, FAILING + LOW)
    status, out, _ = run(capsys, "test", str(path), "--format", "json", "--min-coverage", "50")
    assert status == 1
    data = json.loads(out)
    assert sorted(data) == [
        "cases",
        "coverage",
        "failed",
        "min_coverage",
        "ok",
        "passed",
        "problems",
        "test_files",
        "untested",
    ]
    assert (data["ok"], data["passed"], data["failed"], data["min_coverage"]) == (False, 1, 1, 50.0)
    assert data["test_files"] == [str(path)]
    assert data["cases"][0] == {
        "file": str(path),
        "line": 3,
        "name": "wrong on purpose",
        "passed": False,
        "failures": [
            "b1 2024-Q1 scores.total: expected 11, got 10.00",
            "b1 2024-Q1 bands.level: expected high, got mid",
            "b1 2024-Q1 rewards: expected [pay 20.01, star], got [pay 20.00]",
            "b1 2024-Q1 actions: expected [warning], got []",
            "b1 2024-Q2: expected a result, got none (b1 has results for 2024-Q1)",
        ],
    }
    (scheme,) = data["coverage"]["schemes"]
    assert scheme["scheme"] == str(tmp_path / "mini.yaml")
    assert scheme["id"] == "mini"
    assert scheme["bands"] == {"covered": 2, "total": 3, "missing": ["level.high"]}
    assert (scheme["covered"], scheme["total"], scheme["percent"]) == (7, 13, 53.8)
    assert data["coverage"]["total"] == {
        "covered": 7,
        "total": 13,
        "percent": 53.8,
        "bands": {"covered": 2, "total": 3},
        "rewards": {"covered": 1, "total": 2},
        "actions": {"covered": 2, "total": 3},
        "boundaries": {"covered": 2, "total": 5},
    }
    assert data["problems"] == []


def test_cli_bad_test_file_is_a_located_message(tmp_path, capsys):
    path = write(tmp_path, PASSING.replace("    records:", "    recods: []\n    records:"))
    status, out, _ = run(capsys, "test", str(path))
    assert status == 1
    assert out.splitlines()[0] == (
        f"{path}:4:5: cases[ten is mid].recods: unknown key 'recods'; did you mean 'records'? "
        "[unknown-key]"
    )
    assert out.splitlines()[-1] == "0 cases in 1 file: 0 passed, 0 failed; 1 file with problems"
    status, out, _ = run(capsys, "test", str(path), "--format", "json")
    assert json.loads(out)["problems"][0]["code"] == "unknown-key"


def test_cli_unreadable_and_missing(tmp_path, capsys):
    missing = tmp_path / "gone.test.yaml"
    status, out, _ = run(capsys, "test", str(missing))
    assert status == 1
    assert out.splitlines()[0] == f"{missing}: No such file or directory [unreadable]"
    status, _, err = run(capsys, "test", str(tmp_path))
    assert status == 1
    assert err == f"partyscore: no scheme test files (*.test.yaml) found in {tmp_path}\n"


def test_cli_help_teaches(capsys):
    with pytest.raises(SystemExit):
        main(["test", "--help"])
    out = capsys.readouterr().out
    for text in ("partyscore test schemes --min-coverage 100", "--coverage", "--format", "FAIL"):
        assert text in out


# --------------------------------------------------------------------------- the pytest plugin


def test_pytest_plugin_runs_cases_as_items(tmp_path):
    write(tmp_path, PASSING + FAILING.removeprefix("scheme: mini.yaml\ncases:\n"))
    registered = any(ep.name == "partyscore" for ep in entry_points(group="pytest11"))
    plugin = [] if registered else ["-p", "partyscore.pytest_plugin"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "-q", "-p", "no:cacheprovider", *plugin],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 1 passed" in done.stdout
    assert "FAILED mini.test.yaml::wrong on purpose" in done.stdout
    assert "b1 2024-Q1 bands.level: expected high, got mid" in done.stdout
    assert "Traceback" not in done.stdout


def test_pytest_plugin_reports_a_bad_file_at_collection(tmp_path):
    write(tmp_path, PASSING.replace("    records:", "    recods: []\n    records:"))
    registered = any(ep.name == "partyscore" for ep in entry_points(group="pytest11"))
    plugin = [] if registered else ["-p", "partyscore.pytest_plugin"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(tmp_path), "-q", "-p", "no:cacheprovider", *plugin],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "mini.test.yaml:4:5: cases[ten is mid].recods: unknown key 'recods'" in done.stdout
