"""Expressions read as written: a comment that YAML cuts off an unquoted expression is
warned about (and refused by ``validate --strict``); a number glued to a word is refused
at its column, with no warning leaking from Python's parser."""

from __future__ import annotations

import warnings

import pytest

import partyscore
from partyscore import cli
from partyscore.plan import ConditionRule
from tests.scheme_text import head

HEAD = head("expr-text", "運算式") + """\
sections:
  - id: daily
    items:
      - {id: d1, max: 100}
  - id: annual
    items:
      - {id: a1, max: 100}
scores:
  - {id: total, expr: daily + annual, min: 0, max: 200}
actions:
"""


def load(action: str) -> partyscore.CompiledScheme:
    return partyscore.load_scheme_text(HEAD + action, file="expr.yaml")


def test_a_comment_that_cuts_a_condition_is_warned_about():
    text = "  - id: low\n    kind: condition\n    when: total < 70 #or annual < 40\n"
    scheme = load(text)
    [warning] = scheme.warnings
    line = (HEAD + text).splitlines().index("    when: total < 70 #or annual < 40") + 1
    assert (warning.line, warning.path, warning.code) == (line, "actions[low].when",
                                                          "expr-comment")  # fmt: skip
    assert "'#or annual < 40'" in warning.message
    # what YAML gave the scheme: the condition without its second half
    [rule] = [r for r in scheme.plan.rules if r.id == "low"]
    assert isinstance(rule, ConditionRule)
    assert rule.when.text == "total < 70"


def test_in_a_flow_mapping_too():
    scheme = load("  - {id: low, kind: condition, when: total < 70 #or annual < 40\n    }\n")
    assert [w.code for w in scheme.warnings] == ["expr-comment"]


def test_a_quoted_expression_with_a_hash_is_not_warned_about():
    scheme = load('  - {id: low, kind: condition, when: "total < 70"}  # below the pass mark\n')
    # the comment follows a quoted scalar: YAML did not cut anything
    assert scheme.warnings == ()


def test_a_comment_after_a_flow_mapping_is_not_about_the_expression():
    # the expression ends at '}', before the comment: YAML cut nothing
    scheme = load("  - {id: low, kind: condition, when: total < 70}  # below the pass mark\n")
    assert scheme.warnings == ()


def test_validate_strict_refuses_it(tmp_path, capsys):
    path = tmp_path / "expr.yaml"
    path.write_text(HEAD + "  - id: low\n    kind: condition\n    when: total < 70 #or x\n",
                    encoding="utf-8")  # fmt: skip
    assert cli.main(["validate", str(path)]) == 0
    assert cli.main(["validate", "--strict", str(path)]) == 1
    assert "[expr-comment]" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("when", "column"), [("total < 70or annual < 40", 11), ("total<70and annual<1", 9)]
)
def test_a_number_glued_to_a_word_is_refused_at_its_column(when, column):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning Python's parser leaks fails the test
        with pytest.raises(partyscore.SchemeError) as error:
            load(f'  - {{id: low, kind: condition, when: "{when}"}}\n')
    [found] = error.value.diagnostics
    assert (found.path, found.code) == ("actions[low].when", "expr-syntax")
    assert "put a space between them" in found.message
    line = HEAD.count("\n") + 1
    start = f'  - {{id: low, kind: condition, when: "{when}"}}'.index(when) + 1
    assert (found.line, found.column) == (line, start + column - 1)


def test_numbers_and_words_apart_are_fine():
    scheme = load('  - {id: low, kind: condition, when: "total < 70 or annual < 40"}\n')
    assert scheme.warnings == ()
