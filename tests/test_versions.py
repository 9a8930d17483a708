"""Versions of one scheme in one folder: `validate` refuses two that apply to the same day
or share a version number (the Yongxi scheme: two-monthly from 2015-09-01 to 2017-01-01,
version 1; quarterly from 2017-01-01, version 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from partyscore import cli

ROOT = Path(__file__).parent.parent
BIMONTHLY = ROOT / "schemes" / "yongxi-red-flag-bimonthly.yaml"
QUARTERLY = ROOT / "schemes" / "yongxi-red-flag.yaml"
STARTS = "effective:\n  start: 2017-01-01"


def starting(day: str) -> dict[str, str]:
    return {STARTS: f"effective:\n  start: {day}"}


def folder(tmp_path: Path, quarterly: dict[str, str]) -> tuple[Path, str]:
    (tmp_path / BIMONTHLY.name).write_text(BIMONTHLY.read_text(encoding="utf-8"), "utf-8")
    text = QUARTERLY.read_text(encoding="utf-8")
    for old, new in quarterly.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / QUARTERLY.name).write_text(text, encoding="utf-8")
    return tmp_path, text


def test_the_shipped_versions_follow_each_other(tmp_path, capsys):
    path, _ = folder(tmp_path, {})
    assert cli.main(["validate", str(path)]) == 0
    assert "2 of 2 scheme files valid" in capsys.readouterr().err


def test_versions_that_overlap_are_refused(tmp_path, capsys):
    path, text = folder(tmp_path, starting("2016-07-01"))
    assert cli.main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    line = text.splitlines().index("effective:") + 1
    quarterly = path / QUARTERLY.name
    assert f"{quarterly}:{line}:" in out
    assert "[overlapping-versions]" in out
    assert "version 2 of 'yongxi-red-flag' (2016-07-01 on) overlaps version 1" in out
    assert "(2015-09-01 to 2017-01-01)" in out
    assert "1 of 2 scheme files valid" in err


def test_a_version_number_used_twice_is_refused(tmp_path, capsys):
    path, text = folder(tmp_path, {"\nversion: 2\n": "\nversion: 1\n"})
    assert cli.main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    line = text.splitlines().index("version: 1") + 1
    assert f"{path / QUARTERLY.name}:{line}:" in out
    assert "[duplicate-version]" in out
    assert "[overlapping-versions]" not in out


@pytest.mark.parametrize("start", ["2017-01-01", "2018-01-01"])
def test_versions_that_touch_or_leave_a_gap_are_fine(tmp_path, start):
    path, _ = folder(tmp_path, starting(start))
    assert cli.main(["validate", str(path)]) == 0
