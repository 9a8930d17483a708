"""Every shipped scheme is valid, has an example input, and that example evaluates."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

import partyscore
from partyscore.cli import main

ROOT = Path(__file__).parent.parent
SCHEMES = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))


def example_for(scheme: Path) -> Path:
    found = [p for p in (ROOT / "examples").glob(scheme.stem + ".*")
             if p.suffix in (".csv", ".json", ".yaml")]
    assert len(found) == 1, f"{scheme.name} needs exactly one example input, found {found}"
    return found[0]


def test_the_five_samples_are_shipped():
    names = {p.stem for p in SCHEMES}
    assert {"jingyuan-branch-grading", "jingyuan-member-points", "university-member-points",
            "chengzhuang-ladder", "nanping-centre-household", "yongxi-red-flag"} <= names


@pytest.mark.parametrize("path", SCHEMES, ids=[p.stem for p in SCHEMES])
def test_example_evaluates(path):
    scheme = partyscore.load_scheme(path)
    example = example_for(path)
    records = partyscore.read_records(example, scheme)
    evaluation = partyscore.evaluate(scheme, records)
    periods = [r for r in evaluation.results if r.kind == "period"]
    assert len(periods) == len(records)  # one result per record: nothing dropped
    assert scheme.model.source.document.endswith("000_88f9be4b6d340837.txt")


@pytest.mark.parametrize("path", SCHEMES, ids=[p.stem for p in SCHEMES])
def test_every_rule_cites_its_source(path):
    model = partyscore.load_scheme(path).model
    rules = [*model.sections, *model.scores, *model.bands, *model.rankings, *model.rewards,
             *model.actions]
    if model.year_end:
        rules += [*model.year_end.scores, *model.year_end.rewards, *model.year_end.actions]
    missing = [getattr(r, "id", "?") for r in rules if not r.source]
    assert missing == []


def test_validate_schemes_folder(capsys):
    assert main(["validate", str(ROOT / "schemes")]) == 0
    assert capsys.readouterr().out == ""


def test_library_tour_runs(capsys):
    runpy.run_path(str(ROOT / "examples" / "library_tour.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "開拓隊 2024-Q2: total 57.00, step no_step, coefficient 0.70" in out
    assert "ladder pay returned in 2024:" in out
