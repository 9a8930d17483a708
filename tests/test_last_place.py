"""The last place of a ranking: the subjects behind every other, never everybody.

Chengzhuang (seed line 169): "排名系統末尾的 ... 支部書記要在政工例會上做反思檢查,並在全礦進行通報"
- the branch at the end of the mine's ranking reflects and is named mine-wide.
Yongxi (seed lines 221-223): the last village, when also under 85, is criticised by statement.
Where all subjects tie (or one is ranked alone) nobody is at the end of the ranking.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import partyscore
from tests.test_golden_chengzhuang import record as branch
from tests.test_golden_yongxi import record as village

ROOT = Path(__file__).parent.parent
FACE_LINK = ["self_reflection", "mine_notice"]  # face_link, face_link_notice


@pytest.fixture(scope="module")
def ladder() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")


@pytest.fixture(scope="module")
def red_flag() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(ROOT / "schemes" / "yongxi-red-flag.yaml")


def actions(evaluation: partyscore.Evaluation) -> dict[str, list[str]]:
    return {r.subject: r.action_ids() for r in evaluation.results if r.kind == "period"}


def test_three_branches_all_at_100_none_is_last(ladder):
    # 45 + 45 + 10 = 100 each: no branch is behind another, and 100 is above the minimum 70.
    evaluation = partyscore.evaluate(
        ladder, [branch(name, "2024-Q1", "45", "45", "10") for name in ("a", "b", "c")]
    )
    assert actions(evaluation) == {"a": [], "b": [], "c": []}
    assert [r.ranks["mine_rank"] for r in evaluation.results] == [1, 1, 1]


def test_a_branch_alone_is_not_last(ladder):
    evaluation = partyscore.evaluate(ladder, [branch("a", "2024-Q1", "45", "45", "10")])
    assert actions(evaluation) == {"a": []}


def test_of_two_branches_the_lower_is_last(ladder):
    # 100 and 90 (45 + 35 + 10): the 90 is at the end, above the minimum 70 and above the
    # self-reflection bounds (total 90, key 45), so only the face-link actions apply.
    evaluation = partyscore.evaluate(
        ladder,
        [branch("a", "2024-Q1", "45", "45", "10"), branch("b", "2024-Q1", "45", "35", "10")],
    )
    assert actions(evaluation) == {"a": [], "b": FACE_LINK}


def test_two_branches_tied_for_the_end_are_both_last(ladder):
    # 100, 90, 90: the two at 90 share the last place.
    evaluation = partyscore.evaluate(
        ladder,
        [
            branch("a", "2024-Q1", "45", "45", "10"),
            branch("b", "2024-Q1", "45", "35", "10"),
            branch("c", "2024-Q1", "45", "35", "10"),
        ],
    )
    assert actions(evaluation) == {"a": [], "b": FACE_LINK, "c": FACE_LINK}


def test_two_villages_tied_at_80_get_no_last_place_statement(red_flag):
    # Both at 80 (under 85), tied at rank 1 of 2: nobody is behind, so no statement.
    evaluation = partyscore.evaluate(
        red_flag, [village("v1", "2024-Q1", "80"), village("v2", "2024-Q1", "80")]
    )
    assert actions(evaluation) == {"v1": [], "v2": []}


def test_of_two_villages_under_85_the_lower_gets_the_statement(red_flag):
    evaluation = partyscore.evaluate(
        red_flag, [village("v1", "2024-Q1", "84"), village("v2", "2024-Q1", "80")]
    )
    assert actions(evaluation) == {"v1": [], "v2": ["statement"]}


def test_a_ranking_may_declare_that_all_tied_are_last(ladder):
    text = (ROOT / "schemes" / "chengzhuang-ladder.yaml").read_text(encoding="utf-8")
    declared = text.replace(
        "    ties: competition\n", "    ties: competition\n    last_when_all_tied: true\n", 1
    )
    scheme = partyscore.load_scheme_text(declared, file="declared.yaml")
    evaluation = partyscore.evaluate(
        scheme, [branch(name, "2024-Q1", "45", "45", "10") for name in ("a", "b")]
    )
    assert actions(evaluation) == {"a": FACE_LINK, "b": FACE_LINK}
