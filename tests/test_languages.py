"""Languages: the locale and --lang, labels in Simplified and Traditional Chinese, and the
zh-Hans table word for word."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

import partyscore
from partyscore._i18n import label_text, lang_from_env
from partyscore.cli import main
from partyscore.models import Label

ROOT = Path(__file__).resolve().parent.parent
YONGXI = str(ROOT / "schemes" / "yongxi-red-flag.yaml")
YONGXI_CSV = ROOT / "examples" / "yongxi-red-flag.csv"


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh-Hans"),
        ({"LANG": "zh_SG.UTF-8"}, "zh-Hans"),
        ({"LANG": "zh_TW.UTF-8"}, "zh-Hant"),
        ({"LANG": "zh_HK.Big5"}, "zh-Hant"),
        ({"LANG": "zh_Hant_TW.UTF-8"}, "zh-Hant"),
        ({"LANG": "zh"}, "zh-Hans"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "zhuang_XX.UTF-8"}, "en"),  # not Chinese for starting with zh
        ({}, "en"),
        # gettext's order: LC_ALL before LC_MESSAGES before LANG; empty values are skipped
        ({"LC_ALL": "zh_TW.UTF-8", "LANG": "zh_CN.UTF-8"}, "zh-Hant"),
        ({"LC_ALL": "", "LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_the_locale_chooses_the_language(environ: dict[str, str], lang: str) -> None:
    assert lang_from_env(environ) == lang


def test_a_label_in_one_chinese_form_is_shown_in_the_other_through_opencc() -> None:
    traditional = Label.model_validate({"zh-Hant": "黨組織建設", "en": "party building"})
    assert label_text(traditional, "x", "zh-Hans") == "党组织建设"
    assert label_text(traditional, "x", "zh-Hant") == "黨組織建設"
    assert label_text(traditional, "x", "en") == "party building"
    simplified = Label.model_validate({"zh-Hans": "流动红旗", "en": "red flag"})
    assert label_text(simplified, "x", "zh-Hant") == "流動紅旗"
    both = Label.model_validate({"zh-Hant": "獎勵", "zh-Hans": "奖金", "en": "prize"})
    assert label_text(both, "x", "zh-Hans") == "奖金"  # what the scheme gives wins
    assert label_text(None, "step3", "zh-Hans") == "step3"


def test_a_label_needs_a_chinese_form() -> None:
    with pytest.raises(ValueError, match="a label needs zh-Hans or zh-Hant"):
        Label.model_validate({"en": "prize"})


def test_language_outside_the_three_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown language 'fr'"), partyscore.language("fr"):
        pass


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "--help"],
        ["schema", "--help"],
        ["test", "--help"],
        ["evaluate", "--help"],
        ["report", "--help"],
        ["template", "--help"],
        ["--help"],
    ],
)
def test_every_command_takes_lang(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--lang", "zh-Hans", *command])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("用法：partyscore")
    with pytest.raises(SystemExit):
        main([*command[:-1], "--lang", "zh-Hant", "--help"])
    assert capsys.readouterr().out.startswith("用法：partyscore")


def _quarter_sums(period: str) -> dict[str, Decimal]:
    """Each branch's ten indicators added up, straight from the example CSV."""
    with YONGXI_CSV.open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["period"] == period]
    items = [k for k in rows[0] if k not in ("subject", "period")]
    return {r["subject"]: sum((Decimal(r[k]) for k in items), Decimal(0)) for r in rows}


def test_the_zh_hans_table_word_for_word(capsys: pytest.CaptureFixture[str]) -> None:
    sums = _quarter_sums("2024-Q1")
    top = sorted(sums, key=lambda s: -sums[s])[:4]
    # 芽溪村 20+15+10+9+10+9.5+9.5+4.5+5+5 = 97.5; 湧溪村 18+15+10+10+8.5+9.5+9+5+5+5 = 95;
    # 坪寨村 18.5+14.5+10+9+9+9+10+4.5+5+5 = 94.5; the fourth is below 94.5 (no tie).
    assert top[:3] == ["芽溪村", "湧溪村", "坪寨村"]
    assert [sums[s] for s in top[:3]] == [Decimal("97.5"), Decimal("95.0"), Decimal("94.5")]
    assert sums[top[3]] < Decimal("94.5")
    status = main([
        "evaluate", YONGXI, str(YONGXI_CSV), "--lang", "zh-Hans", "--history-start", "2024-Q1",
    ])  # fmt: skip
    assert status == 0
    lines = capsys.readouterr().out.splitlines()
    cells = [re.split(r"\s{2,}", line.strip()) for line in lines[:5]]
    # Labels from the scheme (zh-Hant) in Simplified characters; the fixed words from the
    # zh-Hans catalogue. Prizes: first at 95+ 600, second at 95+ 500, third in [85, 95)
    # half of 400 = 200; the red flag to the first place.
    assert cells[0] == [
        "村党支部", "期间", "分组", "十项考核指标", "考核得分", "年度综合评价得分", "奖励档次",
        "全乡村支部排名", "奖励", "处理",
    ]  # fmt: skip
    assert set(lines[1]) == {"-", " "}
    assert cells[2] == [
        "芽溪村", "2024-Q1", "97.5", "97.50", "95分以上(全额)", "1",
        "前三名奖励 600.00元, 流动红旗", "-",
    ]  # fmt: skip
    assert cells[3] == [
        "湧溪村", "2024-Q1", "95", "95.00", "95分以上(全额)", "2", "前三名奖励 500.00元", "-",
    ]  # fmt: skip
    assert cells[4] == [
        "坪寨村", "2024-Q1", "94.5", "94.50", "85—95分(减半)", "3", "前三名奖励 200.00元", "-",
    ]  # fmt: skip


def test_json_and_csv_stay_english_under_a_chinese_locale(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    args = ["evaluate", YONGXI, str(YONGXI_CSV), "--history-start", "2024-Q1"]
    assert main([*args, "--format", "csv"]) == 0
    header = next(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert header[:4] == ["subject", "period", "kind", "group"]
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    first = data["results"][0]
    assert first["explain"]["village_rank"].startswith("rank ")
    # With --lang, the CSV is for people: labels and Chinese explanations.
    assert main([*args, "--format", "csv", "--lang", "zh-Hans"]) == 0
    header = next(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert header[:4] == ["村党支部", "期间", "类型", "分组"]
    # The table is for people: the locale's language.
    assert main(args) == 0
    assert capsys.readouterr().out.startswith("村党支部")


def test_a_zh_hans_error_word_for_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = Path(YONGXI).read_text(encoding="utf-8")
    assert text.count("expr: indicators\n") == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("expr: indicators\n", "expr: indicatorz\n"), encoding="utf-8")
    line = text[: text.index("expr: indicators\n")].count("\n") + 1
    assert main(["validate", "--lang", "zh-Hans", str(bad)]) == 1
    out, err = capsys.readouterr()
    # The place, key path and code as in English; the sentence in Chinese.
    assert out == (
        f"{bad}:{line}:11: scores[total].expr: 未知名称'indicatorz'；是否应为 'indicators'？ "
        "[expr-unknown-name]\n"
    )
    assert err == "1个方案文件中0个有效\n"
    assert main(["validate", "--lang", "zh-Hant", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert "未知名稱'indicatorz'；是否應為 'indicators'？" in out
    assert err == "1個方案檔案中0個有效\n"


def test_a_sheet_headed_in_simplified_chinese_is_read(tmp_path: Path) -> None:
    # The Yongxi scheme gives its labels in Traditional Chinese only; a secretary's sheet
    # in Simplified characters, headed with partyscore's own word for the period.
    header = (
        "村党支部,期间,党组织建设,扶贫工作,计生工作,综治维稳,安全生产工作,民政民生,"
        "同步小康驻村及“暖心秘书”工作,整脏治乱,财政税收,乡党委中心工作"
    )
    lines = YONGXI_CSV.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "simplified.csv"
    path.write_text("\n".join([header, *lines[1:]]) + "\n", encoding="utf-8")
    scheme = partyscore.load_scheme(YONGXI)
    records = partyscore.read_records(path, scheme)
    evaluation = partyscore.evaluate(scheme, records)
    first = evaluation.get("芽溪村", "2024-Q1")
    assert first.scores["total"] == Decimal("97.50")  # 20+15+10+9+10+9.5+9.5+4.5+5+5
    assert len(records) == len(lines) - 1


def test_band_fields_are_headed_by_their_labels(capsys: pytest.CaptureFixture[str]) -> None:
    ladder = str(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    example = str(ROOT / "examples" / "chengzhuang-ladder.csv")
    assert main(["evaluate", ladder, example, "--format", "csv", "--lang", "zh-Hans"]) == 0
    header = next(csv.reader(io.StringIO(capsys.readouterr().out)))
    # the scheme's field_labels: step_coefficient is 台階對應係數, in Simplified characters
    assert "台阶对应系数" in header
    assert "step_coefficient" not in header
    assert main(["evaluate", ladder, example, "--format", "csv"]) == 0
    assert "step_coefficient" in next(csv.reader(io.StringIO(capsys.readouterr().out)))


def test_a_label_for_a_field_that_is_not_one_is_refused() -> None:
    text = Path(ROOT / "schemes" / "chengzhuang-ladder.yaml").read_text(encoding="utf-8")
    label = "      step_coefficient: {zh-Hant: 台階對應係數"
    bad = text.replace(label, label.replace("step_coefficient", "step_coeff"))
    assert bad != text
    with pytest.raises(partyscore.SchemeError) as caught:
        partyscore.load_scheme_text(bad)
    (problem,) = caught.value.diagnostics
    assert problem.code == "unknown-name"
    assert problem.path == "bands[step].field_labels.step_coeff"
    assert problem.message == (
        "a label for 'step_coeff', which is not one of the fields step_coefficient"
    )
