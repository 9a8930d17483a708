"""The decision record of every JSON, workbook and report output, and ``partyscore verify``,
which computes a JSON output again from it: identical for every shipped example, and every
changed scheme, input, history file or result caught and said.

Digests are checked against `hashlib.sha256` of the files' bytes; changed results against
values worked out here from the example's rows (sums and counts of greater totals), not by
the engine."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.commands import YONGXI_ITEMS as ITEMS
from tests.commands import run

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = sorted(p.stem for p in (ROOT / "schemes").glob("*.yaml") if ".test" not in p.name)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with schemes/ and examples/ copied in, as the working directory."""
    shutil.copytree(ROOT / "schemes", tmp_path / "schemes")
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def evaluate_json(capsys: pytest.CaptureFixture[str], name: str, *extra: str) -> Path:
    out = Path(f"{name}.json")
    status, _, err = run(
        capsys, "evaluate", f"schemes/{name}.yaml", f"examples/{name}.csv",
        "--format", "json", "-o", str(out), *extra,
    )  # fmt: skip
    assert status == 0, err
    return out


@pytest.mark.parametrize("name", SCHEMES)
def test_every_shipped_example_verifies_identical(
    copied: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    out = evaluate_json(capsys, name)
    data = json.loads(out.read_text(encoding="utf-8"))
    status, printed, err = run(capsys, "verify", str(out))
    assert (status, err) == (0, "")
    assert printed == (
        f"identical: {len(data['results'])} result(s) of {data['scheme']} version "
        f"{data['version']}, computed again\n"
    )


def test_the_record_names_every_file_by_its_digest(
    copied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = evaluate_json(capsys, "yongxi-red-flag", "--lang", "zh-Hans", "--skip-rows", "0")
    record = json.loads(out.read_text(encoding="utf-8"))["decision_record"]
    digest = record["scheme"].pop("sha256")
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert record == {
        "partyscore": "0.1.0",
        "scheme": {"id": "yongxi-red-flag", "version": 2, "path": "schemes/yongxi-red-flag.yaml"},
        "inputs": [
            {
                "path": "examples/yongxi-red-flag.csv",
                "sha256": sha256(copied / "examples" / "yongxi-red-flag.csv"),
            }
        ],
        "history_in": None,
        "overrides": None,
        "options": {
            "encoding": "auto",
            "sheet": None,
            "skip_rows": 0,
            "ignore_columns": [],
            "history_start": None,
            "lang": "zh-Hans",
        },
    }
    first = out.read_bytes()
    evaluate_json(capsys, "yongxi-red-flag", "--lang", "zh-Hans", "--skip-rows", "0")
    assert out.read_bytes() == first  # no clock, nothing random


def test_comments_layout_and_key_order_do_not_change_the_scheme_digest(
    copied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = evaluate_json(capsys, "yongxi-red-flag")
    scheme = copied / "schemes" / "yongxi-red-flag.yaml"
    text = scheme.read_text(encoding="utf-8")
    assert "rounding: {places: 2, mode: half_up}\n" in text
    text = text.replace(
        "rounding: {places: 2, mode: half_up}\n", "rounding:\n  mode: half_up\n  places: 2\n"
    )
    scheme.write_text("# a comment added\n" + text, encoding="utf-8")
    status, printed, _ = run(capsys, "verify", str(out))
    assert status == 0
    assert printed.startswith("identical: 140 result(s)")


def test_a_one_byte_change_in_the_scheme_is_reported_first(
    copied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = evaluate_json(capsys, "yongxi-red-flag")
    recorded = json.loads(out.read_text(encoding="utf-8"))["decision_record"]["scheme"]["sha256"]
    scheme = copied / "schemes" / "yongxi-red-flag.yaml"
    text = scheme.read_text(encoding="utf-8")
    assert text.count('full: "600"') == 1
    scheme.write_text(text.replace('full: "600"', 'full: "601"'), encoding="utf-8")
    status, printed, err = run(capsys, "verify", str(out))
    assert (status, err) == (1, "")
    lines = printed.splitlines()
    first = lines[0]
    assert first.startswith(
        f"scheme schemes/yongxi-red-flag.yaml has changed: SHA-256 {recorded} recorded, "
    )
    assert first.endswith(" now")
    assert len(first.split()[-2]) == 64
    assert first.split()[-2] != recorded
    # first places at 95 or more, alone, take 600 (now 601); two tied first share
    # (600 + 500) / 2 = 550, now (601 + 500) / 2 = 550.50
    firsts = winners(copied / "examples" / "yongxi-red-flag.csv")
    expected = []
    for period, (names, total) in firsts.items():
        if total < 95:
            continue
        amount = ("600.00", "601.00") if len(names) == 1 else ("550.00", "550.50")
        expected += [
            f"{n} {period}: rewards[rank_prize].amount: {amount[0]} in the file, "
            f"{amount[1]} computed"
            for n in names
        ]
    assert sorted(lines[1:-1]) == sorted(expected)
    assert len(expected) == 6
    assert lines[-1] == "6 differences"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def totals(path: Path) -> dict[tuple[str, str], Decimal]:
    return {
        (r["subject"], r["period"]): sum((Decimal(r[i]) for i in ITEMS), Decimal(0))
        for r in rows(path)
    }


def rank_of(path: Path) -> dict[tuple[str, str], int]:
    """Competition rank within the period: 1 + how many have a greater total."""
    total = totals(path)
    return {
        (s, p): 1 + sum(1 for (_, q), t in total.items() if q == p and t > v)
        for (s, p), v in total.items()
    }


def winners(path: Path) -> dict[str, tuple[list[str], Decimal]]:
    best: dict[str, tuple[list[str], Decimal]] = {}
    for (subject, period), total in totals(path).items():
        names, top = best.get(period, ([], Decimal(-1)))
        if total > top:
            best[period] = ([subject], total)
        elif total == top:
            names.append(subject)
    return best


def test_a_one_byte_change_in_an_input_is_reported_with_what_it_changes(
    copied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = evaluate_json(capsys, "yongxi-red-flag")
    example = copied / "examples" / "yongxi-red-flag.csv"
    recorded = sha256(example)
    before = rank_of(example)
    lines = example.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[7] == "上寨村,2024-Q1,19.5,13.5,9,9.5,9.5,9.5,9.5,4,5,5\n"  # total 94
    lines[7] = "上寨村,2024-Q1,19.5,13.5,8,9.5,9.5,9.5,9.5,4,5,5\n"  # one byte: 9 -> 8
    example.write_text("".join(lines), encoding="utf-8")
    after = rank_of(example)
    status, printed, _ = run(capsys, "verify", str(out))
    assert status == 1
    got = printed.splitlines()
    assert got[0] == (
        f"input examples/yongxi-red-flag.csv has changed: SHA-256 {recorded} recorded, "
        f"{sha256(example)} now"
    )
    moved = sorted(k for k in before if before[k] != after[k] and k[0] != "上寨村")
    assert [k[1] for k in moved] == ["2024-Q1"] * len(moved)
    expected = [
        "上寨村 2024-Q1: scores.indicators: 94 in the file, 93 computed",
        "上寨村 2024-Q1: scores.total: 94.00 in the file, 93.00 computed",
        f"上寨村 2024-Q1: ranks.village_rank: {before['上寨村', '2024-Q1']} in the file, "
        f"{after['上寨村', '2024-Q1']} computed",
        *(
            f"{s} {p}: ranks.village_rank: {before[s, p]} in the file, {after[s, p]} computed"
            for s, p in moved
        ),
    ]
    # the year-end mean of 上寨村's four quarters of 2024 drops by 1 / 4 point
    year = [v for (s, p), v in totals(example).items() if s == "上寨村" and p.startswith("2024")]
    mean_after = (sum(year, Decimal(0)) / 4).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    mean_before = ((sum(year, Decimal(0)) + 1) / 4).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    expected.append(
        f"上寨村 2024 (year_end): scores.annual_score: {mean_before} in the file, "
        f"{mean_after} computed"
    )
    for line in expected:
        assert line in got
    assert got[-1] == f"{len(got) - 2} differences"


def test_moved_files_are_given_again_and_keep_their_recorded_names(
    copied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = evaluate_json(capsys, "chengzhuang-ladder")
    archive = copied / "archive"
    archive.mkdir()
    scheme = (copied / "schemes" / "chengzhuang-ladder.yaml").rename(archive / "ladder.yaml")
    example = (copied / "examples" / "chengzhuang-ladder.csv").rename(archive / "2024.csv")
    status, printed, err = run(capsys, "verify", str(out))
    assert (status, printed) == (1, "")
    assert err == (
        "chengzhuang-ladder.json: decision_record: cannot find scheme "
        "schemes/chengzhuang-ladder.yaml that the decision record names (looked where it was "
        "and beside the results file): give it again with --scheme [file-not-found]\n"
    )
    status, printed, err = run(
        capsys, "verify", str(out), "--scheme", str(scheme), "--input", str(example)
    )
    assert (status, err) == (0, "")
    assert printed == "identical: 48 result(s) of chengzhuang-ladder version 1, computed again\n"


def test_files_are_looked_for_beside_the_results(
    copied: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = evaluate_json(capsys, "nanping-activity-day")
    elsewhere = copied / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    status, printed, _ = run(capsys, "verify", str(copied / out))
    assert status == 0
    assert printed.startswith("identical: ")


def test_an_edited_results_file_is_caught(copied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = evaluate_json(capsys, "chengzhuang-ladder")
    text = out.read_text(encoding="utf-8")
    data = json.loads(text, parse_float=str)
    first = data["results"][0]
    wanted = f'"total": {first["scores"]["total"]},'
    assert wanted in text
    out.write_text(text.replace(wanted, '"total": 99.50,', 1), encoding="utf-8")
    status, printed, _ = run(capsys, "verify", str(out))
    assert status == 1
    assert printed == (
        f"{first['subject']} {first['period']}: scores.total: 99.50 in the file, "
        f"{first['scores']['total']} computed\n1 difference\n"
    )
    out.write_text(text.replace("\n", "\r\n"), encoding="utf-8")
    status, printed, _ = run(capsys, "verify", str(out))
    assert (status, printed) == (
        1,
        "the results are the same, but the file is not byte for byte as partyscore writes "
        "them: it was changed after it was written\n",
    )


def test_the_recorded_options_are_used_again(
    copied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A title row above the header (--skip-rows 1) and a total column read past
    (--ignore-column): without them the input would not be read at all."""
    rows_of = (copied / "examples" / "chengzhuang-ladder.csv").read_text(encoding="utf-8")
    header, *body = rows_of.splitlines()
    sheet = copied / "titled.csv"
    sheet.write_text(
        "城庄 2024 考核表\n" + header + ",合计\n" + "".join(f"{r},\n" for r in body),
        encoding="utf-8",
    )
    out = copied / "titled.json"
    status, _, err = run(
        capsys, "evaluate", "schemes/chengzhuang-ladder.yaml", str(sheet), "--skip-rows", "1",
        "--ignore-column", "合计", "--format", "json", "-o", str(out),
    )  # fmt: skip
    assert status == 0, err
    options = json.loads(out.read_text(encoding="utf-8"))["decision_record"]["options"]
    assert (options["skip_rows"], options["ignore_columns"]) == (1, ["合计"])
    status, printed, _ = run(capsys, "verify", str(out))
    assert (status, printed) == (
        0,
        "identical: 48 result(s) of chengzhuang-ladder version 1, computed again\n",
    )


def test_a_history_file_is_recorded_and_checked(
    copied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = rows(copied / "examples" / "chengzhuang-ladder.csv")
    quarters = sorted({r["period"] for r in example})
    header = list(example[0])
    for q in quarters[:2]:
        with open(f"{q}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, header)
            writer.writeheader()
            writer.writerows(r for r in example if r["period"] == q)
    scheme = "schemes/chengzhuang-ladder.yaml"
    first, second = quarters[:2]
    assert run(
        capsys, "evaluate", scheme, f"{first}.csv", "--history-start", first,
        "--history-out", "h1.json", "--format", "json", "-o", "q1.json",
    )[0] == 0  # fmt: skip
    assert run(
        capsys, "evaluate", scheme, f"{second}.csv", "--history-in", "h1.json",
        "--format", "json", "-o", "q2.json",
    )[0] == 0  # fmt: skip
    record = json.loads(Path("q2.json").read_text(encoding="utf-8"))["decision_record"]
    assert record["history_in"] == {"path": "h1.json", "sha256": sha256(Path("h1.json"))}
    assert (
        json.loads(Path("q1.json").read_text(encoding="utf-8"))["decision_record"]["options"][
            "history_start"
        ]
        == first
    )
    assert run(capsys, "verify", "q1.json")[:2] == (
        0,
        "identical: 12 result(s) of chengzhuang-ladder version 1, computed again\n",
    )
    assert run(capsys, "verify", "q2.json")[:2] == (
        0,
        "identical: 12 result(s) of chengzhuang-ladder version 1, computed again\n",
    )
    Path("h1.json").write_text(Path("h1.json").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    status, printed, _ = run(capsys, "verify", "q2.json")
    assert status == 1
    assert printed.splitlines()[0].startswith("history h1.json has changed: SHA-256 ")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "{",
            "bad.json:1:2: not a JSON file of results: Expecting property name enclosed in "
            "double quotes [input-format]",
        ),
        ("[]", "bad.json: not a JSON file of results of partyscore evaluate [input-format]"),
        (
            '{"scheme": "x", "version": 1, "results": []}',
            "bad.json: decision_record: the file has no decision record: write it with "
            "'partyscore evaluate --format json' (which records the scheme and inputs), then "
            "verify that [no-decision-record]",
        ),
        (
            '{"results": [], "decision_record": {"partyscore": "0.1.0"}}',
            "bad.json: decision_record: the decision record is damaged: it is not as "
            "partyscore writes it [bad-decision-record]",
        ),
    ],
)
def test_a_file_that_is_not_a_recorded_output_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    content: str, expected: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    Path("bad.json").write_text(content, encoding="utf-8")
    assert run(capsys, "verify", "bad.json") == (1, "", expected + "\n")


def test_a_missing_results_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.json"
    status, out, err = run(capsys, "verify", str(missing))
    assert (status, out) == (1, "")
    assert err == f"{missing}: No such file or directory [unreadable]\n"


def test_the_workbook_and_the_report_carry_the_record(
    copied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("python_calamine")
    from python_calamine import CalamineWorkbook

    example = copied / "examples" / "yongxi-red-flag.csv"
    status, _, _ = run(
        capsys, "evaluate", "schemes/yongxi-red-flag.yaml", str(example.relative_to(copied)),
        "--format", "xlsx", "-o", "r.xlsx", "--lang", "en",
    )  # fmt: skip
    assert status == 0
    book = CalamineWorkbook.from_path("r.xlsx")
    assert book.sheet_names == ["results", "explanations", "decision record"]
    cells = book.get_sheet_by_name("decision record").to_python()
    assert cells[0] == ["field", "value"]
    assert cells[1] == ["partyscore", "0.1.0"]
    assert cells[2] == ["scheme", "yongxi-red-flag v2 (schemes/yongxi-red-flag.yaml)"]
    assert cells[3][0] == "scheme SHA-256"
    assert len(str(cells[3][1])) == 64
    assert cells[4] == ["input examples/yongxi-red-flag.csv", sha256(example)]
    assert len(cells) == 5  # no option differs from its default
    status, _, _ = run(
        capsys, "report", "schemes/yongxi-red-flag.yaml", "examples/yongxi-red-flag.csv",
        "-o", "r.html", "--lang", "zh-Hans",
    )  # fmt: skip
    assert status == 0
    html = Path("r.html").read_text(encoding="utf-8")
    assert "<h2>计算记录</h2>" in html
    assert f"<th>输入 examples/yongxi-red-flag.csv</th><td><code>{sha256(example)}</code>" in html
    start = html.index('<script type="application/json" id="decision-record">')
    data = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    assert json.loads(data)["inputs"] == [
        {"path": "examples/yongxi-red-flag.csv", "sha256": sha256(example)}
    ]


def test_a_tampered_record_is_caught(copied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = evaluate_json(capsys, "yongxi-red-flag")
    text = out.read_text(encoding="utf-8")
    marked = '"id": "yongxi-red-flag",\n      "version": 2,'
    assert marked in text
    out.write_text(
        text.replace(marked, '"id": "chengzhuang-ladder",\n      "version": 7,'), "utf-8"
    )
    status, printed, _ = run(capsys, "verify", str(out))
    assert (status, printed) == (
        1,
        "decision_record.scheme.id: chengzhuang-ladder in the file, yongxi-red-flag computed\n"
        "decision_record.scheme.version: 7 in the file, 2 computed\n"
        "2 differences\n",
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"skip_rows": null', '"skip_rows": "1"'),
        ('"skip_rows": null', '"skip_rows": true'),
        ('"lang": "en"', '"lang": "xx"'),
        ('"encoding": "auto"', '"encoding": null'),
        ('"history_start": null', '"history_start": 5'),
        ('"ignore_columns": []', '"ignore_columns": [1]'),
        ('"version": 2,\n      "path"', '"version": "2",\n      "path"'),
    ],
)
def test_a_damaged_option_is_refused(
    copied: Path, capsys: pytest.CaptureFixture[str], old: str, new: str
) -> None:
    out = evaluate_json(capsys, "yongxi-red-flag")
    text = out.read_text(encoding="utf-8")
    assert old in text
    out.write_text(text.replace(old, new, 1), "utf-8")
    assert run(capsys, "verify", str(out)) == (
        1,
        "",
        f"{out}: decision_record: the decision record is damaged: it is not as partyscore "
        "writes it [bad-decision-record]\n",
    )


def test_a_result_twice(copied: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = evaluate_json(capsys, "chengzhuang-ladder")
    data = json.loads(out.read_text(encoding="utf-8"))
    first = data["results"][0]
    data["results"].insert(1, first)
    out.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    status, printed, _ = run(capsys, "verify", str(out))
    assert status == 1
    assert f"{first['subject']} {first['period']}: more than once in the file" in printed


def test_an_encoding_python_does_not_know(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(
        capsys, "evaluate", str(ROOT / "schemes" / "yongxi-red-flag.yaml"),
        str(ROOT / "examples" / "yongxi-red-flag.csv"), "--encoding", "rot13", "--lang", "en",
    )  # fmt: skip
    assert (status, err) == (2, "partyscore: --encoding rot13: not a text encoding Python knows\n")
