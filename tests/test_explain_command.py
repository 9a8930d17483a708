"""``partyscore explain``: one subject's results for the person scored, rule by rule.

The Chengzhuang branch 綜掘一隊 across the four quarters of 2024, in English and in
Simplified Chinese, is asserted word for word (tests/data/explain/). Its numbers, worked
out by hand from rows 4, 16, 28 and 40 of examples/chengzhuang-ladder.csv:

- 2024-Q1: key 4.5 + 4.5 + 3.5 + 3.5 + 5 + 2.5 + 4 + 4 + 3.5 + 3 = 38, basic 34,
  innovation 1: total 73, in step1 [70, 80): 80 - 73 = 7 short of step2, 73 - 70 = 3 above
  no_step; key 38 < 40, so the coefficient is 0.7 and the pay 3000 x 0.7 = 2100 (a front
  line branch), and the secretary reflects at the meeting (總考核分低於70分或重點項得分低於40分);
- 2024-Q2: key 36, basic 22, innovation 0: total 58 < 60, the first quarter under 60: the
  admonition talk (誡勉談話), counted 2024-Q2; 58 < 70 (the minimum standard): the face
  link's reflection and mine-wide notice; 70 - 58 = 12 short of step1;
- 2024-Q3: key 34, basic 20, innovation 0: total 54, the second quarter in a row under 60:
  removal (免職), counted 2024-Q2 and 2024-Q3; 16 short of step1;
- 2024-Q4: key 40, basic 30, innovation 2: total 72, step1 again: 8 short of step2, 2 above
  no_step; key 40 is not under 40: the coefficient is step1's 0.8, the pay 2400.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from partyscore.cli import main
from tests.commands import run

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "explain"
LADDER = "schemes/chengzhuang-ladder.yaml"
LADDER_CSV = "examples/chengzhuang-ladder.csv"
YONGXI = "schemes/yongxi-red-flag.yaml"
YONGXI_CSV = "examples/yongxi-red-flag.csv"


with open(ROOT / YONGXI_CSV, encoding="utf-8", newline="") as _handle:
    YONGXI_SUBJECTS = {r["subject"] for r in csv.DictReader(_handle)}


@pytest.fixture(autouse=True)
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the account names the input as given


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_a_secretary_across_four_quarters_word_for_word(
    capsys: pytest.CaptureFixture[str], lang: str
) -> None:
    status, out, err = run(
        capsys, "explain", LADDER, LADDER_CSV, "--subject", "綜掘一隊", "--lang", lang
    )
    assert (status, err) == (0, "")
    expected = (DATA / f"chengzhuang-zongjue-1.{lang}.txt").read_text(encoding="utf-8")
    assert out == expected


def ladder_rows(subject: str) -> dict[str, dict[str, str]]:
    with open(ROOT / LADDER_CSV, encoding="utf-8", newline="") as handle:
        return {r["period"]: r for r in csv.DictReader(handle) if r["subject"] == subject}


def test_the_sections_are_the_rows_sums(capsys: pytest.CaptureFixture[str]) -> None:
    """Each section of the account is the sum of its row's items (capped at 45, 55, 10)."""
    status, out, _ = run(
        capsys, "explain", LADDER, LADDER_CSV, "--subject", "綜掘一隊", "--format", "json"
    )
    assert status == 0
    rows = ladder_rows("綜掘一隊")
    data = json.loads(out)
    assert [p["period"] for p in data["periods"]] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    for period in data["periods"]:
        row = rows[period["period"]]
        entries = {e["rule"]: e for e in period["entries"]}
        for section, prefix, cap in (("key", "key_", 45), ("basic", "basic_", 55),
                                     ("innovation", "innovation_", 10)):  # fmt: skip
            points = sum((Decimal(v) for k, v in row.items() if k.startswith(prefix)), Decimal(0))
            assert Decimal(entries[section]["value"]) == min(points, cap)


def test_the_json_account_gives_distances_ranks_and_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(
        capsys, "explain", LADDER, LADDER_CSV, "--subject", "綜掘一隊", "--period", "2024-Q1",
        "--format", "json",
    )  # fmt: skip
    assert status == 0
    (period,) = json.loads(out)["periods"]
    step = next(e for e in period["entries"] if e["rule"] == "step")
    assert (step["kind"], step["band"], step["bounds"]) == ("band", "step1", "[70, 80)")
    assert step["up"] == {"band": "step2", "bound": "80", "inclusive": True, "points": "7.00"}
    assert step["down"] == {"band": "no_step", "bound": "70", "inclusive": False, "points": "3.00"}
    pay = next(e for e in period["entries"] if e["rule"] == "ladder_pay")
    assert (pay["kind"], pay["amount"], pay["currency"]) == ("reward", "2100.00", "CNY")
    kinds = {e["rule"]: e["kind"] for e in period["entries"]}
    assert kinds["low_total_or_key"] == "action"
    assert kinds["face_link"] == "not_applied"


def test_an_escalation_names_the_periods_it_counted(capsys: pytest.CaptureFixture[str]) -> None:
    """古樓坪村 is last at 85 or below in 2024-Q1, Q2 and Q4 (not Q3): counted within the
    year, the fourth quarter is the third time (鄉紀委問責), from Q1, Q2 and Q4."""
    status, out, _ = run(
        capsys, "explain", YONGXI, YONGXI_CSV, "--subject", "古樓坪村", "--period", "2024-Q4",
        "--format", "json",
    )  # fmt: skip
    assert status == 0
    (period,) = json.loads(out)["periods"]
    entry = next(e for e in period["entries"] if e["rule"] == "last_and_low")
    assert (entry["kind"], entry["outcome"], entry["step"]) == (
        "action", "discipline_accountability", 3,
    )  # fmt: skip
    assert entry["counted"] == ["2024-Q1", "2024-Q2", "2024-Q4"]
    assert entry["counted_before"] == 0
    assert entry["notes"] == ["counted: 2024-Q1, 2024-Q2, 2024-Q4"]
    assert entry["source"].endswith("(3 次以上鄉紀委問責)")


def test_a_rank_names_the_subjects_tied(capsys: pytest.CaptureFixture[str]) -> None:
    with open(ROOT / YONGXI_CSV, encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["period"] == "2024-Q4"]
    items = list(rows[0])[2:]
    totals = {r["subject"]: sum((Decimal(r[i]) for i in items), Decimal(0)) for r in rows}
    mine = totals["中屯村"]
    tied = [s for s, t in totals.items() if t == mine and s != "中屯村"]
    assert tied == ["老鷹巖村"]  # both 96.5, the best of the quarter
    status, out, _ = run(
        capsys, "explain", YONGXI, YONGXI_CSV, "--subject", "中屯村", "--period", "2024-Q4"
    )
    assert status == 0
    assert "  village_rank: 1\n" in out
    assert "    tied with 老鷹巖村\n" in out
    assert "  reward 550.00 CNY (rule rank_prize)\n" in out  # (600 + 500) / 2


def test_a_score_on_a_bound(capsys: pytest.CaptureFixture[str]) -> None:
    """中屯村 has exactly 95 in 2025-Q2: the full prize level, and any lower score is half."""
    status, out, _ = run(
        capsys, "explain", YONGXI, YONGXI_CSV, "--subject", "中屯村", "--period", "2025-Q2"
    )
    assert status == 0
    assert "    on the bound: any lower score is half (below 95)\n" in out


def test_the_year_end(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "explain", YONGXI, YONGXI_CSV, "--subject", "中屯村", "--period", "2024"
    )
    assert status == 0
    lines = out.splitlines()
    assert lines[3].startswith("2024 (year end) (from examples/yongxi-red-flag.csv:3, ")
    assert "  annual_score: 93.13" in lines  # (88 + 95.5 + 92.5 + 96.5) / 4 = 93.125


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--subject", "無此村"],
            "examples/yongxi-red-flag.csv: no record of subject 無此村; the input has "
            + ", ".join(sorted(YONGXI_SUBJECTS))
            + " [unknown-subject]",
        ),
        (
            ["--subject", "中屯村", "--period", "2023-Q1"],
            "examples/yongxi-red-flag.csv: no result of 中屯村 for 2023-Q1; it has 2024-Q1, "
            "2024-Q2, 2024-Q3, 2024-Q4, 2024, 2025-Q1, 2025-Q2 [unknown-period]",
        ),
    ],
)
def test_an_unknown_subject_or_period(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    status, out, err = run(capsys, "explain", YONGXI, YONGXI_CSV, *args)
    assert (status, out) == (1, "")
    assert err == expected + "\n"


def test_the_subject_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["explain", YONGXI, YONGXI_CSV, "--lang", "en"])
    assert exit_.value.code == 2
    assert "the following arguments are required: --subject" in capsys.readouterr().err


def test_the_report_links_each_row_to_its_explanation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The notice's row of 綜掘一隊 in 2024-Q1 links to an explanation with what `explain`
    says: 80 - 73 = 7 points short of step2, 73 - 70 = 3 above no_step."""
    out = tmp_path / "notice.html"
    status, _, _ = run(
        capsys, "report", LADDER, LADDER_CSV, "--period", "2024-Q1", "--lang", "en",
        "-o", str(out),
    )  # fmt: skip
    assert status == 0
    html = out.read_text(encoding="utf-8")
    # (tests/test_report.py checks that each row links to its article)
    articles = html.split('<article class="explain"')[1:]
    (mine,) = [a.split("</article>", 1)[0] for a in articles if 'data-subject="綜掘一隊"' in a]
    assert '<dt data-rule="step">step: step1</dt>' in mine
    assert (
        '<span class="note">7.00 points short of step2 (80)</span><br>'
        '<span class="note">3.00 points above no_step (below 70)</span>'
    ) in mine
    assert '<dt class="not-applied" data-rule="face_link">face_link: not applied</dt>' in mine


def test_a_score_in_no_band(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bands below 60, (60, 80) and above 90, the rest unbanded (gap): 60 is just short of
    mid (above 60) and any lower score is low; 80 falls to mid below it and is 10 (more
    than 10) short of high; 90 is on high's exclusive bound."""
    from tests.scheme_text import head

    scheme = tmp_path / "edge.yaml"
    scheme.write_text(
        head("edge-bands", "edge bands", period="year")
        + "sections:\n  - id: s\n    items: [{id: x, max: 100}]\n"
        "scores:\n  - {id: total, expr: s}\n"
        "bands:\n  - id: g\n    score: total\n    bands:\n"
        "      - {id: low, below: 60}\n      - {id: mid, above: 60, below: 80}\n"
        "      - {id: high, above: 90}\n    unbanded: {id: gap}\n",
        encoding="utf-8",
    )
    records = tmp_path / "edge.csv"
    records.write_text("subject,period,x\na,2024,60\nb,2024,80\nc,2024,90\n", encoding="utf-8")
    notes = {}
    for subject in "abc":
        status, out, err = run(capsys, "explain", str(scheme), str(records), "--subject", subject,
                               "--format", "json")  # fmt: skip
        assert status == 0, err
        (period,) = json.loads(out)["periods"]
        notes[subject] = next(e for e in period["entries"] if e["rule"] == "g")["notes"]
    assert notes == {
        "a": ["more than 0.00 points short of mid (above 60)",
              "on the bound: any lower score is low (below 60)"],
        "b": ["more than 10.00 points short of high (above 90)",
              "on the bound: any lower score is mid (below 80)"],
        "c": ["more than 0.00 points short of high (above 90)",
              "10.00 points above mid (below 80)"],
    }  # fmt: skip
