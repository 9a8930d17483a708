"""Streaming runs: the command line and `iter_evaluate` work period by period, and give
exactly what the whole-evaluation functions give, whatever the order of the records and
however they are split into files; a bad record anywhere means nothing is written."""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path

import pytest

import partyscore
from partyscore._evaluate import iter_evaluate
from partyscore.cli import main

ROOT = Path(__file__).parent.parent
SCHEMES = ("chengzhuang-ladder", "yongxi-red-flag", "university-member-points")


def rows_of(name: str) -> tuple[list[str], list[list[str]]]:
    with open(ROOT / "examples" / f"{name}.csv", encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def whole(name: str, form: str) -> str:
    """What the whole-evaluation functions give for the shipped example."""
    scheme = partyscore.load_scheme(ROOT / "schemes" / f"{name}.yaml")
    records = partyscore.read_records(ROOT / "examples" / f"{name}.csv", scheme)
    evaluation = partyscore.evaluate(scheme, records)
    return {"csv": partyscore.to_csv, "json": partyscore.to_json}[form](evaluation)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("name", SCHEMES)
@pytest.mark.parametrize("form", ["csv", "json"])
def test_shuffled_rows_give_the_same_output(tmp_path, capsys, name, form):
    # Shuffled rows come back in period order through the spill files; the results, their
    # order and every byte of the output are those of the whole evaluation of the example.
    header, rows = rows_of(name)
    random.Random(1).shuffle(rows)
    shuffled = write(tmp_path / "shuffled.csv", header, rows)
    scheme = str(ROOT / "schemes" / f"{name}.yaml")
    status, out, _ = cli(capsys, "evaluate", scheme, str(shuffled), "--format", form)
    assert status == 0
    expected = whole(name, form)
    if form == "csv":  # no source column: the same bytes
        assert out == expected
    else:  # the cited source rows moved with the shuffle; everything else is equal
        assert _without_sources(out) == _without_sources(expected)
        assert out != expected


def _without_sources(text: str) -> str:
    """The output without the rows each result cites and the decision record (which names
    the input files)."""
    text = re.sub(r'\n  "decision_record": \{\n.*?\n  \},', "", text, flags=re.S)
    return "\n".join(line for line in text.splitlines() if '"source":' not in line)


@pytest.mark.parametrize("name", SCHEMES)
def test_one_file_per_period_gives_the_same_output(tmp_path, capsys, name):
    header, rows = rows_of(name)
    periods = sorted({row[1] for row in rows})
    files = [
        str(write(tmp_path / f"{period}.csv", header, [r for r in rows if r[1] == period]))
        for period in periods
    ]
    scheme = str(ROOT / "schemes" / f"{name}.yaml")
    status, out, _ = cli(capsys, "evaluate", scheme, *files, "--format", "json")
    assert status == 0
    assert _without_sources(out) == _without_sources(whole(name, "json"))
    assert f"{files[0]}:2" in out  # each result cites its own file and row


def test_a_bad_record_in_a_late_period_writes_nothing(tmp_path, capsys):
    header, rows = rows_of("chengzhuang-ladder")
    rows.sort(key=lambda r: r[1])
    last = len(rows) - 1
    rows[last][header.index("key_01")] = "7"  # the item's max is 5
    rows[1][header.index("key_02")] = "x"
    path = write(tmp_path / "late.csv", header, rows)
    output = tmp_path / "out.csv"
    output.write_text("previous results\n", encoding="utf-8")
    status, out, err = cli(
        capsys, "evaluate", str(ROOT / "schemes" / "chengzhuang-ladder.yaml"), str(path),
        "--format", "csv", "--output", str(output),
    )  # fmt: skip
    assert status == 1
    assert out == ""
    assert output.read_text(encoding="utf-8") == "previous results\n"
    lines = err.splitlines()
    assert len(lines) == 2  # both problems, in the order of the file
    assert lines[0].startswith(f"{path}:3: key_02: subject {rows[1][0]!r}: key_02: 'x' is not")
    assert lines[1].startswith(f"{path}:{last + 2}: key_01: subject {rows[last][0]!r}: key_01 = 7")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late.csv", "out.csv"]


def test_stdout_shows_nothing_when_a_later_period_is_bad(tmp_path, capsys):
    header, rows = rows_of("chengzhuang-ladder")
    rows.sort(key=lambda r: r[1])
    rows[-1][header.index("line")] = "underground"
    path = write(tmp_path / "late.csv", header, rows)
    status, out, err = cli(
        capsys, "evaluate", str(ROOT / "schemes" / "chengzhuang-ladder.yaml"), str(path)
    )
    assert (status, out) == (1, "")
    assert "'underground' is not one of front, second, surface" in err


def test_iter_evaluate_ordered_streams_the_same_results():
    scheme = partyscore.load_scheme(ROOT / "schemes" / "yongxi-red-flag.yaml")
    records = partyscore.read_records(ROOT / "examples" / "yongxi-red-flag.csv", scheme)
    by_period = sorted(records, key=lambda r: r.period)
    expected = partyscore.evaluate(scheme, records)
    batches = list(iter_evaluate(scheme, iter(by_period), ordered=True))
    # One batch per period; the year-end results follow the last period of their year.
    assert [b.period for b in batches] == sorted({r.period for r in records})
    assert [r for b in batches for r in b] == list(expected.results)
    assert [w for b in batches for w in b.warnings] == list(expected.warnings)


def test_iter_evaluate_ordered_refuses_a_period_out_of_order():
    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    records = partyscore.read_records(ROOT / "examples" / "chengzhuang-ladder.csv", scheme)
    by_period = sorted(records, key=lambda r: r.period)
    late = by_period.pop(0)  # a 2024-Q1 record, given after every other period
    with pytest.raises(partyscore.RecordError) as info:
        list(iter_evaluate(scheme, [*by_period, late], ordered=True))
    (problem,) = info.value.diagnostics
    assert problem.code == "period-order"
    assert problem.message.startswith("a record for 2024-Q1 comes after records for 2024-Q4")


def test_csv_header_comes_from_the_scheme(tmp_path, capsys):
    # No rows at all: the header still names every column the scheme's results have.
    header, _ = rows_of("chengzhuang-ladder")
    path = write(tmp_path / "empty.csv", header, [])
    status, out, _ = cli(
        capsys, "evaluate", str(ROOT / "schemes" / "chengzhuang-ladder.yaml"), str(path),
        "--format", "csv",
    )  # fmt: skip
    assert status == 0
    assert next(csv.reader(io.StringIO(out))) == [
        "subject", "period", "kind", "group", "key", "basic", "innovation", "total",
        "coefficient", "step", "step_coefficient", "mine_rank", "rewards", "withheld",
        "ladder_pay_amount", "actions", "warnings",
    ]  # fmt: skip
