"""The shipped scheme tests notice a changed threshold: each change below, one value or
operator that decides an outcome, makes at least one case of `partyscore test` fail (and
the shipped schemes, unchanged, pass every case)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from partyscore.scheme_tests import run_tests

SCHEMES = Path(__file__).parent.parent / "schemes"

BIMONTHLY = "yongxi-red-flag-bimonthly.yaml"
MUTATIONS = [
    # total under 60 (低於60分) read as 60 or under: a branch at exactly 60 would be admonished
    ("chengzhuang-ladder.yaml", "total < 60 or key < 35", "total <= 60 or key < 35"),
    # the last place 85分以下 read as under 85: a branch last at 85 would be spared
    ("yongxi-red-flag.yaml", "rank_last and total <= 85", "rank_last and total < 85"),
    # the two-monthly full prizes of ranks 2 and 3, one yuan off
    (BIMONTHLY, '{rank: 2, amounts: {full: "500"', '{rank: 2, amounts: {full: "501"'),
    (BIMONTHLY, '{rank: 3, amounts: {full: "400"', '{rank: 3, amounts: {full: "399"'),
    # consecutive flags (連續) read as three in a row
    (BIMONTHLY, "streak(red_flag) >= 2", "streak(red_flag) >= 3"),
]


def copy_of_schemes(tmp_path: Path) -> Path:
    """The schemes and the examples their tests read, side by side as shipped."""
    folder = tmp_path / "schemes"
    shutil.copytree(SCHEMES, folder)
    shutil.copytree(SCHEMES.parent / "examples", tmp_path / "examples")
    return folder


def test_the_shipped_schemes_pass_their_tests(tmp_path):
    report = run_tests([copy_of_schemes(tmp_path)])
    assert (report.failed, report.problems) == (0, ())
    assert report.passed > 0


@pytest.mark.parametrize(("file", "old", "new"), MUTATIONS, ids=[m[2] for m in MUTATIONS])
def test_a_changed_threshold_fails_a_scheme_test(tmp_path, file, old, new):
    folder = copy_of_schemes(tmp_path)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    report = run_tests([folder])
    assert report.failed >= 1
