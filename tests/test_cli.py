"""The `partyscore` command, run in-process through `partyscore.cli.main` (and once as a module).

Evaluation is checked against examples/chengzhuang-ladder.csv by hand from its rows and
schemes/chengzhuang-ladder.yaml:

- 綜採一隊 2024-Q1 (front line): key 5+5+5+5+5+4+4+3.5+3.5+4 = 44, basic 5+4+5+4+4+5+5+2.5+3.5+4+4+4
  = 50, innovation 2+1.5+0.5+1+1 = 6, total 100 (step3, coefficient 1.0); front line withholds
  3000, so ladder_pay = 3000 x 1.00 = 3000.00 CNY. Only 生產技術科 (45 + 53 + 8 = 106) scores
  higher that quarter: rank 2.
- 開拓隊 2024-Q1 (front line): key 30, basic 25, innovation 0, total 55: below the ladder
  (no_step), coefficient 0.7, ladder_pay 2100.00 CNY, last of 12; total < 70 (self-reflection),
  last place (face link: self-reflection and mine notice), total < 60 for the first time
  (admonition talk).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import partyscore
from partyscore.cli import main

ROOT = Path(__file__).parent.parent
SCHEME = str(ROOT / "schemes" / "chengzhuang-ladder.yaml")
EXAMPLE = str(ROOT / "examples" / "chengzhuang-ladder.csv")
FEATURES = (Path(__file__).parent / "data" / "features.yaml").read_text(encoding="utf-8")
HEADER = "subject,period,town,stage,w1,w2,extra,v1"

Captured = tuple[int, str, str]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Captured:
    """Exit status, stdout and stderr of one in-process run."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


def misspelt(tmp_path: Path, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    text = FEATURES.replace("expr: work,", "expr: wrok,").replace(
        "when: rk_last and total < 85", "when: rk_last and totl < 85"
    )
    path.write_text(text, encoding="utf-8")
    return path


def misspelt_lines(path: Path) -> list[str]:
    return [
        f"{path}:30:23: scores[total].expr: unknown name 'wrok'; did you mean 'work'? "
        "[expr-unknown-name]",
        f"{path}:59:23: actions[last_low].when: unknown name 'totl'; did you mean 'total'? "
        "[expr-unknown-name]",
    ]


def find(results: list[dict[str, Any]], subject: str, period: str) -> dict[str, Any]:
    (found,) = [r for r in results if (r["subject"], r["period"]) == (subject, period)]
    return found


# --------------------------------------------------------------------------- validate


def test_validate_shipped_schemes(capsys: pytest.CaptureFixture[str]) -> None:
    folder = ROOT / "schemes"
    count = len(
        [p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml")
         and not p.name.endswith(".test.yaml")]
    )
    assert count >= 1
    status, _, err = run(capsys, "validate", str(folder))
    assert status == 0
    assert err == f"{count} of {count} scheme files valid\n"


def test_validate_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = misspelt(tmp_path)
    status, out, err = run(capsys, "validate", str(bad))
    assert status == 1
    assert out.splitlines() == misspelt_lines(bad)
    assert err == "0 of 1 scheme files valid\n"


def test_validate_folder_with_good_and_bad(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "good.yaml").write_text(FEATURES, encoding="utf-8")
    bad = misspelt(tmp_path)
    status, out, err = run(capsys, "validate", str(tmp_path))
    assert status == 1
    assert out.splitlines() == misspelt_lines(bad)
    assert err == "1 of 2 scheme files valid\n"


def test_validate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.yaml"
    status, out, err = run(capsys, "validate", str(missing))
    assert status == 1
    assert out == f"{missing}: No such file or directory [unreadable]\n"
    assert err == "0 of 1 scheme files valid\n"


def test_validate_empty_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "validate", str(tmp_path))
    assert (status, out) == (1, "")
    assert err == f"partyscore: no scheme files found in {tmp_path}\n"


# --------------------------------------------------------------------------- evaluate: formats

# 開拓隊 is below 60 in 2024-Q1 (55) and 2024-Q2 (57), the example's first two quarters:
# its run of low quarters reaches back to the first one, and 2023-Q4 may have been low too
# (the scheme applies from 2016). In 2024-Q3 (52) the run of 3 is at the highest step.
KAITUO_WARNINGS = [
    f"開拓隊 2024-Q{n}: low_score: counted {n} in a row from 2024-Q1 on, but 2024-Q1 is the "
    "first period of the input and no history was carried in; with earlier periods the count "
    "may be higher"
    for n in (1, 2)
]
EXAMPLE_ERR = "".join(f"warning: {w}\n" for w in KAITUO_WARNINGS)


def test_evaluate_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "json")
    assert (status, err) == (0, EXAMPLE_ERR)
    document = json.loads(out)
    assert document["warnings"] == KAITUO_WARNINGS
    assert (document["scheme"], document["version"]) == ("chengzhuang-ladder", 1)
    results = document["results"]
    assert isinstance(results, list)
    assert len(results) == 48  # 12 branches x 4 quarters, no year-end rules
    for result in results:
        assert isinstance(result["subject"], str)
        assert isinstance(result["period"], str)
        for value in result["scores"].values():
            assert isinstance(value, int | float)
            assert not isinstance(value, bool)
        assert isinstance(result["band"], str)
        assert isinstance(result["rank"], int)
        for reward in result["rewards"]:
            assert isinstance(reward["id"], str)
            assert isinstance(reward["amount"], str)  # money stays exact text
            assert reward["currency"] == "CNY"
        for action in result["actions"]:
            assert isinstance(action["id"], str)
            assert isinstance(action["rule"], str)

    first = find(results, "綜採一隊", "2024-Q1")
    assert first["scores"] == {
        "key": 44, "basic": 50, "innovation": 6, "total": 100, "coefficient": 1
    }
    assert (first["band"], first["rank"]) == ("step3", 2)
    # scores are written with exactly their digits: total and coefficient keep two places
    exact = find(json.loads(out, parse_float=Decimal)["results"], "綜採一隊", "2024-Q1")
    assert [str(exact["scores"][k]) for k in ("total", "coefficient")] == ["100.00", "1.00"]
    assert first["values"] == {"step_coefficient": 1}
    assert [(r["id"], r["rule"], r["amount"], r["currency"]) for r in first["rewards"]] == [
        ("ladder_pay", "ladder_pay", "3000.00", "CNY")
    ]
    assert first["actions"] == []
    assert first["warnings"] == []

    last = find(results, "開拓隊", "2024-Q1")
    assert last["warnings"] == [KAITUO_WARNINGS[0].removeprefix("開拓隊 2024-Q1: ")]
    assert find(results, "開拓隊", "2024-Q3")["warnings"] == []
    assert last["scores"] == {
        "key": 30, "basic": 25, "innovation": 0, "total": 55, "coefficient": 0.7
    }
    assert (last["band"], last["rank"]) == ("no_step", 12)
    assert [(r["id"], r["amount"]) for r in last["rewards"]] == [("ladder_pay", "2100.00")]
    # self-reflection is decided by two rules (55 < 70, and last of twelve): taken once
    assert [(a["id"], a["rule"], a.get("rules")) for a in last["actions"]] == [
        ("self_reflection", "low_total_or_key", ["low_total_or_key", "face_link"]),
        ("mine_notice", "face_link_notice", None),
        ("admonition_talk", "low_score", None),
    ]
    assert last["actions"][0]["because"] == (
        "low_total_or_key: total < 70 or key < 40 with total=55.00, key=30; "
        "face_link: mine_rank_last or total < minimum_standard with mine_rank_last=true, "
        "total=55.00, minimum_standard=70"
    )


def test_evaluate_csv(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "csv")
    assert (status, err) == (0, EXAMPLE_ERR)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == [
        "subject", "period", "kind", "group",
        "key", "basic", "innovation", "total", "coefficient",
        "step", "step_coefficient", "mine_rank",
        "rewards", "withheld", "ladder_pay_amount", "actions", "warnings",
    ]
    assert len(rows) == 1 + 48
    # Listed as the table lists them: quarter by quarter, each in rank order.
    listed = [(row[1], int(row[11])) for row in rows[1:]]
    quarters = ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert listed == sorted(listed, key=lambda pair: (quarters.index(pair[0]), pair[1]))
    assert [row[1] for row in rows[1::12]] == quarters
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    (first,) = [r for r in table if (r["subject"], r["period"]) == ("綜採一隊", "2024-Q1")]
    assert first == {
        "subject": "綜採一隊", "period": "2024-Q1", "kind": "period", "group": "",
        "key": "44", "basic": "50", "innovation": "6", "total": "100.00",
        "coefficient": "1.00", "step": "step3", "step_coefficient": "1.0",
        "mine_rank": "2", "rewards": "ladder_pay", "withheld": "",
        "ladder_pay_amount": "3000.00", "actions": "", "warnings": "",
    }
    (last,) = [r for r in table if (r["subject"], r["period"]) == ("開拓隊", "2024-Q1")]
    assert last["actions"] == "self_reflection;mine_notice;admonition_talk"
    assert last["ladder_pay_amount"] == "2100.00"
    assert last["warnings"] == KAITUO_WARNINGS[0].removeprefix("開拓隊 2024-Q1: ")


def test_evaluate_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "table")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 2 + 48 + 2
    assert lines[-2:] == [f"warning: {w}" for w in KAITUO_WARNINGS]
    marked = [line.split()[:2] for line in lines if line.endswith(" [!]")]
    assert marked == [["開拓隊", "2024-Q1"], ["開拓隊", "2024-Q2"]]
    assert lines[0].split()[:3] == ["subject", "period", "group"]
    assert set(lines[1]) == {"-", " "}
    (first,) = [line for line in lines if line.startswith("綜採一隊") and "2024-Q1" in line]
    assert first.split() == [
        "綜採一隊", "2024-Q1", "44", "50", "6", "100.00", "1.00", "step3", "1.0", "2",
        "ladder_pay", "3000.00", "CNY", "-",
    ]


def test_table_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    _, table, _ = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "table")
    status, default, _ = run(capsys, "evaluate", SCHEME, EXAMPLE)
    assert (status, default) == (0, table)


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "results.json"
    status, out, err = run(
        capsys, "evaluate", SCHEME, EXAMPLE, "--format", "json", "--output", str(target)
    )
    assert (status, out, err) == (0, "", EXAMPLE_ERR)
    _, printed, _ = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "json")
    assert target.read_text(encoding="utf-8") == printed
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no temporary left over


def test_output_into_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "no-such-folder" / "results.csv"
    status, out, err = run(
        capsys, "evaluate", SCHEME, EXAMPLE, "--format", "csv", "-o", str(target)
    )
    assert (status, out) == (1, "")
    assert err == f"partyscore: cannot write {target}: No such file or directory\n"
    assert not target.exists()


def test_json_scores_are_always_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # w1 up to 10^8 with 10 decimal places: the work score 10000030.0000000001 has 18
    # significant digits, more than a float holds
    scheme = tmp_path / "s.yaml"
    scheme.write_text(
        FEATURES.replace("{id: w1, max: 60}", "{id: w1, max: 100000000}").replace(
            "expr: work, min: 0, max: 105", "expr: work, min: 0, max: 100000105"
        ),
        encoding="utf-8",
    )
    data = tmp_path / "r.csv"
    data.write_text(f"{HEADER}\nv-1,2024-Q1,x,a,10000000.0000000001,30,,false\n", "utf-8")
    status, out, _ = run(capsys, "evaluate", str(scheme), str(data), "--format", "json")
    assert status == 0
    scores = json.loads(out)["results"][0]["scores"]
    assert all(isinstance(v, int | float) for v in scores.values()), scores
    # written with exactly their digits: the total keeps its two places
    exact = json.loads(out, parse_float=Decimal)["results"][0]["scores"]
    assert exact == {"work": Decimal("10000030.0000000001"), "total": Decimal("10000030.00")}
    assert [str(v) for v in exact.values()] == ["10000030.0000000001", "10000030.00"]


# --------------------------------------------------------------------------- evaluate: errors


def bad_records(tmp_path: Path) -> Path:
    path = tmp_path / "bad.csv"
    path.write_text(
        f"{HEADER}\nv-1,2024-Q1,x,c,50,30,,false\nv-2,2024-Q1,y,a,99,30,,false\n",
        encoding="utf-8",
    )
    return path


def features(tmp_path: Path) -> str:
    path = tmp_path / "features.yaml"
    path.write_text(FEATURES, encoding="utf-8")
    return str(path)


def test_bad_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bad_records(tmp_path)
    status, out, err = run(capsys, "evaluate", features(tmp_path), str(data))
    assert (status, out) == (1, "")
    assert err.splitlines() == [
        f"{data}:2: stage: subject 'v-1': stage: 'c' is not one of a, b [bad-value]",
        f"{data}:3: w1: subject 'v-2': w1 = 99 is outside 0..60 [out-of-range]",
    ]


def test_stop_at_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bad_records(tmp_path)
    status, out, err = run(capsys, "evaluate", features(tmp_path), str(data), "--stop-at-first")
    assert (status, out) == (1, "")
    assert err.splitlines() == [
        f"{data}:2: stage: subject 'v-1': stage: 'c' is not one of a, b [bad-value]"
    ]


def test_stop_at_first_on_header_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "r.csv"
    data.write_text("subj,period,town,stage,w1,w3,extra,v1\nv-1,2024-Q1,x,a,1,2,,false\n", "utf-8")
    _, _, collected = run(capsys, "evaluate", features(tmp_path), str(data))
    status, _, stopped = run(capsys, "evaluate", features(tmp_path), str(data), "--stop-at-first")
    assert len(collected.splitlines()) == 4
    assert status == 1
    assert stopped.splitlines() == [f"{data}:1: subject: no 'subject' column [missing-column]"]


def test_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.csv"
    status, out, err = run(capsys, "evaluate", SCHEME, str(missing))
    assert (status, out) == (1, "")
    assert err == f"{missing}: No such file or directory [unreadable]\n"


def test_broken_scheme_in_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = misspelt(tmp_path)
    status, out, err = run(capsys, "evaluate", str(bad), EXAMPLE)
    assert (status, out) == (1, "")
    assert err.splitlines() == misspelt_lines(bad)


def test_encoding_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "gb.csv"
    data.write_bytes(f"{HEADER}\nv-1,2024-Q1,東鎮,a,50,30,,false\n".encode("gb18030"))
    # told to read UTF-8, the file is refused, with the encoding it reads as
    status, _, err = run(capsys, "evaluate", features(tmp_path), str(data), "--encoding", "utf-8")
    assert status == 1
    assert "it reads as GB18030: save it as UTF-8, or pass --encoding gb18030" in err
    for given in (["--encoding", "gb18030"], []):  # named, or found (auto)
        status, out, _ = run(
            capsys, "evaluate", features(tmp_path), str(data), *given, "--format", "json"
        )
        assert status == 0
        (result,) = [r for r in json.loads(out)["results"] if r["kind"] == "period"]
        assert (result["group"], result["scores"]["total"]) == ("東鎮", 80)


# --------------------------------------------------------------------------- help and usage


@pytest.mark.parametrize(
    ("argv", "example"),
    [
        ([], "  partyscore validate schemes\n"),
        (["validate"], "  partyscore validate schemes\n"),
        (
            ["evaluate"],
            "  partyscore evaluate schemes/chengzhuang-ladder.yaml "
            "examples/chengzhuang-ladder.csv\n",
        ),
    ],
    ids=["main", "validate", "evaluate"],
)
def test_help(capsys: pytest.CaptureFixture[str], argv: list[str], example: str) -> None:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    out, err = capsys.readouterr()
    assert info.value.code == 0
    assert err == ""
    assert out.startswith("usage: partyscore")
    assert "examples:\n" in out
    assert example in out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert (status, out) == (2, "")  # a usage error: the help goes to standard error
    assert err.startswith("usage: partyscore")
    assert "commands:" in err


def test_unknown_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["evaluate", SCHEME, EXAMPLE, "--format", "xml"])
    _, err = capsys.readouterr()
    assert info.value.code == 2
    assert "invalid choice: 'xml'" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    out, _ = capsys.readouterr()
    assert info.value.code == 0
    assert out == f"partyscore {partyscore.__version__}\n"


def test_module_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "partyscore.cli", "--help"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: partyscore")
    assert "partyscore validate schemes" in done.stdout
    assert done.stderr == ""
