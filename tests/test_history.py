"""History carried from run to run: a quarter evaluated alone knows what came before.

Expected values are the shipped examples' own, worked out by hand in test_golden_yongxi.py
and test_golden_chengzhuang.py: 古樓坪村 is last and under 85 in 2024-Q1 (78), Q2 (81) and
Q4 (79); 開拓隊 is under 60 in 2024-Q1 (55), Q2 (57) and Q3 (52, with a major error).
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

import partyscore
from partyscore import History, HistoryError
from partyscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
YONGXI = partyscore.load_scheme(ROOT / "schemes" / "yongxi-red-flag.yaml")
LADDER = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
YONGXI_CSV = ROOT / "examples" / "yongxi-red-flag.csv"
LADDER_CSV = ROOT / "examples" / "chengzhuang-ladder.csv"
YONGXI_RECORDS = partyscore.read_records(YONGXI_CSV, YONGXI)
LADDER_RECORDS = partyscore.read_records(LADDER_CSV, LADDER)


def quarter(records: list[partyscore.Record], *labels: str) -> list[partyscore.Record]:
    return [r for r in records if r.period in labels]


def chain(scheme: partyscore.CompiledScheme, records, *runs: tuple[str, ...]):
    """Evaluate each run's quarters with the history of the runs before; every evaluation."""
    history = None
    done = []
    for labels in runs:
        evaluation = partyscore.evaluate(scheme, quarter(records, *labels), history=history)
        history = evaluation.history
        done.append(evaluation)
    return done


# --------------------------------------------------------------------------- the defect


def test_a_quarter_alone_says_its_count_may_be_short() -> None:
    # 2024-Q2 alone: 古樓坪村 (81) is last and under 85 for what looks like the first time
    evaluation = partyscore.evaluate(YONGXI, quarter(YONGXI_RECORDS, "2024-Q2"))
    result = evaluation.get("古樓坪村", "2024-Q2")
    assert result.action_ids() == ["statement"]
    assert result.warnings == (
        "last_and_low: counted 1 in 2024 from 2024-Q2 on, but 2024-Q2 is the first period of "
        "the input and no history was carried in; with 2024-Q1 the count may be higher",
    )
    assert f"古樓坪村 2024-Q2: {result.warnings[0]}" in evaluation.warnings
    # villages that were not last carry no warning
    assert evaluation.get("中屯村", "2024-Q2").warnings == ()


def test_history_from_the_first_quarter_gives_the_second_time() -> None:
    first, second = chain(YONGXI, YONGXI_RECORDS, ("2024-Q1",), ("2024-Q2",))
    assert first.get("古樓坪村", "2024-Q1").action_ids() == ["statement"]
    result = second.get("古樓坪村", "2024-Q2")
    assert result.action_ids() == ["year_end_ineligible"]
    assert result.warnings == ()
    assert second.warnings == (
        "2024: year-end rules not applied: the input ends at 2024-Q2, before the last quarter "
        "of the year",
    )


def test_quarter_by_quarter_gives_the_year_end_of_the_whole_year() -> None:
    runs = chain(YONGXI, YONGXI_RECORDS, ("2024-Q1",), ("2024-Q2",), ("2024-Q3",), ("2024-Q4",))
    assert [runs[i].get("古樓坪村", f"2024-Q{i + 1}").action_ids() for i in range(4)] == [
        ["statement"],
        ["year_end_ineligible"],
        [],
        ["discipline_accountability"],
    ]
    last = runs[-1]
    gulou = last.get("古樓坪村", "2024")
    assert gulou.scores["annual_score"] == Decimal("81.00")  # (78 + 81 + 86 + 79) / 4
    assert gulou.action_ids() == [
        "year_end_ineligible",
        "performance_subsidy_cancelled",
        "rectification",
    ]
    # the year end cites the rows of all four runs
    assert gulou.source == ", ".join(
        f"{YONGXI_CSV}:{n}" for n in (2, 22, 42, 62)
    )
    # (97.5 + 96 + 93 + 95) / 4 = 95.375 -> 95.38, flags in Q1 and Q2 in a row
    yaxi = last.get("芽溪村", "2024")
    assert yaxi.scores["annual_score"] == Decimal("95.38")
    assert [r.id for r in yaxi.rewards] == ["extra_branch_funds"]
    cancelled = "performance_subsidy_cancelled"
    flagless = [r.subject for r in last.results if cancelled in r.action_ids()]
    assert len(flagless) == 17
    assert all(not r.warnings for run in runs for r in run.results)


def test_split_runs_equal_one_run() -> None:
    # the whole example (2024-Q1 to 2025-Q2) at once, and in three runs
    whole = partyscore.evaluate(YONGXI, YONGXI_RECORDS)
    runs = chain(
        YONGXI,
        YONGXI_RECORDS,
        ("2024-Q1", "2024-Q2"),
        ("2024-Q3", "2024-Q4", "2025-Q1"),
        ("2025-Q2",),
    )
    split = [r for run in runs for r in run.results]
    assert len(split) == len(whole.results) == 20 * 6 + 20  # 6 quarters, one year end
    assert split == list(whole.results)
    assert runs[-1].history is not None
    assert whole.history is not None
    assert runs[-1].history.to_json() == whole.history.to_json()


def test_a_year_left_open_is_closed_by_the_next_run() -> None:
    # 2024-Q1 to Q3, then 2025-Q1: the 2024 year end comes at the start of the second run,
    # over the three quarters present (year_end.missing: as_absent)
    first, second = chain(YONGXI, YONGXI_RECORDS, ("2024-Q1", "2024-Q2", "2024-Q3"), ("2025-Q1",))
    assert not [r for r in first.results if r.kind == "year_end"]
    gulou = second.get("古樓坪村", "2024")
    # (78 + 81 + 86) / 3 = 81.666... -> 81.67; never flagged; last twice: not eligible
    assert gulou.scores["annual_score"] == Decimal("81.67")
    assert gulou.action_ids() == [
        "year_end_ineligible",
        "performance_subsidy_cancelled",
        "rectification",
    ]
    assert gulou.warnings == (
        "no record for 2024-Q4 (3 of 4 quarters present): year-end rules applied to the "
        "periods present (year_end.missing: as_absent)",
    )
    assert second.results[0].period == "2024"  # the year end comes before 2025-Q1


# --------------------------------------------------------------------------- consecutive


def test_consecutive_counts_go_on_across_runs() -> None:
    runs = chain(LADDER, LADDER_RECORDS, ("2024-Q1",), ("2024-Q2",), ("2024-Q3",))
    steps = [
        [a.id for a in runs[i].get("開拓隊", f"2024-Q{i + 1}").actions if a.rule == "low_score"]
        for i in range(3)
    ]
    assert steps == [["admonition_talk"], ["removal"], ["dismissal"]]
    # the chain still starts at 2024-Q1, after the scheme's first quarter (2016-Q1): the
    # runs of 1 and 2 may be longer; the run of 3 is already at the highest step
    assert runs[1].get("開拓隊", "2024-Q2").warnings == (
        "low_score: counted 2 in a row from 2024-Q1 on, but the history carried in starts at "
        "2024-Q1; with earlier periods the count may be higher",
    )
    assert runs[2].get("開拓隊", "2024-Q3").warnings == ()


def test_alone_the_second_low_quarter_is_a_first() -> None:
    evaluation = partyscore.evaluate(LADDER, quarter(LADDER_RECORDS, "2024-Q2"))
    result = evaluation.get("開拓隊", "2024-Q2")
    assert [a.id for a in result.actions if a.rule == "low_score"] == ["admonition_talk"]
    assert result.warnings[0].startswith("low_score: counted 1 in a row from 2024-Q2 on, but ")


def test_no_warning_from_the_schemes_first_quarter() -> None:
    # 2016-Q1 is the first quarter of the Chengzhuang scheme: nothing came before it
    records = [replace(r, period="2016-Q1") for r in quarter(LADDER_RECORDS, "2024-Q1")]
    evaluation = partyscore.evaluate(LADDER, records)
    result = evaluation.get("開拓隊", "2016-Q1")
    assert [a.id for a in result.actions if a.rule == "low_score"] == ["admonition_talk"]
    assert all(r.warnings == () for r in evaluation.results)
    assert evaluation.warnings == ()


# --------------------------------------------------------------------------- refusals


def test_overlapping_periods_are_refused() -> None:
    (first,) = chain(YONGXI, YONGXI_RECORDS, ("2024-Q1", "2024-Q2"))
    with pytest.raises(HistoryError) as caught:
        partyscore.evaluate(YONGXI, quarter(YONGXI_RECORDS, "2024-Q2"), history=first.history)
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.file, problem.line) == ("history-overlap", str(YONGXI_CSV), 22)
    assert "covers 2024-Q1 to 2024-Q2" in problem.message


def test_history_of_another_scheme_is_refused(tmp_path: Path) -> None:
    (first,) = chain(YONGXI, YONGXI_RECORDS, ("2024-Q1",))
    assert first.history is not None
    path = tmp_path / "h.json"
    path.write_text(first.history.to_json(), encoding="utf-8")
    with pytest.raises(HistoryError) as caught:
        History.read(path, LADDER)
    (problem,) = caught.value.diagnostics
    assert problem.code == "history-scheme"
    assert (problem.file, problem.line) == (str(path), 4)  # the "scheme" line
    assert "belongs to scheme 'yongxi-red-flag' version 2 (quarters)" in problem.message
    with pytest.raises(HistoryError):
        partyscore.evaluate(LADDER, LADDER_RECORDS, history=first.history)


def written(tmp_path: Path, change) -> Path:
    (first,) = chain(YONGXI, YONGXI_RECORDS, ("2024-Q1", "2024-Q2"))
    assert first.history is not None
    data = json.loads(first.history.to_json(), parse_float=Decimal)
    change(data)
    path = tmp_path / "h.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=float), encoding="utf-8")
    return path


def codes(path: Path) -> list[tuple[str, str]]:
    with pytest.raises(HistoryError) as caught:
        History.read(path, YONGXI)
    return [(d.code, d.path) for d in caught.value.diagnostics]


def test_bad_history_files_name_the_key(tmp_path: Path) -> None:
    def unknown_rule(data):
        data["subjects"]["古樓坪村"]["counts"]["last_place"] = {"year": 2024, "count": 1}

    assert codes(written(tmp_path, unknown_rule)) == [
        ("unknown-key", "subjects.古樓坪村.counts.last_place")
    ]

    def text_count(data):
        data["subjects"]["古樓坪村"]["counts"]["last_and_low"]["count"] = "2"

    assert codes(written(tmp_path, text_count)) == [
        ("history-value", "subjects.古樓坪村.counts.last_and_low.count")
    ]

    def flag_as_text(data):
        data["subjects"]["古樓坪村"]["year"]["periods"][0]["values"]["red_flag"] = "false"

    assert codes(written(tmp_path, flag_as_text)) == [
        ("history-value", "subjects.古樓坪村.year.periods[0].values.red_flag")
    ]

    def missing_value(data):
        del data["subjects"]["古樓坪村"]["year"]["periods"][1]["values"]["total"]

    assert codes(written(tmp_path, missing_value)) == [
        ("missing-key", "subjects.古樓坪村.year.periods[1].values")
    ]

    def later_period(data):
        data["subjects"]["古樓坪村"]["year"]["periods"][1]["period"] = "2024-Q3"

    assert codes(written(tmp_path, later_period)) == [
        ("history-periods", "subjects.古樓坪村.year.periods[1].period")
    ]

    def hidden_character(data):
        data["subjects"]["古樓坪村\u200b"] = data["subjects"].pop("古樓坪村")

    assert [c for c, _ in codes(written(tmp_path, hidden_character))] == ["history-subject"]

    def future_format(data):
        data["format_version"] = 2

    assert codes(written(tmp_path, future_format)) == [("history-format", "format_version")]


def test_not_json_gives_the_position(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_text('{\n  "format": "partyscore-history",\n  "scheme": \n}\n', encoding="utf-8")
    with pytest.raises(HistoryError) as caught:
        History.read(path, YONGXI)
    (problem,) = caught.value.diagnostics
    assert (problem.code, problem.line, problem.column) == ("history-json", 4, 1)
    path.write_text('{"format": "partyscore-history", "format": 1}', encoding="utf-8")
    with pytest.raises(HistoryError) as caught:
        History.read(path, YONGXI)
    assert "duplicate key 'format'" in caught.value.diagnostics[0].message


# --------------------------------------------------------------------------- the format


def test_the_written_history(tmp_path: Path) -> None:
    (first,) = chain(YONGXI, YONGXI_RECORDS, ("2024-Q1",))
    assert first.history is not None
    text = first.history.to_json()
    data = json.loads(text, parse_float=Decimal)
    assert {k: data[k] for k in list(data)[:8]} == {
        "format": "partyscore-history",
        "format_version": 1,
        "scheme": "yongxi-red-flag",
        "version": 2,
        "period": "quarter",
        "first_period": "2024-Q1",
        "declared_start": False,
        "last_period": "2024-Q1",
    }
    gulou = data["subjects"]["古樓坪村"]
    assert gulou["counts"] == {"last_and_low": {"year": 2024, "count": 1}}
    (q1,) = gulou["year"]["periods"]
    # 19 + 10.5 + 8.5 + 8 + 6.5 + 6.5 + 7 + 4 + 4 + 4 = 78; last, so no flag; counted once
    assert q1 == {
        "period": "2024-Q1",
        "group": None,
        "source": f"{YONGXI_CSV}:2",
        "values": {"total": Decimal("78.00"), "red_flag": False, "last_and_low": 1},
    }
    assert "78.00" in text  # exact digits
    assert list(data["subjects"]) == sorted(data["subjects"])
    # reading it back and writing it again gives the same bytes
    path = tmp_path / "h.json"
    path.write_text(text, encoding="utf-8")
    assert History.read(path, YONGXI).to_json() == text
    again = partyscore.evaluate(YONGXI, quarter(YONGXI_RECORDS, "2024-Q1")).history
    assert again is not None
    assert again.to_json() == text


# --------------------------------------------------------------------------- command line


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_command_line_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = YONGXI_CSV.read_text(encoding="utf-8").splitlines()
    for label in ("2024-Q1", "2024-Q2"):
        part = [lines[0], *(line for line in lines if f",{label}," in line)]
        (tmp_path / f"{label}.csv").write_text("\n".join(part) + "\n", encoding="utf-8")
    scheme = str(ROOT / "schemes" / "yongxi-red-flag.yaml")
    q1, q2 = str(tmp_path / "2024-Q1.csv"), str(tmp_path / "2024-Q2.csv")
    h1, h2 = str(tmp_path / "h1.json"), str(tmp_path / "h2.json")
    out = str(tmp_path / "q2.json")

    # without history, --strict refuses the short count and writes nothing
    status, printed, err = run(capsys, "evaluate", scheme, q2, "--strict", "-o", out)
    assert (status, printed) == (1, "")
    assert err.splitlines()[0].startswith("error: 古樓坪村 2024-Q2: last_and_low: counted 1")
    assert "1 result(s) with warnings, refused by --strict; nothing was written" in err
    assert not Path(out).exists()

    assert run(capsys, "evaluate", scheme, q1, "--history-out", h1)[0] == 0
    status, _, err = run(
        capsys, "evaluate", scheme, q2, "--history-in", h1, "--history-out", h2,
        "--strict", "--format", "json", "-o", out,
    )  # fmt: skip
    assert status == 0
    document = json.loads(Path(out).read_text(encoding="utf-8"))
    (gulou,) = [r for r in document["results"] if r["subject"] == "古樓坪村"]
    assert [a["id"] for a in gulou["actions"]] == ["year_end_ineligible"]
    assert gulou["warnings"] == []
    carried = json.loads(Path(h2).read_text(encoding="utf-8"))
    assert (carried["first_period"], carried["last_period"]) == ("2024-Q1", "2024-Q2")
    assert carried["subjects"]["古樓坪村"]["counts"] == {
        "last_and_low": {"year": 2024, "count": 2}
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "2024-Q1.csv", "2024-Q2.csv", "h1.json", "h2.json", "q2.json",
    ]  # fmt: skip

    # the same quarter again over its own history: refused, nothing written
    Path(out).unlink()
    status, _, err = run(capsys, "evaluate", scheme, q2, "--history-in", h2, "-o", out)
    assert status == 1
    assert err.startswith(f"{q2}:2: period: the records for 2024-Q2 are not after the history")
    assert err.rstrip().endswith("[history-overlap]")
    assert not Path(out).exists()

    # another scheme's history
    ladder = str(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    status, _, err = run(capsys, "evaluate", ladder, str(LADDER_CSV), "--history-in", h1)
    assert status == 1
    assert err.startswith(f"{h1}:4:13: scheme: this history belongs to scheme 'yongxi-red-flag'")


def test_no_records_no_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = YONGXI_CSV.read_text(encoding="utf-8").splitlines()[0]
    empty = tmp_path / "empty.csv"
    empty.write_text(header + "\n", encoding="utf-8")
    target = tmp_path / "h.json"
    status, _, err = run(
        capsys, "evaluate", str(ROOT / "schemes" / "yongxi-red-flag.yaml"), str(empty),
        "--history-out", str(target),
    )  # fmt: skip
    assert status == 1
    assert err == f"partyscore: no history to write to {target}: the input has no records\n"
    assert not target.exists()


def test_iter_evaluate_carries_history_on_its_last_batch() -> None:
    (first,) = chain(YONGXI, YONGXI_RECORDS, ("2024-Q1",))
    for ordered in (False, True):
        batches = list(
            partyscore.iter_evaluate(
                YONGXI,
                quarter(YONGXI_RECORDS, "2024-Q2", "2024-Q3"),
                history=first.history,
                ordered=ordered,
            )
        )
        assert [b.period for b in batches] == ["2024-Q2", "2024-Q3"]
        assert batches[0].history is None
        last = batches[-1].history
        assert last is not None
        assert (last.first_period, last.last_period) == ("2024-Q1", "2024-Q3")
        (gulou,) = [r for r in batches[0] if r.subject == "古樓坪村"]
        assert gulou.action_ids() == ["year_end_ineligible"]


# --------------------------------------------------------------------------- declared start


def test_a_declared_start_counts_from_there_without_warnings() -> None:
    start = History.start(LADDER, "2024-Q1")
    assert (start.first_period, start.last_period, start.declared) == ("2024-Q1", "2023-Q4", True)
    evaluation = partyscore.evaluate(LADDER, LADDER_RECORDS, history=start)
    steps = [
        [a.id for a in evaluation.get("開拓隊", p).actions if a.rule == "low_score"]
        for p in ("2024-Q1", "2024-Q2", "2024-Q3")
    ]
    assert steps == [["admonition_talk"], ["removal"], ["dismissal"]]
    assert all(r.warnings == () for r in evaluation.results)
    assert evaluation.warnings == ()
    carried = evaluation.history
    assert carried is not None
    data = json.loads(carried.to_json())
    assert (data["first_period"], data["declared_start"], data["last_period"]) == (
        "2024-Q1",
        True,
        "2024-Q4",
    )
    # records before the declared start are refused
    with pytest.raises(HistoryError) as caught:
        partyscore.evaluate(LADDER, LADDER_RECORDS, history=History.start(LADDER, "2024-Q2"))
    assert "declares that counting starts at 2024-Q2" in caught.value.diagnostics[0].message


def test_history_start_and_history_in_exclude_each_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scheme = str(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    status, _, err = run(
        capsys, "evaluate", scheme, str(LADDER_CSV), "--history-start", "2024-Q1",
        "--history-in", str(tmp_path / "h.json"),
    )  # fmt: skip
    assert status == 2
    assert err.startswith("partyscore: give --history-in or --history-start, not both")
    status, _, err = run(capsys, "evaluate", scheme, str(LADDER_CSV), "--history-start", "2024")
    assert status == 1
    assert "'2024' is not a quarter label" in err


def test_a_gap_after_the_history_is_a_warning() -> None:
    start = History.start(LADDER, "2024-Q1")
    (first,) = [partyscore.evaluate(LADDER, quarter(LADDER_RECORDS, "2024-Q1"), history=start)]
    later = partyscore.evaluate(
        LADDER, quarter(LADDER_RECORDS, "2024-Q3"), history=first.history
    )
    assert later.warnings[0] == (
        "the history carried in ends at 2024-Q1 and the records start at 2024-Q3: 2024-Q2 was "
        "not evaluated, so runs of consecutive periods start again"
    )
    # 開拓隊 low in Q1 and Q3: with Q2 unknown, Q3 is a first time
    result = later.get("開拓隊", "2024-Q3")
    assert [a.id for a in result.actions if a.rule == "low_score"] == ["admonition_talk"]


def test_only_live_counts_are_carried() -> None:
    # 開拓隊's run ends in 2024-Q4 (67, not under 60): nothing is carried for it
    start = History.start(LADDER, "2024-Q1")
    evaluation = partyscore.evaluate(LADDER, LADDER_RECORDS, history=start)
    assert evaluation.history is not None
    assert json.loads(evaluation.history.to_json())["subjects"] == {}
    # after 2024-Q3: 開拓隊's run of 3 (55, 57, 52) and 綜掘一隊's of 2 (58, 54; 73 in Q1)
    q3 = partyscore.evaluate(
        LADDER,
        quarter(LADDER_RECORDS, "2024-Q1", "2024-Q2", "2024-Q3"),
        history=History.start(LADDER, "2024-Q1"),
    )
    assert q3.history is not None
    assert json.loads(q3.history.to_json())["subjects"] == {
        "綜掘一隊": {"counts": {"low_score": {"through": "2024-Q3", "count": 2}}},
        "開拓隊": {"counts": {"low_score": {"through": "2024-Q3", "count": 3}}},
    }


def test_carried_values_are_checked_against_the_scheme(tmp_path: Path) -> None:
    def wrong_parameter(data):
        data["subjects"]["古樓坪村"]["year"]["parameters"]["red_flags"] = 2

    assert codes(written(tmp_path, wrong_parameter)) == [
        ("history-value", "subjects.古樓坪村.year.parameters.red_flags")
    ]

    def total_out_of_range(data):
        data["subjects"]["古樓坪村"]["year"]["periods"][0]["values"]["total"] = 178

    assert codes(written(tmp_path, total_out_of_range)) == [
        ("history-value", "subjects.古樓坪村.year.periods[0].values.total")
    ]


def test_a_declared_start_mid_year_has_a_year_end_over_its_periods() -> None:
    # counting declared to start at 2024-Q2: 2024's year end is over Q2 to Q4, no warning
    start = History.start(YONGXI, "2024-Q2")
    records = quarter(YONGXI_RECORDS, "2024-Q2", "2024-Q3", "2024-Q4")
    evaluation = partyscore.evaluate(YONGXI, records, history=start)
    gulou = evaluation.get("古樓坪村", "2024")
    # (81 + 86 + 79) / 3 = 246 / 3 = 82.00; last twice (Q2, Q4) in these periods
    assert gulou.scores["annual_score"] == Decimal("82.00")
    assert gulou.action_ids() == [
        "year_end_ineligible",
        "performance_subsidy_cancelled",
        "rectification",
    ]
    assert all(r.warnings == () for r in evaluation.results)
    assert evaluation.warnings == ()


def test_a_declared_start_before_the_records_is_a_gap() -> None:
    start = History.start(YONGXI, "2024-Q1")
    evaluation = partyscore.evaluate(YONGXI, quarter(YONGXI_RECORDS, "2024-Q3"), history=start)
    # Yongxi counts within the year only: no word about runs
    assert evaluation.warnings[0] == (
        "counting starts at 2024-Q1 (a declared start) and the records start at 2024-Q3: "
        "2024-Q1 to 2024-Q2 were not evaluated"
    )


def test_declared_start_may_be_left_out(tmp_path: Path) -> None:
    def without(data):
        del data["declared_start"]

    path = written(tmp_path, without)
    history = History.read(path, YONGXI)
    assert (history.declared, history.last_period) == (False, "2024-Q2")
