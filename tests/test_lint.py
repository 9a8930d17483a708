"""The linter: what can never happen and what does not add up, found without input data."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

import partyscore
from partyscore._loader import parse_yaml
from partyscore.cli import main

ROOT = Path(__file__).parent.parent
FEATURES = (ROOT / "tests" / "data" / "features.yaml").read_text(encoding="utf-8")
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))


def warnings(text: str) -> list[str]:
    return [d.render() for d in partyscore.load_scheme_text(text, file="s.yaml").warnings]


def variant(old: str, new: str, text: str = FEATURES) -> str:
    assert old in text, old
    return text.replace(old, new)


# --- each check on the features scheme (total = w1 + w2 + extra in [0, 105]) ---------------

CASES = [
    # [95, inf) and [85, 95) and (-inf, 85): a gap opens when 'none' stops at 80
    pytest.param(
        variant("- {id: none, below: 85}", "- {id: none, below: 80}"),
        ["s.yaml:35:5: warning: bands[level].bands: total in [80, 85) falls in no band of "
         "level and unbanded is error: an evaluation would fail [band-gap]"],
        id="gap",
    ),
    # total is rounded to 2 places: (84.99, 85) holds no reachable value, so no gap
    pytest.param(
        variant("- {id: none, below: 85}", "- {id: none, at_most: 84.99}"),
        [],
        id="no-gap-between-rounding-steps",
    ),
    # 0.001 is below the rounding step: (84.999, 85) holds none of 84.99, 85.00 either
    pytest.param(
        variant("- {id: none, below: 85}", "- {id: none, at_most: 84.98}"),
        ["s.yaml:35:5: warning: bands[level].bands: total in (84.98, 85) falls in no band of "
         "level and unbanded is error: an evaluation would fail [band-gap]"],
        id="gap-of-one-rounding-step",
    ),
    pytest.param(
        variant("- {id: full, at_least: 95}", "- {id: full, at_least: 95, below: 105}"),
        ["s.yaml:35:5: warning: bands[level].bands: total in [105, 105] falls in no band of "
         "level and unbanded is error: an evaluation would fail [band-gap]"],
        id="gap-at-the-top-of-the-range",
    ),
    pytest.param(
        variant("- {id: full, at_least: 95}", "- {id: full, at_least: 95, at_most: 105}\n"
                "      - {id: beyond, above: 105}"),
        ["s.yaml:37:9: warning: bands[level].bands[beyond]: beyond (105, inf) is never "
         "reached: total lies in [0, 105] [band-unreachable]"],
        id="unreachable-band",
    ),
    pytest.param(
        variant("- {id: flag, kind: top, ranking: rk, count: flags, ties: include}",
                "- {id: flag, kind: top, ranking: rk, count: flags, ties: include,"
                " when: total > 105}"),
        # 'total' is character 75: "  - {" is 5 characters, "id: flag, ... when: " 69 more
        ["s.yaml:54:75: warning: rewards[flag].when: flag never applies: total > 105 cannot "
         "hold (total in [0, 105]) [rule-unreachable]"],
        id="unreachable-reward",
    ),
    pytest.param(
        variant("- {at: 3, action: discipline}", "- {at: 3, action: discipline, when: w1 > 60}"),
        ["s.yaml:64:9: warning: actions[last_low].steps[2]: step discipline never applies: "
         "w1 > 60 never holds [rule-unreachable]"],
        id="unreachable-step",
    ),
    pytest.param(
        variant("  - id: work\n", "  - id: work\n    cap: 100\n"),
        ["s.yaml:20:10: warning: sections[work].cap: the items of work add up to 105, above "
         "its cap 100 (mark a section kind: bonus when its cap is meant to cut) [cap-mismatch]",
         # and the total, declared 0..105, now stops at 100
         "s.yaml:31:5: warning: scores[total]: total declares max 105 but its parts reach at "
         "most 100 [score-range]"],
        id="cap-below-the-items",
    ),
    pytest.param(
        variant("  - id: work\n", "  - id: work\n    kind: bonus\n    cap: 100\n"),
        ["s.yaml:32:5: warning: scores[total]: total declares max 105 but its parts reach at "
         "most 100 [score-range]"],
        id="bonus-cap-may-cut",
    ),
    pytest.param(
        variant("  - id: work\n", "  - id: work\n    cap: 110\n"),
        ["s.yaml:20:10: warning: sections[work].cap: the items of work add up to 105, below "
         "its cap 110 [cap-mismatch]"],
        id="cap-above-the-items",
    ),
    pytest.param(
        variant("min: 0, max: 105}", "min: 0, max: 110}"),
        ["s.yaml:30:5: warning: scores[total]: total declares max 110 but its parts reach at "
         "most 105 [score-range]"],
        id="declared-total-does-not-add-up",
    ),
    pytest.param(
        variant("min: 0, max: 105}", "min: 0, max: 100}"),
        ["s.yaml:30:5: warning: scores[total]: total can reach 105, above its declared max "
         "100: an evaluation would fail [score-range]"],
        id="declared-total-too-small",
    ),
    pytest.param(
        variant("  share: {value: \"0.2\"}\n", "  share: {value: \"0.2\"}\n  spare: {value: 3}\n"),
        ["s.yaml:18:3: warning: parameters.spare: no rule reads spare [unused-parameter]"],
        id="unused-parameter",
    ),
    pytest.param(
        variant("      - {id: v1, type: flag}\n", "      - {id: v1, type: flag}\n"
                "  - id: spare\n    items:\n      - {id: s1, max: 5}\n"),
        ["s.yaml:31:9: warning: sections[spare].items[s1]: no rule reads s1 or its section "
         "spare [unused-item]"],
        id="unused-item",
    ),
    pytest.param(
        variant("    stage: {type: enum, values: [a, b]}\n",
                "    stage: {type: enum, values: [a, b]}\n    size: {type: number}\n"),
        ["s.yaml:15:5: warning: subject.attributes.size: no rule reads the attribute size "
         "[unused-attribute]"],
        id="unused-attribute",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_lint(text, expected):
    assert warnings(text) == expected


def test_a_monotone_ladder_whose_payload_falls_is_an_error():
    text = variant(
        "    unbanded: error\n    bands:\n      - {id: full, at_least: 95}\n"
        "      - {id: half, at_least: 85, below: 95}\n      - {id: none, below: 85}",
        "    unbanded: error\n    monotone: true\n    fields: [coefficient]\n    bands:\n"
        "      - {id: full, at_least: 95, values: {coefficient: 1}}\n"
        "      - {id: half, at_least: 85, below: 95, values: {coefficient: \"1.2\"}}\n"
        "      - {id: none, below: 85, values: {coefficient: \"0.5\"}}",
    )
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text, file="s.yaml")
    # ordered by lower bound: none (0.5), half (1.2), full (1): 1.2 -> 1 falls
    assert error.value.render() == (
        "s.yaml:38:9: bands[level].bands[full]: level is declared monotone, but coefficient "
        "falls from 1.2 in half to 1 in full [not-monotone]")


def test_the_shipped_schemes_have_no_warnings(capsys):
    assert main(["validate", "--strict", str(ROOT / "schemes")]) == 0
    assert capsys.readouterr().out == ""


def test_validate_json_format_and_strict(capsys, tmp_path):
    broken = tmp_path / "gap.yaml"
    broken.write_text(variant("- {id: none, below: 85}", "- {id: none, below: 80}"),
                      encoding="utf-8")
    assert main(["validate", "--format", "json", str(broken)]) == 0  # a warning only
    printed = json.loads(capsys.readouterr().out)
    assert printed == [{
        "file": str(broken), "line": 35, "column": 5, "code": "band-gap",
        "message": "total in [80, 85) falls in no band of level and unbanded is error: an "
                   "evaluation would fail",
        "path": "bands[level].bands", "severity": "warning",
    }]
    assert main(["validate", "--strict", str(broken)]) == 1
    assert capsys.readouterr().err == (
        "0 of 1 scheme files valid; 1 warning(s) (--strict: warnings count as errors)\n")


# --- a deliberately broken copy of every shipped scheme ---------------------------------

def plain(data: Any) -> Any:
    """Loader data back to YAML-dumpable values (exact numbers as strings)."""
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    if isinstance(data, Decimal):
        return str(data)
    return data


def line_of(text: str, pattern: str) -> int:
    """The 1-based line of the one line that matches `pattern` in the broken file."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if re.search(pattern, line)]
    assert len(found) == 1, (pattern, found)
    return found[0]


def shipped(path: Path) -> dict[str, Any]:
    document, problems = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    assert document is not None
    assert not problems
    data: dict[str, Any] = plain(document.data)
    return data


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def main_score(data: dict[str, Any]) -> str:
    return str(data["scores"][0]["id"]) if data.get("scores") else str(data["sections"][0]["id"])


def with_banding(data: dict[str, Any], bands: list[dict[str, Any]]) -> dict[str, Any]:
    broken = copy.deepcopy(data)
    banding = {"id": "broken_bands", "score": main_score(data), "unbanded": {"id": "rest"},
               "bands": bands}
    broken.setdefault("bands", []).append(banding)
    return broken


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_broken_copy_overlapping_band(path):
    data = shipped(path)
    broken = with_banding(data, [{"id": "low", "at_most": "50"},
                                 {"id": "broken_overlap", "at_least": "50"}])
    text = dump(broken)
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text, file=path.name)
    (diagnostic,) = error.value.diagnostics
    assert (diagnostic.code, diagnostic.line) == (
        "band-overlap", line_of(text, r"- id: broken_overlap$"))
    assert diagnostic.message == "broken_overlap [50, inf) overlaps low (-inf, 50]"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_broken_copy_unreachable_band(path):
    data = shipped(path)
    broken = with_banding(data, [{"id": "reached", "below": "1000000"},
                                 {"id": "never_reached", "at_least": "1000000"}])
    text = dump(broken)
    found = partyscore.load_scheme_text(text, file=path.name).warnings
    codes = [(d.code, d.line) for d in found]
    unreachable = ("band-unreachable", line_of(text, r"- id: never_reached$"))
    # where the banded score declares a max (below 1000000), the first band reaches past it
    declared = [s for s in data.get("scores", []) if s["id"] == main_score(data) and "max" in s]
    beyond = [("band-beyond-range", line_of(text, r"- id: reached$"))] if declared else []
    assert codes == [*beyond, unreachable]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_broken_copy_wrong_cap_sum(path):
    data = shipped(path)
    broken = copy.deepcopy(data)
    scored = [s for s in broken["sections"]
              if s.get("kind", "scored") == "scored" and all("max" in i for i in s["items"])]
    if not scored:  # a scheme of unscored items only: give it a scored section to break
        broken["sections"].append({"id": "broken_section", "items": [{"id": "b1", "max": "5"}]})
        scored = broken["sections"][-1:]
    section = scored[0]
    total = sum(Decimal(i["max"]) for i in section["items"])
    section["cap"] = str(total - Decimal("0.5"))  # a unique value, to find its line
    text = dump(broken)
    found = partyscore.load_scheme_text(text, file=path.name).warnings
    cap_line = line_of(text, rf"^\s+cap: '{re.escape(section['cap'])}'$")
    assert ("cap-mismatch", cap_line) in [(d.code, d.line) for d in found]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_broken_copy_misspelt_name(path):
    data = shipped(path)
    broken = copy.deepcopy(data)
    score = broken["scores"][0]
    functions = {"min", "max", "abs", "if", "else", "and", "or", "not", "in"}
    name = next(n for n in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", score["expr"])
                if n not in functions)
    misspelt = name[:-1] + "q"
    score["expr"] = re.sub(rf"\b{name}\b", misspelt, score["expr"], count=1)
    text = dump(broken)
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text, file=path.name)
    (diagnostic,) = error.value.diagnostics
    assert diagnostic.code == "expr-unknown-name"
    assert diagnostic.line == line_of(text, rf"\b{misspelt}\b")
    assert diagnostic.message == f"unknown name '{misspelt}'; did you mean '{name}'?"


def test_number_attribute_bounds_feed_the_ranges():
    text = variant("    stage: {type: enum, values: [a, b]}\n",
                   "    stage: {type: enum, values: [a, b]}\n"
                   "    members: {type: number, min: 1, max: 4}\n").replace(
        "- {id: total, expr: work, min: 0, max: 105}",
        "- {id: total, expr: work / members, min: 0, max: 105}")
    # work in [0, 105] divided by members in [1, 4] reaches [0, 105]: nothing to report
    assert warnings(text) == []
    unbounded = text.replace("members: {type: number, min: 1, max: 4}",
                             "members: {type: number, min: \"0.5\"}")
    # divided by [0.5, inf): up to 105 / 0.5 = 210
    assert warnings(unbounded) == [
        "s.yaml:31:5: warning: scores[total]: total can reach 210, above its declared max "
        "105: an evaluation would fail [score-range]"]


def test_min_and_max_only_on_number_attributes():
    text = variant("stage: {type: enum, values: [a, b]}", "stage: {type: enum, values: [a, b], "
                   "min: 1}")
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text, file="s.yaml")
    assert error.value.render() == (
        "s.yaml:14:46: subject.attributes.stage.min: only number attributes take min and max "
        "[bad-range]")


def test_monotone_counts_the_unbanded_band_where_it_applies():
    # low (-inf, 50) pays 100; the unbanded band covers [50, 60) and pays 300; high [60, inf)
    # pays 200: going up from [50, 60) to [60, inf) the pay falls from 300 to 200
    pay_level = (
        "  - id: pay_level\n    score: total\n    monotone: true\n    fields: [pay]\n"
        "    unbanded: {id: middle, values: {pay: 300}}\n    bands:\n"
        "      - {id: low, below: 50, values: {pay: 100}}\n"
        "      - {id: high, at_least: 60, values: {pay: 200}}\n"
    )
    text = variant("bands:\n  - id: level\n", "bands:\n" + pay_level + "  - id: level\n")
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text, file="s.yaml")
    line = line_of(text, "id: high, at_least: 60")
    assert error.value.render() == (
        f"s.yaml:{line}:9: bands[pay_level].bands[high]: pay_level is declared monotone, but "
        "pay falls from 300 in middle to 200 in high [not-monotone]")


def test_a_band_past_the_declared_range() -> None:
    from tests.scheme_text import head

    text = head("beyond", "界") + (
        "sections:\n"
        "  - id: work\n"
        "    items: [{id: a, max: 60}, {id: b, max: 50}]\n"
        "scores:\n"
        "  - {id: total, expr: work, min: 0, max: 110}\n"
        "bands:\n"
        "  - id: step\n"
        "    score: total\n"
        "    unbanded: error\n"
        "    bands:\n"
        "      - {id: low, at_least: -1, below: 90}\n"
        "      - {id: top, at_least: 90, at_most: 111}\n"
    )
    found = partyscore.load_scheme_text(text, file="beyond.yaml").warnings
    assert [(d.code, d.line, d.message) for d in found] == [
        ("band-beyond-range", 21, "low [-1, 90) reaches below total's declared min 0"),
        ("band-beyond-range", 22, "top [90, 111] reaches past total's declared max 110"),
    ]
