"""The hand-written baselines of benchmarks/bench_core.py give partyscore's results exactly.

The benchmark's ratios mean something only if the baselines do the same work: every rule of
the Chengzhuang ladder and the Yongxi red flag, with the same digits. Checked on the shipped
examples, on generated records, and on a few values worked out by hand.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))  # benchmarks/ is a folder of scripts, not a package

import baselines  # noqa: E402
from bench_core import digest_res, digest_result  # noqa: E402

LADDER = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
YONGXI = partyscore.load_scheme(ROOT / "schemes" / "yongxi-red-flag.yaml")
LADDER_CSV = ROOT / "examples" / "chengzhuang-ladder.csv"
YONGXI_CSV = ROOT / "examples" / "yongxi-red-flag.csv"


def typed(records: list[partyscore.Record], fmt: baselines.CsvFormat) -> list[dict[str, Any]]:
    return [
        baselines.check_text_record(fmt, r.subject, r.period, r.attributes, r.points)
        for r in records
    ]


def assert_same(evaluation: partyscore.Evaluation, results: list[baselines.Res]) -> None:
    assert [digest_res(r) for r in results] == [digest_result(r) for r in evaluation.results]


# --------------------------------------------------------------------------- examples


def test_ladder_example() -> None:
    records = partyscore.read_records(LADDER_CSV, LADDER)
    mappings = typed(records, baselines.LADDER_CSV)
    assert baselines.read_csv_checked(LADDER_CSV) == mappings
    evaluation = partyscore.evaluate(LADDER, records)
    assert_same(evaluation, baselines.ladder(mappings))
    assert_same(partyscore.evaluate(LADDER, mappings), baselines.ladder(mappings))


def test_yongxi_example() -> None:
    records = partyscore.read_records(YONGXI_CSV, YONGXI)
    mappings = typed(records, baselines.YONGXI_CSV)
    assert baselines.read_csv_checked(YONGXI_CSV, baselines.YONGXI_CSV) == mappings
    assert_same(partyscore.evaluate(YONGXI, records), baselines.red_flag(mappings))


def test_write_csv_is_partyscores_csv(tmp_path: Path) -> None:
    records = baselines.read_csv_checked(LADDER_CSV)
    out = tmp_path / "out.csv"
    baselines.write_csv(baselines.ladder(records), out)
    evaluation = partyscore.evaluate(LADDER, records)
    assert out.read_text(encoding="utf-8") == partyscore.to_csv(evaluation)


# --------------------------------------------------------------------------- generated


@pytest.mark.parametrize("gaps", [False, True])
def test_generated_ladder(gaps: bool) -> None:
    records = list(baselines.ladder_records(12, 25, gaps=gaps))
    assert len(records) == 300 or gaps
    results = baselines.ladder(records)
    assert_same(partyscore.evaluate(LADDER, records), results)
    bands = {r.bands["step"] for r in results}
    steps = {action for r in results for action, rule in r.actions if rule == "low_score"}
    assert bands == {"step1", "step2", "step3", "no_step"}
    assert steps == {"admonition_talk", "removal", "dismissal"}


def test_generated_villages() -> None:
    periods = ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q1")
    records = list(baselines.yongxi_records(300, periods))
    results = baselines.red_flag(records)
    assert_same(partyscore.evaluate(YONGXI, records), results)
    rewards = {reward for r in results for reward, _ in r.rewards}
    actions = {action for r in results for action, _ in r.actions}
    assert rewards == {"rank_prize", "red_flag", "extra_branch_funds"}
    assert {"statement", "year_end_ineligible", "discipline_accountability"} <= actions


def test_generated_csv_round_trip(tmp_path: Path) -> None:
    records = list(baselines.ladder_records(5, 8))
    path = tmp_path / "ladder.csv"
    assert baselines.write_ladder_csv(records, path) == 40
    assert baselines.read_csv_checked(path) == records
    assert typed(partyscore.read_records(path, LADDER), baselines.LADDER_CSV) == records


# --------------------------------------------------------------------------- by hand


def ladder_record(period: str, key_01: str = "5", basic: str = "40", **attrs: Any) -> Any:
    points: dict[str, Any] = {name: Decimal(high) for name, high in baselines.KEY_ITEMS}
    points["key_01"] = Decimal(key_01)
    points.update({name: Decimal(0) for name in baselines.BASIC_NAMES})
    points["basic_01"] = Decimal(basic)  # the baseline trusts typed input: no range check
    points.update({name: Decimal("0.5") for name in baselines.INNOVATION_NAMES[:-1]})
    points[baselines.INNOVATION_NAMES[-1]] = Decimal("1.5")
    points.update(dict.fromkeys(baselines.AUTONOMOUS, False))
    return {
        "subject": "b",
        "period": period,
        "attributes": {"line": "front", **attrs},
        "points": points,
    }


def test_ladder_by_hand() -> None:
    # key 25 + 20 = 45, with key_01 = 7 it sums to 47 and is capped at 45
    (result,) = baselines.ladder([ladder_record("2024-Q1", key_01="7", basic="40")])
    assert result.scores == {
        "key": Decimal(45),
        "basic": Decimal(40),
        "innovation": Decimal("3.5"),
        "total": Decimal("88.50"),
        "coefficient": Decimal("0.90"),
    }
    assert str(result.scores["key"]) == "45"
    assert result.bands == {"step": "step2"}
    assert result.rewards == [("ladder_pay", Decimal("2700.00"))]
    # alone in its quarter, the branch ranks below nobody: it is not last, and 88.50 is not
    # below the minimum standard 70, so no face link
    assert result.actions == []
    # with a second branch above it, it is last: face link
    above = {**ladder_record("2024-Q1", key_01="7", basic="45"), "subject": "zz-above"}
    results = baselines.ladder([ladder_record("2024-Q1", key_01="7", basic="40"), above])
    last = next(r for r in results if r.subject != "zz-above")
    assert last.actions == [("self_reflection", "face_link"), ("mine_notice", "face_link_notice")]


def test_escalation_by_hand() -> None:
    # total 45 + 5 + 3.5 = 53.50, below 60 in every quarter; a major error from 2024-Q3
    periods = ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2025-Q2")
    low = [ladder_record(p, basic="5", major_error=p >= "2024-Q3") for p in periods]
    steps = [[a for a, rule in r.actions if rule == "low_score"] for r in baselines.ladder(low)]
    # 1st, 2nd, 3rd and 4th with a major error; the missing 2025-Q1 breaks the run
    assert steps == [
        ["admonition_talk"],
        ["removal"],
        ["dismissal"],
        ["dismissal"],
        ["admonition_talk"],
    ]
    # three quarters without a major error stay at removal
    no_error = baselines.ladder([ladder_record(p, basic="5") for p in periods[:3]])
    assert [a for a, rule in no_error[-1].actions if rule == "low_score"] == ["removal"]


def test_ranks_and_prizes_by_hand() -> None:
    values = [Decimal(v) for v in ("90", "95", "90", "80")]
    assert baselines.competition_ranks(values) == [2, 1, 2, 4]
    # two tied first at 95+: (600 + 500) / 2 each, the next is third
    assert baselines.rank_prizes([1, 1, 3], ["full", "full", "full"]) == [
        Decimal("550.00"),
        Decimal("550.00"),
        Decimal("400.00"),
    ]
    # three tied third at 86: (200 + 0 + 0) / 3 = 66.66 each, rounded down
    assert baselines.rank_prizes([1, 2, 3, 3, 3], ["full", "half", "half", "half", "half"]) == [
        Decimal("600.00"),
        Decimal("250.00"),
        Decimal("66.66"),
        Decimal("66.66"),
        Decimal("66.66"),
    ]
    assert baselines.rank_prizes([1], ["none"]) == [None]


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("key_01", "5.5"),  # above the item's max
        ("key_01", "８"),  # not ASCII digits
        ("key_01", "0.00000000001"),  # more than 10 places
        ("key_01", ""),  # missing
        ("line", "underground"),
        ("autonomous_01", "maybe"),
        ("period", "2015-Q4"),  # before the scheme's start
        ("period", "2024-Q5"),
    ],
)
def test_read_csv_checked_refuses(tmp_path: Path, column: str, cell: str) -> None:
    lines = LADDER_CSV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index(column)] = cell
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n", encoding="utf-8")
    with pytest.raises(baselines.CsvError):
        baselines.read_csv_checked(path)
    with pytest.raises(partyscore.RecordError):
        partyscore.evaluate(LADDER, partyscore.read_records(path, LADDER))


def test_read_csv_checked_refuses_duplicates_and_unknown_columns(tmp_path: Path) -> None:
    lines = LADDER_CSV.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(baselines.CsvError, match="already has a record"):
        baselines.read_csv_checked(path)
    path.write_text(lines[0] + ",extra\n" + lines[1] + ",1\n", encoding="utf-8")
    with pytest.raises(baselines.CsvError, match="unknown column"):
        baselines.read_csv_checked(path)
