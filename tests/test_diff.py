"""``partyscore diff``: the impact of a rule change, on the two worked examples of
docs/decisions.md with expectations worked out here from the example rows and the source
text, the money that moves, and schemes that do not fit the same records."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.commands import YONGXI_ITEMS as ITEMS
from tests.commands import run
from tests.scheme_text import DOWNWARD

ROOT = Path(__file__).resolve().parent.parent
YONGXI = ROOT / "schemes" / "yongxi-red-flag.yaml"
YONGXI_CSV = ROOT / "examples" / "yongxi-red-flag.csv"
UNIVERSITY = ROOT / "schemes" / "university-member-points.yaml"
UNIVERSITY_CSV = ROOT / "examples" / "university-member-points.csv"


def variant(tmp_path: Path, source: Path, name: str, edits: dict[str, str]) -> Path:
    text = source.read_text(encoding="utf-8")
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def changes(out: str) -> set[tuple[str, ...]]:
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["subject", "period", "kind", "what", "rule", "old", "new"]
    return {tuple(r) for r in rows[1:]}


# --------------------------------------------------------------------------- red flags


def quarters() -> dict[str, dict[str, Decimal]]:
    """Each quarter's totals by branch, summed from the example's rows."""
    with open(YONGXI_CSV, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    out: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        out.setdefault(r["period"], {})[r["subject"]] = sum(
            (Decimal(r[i]) for i in ITEMS), Decimal(0)
        )
    return out


def flags(places: int) -> dict[str, set[str]]:
    """Per quarter, the branches with a flag: rank (1 + how many have more) at most the
    rank of the `places`-th branch, ties included."""
    out = {}
    for period, totals in quarters().items():
        rank = {s: 1 + sum(1 for t in totals.values() if t > v) for s, v in totals.items()}
        cut = sorted(rank.values())[places - 1]
        out[period] = {s for s, r in rank.items() if r <= cut}
    return out


def streak(flagged: list[bool]) -> int:
    best = run = 0
    for flag in flagged:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def test_one_or_two_red_flags_a_quarter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Line 217 gives the flag to the first, line 221 to the first two: with two, the
    second places take a flag too, and a branch that never came first but came second
    keeps its performance subsidy and is not ordered to rectify (凡評不上“流動紅旗”的,
    取消黨組織當年績效補貼,並責令村黨組織限期整改)."""
    two = variant(tmp_path, YONGXI, "two-flags.yaml", {"    value: 1\n": "    value: 2\n"})
    status, out, err = run(
        capsys, "diff", str(YONGXI), str(two), str(YONGXI_CSV), "--format", "csv"
    )
    assert (status, err) == (0, "")
    one_flag, two_flags = flags(1), flags(2)
    expected = set()
    for period in one_flag:
        for subject in sorted(two_flags[period] - one_flag[period]):
            expected.add((subject, period, "period", "reward", "red_flag", "", "red_flag"))
    subjects = {s for totals in quarters().values() for s in totals}
    for year in ("2024", "2025"):
        periods = [f"{year}-Q{q}" for q in range(1, 5)]
        if not all(p in one_flag for p in periods):
            continue  # the year is not over in the example: no year end
        for s in sorted(subjects):
            before = [s in one_flag[p] for p in periods]
            after = [s in two_flags[p] for p in periods]
            if not any(before) and any(after):
                expected.add(
                    (s, year, "year_end", "action", "no_flag_subsidy",
                     "performance_subsidy_cancelled", "")
                )  # fmt: skip
                expected.add((s, year, "year_end", "action", "no_flag_rectification",
                               "rectification", ""))  # fmt: skip
            if (streak(before) >= 2) != (streak(after) >= 2):
                gained = streak(after) >= 2
                shown = ("", "extra_branch_funds") if gained else ("extra_branch_funds", "")
                expected.add((s, year, "year_end", "reward", "extra_branch_funds", *shown))
    assert changes(out) == expected
    # as worked out from the rows: the second places 湧溪村 (2024-Q1), 中屯村 (2024-Q2),
    # 芽溪村 (2024-Q3), 坪寨村 and 芽溪村 (tied, 2025-Q1), 芽溪村 (2025-Q2); 2024-Q4 has two
    # branches tied first, both flagged already; 湧溪村, flagless in 2024 with one flag,
    # keeps its subsidy with two
    assert sorted((s, p) for s, p, k, w, *_ in expected if w == "reward") == [
        ("中屯村", "2024-Q2"), ("坪寨村", "2025-Q1"), ("湧溪村", "2024-Q1"),
        ("芽溪村", "2024-Q3"), ("芽溪村", "2025-Q1"), ("芽溪村", "2025-Q2"),
    ]  # fmt: skip
    assert {(s, p) for s, p, k, *_ in expected if k == "year_end"} == {("湧溪村", "2024")}


def test_the_red_flag_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    two = variant(tmp_path, YONGXI, "two-flags.yaml", {"    value: 1\n": "    value: 2\n"})
    status, out, _ = run(capsys, "diff", str(YONGXI), str(two), str(YONGXI_CSV), "--lang", "en")
    assert status == 0
    lines = out.splitlines()
    assert lines[:6] == [
        f"old: yongxi-red-flag version 2 ({YONGXI})",
        f"new: yongxi-red-flag version 2 ({two})",
        "rules that differ:",
        "  parameters.red_flags.value: 1 -> 2",
        "",
        "7 of 140 results change:",
    ]
    assert [line.split() for line in lines[6:-2]] == [
        ["subject", "period", "what", "rule", "old", "new"],
        ["-" * 7, "-" * 15, "-" * 6, "-" * 21, "-" * 29, "-" * 8],
        ["湧溪村", "2024-Q1", "reward", "red_flag", "-", "red_flag"],
        ["中屯村", "2024-Q2", "reward", "red_flag", "-", "red_flag"],
        ["芽溪村", "2024-Q3", "reward", "red_flag", "-", "red_flag"],
        ["湧溪村", "2024", "(year", "end)", "action", "no_flag_subsidy",
         "performance_subsidy_cancelled", "-"],
        ["湧溪村", "2024", "(year", "end)", "action", "no_flag_rectification",
         "rectification", "-"],
        ["坪寨村", "2025-Q1", "reward", "red_flag", "-", "red_flag"],
        ["芽溪村", "2025-Q1", "reward", "red_flag", "-", "red_flag"],
        ["芽溪村", "2025-Q2", "reward", "red_flag", "-", "red_flag"],
    ]  # fmt: skip
    # columns line up: each starts where its dashes do (CJK characters two columns wide)
    starts = [i for i, ch in enumerate(lines[7]) if ch == "-" and lines[7][i - 1] == " "]
    for line in lines[8:-2]:
        shown = "".join(ch * (2 if ord(ch) > 0x2E80 else 1) for ch in line)
        assert all(shown[i - 1] == " " and shown[i] != " " for i in starts)
    assert lines[-2:] == ["", "no money moves"]


# --------------------------------------------------------------------------- penalty bands


def test_the_penalty_ranges_read_upward_or_downward(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only a final score on 70, 60 or 50 changes band. From the example's rows (final =
    (7 x daily points + 3 x appraisal) / 10, no bonus here):
    胡雅婷 (activist) 14 + 14.5 + 14.5 + 13 + 5.5 + 8.5 = 70, appraisal 70: 70;
    郭文軒 (activist) 8.5 + 16 + 10.5 + 9.5 + 2.5 + 13 = 60, appraisal 60: 60;
    魏子軒 (full) 12.5 + 7 + 14.5 + 7 + 4.5 + 4.5 = 50, appraisal 50: 50.
    The consequences are the source's for each range and stage (考評成績在70-60分: 公開批評,
    記入檔案; 60-50分: 推遲發展 (activists), 公開批評, 記入檔案; 50分以下 for full members:
    黨內警告, 考慮留黨察看)."""
    downward = variant(tmp_path, UNIVERSITY, "downward.yaml", DOWNWARD)
    status, out, _ = run(
        capsys, "diff", str(UNIVERSITY), str(downward), str(UNIVERSITY_CSV), "--format", "csv"
    )
    assert status == 0
    assert changes(out) == {
        ("胡雅婷", "2024", "period", "band", "grade", "neither", "penalty_60"),
        ("胡雅婷", "2024", "period", "value", "penalty_level", "0", "1"),
        ("胡雅婷", "2024", "period", "action", "penalty_60_criticism", "", "public_criticism"),
        ("胡雅婷", "2024", "period", "action", "penalty_60_record", "", "recorded_in_file"),
        ("郭文軒", "2024", "period", "band", "grade", "penalty_60", "penalty_50"),
        ("郭文軒", "2024", "period", "value", "penalty_level", "1", "2"),
        ("郭文軒", "2024", "period", "action", "penalty_60_criticism", "public_criticism", ""),
        ("郭文軒", "2024", "period", "action", "penalty_60_record", "recorded_in_file", ""),
        ("郭文軒", "2024", "period", "action", "penalty_50_development", "", "development_delayed"),
        ("郭文軒", "2024", "period", "action", "penalty_50_criticism", "", "public_criticism"),
        ("郭文軒", "2024", "period", "action", "penalty_50_record", "", "recorded_in_file"),
        ("魏子軒", "2024", "period", "band", "grade", "penalty_50", "penalty_below_50"),
        ("魏子軒", "2024", "period", "value", "penalty_level", "2", "3"),
        ("魏子軒", "2024", "period", "action", "penalty_50_criticism", "public_criticism", ""),
        ("魏子軒", "2024", "period", "action", "penalty_50_record", "recorded_in_file", ""),
        ("魏子軒", "2024", "period", "action", "penalty_below_50_warning", "", "party_warning"),
        ("魏子軒", "2024", "period", "action", "penalty_below_50_probation", "",
         "consider_probation_within_party"),
    }  # fmt: skip
    status, out, _ = run(
        capsys, "diff", str(UNIVERSITY), str(downward), str(UNIVERSITY_CSV), "--format", "json"
    )
    data = json.loads(out)
    assert [(r["path"], r["old"], r["new"]) for r in data["rules"]] == [
        ("bands[grade].bands[neither].at_least", "70", None),
        ("bands[grade].bands[neither].above", None, "70"),
        ("bands[grade].bands[penalty_60].at_least", "60", None),
        ("bands[grade].bands[penalty_60].above", None, "60"),
        ("bands[grade].bands[penalty_60].at_most", None, "70"),
        ("bands[grade].bands[penalty_60].below", "70", None),
        ("bands[grade].bands[penalty_50].at_least", "50", None),
        ("bands[grade].bands[penalty_50].above", None, "50"),
        ("bands[grade].bands[penalty_50].at_most", None, "60"),
        ("bands[grade].bands[penalty_50].below", "60", None),
        ("bands[grade].bands[penalty_below_50].at_most", None, "50"),
        ("bands[grade].bands[penalty_below_50].below", "50", None),
    ]
    assert (data["results"], data["changed_results"]) == (40, 3)
    assert data["money"] == {"subjects": {}, "total": {}}


# --------------------------------------------------------------------------- money


def test_the_money_that_moves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The first prize at 95 or more raised from 600 to 630: a branch first alone gains
    30.00; two tied first share (630 + 500) / 2 = 565.00 instead of 550.00, 15.00 each."""
    raised = variant(tmp_path, YONGXI, "raised.yaml", {'full: "600"': 'full: "630"'})
    status, out, _ = run(
        capsys, "diff", str(YONGXI), str(raised), str(YONGXI_CSV), "--format", "json"
    )
    assert status == 0
    data = json.loads(out)
    gains: dict[str, Decimal] = {}
    for totals in quarters().values():
        top = max(totals.values())
        first = [s for s, t in totals.items() if t == top]
        if top >= 95:
            for s in first:
                gains[s] = gains.get(s, Decimal(0)) + (Decimal(30) if len(first) == 1 else 15)
    moved = {s: Decimal(m["CNY"]["change"]) for s, m in data["money"]["subjects"].items()}
    assert moved == gains
    assert sum(gains.values()) == Decimal(150)  # four firsts alone, one tie of two
    assert data["money"]["total"]["CNY"]["change"] == "150.00"
    old_total = Decimal(data["money"]["total"]["CNY"]["old"])
    assert Decimal(data["money"]["total"]["CNY"]["new"]) - old_total == 150


def test_the_same_scheme_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "diff", str(YONGXI), str(YONGXI), str(YONGXI_CSV), "--exit-code")
    assert status == 0
    assert out.splitlines()[2:] == [
        "the rules do not differ (only labels, sources or notes)",
        "",
        "no result changes (140 results compared)",
    ]


def test_exit_code_when_a_result_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two = variant(tmp_path, YONGXI, "two-flags.yaml", {"    value: 1\n": "    value: 2\n"})
    assert run(capsys, "diff", str(YONGXI), str(two), str(YONGXI_CSV))[0] == 0
    assert run(capsys, "diff", str(YONGXI), str(two), str(YONGXI_CSV), "--exit-code")[0] == 1


def test_schemes_that_do_not_fit_the_same_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    renamed = variant(
        tmp_path, YONGXI, "renamed.yaml",
        {"      - id: central_tasks\n": "      - id: central_task\n"},
    )  # fmt: skip
    status, out, err = run(capsys, "diff", str(YONGXI), str(renamed), str(YONGXI_CSV))
    assert (status, out) == (1, "")
    assert err == (
        f"{renamed}: items.central_tasks: only the old scheme has this item [schemes-do-not-fit]\n"
        f"{renamed}: items.central_task: only the new scheme has this item [schemes-do-not-fit]\n"
    )
    bimonthly = ROOT / "schemes" / "yongxi-red-flag-bimonthly.yaml"
    status, out, err = run(capsys, "diff", str(YONGXI), str(bimonthly), str(YONGXI_CSV))
    assert status == 1
    assert err.splitlines()[0] == (
        f"{bimonthly}: period: the old scheme has periods of kind quarter, the new one of "
        "kind bimonth [schemes-do-not-fit]"
    )
