"""The generated evaluator holds no text from a scheme file but checked identifiers: every
number and string of the scheme reaches it as a constant beside the code."""

from __future__ import annotations

import ast
import dataclasses
import re
from decimal import Decimal
from pathlib import Path

import pytest

import partyscore

ROOT = Path(__file__).parent.parent
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))
EXAMPLES = ROOT / "examples"
IDENTIFIER = re.compile(r"(#[a-z]+:)?[A-Za-z_][A-Za-z0-9_]*")
# The generator's own names: the value list, the period, the record check's arguments, and
# the helpers it passes in (all with a leading underscore).
OWN = {"v", "e", "ordinal", "year", "x", "a", "p", "text_ok", "bool", "str", "int"}
OWN_WORDS = {"too-large", "", "#"}  # failure words; "#" holds year-end outcomes
SCHEME_WITH_ODD_TEXT = """\
partyscore: 1
id: odd
version: 1
title: {zh-Hant: "x\\"); import os; (\\"", en: x}
source: {document: "'); __import__('os').system('echo'); ('"}
period: quarter
effective: {start: 2024-01-01}
rounding: {places: 2, mode: half_up}
subject:
  kind: branch
  attributes:
    stage: {type: enum, values: [a, b]}
sections:
  - id: s
    items: [{id: w, max: 10, label: {zh-Hant: "\\"\\"\\"", en: "'''"}}]
scores:
  - {id: total, expr: "s * 0.5 if stage == \\"a\\" else s"}
bands:
  - id: level
    score: total
    bands: [{id: hi, at_least: 5}]
    unbanded: {id: lo}
"""


def sources(scheme: partyscore.CompiledScheme) -> list[str]:
    return list(scheme.program.sources)


@pytest.mark.parametrize(
    "scheme",
    [
        *(partyscore.load_scheme(p) for p in SHIPPED),
        partyscore.load_scheme_text(SCHEME_WITH_ODD_TEXT),
    ],
    ids=[*(p.stem for p in SHIPPED), "odd-text"],
)
def test_generated_code_holds_only_identifiers(scheme):
    for source in sources(scheme):
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert IDENTIFIER.fullmatch(node.value) or node.value in OWN_WORDS, (
                    node.value,
                    source,
                )
            if isinstance(node, ast.Name):
                name = node.id
                assert name.startswith(("n_", "_")) or name in OWN, (name, source)
            assert not isinstance(node, ast.Import | ast.ImportFrom | ast.Attribute) or (
                isinstance(node, ast.Attribute)
                and node.attr
                in {"quantize", "to_integral_value", "keys", "get", "strip", "__class__", "id",
                    "values", "append", "isascii", "isprintable", "normalize", "copy_abs"}
            ), ast.dump(node)  # fmt: skip


def test_the_odd_scheme_evaluates():
    scheme = partyscore.load_scheme_text(SCHEME_WITH_ODD_TEXT)
    result = partyscore.evaluate(
        scheme,
        [{"subject": "x", "period": "2024-Q1", "attributes": {"stage": "a"}, "points": {"w": 9}}],
    ).results[0]
    # stage a: total = 9 x 0.5 = 4.5 -> 4.50, below 5: the unbanded band lo
    assert (result.scores["total"], result.bands["level"]) == (Decimal("4.50"), "lo")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_results_built_in_one_step_have_every_field(path):
    # The engine builds results without the dataclass __init__; each must still hold every
    # field of Result, no more, and compare equal to one built by __init__.
    scheme = partyscore.load_scheme(path)
    example = EXAMPLES / f"{path.stem}.csv"
    results = partyscore.evaluate(scheme, partyscore.read_records(example, scheme)).results
    names = {f.name for f in dataclasses.fields(partyscore.Result)}
    kinds = set()
    for result in results:
        assert set(vars(result)) == names
        rebuilt = partyscore.Result(**{name: getattr(result, name) for name in names})
        assert rebuilt == result
        kinds.add(result.kind)
    assert "period" in kinds
