"""Recorded overrides: decisions made by people after the rules ran, marked in every output,
counted by history rules, refused when they name nothing the run has.

Expected steps are worked out by hand from the example rows (see each test)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

import partyscore
from partyscore._overrides import OverrideError, read_overrides
from tests.commands import run

ROOT = Path(__file__).resolve().parent.parent
LADDER = ROOT / "schemes" / "chengzhuang-ladder.yaml"
LADDER_CSV = ROOT / "examples" / "chengzhuang-ladder.csv"
YONGXI = ROOT / "schemes" / "yongxi-red-flag.yaml"
YONGXI_CSV = ROOT / "examples" / "yongxi-red-flag.csv"

APPEAL = """\
overrides:
  - subject: 綜掘一隊
    period: 2024-Q2
    outcome: admonition_talk
    rule: low_score
    decision: remove
    reason: 申訴成立：第二季度重點項第10項漏記3分
    decided_by: 礦黨委
    decided_on: 2024-07-20
"""


def evaluated(scheme_path: Path, records: Path, overrides: Path | None) -> partyscore.Evaluation:
    scheme = partyscore.load_scheme(scheme_path)
    given = read_overrides(overrides, scheme) if overrides else None
    return partyscore.evaluate(scheme, partyscore.read_records(records, scheme), overrides=given)


def written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_removed_admonition_does_not_count_towards_the_next_step(tmp_path: Path) -> None:
    """綜掘一隊: 2024-Q2 total 36 + 22 + 0 = 58 < 60, the first quarter under 60 (誡勉談話);
    2024-Q3 total 34 + 20 + 0 = 54 < 60, the second in a row (免職). With the Q2 admonition
    removed on appeal, Q2 does not count: Q3 is the first quarter of a run, so its step is
    the admonition talk, not removal."""
    before = evaluated(LADDER, LADDER_CSV, None)
    assert before.get("綜掘一隊", "2024-Q2").action_ids() == [
        "self_reflection", "mine_notice", "admonition_talk",
    ]  # fmt: skip
    assert "removal" in before.get("綜掘一隊", "2024-Q3").action_ids()
    after = evaluated(LADDER, LADDER_CSV, written(tmp_path, "appeal.yaml", APPEAL))
    q2, q3 = after.get("綜掘一隊", "2024-Q2"), after.get("綜掘一隊", "2024-Q3")
    assert q2.action_ids() == ["self_reflection", "mine_notice"]
    assert q3.action_ids() == ["self_reflection", "mine_notice", "admonition_talk"]
    assert next(a for a in q3.actions if a.rule == "low_score").step == 1
    (mark,) = q2.overrides or ()
    assert (mark.original.id, mark.original.rule, mark.new) == (
        "admonition_talk",
        "low_score",
        None,
    )
    assert mark.override.reason == "申訴成立：第二季度重點項第10項漏記3分"
    assert (mark.override.decided_by, mark.override.decided_on) == ("礦黨委", "2024-07-20")
    # nothing else changes: every other result is the same
    for r in before.results:
        if r.subject != "綜掘一隊" or r.period not in ("2024-Q2", "2024-Q3"):
            other = after.get(r.subject, r.period)
            assert (other.scores, other.action_ids(), other.overrides) == (
                r.scores, r.action_ids(), (),
            )  # fmt: skip


def test_a_replaced_step_counts_as_that_step(tmp_path: Path) -> None:
    """開拓隊 is under 60 in 2024-Q1 (55), Q2 (57) and Q3 (52, with a major error): 誡勉談話,
    免職, 撤職. Q2's removal replaced by the admonition talk counts as the first step: Q3 is
    then the second in a row, removal (the dismissal needs the third)."""
    text = APPEAL.replace("綜掘一隊", "開拓隊").replace(
        "outcome: admonition_talk", "outcome: removal"
    )
    text = text.replace("decision: remove", "decision: replace\n    new: admonition_talk")
    after = evaluated(LADDER, LADDER_CSV, written(tmp_path, "o.yaml", text))
    assert "admonition_talk" in after.get("開拓隊", "2024-Q2").action_ids()
    q3 = after.get("開拓隊", "2024-Q3")
    assert "removal" in q3.action_ids()
    assert "dismissal" not in q3.action_ids()
    (mark,) = after.get("開拓隊", "2024-Q2").overrides or ()
    assert (mark.original.id, mark.new.id, mark.new.step) == ("removal", "admonition_talk", 1)
    assert mark.new.override is mark  # the outcome that stands carries its mark


def test_a_removal_within_the_year_and_at_year_end(tmp_path: Path) -> None:
    """古樓坪村 is last at 85 or below in 2024-Q1 (78), Q2 (81) and Q4 (79): statement,
    year-end ineligibility, discipline commission. With Q2's ineligibility removed, Q4 is the
    second time: ineligibility; the year end reads the counts 1, 1, 0, 2 (max 2)."""
    overrides = written(
        tmp_path, "o.csv",
        "subject,period,outcome,rule,decision,reason,decided_by,decided_on\n"
        "古樓坪村,2024-Q2,year_end_ineligible,last_and_low,remove,複查：第二季度得分應為86分,"
        "鄉黨委,2024-07-10\n",
    )  # fmt: skip
    after = evaluated(YONGXI, YONGXI_CSV, overrides)
    assert after.get("古樓坪村", "2024-Q2").action_ids() == []
    assert after.get("古樓坪村", "2024-Q4").action_ids() == ["year_end_ineligible"]
    year_end = after.get("古樓坪村", "2024")
    assert "year_end_ineligible" in year_end.action_ids()
    because = next(a for a in year_end.actions if a.rule == "year_end_eligibility").because
    assert because == "max(last_and_low) >= 2 with last_and_low=[1, 1, 0, 2]"


def test_a_removed_red_flag_cancels_the_subsidy(tmp_path: Path) -> None:
    """中屯村's one red flag of 2024 is 2024-Q4's (tied first at 96.5 with 老鷹巖村). Without
    it the branch has no flag in 2024: the performance subsidy is cancelled and it must
    rectify (凡評不上“流動紅旗”的,取消黨組織當年績效補貼,並責令村黨組織限期整改)."""
    before = evaluated(YONGXI, YONGXI_CSV, None).get("中屯村", "2024")
    assert before.action_ids() == []
    text = (
        "overrides:\n  - {subject: 中屯村, period: 2024-Q4, outcome: red_flag, decision: remove,\n"
        "     reason: 經查材料不實, decided_by: 鄉黨委, decided_on: 2025-01-08}\n"
    )
    after = evaluated(YONGXI, YONGXI_CSV, written(tmp_path, "o.yaml", text))
    assert after.get("中屯村", "2024").action_ids() == [
        "performance_subsidy_cancelled",
        "rectification",
    ]
    assert after.get("老鷹巖村", "2024-Q4").reward("red_flag") is not None


def test_a_money_reward_replaced(tmp_path: Path) -> None:
    """中屯村 and 老鷹巖村 tie first in 2024-Q4 at 96.5: (600 + 500) / 2 = 550 each. A
    decision that 中屯村 was first alone pays it 600; 老鷹巖村 keeps its 550."""
    text = (
        "overrides:\n  - {subject: 中屯村, period: 2024-Q4, outcome: rank_prize, "
        'decision: replace, amount: "600", reason: 複核, decided_by: 鄉黨委, '
        "decided_on: 2025-01-08}\n"
    )
    after = evaluated(YONGXI, YONGXI_CSV, written(tmp_path, "o.yaml", text))
    prize = after.get("中屯村", "2024-Q4").reward("rank_prize")
    assert prize is not None
    assert (str(prize.amount), prize.currency) == ("600.00", "CNY")
    assert str(prize.override.original.amount) == "550.00"
    other = after.get("老鷹巖村", "2024-Q4").reward("rank_prize")
    assert other is not None
    assert str(other.amount) == "550.00"


def test_every_output_marks_the_override(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = written(tmp_path, "appeal.yaml", APPEAL)
    line = (
        "admonition_talk removed (low_score): 申訴成立：第二季度重點項第10項漏記3分; "
        "decided by 礦黨委 on 2024-07-20"
    )
    args = ("evaluate", str(LADDER), str(LADDER_CSV), "--overrides", str(path), "--lang", "en")
    status, out, _ = run(capsys, *args, "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["decision_record"]["overrides"] == {
        "path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }  # fmt: skip
    q2 = next(r for r in data["results"] if (r["subject"], r["period"]) == ("綜掘一隊", "2024-Q2"))
    (mark,) = q2["overrides"]
    assert {
        k: mark[k]
        for k in (
            "outcome",
            "rule",
            "decision",
            "new",
            "reason",
            "decided_by",
            "decided_on",
            "line",
            "now",
        )
    } == {
        "outcome": "admonition_talk",
        "rule": "low_score",
        "decision": "remove",
        "new": None,
        "reason": "申訴成立：第二季度重點項第10項漏記3分",
        "decided_by": "礦黨委",
        "decided_on": "2024-07-20",
        "line": 2,
        "now": None,
    }
    assert mark["original"]["id"] == "admonition_talk"
    assert all(r["overrides"] == [] for r in data["results"] if r is not q2)
    status, out, _ = run(capsys, *args, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["overrides"] for r in rows if r["overrides"]] == [line]
    status, out, _ = run(capsys, *args)
    assert out.splitlines()[-1] == f"override: 綜掘一隊 2024-Q2: {line}"
    results = tmp_path / "r.json"
    assert run(capsys, *args, "--format", "json", "-o", str(results))[0] == 0
    assert run(capsys, "verify", str(results))[:2] == (
        0, "identical: 48 result(s) of chengzhuang-ladder version 1, computed again\n",
    )  # fmt: skip
    path.write_text(APPEAL.replace("2024-07-20", "2024-07-21"), encoding="utf-8")
    status, out, _ = run(capsys, "verify", str(results))
    assert status == 1
    assert out.splitlines()[0].startswith(f"overrides {path} has changed: SHA-256 ")


def test_the_explanation_says_what_was_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = written(tmp_path, "appeal.yaml", APPEAL)
    status, out, _ = run(
        capsys, "explain", str(LADDER), str(LADDER_CSV), "--overrides", str(path),
        "--subject", "綜掘一隊", "--period", "2024-Q2", "--lang", "en",
    )  # fmt: skip
    assert status == 0
    lines = out.splitlines()
    at = lines.index("  low_score: removed by an override")
    assert lines[at + 1] == (
        "    total < 60 or key < 35 with total=58.00, key=36; 1st consecutive quarter "
        "(step from 1st)"
    )
    assert lines[at + 2] == (
        "    admonition_talk removed (low_score): 申訴成立：第二季度重點項第10項漏記3分; "
        "decided by 礦黨委 on 2024-07-20"
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            "{subject: a, period: 2024-Q2, outcome: admonition_talk, decision: remove, "
            "reason: r, decided_by: b, decided_on: c}",
            "o.yaml:2: overrides: admonition_talk is given by low_score, inaction_minor: "
            "name the rule (rule: ...) [ambiguous-outcome]",
        ),
        (
            "{subject: a, period: 2024-Q2, outcome: praise, decision: remove, "
            "reason: r, decided_by: b, decided_on: c}",
            "o.yaml:2: overrides: the scheme gives no outcome praise; it gives "
            "admonition_talk, dismissal, ladder_pay, mine_notice, removal, self_reflection "
            "[unknown-outcome]",
        ),
        (
            "{subject: a, period: 2024-Q2, outcome: removal, rule: face_link, decision: remove, "
            "reason: r, decided_by: b, decided_on: c}",
            "o.yaml:2: overrides: rule face_link does not give removal [unknown-rule]",
        ),
        (
            "{subject: a, period: 2024-05, outcome: ladder_pay, decision: remove, "
            "reason: r, decided_by: b, decided_on: c}",
            "o.yaml:2: overrides: 2024-05 is not a quarter label (ladder_pay is a period "
            "outcome) [override-period]",
        ),
        (
            "{subject: a, period: 2024-Q2, outcome: removal, rule: low_score, decision: replace, "
            "new: self_reflection, reason: r, decided_by: b, decided_on: c}",
            "o.yaml:2: overrides: removal of low_score is replaced by another of its steps: "
            "new: one of admonition_talk, dismissal [override-replace]",
        ),
        (
            "{subject: a, period: 2024-Q2, outcome: ladder_pay, decision: replace, "
            "reason: r, decided_by: b, decided_on: c}",
            "o.yaml:2: overrides: ladder_pay is money: replace it with amount: a number from 0 "
            "to 1000000000000 [override-replace]",
        ),
        (
            "{subject: a, period: 2024-Q2, outcome: mine_notice, decision: replace, new: x, "
            "reason: r, decided_by: b, decided_on: c}",
            "o.yaml:2: overrides: mine_notice can only be removed: replace takes another step "
            "of an escalation or an amount of a money reward [override-replace]",
        ),
        (
            "{subject: a, period: 2024-Q2, outcome: mine_notice, decision: remove, "
            "reason: '  ', decided_by: b, decided_on: c}",
            "o.yaml:2: overrides: reason is empty [override-field]",
        ),
        (
            "{subject: a, period: 2024-Q2, outcome: mine_notice, decision: remove, "
            "reason: r, decided_by: b}",
            "o.yaml:2:5: overrides[0]: missing required key 'decided_on' [missing-key]",
        ),
    ],
)
def test_an_override_the_scheme_cannot_have_is_refused(
    tmp_path: Path, entry: str, expected: str
) -> None:
    path = written(tmp_path, "o.yaml", f"overrides:\n  - {entry}\n")
    scheme = partyscore.load_scheme(LADDER)
    with pytest.raises(OverrideError) as raised:
        read_overrides(str(path), scheme)
    assert raised.value.render().replace(str(tmp_path) + "/", "") == expected


def test_two_overrides_of_one_outcome(tmp_path: Path) -> None:
    path = written(tmp_path, "o.yaml", APPEAL + APPEAL.split("\n", 1)[1])
    with pytest.raises(OverrideError) as raised:
        read_overrides(str(path), partyscore.load_scheme(LADDER))
    assert raised.value.render() == (
        f"{path}:10: overrides: a second override of admonition_talk for 綜掘一隊 in 2024-Q2 "
        "(line 2) [duplicate-override]"
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("綜掘一隊", "無此隊"),
            "o.yaml:2: overrides: no record of subject 無此隊 in 2024-Q2 [unknown-subject]",
        ),
        (
            ("2024-Q2", "2023-Q2"),
            "o.yaml:2: overrides: the run has no result for 綜掘一隊 in 2023-Q2 [unknown-period]",
        ),
        (
            ("2024-Q2", "2024-Q4"),
            "o.yaml:2: overrides: 綜掘一隊 has no admonition_talk in 2024-Q4; it has ladder_pay "
            "[unknown-outcome]",
        ),
    ],
)
def test_an_override_the_run_does_not_have_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], expected: str
) -> None:
    path = written(tmp_path, "o.yaml", APPEAL.replace(*change))
    out = tmp_path / "r.json"
    status, printed, err = run(
        capsys, "evaluate", str(LADDER), str(LADDER_CSV), "--overrides", str(path),
        "--format", "json", "-o", str(out),
    )  # fmt: skip
    assert (status, printed) == (1, "")
    assert err.replace(str(tmp_path) + "/", "") == expected + "\n"
    assert not out.exists()  # nothing written


def test_a_csv_with_an_unknown_column(tmp_path: Path) -> None:
    path = written(tmp_path, "o.csv", "subject,period,outcome,decison\n")
    with pytest.raises(OverrideError) as raised:
        read_overrides(str(path), partyscore.load_scheme(LADDER))
    assert raised.value.render() == f"{path}:1: unknown column 'decison' [unknown-key]"


def test_the_columnar_engine_refuses_overrides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = written(tmp_path, "appeal.yaml", APPEAL)
    status, _, err = run(
        capsys, "evaluate", str(LADDER), str(LADDER_CSV), "--engine", "columnar",
        "--format", "csv", "--overrides", str(path), "--lang", "en",
    )  # fmt: skip
    assert status == 2
    assert "--overrides" in err


def test_one_decision_per_outcome(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """開拓隊's 2024-Q1 admonition replaced by removal, then that removal removed: the rules
    never gave a removal in 2024-Q1, so the second decision is refused."""
    path = written(
        tmp_path, "o.csv",
        "subject,period,outcome,rule,decision,new,reason,decided_by,decided_on\n"
        "開拓隊,2024-Q1,admonition_talk,low_score,replace,removal,x,y,z\n"
        "開拓隊,2024-Q1,removal,low_score,remove,,x,y,z\n",
    )  # fmt: skip
    status, out, err = run(capsys, "evaluate", str(LADDER), str(LADDER_CSV), "--overrides",
                           str(path), "--lang", "en")  # fmt: skip
    assert (status, out) == (1, "")
    assert err == (
        f"{path}:3: overrides: 開拓隊 has no removal in 2024-Q1; it has admonition_talk, "
        "ladder_pay, mine_notice, self_reflection [unknown-outcome]\n"
    )
    path.write_text(
        "subject,period,outcome,rule,decision,new,reason,decided_by,decided_on\n"
        "開拓隊,2024-Q1,admonition_talk,low_score,replace,removal,x,y,z\n"
        "開拓隊,2024-Q1,admonition_talk,low_score,remove,,x,y,z\n",
        encoding="utf-8",
    )
    status, _, err = run(capsys, "evaluate", str(LADDER), str(LADDER_CSV), "--overrides",
                         str(path))  # fmt: skip
    assert status == 1
    assert "[duplicate-override]" in err


def test_rows_out_of_period_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Shuffled rows are sorted into periods first (spill files); the overrides apply to
    whole periods, as with the rows in order."""
    rows = LADDER_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    shuffled = written(tmp_path, "shuffled.csv", rows[0] + "".join(reversed(rows[1:])))
    path = written(tmp_path, "appeal.yaml", APPEAL)
    outputs = []
    for records in (LADDER_CSV, shuffled):
        status, out, err = run(capsys, "evaluate", str(LADDER), str(records), "--overrides",
                               str(path), "--format", "csv")  # fmt: skip
        assert (status, err.count("[")) == (0, 0), err
        outputs.append(sorted(out.splitlines()))
    assert outputs[0] == outputs[1]
    assert any("admonition_talk removed (low_score)" in line for line in outputs[1])


def test_amounts_round_as_the_rule_rounds(tmp_path: Path) -> None:
    """rank_prize rounds down to the fen: 123.456 is paid as 123.45 (half up would give
    123.46)."""
    path = written(
        tmp_path, "o.csv",
        "subject,period,outcome,decision,amount,reason,decided_by,decided_on\n"
        "芽溪村,2024-Q1,rank_prize,replace,123.456,x,y,z\n",
    )  # fmt: skip
    prize = evaluated(YONGXI, YONGXI_CSV, path).get("芽溪村", "2024-Q1").reward("rank_prize")
    assert prize is not None
    assert str(prize.amount) == "123.45"
    assert prize.because.endswith(
        "-> 600.00 CNY; the rules gave rank_prize 600.00 CNY, replaced by decision: x"
    )
    path.write_text(path.read_text(encoding="utf-8").replace("123.456", "1e100"), "utf-8")
    with pytest.raises(OverrideError) as raised:
        read_overrides(str(path), partyscore.load_scheme(YONGXI))
    assert "[override-replace]" in raised.value.render()


def test_yaml_numbers_and_dates_are_read_as_written(tmp_path: Path) -> None:
    """`period: 2024` (a year end), `amount: 2100.5`, `decided_on: 20250120` are numbers to
    YAML and text to an override; 中屯村 has no red flag in 2024 once its 2024-Q4 flag is
    removed, so its year end cancels the subsidy, which a second decision lifts."""
    path = written(
        tmp_path, "o.yaml",
        "overrides:\n"
        "  - {subject: 中屯村, period: 2024-Q4, outcome: red_flag, decision: remove,\n"
        "     reason: r, decided_by: b, decided_on: 20250120}\n"
        "  - {subject: 中屯村, period: 2024, outcome: performance_subsidy_cancelled,\n"
        "     decision: remove, reason: r, decided_by: b, decided_on: 2025-01-20}\n",
    )  # fmt: skip
    after = evaluated(YONGXI, YONGXI_CSV, path)
    assert after.get("中屯村", "2024").action_ids() == ["rectification"]
    (mark,) = after.get("中屯村", "2024").overrides or ()
    assert mark.override.decided_on == "2025-01-20"
    (flag,) = after.get("中屯村", "2024-Q4").overrides or ()
    assert flag.override.decided_on == "20250120"


def test_a_gb18030_csv(tmp_path: Path) -> None:
    path = tmp_path / "o.csv"
    path.write_bytes(
        (
            "subject,period,outcome,rule,decision,reason,decided_by,decided_on\n"
            "綜掘一隊,2024-Q2,admonition_talk,low_score,remove,申诉成立,矿党委,2024-07-20\n"
        ).encode("gb18030")
    )
    (override,) = read_overrides(str(path), partyscore.load_scheme(LADDER)).entries
    assert (override.reason, override.decided_by) == ("申诉成立", "矿党委")


def test_verify_reads_moved_overrides_under_their_recorded_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    written(tmp_path, "appeal.yaml", APPEAL)
    status, _, _ = run(capsys, "evaluate", str(LADDER), str(LADDER_CSV), "--overrides",
                       "appeal.yaml", "--format", "json", "-o", "r.json")  # fmt: skip
    assert status == 0
    (tmp_path / "kept").mkdir()
    (tmp_path / "appeal.yaml").rename(tmp_path / "kept" / "appeal.yaml")
    status, out, _ = run(capsys, "verify", "r.json", "--overrides", "kept/appeal.yaml")
    assert (status, out) == (
        0, "identical: 48 result(s) of chengzhuang-ladder version 1, computed again\n",
    )  # fmt: skip
    status, _, err = run(capsys, "verify", "r.json", "--history-in", "kept/appeal.yaml")
    assert status == 1
    assert "--history-in kept/appeal.yaml: the decision record names no such file" in err
