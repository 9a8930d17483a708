"""Shape and meaning problems of a scheme reported in one run: the meaning check runs on the
well-formed part, and reports at the places of the file as written."""

from __future__ import annotations

from pathlib import Path

import pytest

import partyscore

ROOT = Path(__file__).resolve().parent.parent
LADDER = (ROOT / "schemes" / "chengzhuang-ladder.yaml").read_text(encoding="utf-8")


def planted(text: str, plants: dict[str, str]) -> str:
    for old, new in plants.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def line_of(text: str, fragment: str) -> int:
    """The 1-based line holding `fragment`, found in the text (not by partyscore)."""
    assert text.count(fragment) == 1, fragment
    return text[: text.index(fragment)].count("\n") + 1


def problems(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(partyscore.SchemeError) as error:
        partyscore.load_scheme_text(text, file="planted.yaml")
    return [(d.line, d.path, d.code) for d in error.value.diagnostics]


SHAPE = {
    "    ties: competition\n": "    ties: competitionn\n",
    "    currency: CNY\n": "    currency: CNY\n    colour: red\n",
    "        label: {zh-Hant: 第二台階, en: step 2}\n": (
        "        label: {zh-Hant: 第二台階, english: step 2}\n"
    ),
}
MEANING = {
    "    expr: key + basic + innovation\n": "    expr: key + basic + innovatoin\n",
    '    when: inaction == "minor"\n': '    when: inaction == "minr"\n',
    "        when: major_error\n": "        when: major_errorr\n",
    "    when: total < 70 or key < 40\n": '    when: total < 70 or key < 40 + "a"\n',
}


def test_three_shape_and_four_meaning_problems_in_one_run():
    text = planted(LADDER, {**SHAPE, **MEANING})
    assert problems(text) == [
        (line_of(text, "innovatoin"), "scores[total].expr", "expr-unknown-name"),
        (line_of(text, "english"), "bands[step].bands[step2].label", "missing-key"),
        (line_of(text, "english"), "bands[step].bands[step2].label.english", "unknown-key"),
        (line_of(text, "competitionn"), "rankings[mine_rank].ties", "literal-error"),
        (line_of(text, "colour"), "rewards[ladder_pay].colour", "unknown-key"),
        (line_of(text, '40 + "a"'), "actions[low_total_or_key].when", "expr-invalid"),
        (line_of(text, "major_errorr"), "actions[low_score].steps[2].when", "expr-unknown-name"),
        (line_of(text, '"minr"'), "actions[inaction_minor].when", "expr-unknown-value"),
    ]


def test_the_meaning_problems_are_the_same_with_or_without_the_shape_problems():
    alone = problems(planted(LADDER, MEANING))
    both = problems(planted(LADDER, {**SHAPE, **MEANING}))
    shape_codes = {"missing-key", "unknown-key", "literal-error"}
    # the shape plants add no line before the meaning plants except the one 'colour' line,
    # which comes after the score and before the actions
    colour = line_of(planted(LADDER, SHAPE), "colour")
    shifted = [(line + (line > colour), path, code) for line, path, code in alone]
    assert [p for p in both if p[2] not in shape_codes] == shifted


def test_a_name_only_a_cut_part_defines_is_not_reported_unknown():
    # The malformed ranking defines mine_rank, mine_rank_size and mine_rank_last; two actions
    # read mine_rank_last. Only the ranking's own problem is reported.
    text = planted(LADDER, {"    ties: competition\n": "    ties: competitionn\n"})
    assert problems(text) == [
        (line_of(text, "competitionn"), "rankings[mine_rank].ties", "literal-error")
    ]


def test_a_name_nothing_defines_is_still_reported_next_to_a_cut_part():
    text = planted(
        LADDER,
        {
            "    ties: competition\n": "    ties: competitionn\n",
            "    when: mine_rank_last or total < minimum_standard\n    action: mine_notice\n": (
                "    when: mine_rank_lastt or total < minimum_standard\n    action: mine_notice\n"
            ),
        },
    )
    assert problems(text) == [
        (line_of(text, "competitionn"), "rankings[mine_rank].ties", "literal-error"),
        (line_of(text, "mine_rank_lastt"), "actions[face_link_notice].when", "expr-unknown-name"),
    ]


def test_a_meaning_problem_after_a_cut_list_entry_keeps_its_place():
    # actions[0] is cut; the problem in actions[6] (inaction_grave) must be reported there,
    # not at the entry that is sixth in the cut copy.
    text = planted(
        LADDER,
        {
            "    action: self_reflection\n    label: {zh-Hant: 在政工例會上做自我反思檢查": (
                "    action: self_reflection\n    colour: red\n"
                "    label: {zh-Hant: 在政工例會上做自我反思檢查"
            ),
            '    when: inaction == "grave"\n': '    when: inaction == "grav"\n',
        },
    )
    assert problems(text) == [
        (line_of(text, "colour"), "actions[low_total_or_key].colour", "unknown-key"),
        (line_of(text, '"grav"'), "actions[inaction_grave].when", "expr-unknown-value"),
    ]


def test_a_broken_note_at_the_top_does_not_stop_the_meaning_check():
    text = planted(LADDER, {"version: 1\n": "version: 0\n", **MEANING})
    found = problems(text)
    assert found[0] == (line_of(text, "version: 0"), "version", "greater-than-equal")
    assert len(found) == 1 + len(MEANING)


def test_no_meaning_check_when_the_problem_cannot_be_cut_out():
    # The rounding is read by every rule: with it broken nothing is compiled.
    top = "rounding: {places: 2, mode: half_up}\n\nsubject:"
    text = planted(LADDER, {top: "rounding: {places: 2}\n\nsubject:"})
    text = planted(text, MEANING)
    assert problems(text) == [(line_of(text, "rounding: {places: 2}"), "rounding", "missing-key")]
