"""Mutation runs (`partyscore test --mutate`): which changes are made to a scheme, what
becomes of each, and that the shipped schemes' cases notice every one.

The mutants of the small scheme MINI (tests/test_scheme_tests.py), listed by hand from its
text: rounding places 2 -> 3 and 1, mode half_up -> half_even; each band bound one unit up
and down and turned inclusive or exclusive; `==` -> `!=` in star; `*` -> `/` and the literal
2 -> 3, 1 in pay's amount, and pay's rounding; `<` -> `<=` and 10 -> 11, 9 in both
conditions; consecutive -> in_year; each step's `at` one up and down. Item maxima, the
declared range of total, the format and scheme versions and texts are left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from partyscore.cli import main
from partyscore.scheme_tests import find_test_files, load_test_file, mutants, run_mutations
from tests.test_scheme_tests import MINI, PASSING

ROOT = Path(__file__).parent.parent

BAND = "bands[level].bands"
MINI_MUTANTS = [
    (8, "rounding.places", "2 -> 3"),
    (8, "rounding.places", "2 -> 1"),
    (8, "rounding.mode", "half_up -> half_even"),
    (22, f"{BAND}[low].below", "below: 10 -> at_most: 10"),
    (22, f"{BAND}[low].below", "10 -> 11"),
    (22, f"{BAND}[low].below", "10 -> 9"),
    (23, f"{BAND}[mid].at_least", "at_least: 10 -> above: 10"),
    (23, f"{BAND}[mid].at_least", "10 -> 11"),
    (23, f"{BAND}[mid].at_least", "10 -> 9"),
    (23, f"{BAND}[mid].below", "below: 15 -> at_most: 15"),
    (23, f"{BAND}[mid].below", "15 -> 16"),
    (23, f"{BAND}[mid].below", "15 -> 14"),
    (24, f"{BAND}[high].at_least", "at_least: 15 -> above: 15"),
    (24, f"{BAND}[high].at_least", "15 -> 16"),
    (24, f"{BAND}[high].at_least", "15 -> 14"),
    (24, f"{BAND}[high].at_most", "at_most: 20 -> below: 20"),
    (24, f"{BAND}[high].at_most", "20 -> 21"),
    (24, f"{BAND}[high].at_most", "20 -> 19"),
    (26, "rewards[star].when", 'level == "high" -> level != "high"'),
    (29, "rewards[pay].amount", "total * 2 -> total / 2"),
    (29, "rewards[pay].amount", "total * 2 -> total * 3"),
    (29, "rewards[pay].amount", "total * 2 -> total * 1"),
    (31, "rewards[pay].rounding.places", "2 -> 3"),
    (31, "rewards[pay].rounding.places", "2 -> 1"),
    (31, "rewards[pay].rounding.mode", "half_up -> half_even"),
    (33, "actions[warn].when", "total < 10 -> total <= 10"),
    (33, "actions[warn].when", "total < 10 -> total < 11"),
    (33, "actions[warn].when", "total < 10 -> total < 9"),
    (36, "actions[repeat].when", "total < 10 -> total <= 10"),
    (36, "actions[repeat].when", "total < 10 -> total < 11"),
    (36, "actions[repeat].when", "total < 10 -> total < 9"),
    (37, "actions[repeat].count", "consecutive -> in_year"),
    (39, "actions[repeat].steps[0].at", "1 -> 2"),
    (39, "actions[repeat].steps[0].at", "1 -> 0"),
    (40, "actions[repeat].steps[1].at", "2 -> 3"),
    (40, "actions[repeat].steps[1].at", "2 -> 1"),
]


def mini(tmp_path: Path, tests: str = PASSING) -> Path:
    (tmp_path / "mini.yaml").write_text(MINI, encoding="utf-8")
    path = tmp_path / "mini.test.yaml"
    path.write_text(tests, encoding="utf-8")
    return path


def test_the_mutants_of_a_small_scheme(tmp_path: Path) -> None:
    mini(tmp_path)
    found = mutants(tmp_path / "mini.yaml")
    assert [(m.line, m.path, m.change) for m in found] == MINI_MUTANTS
    assert found[0].render() == f"{tmp_path / 'mini.yaml'}:8: rounding.places: 2 -> 3"


def test_what_becomes_of_each(tmp_path: Path) -> None:
    # PASSING has one branch at total 10 (mid, no action, pay 20.00)
    report = run_mutations(load_test_file(mini(tmp_path)))
    fate = {(r.mutant.path, r.mutant.change): (r.verdict, r.detail) for r in report.results}
    # 10 < 10 is false, 10 <= 10 true: the case expects no action
    assert fate[("actions[warn].when", "total < 10 -> total <= 10")] == ("failed", "ten is mid")
    # 10 is not below 9 either: nothing the case looks at changes
    assert fate[("actions[warn].when", "total < 10 -> total < 9")] == ("survived", "")
    # low (-inf, 10] and mid [10, 15) overlap: the scheme is refused
    assert fate[(f"{BAND}[low].below", "below: 10 -> at_most: 10")] == ("refused", "band-overlap")
    # mid (10, 15) leaves 10 in no band, and unbanded is error
    assert fate[(f"{BAND}[mid].at_least", "at_least: 10 -> above: 10")] == ("lint", "band-gap")
    # pay 10 x 3 = 30.00, not 20.00
    assert fate[("rewards[pay].amount", "total * 2 -> total * 3")] == ("failed", "ten is mid")
    # a step at 0 is refused by the format
    assert fate[("actions[repeat].steps[0].at", "1 -> 0")][0] == "refused"
    assert not report.ok
    assert len(report.results) == len(MINI_MUTANTS)
    counts = report.counts()
    assert sum(counts.values()) == 36
    assert counts["survived"] == len(report.survivors) > 0


def test_declared_equivalents_and_stale_ones(tmp_path: Path) -> None:
    declared = PASSING + (
        "equivalent_mutants:\n"
        "  - {path: 'actions[warn].when', change: 'total < 10 -> total < 9', reason: r1}\n"
        "  - {path: 'actions[warn].when', change: 'total < 10 -> total <= 10', reason: r2}\n"
        "  - {path: 'actions[nope].when', change: 'x -> y', reason: r3}\n"
    )
    path = mini(tmp_path, declared)
    report = run_mutations(load_test_file(path))
    fate = {(r.mutant.path, r.mutant.change): (r.verdict, r.detail) for r in report.results}
    assert fate[("actions[warn].when", "total < 10 -> total < 9")] == ("equivalent", "r1")
    assert [(d.line, d.code) for d in report.stale] == [
        (15, "stale-equivalent"),
        (16, "stale-equivalent"),
    ]
    assert report.stale[0].message == (
        "actions[warn].when: total < 10 -> total <= 10 is declared equivalent, but it is "
        "noticed by the case 'ten is mid': remove the declaration"
    )
    assert report.stale[1].message.startswith(
        "actions[nope].when: x -> y is declared equivalent, but the scheme has no such mutant"
    )


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = mini(tmp_path)
    status = main(["test", str(path), "--mutate"])
    out, _ = capsys.readouterr()
    assert status == 1
    scheme = tmp_path / "mini.yaml"
    assert f"{scheme}:33: actions[warn].when: total < 10 -> total < 9 [survived]" in out
    assert out.splitlines()[-1].startswith(f"{scheme}: 36 mutants: ")
    # without --mutate the same cases pass
    assert main(["test", str(path)]) == 0
    capsys.readouterr()


def test_every_shipped_scheme_notices_each_mutant() -> None:
    for path in find_test_files([ROOT / "schemes"]):
        report = run_mutations(load_test_file(path))
        assert [r.mutant.render() for r in report.survivors] == [], path
        assert [d.render() for d in report.stale] == [], path
        assert report.counts()["failed"] > 0
