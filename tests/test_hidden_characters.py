"""Ids, groups and text attributes that would look the same as others but are not: every
character that does not show, or shows as something else, is refused with its code point,
its row and its column (docs/security.md). Visible text is compared in NFC."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

import partyscore
from partyscore import cli
from tests.scheme_text import head
from tests.test_golden_chengzhuang import record as branch

ROOT = Path(__file__).parent.parent
LADDER = ROOT / "schemes" / "chengzhuang-ladder.yaml"
EXAMPLE = ROOT / "examples" / "chengzhuang-ladder.csv"

HIDDEN = {
    "\u200b": "ZERO WIDTH SPACE",
    "\u00ad": "SOFT HYPHEN",
    "\u200d": "ZERO WIDTH JOINER",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\ufffd": "REPLACEMENT CHARACTER",
    "\ue000": "",  # private use: no name
    "\U000e0001": "LANGUAGE TAG",
}


@pytest.fixture(scope="module")
def ladder() -> partyscore.CompiledScheme:
    return partyscore.load_scheme(LADDER)


def with_hidden(char: str, tmp_path: Path) -> tuple[Path, int, str]:
    """The shipped example with `char` inside the subject cell of its third data row; the
    file, that row's line number and the subject as written there."""
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    subject, rest = lines[3].split(",", 1)
    lines[3] = f"{subject[:1]}{char}{subject[1:]},{rest}"
    path = tmp_path / "hidden.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path, 4, subject


@pytest.mark.parametrize("char", list(HIDDEN), ids=[f"U+{ord(c):04X}" for c in HIDDEN])
def test_a_hidden_character_in_a_subject_is_refused(ladder, tmp_path, char):
    path, line, _ = with_hidden(char, tmp_path)
    with pytest.raises(partyscore.RecordError) as error:
        partyscore.evaluate(ladder, partyscore.read_records(path, ladder))
    [problem] = error.value.diagnostics
    code_point = f"U+{ord(char):04X}"
    assert (problem.line, problem.path, problem.code) == (line, "subject", "bad-value")
    assert code_point in problem.message
    assert "at character 2" in problem.message
    if HIDDEN[char]:
        assert HIDDEN[char] in problem.message
        assert unicodedata.name(char) == HIDDEN[char]


def test_the_command_line_refuses_it_and_writes_nothing(tmp_path, capsys):
    path, line, _ = with_hidden("\u200b", tmp_path)
    out = tmp_path / "out.csv"
    code = cli.main(["evaluate", str(LADDER), str(path), "--format", "csv", "--output", str(out)])
    assert code == 1
    assert not out.exists()
    assert f"hidden.csv:{line}: subject:" in capsys.readouterr().err


@pytest.mark.parametrize("char", ["\u200b", "\ufeff"])
def test_a_hidden_character_in_a_group_or_text_attribute_is_refused(char):
    scheme = partyscore.load_scheme_text(
        head("hidden", "隱藏字元", kind="village")
        + """\
  group: town
  attributes:
    town: {type: text}
    note: {type: text, default: "-"}
sections:
  - id: work
    items:
      - {id: w1, max: 10}
""",
        file="hidden.yaml",
    )
    records = [
        {"subject": "v1", "period": "2024-Q1", "attributes": {"town": f"東{char}村"},
         "points": {"w1": 1}},
        {"subject": "v2", "period": "2024-Q1", "attributes": {"town": "東村", "note": f"a{char}"},
         "points": {"w1": 1}},
    ]  # fmt: skip
    with pytest.raises(partyscore.RecordError) as error:
        partyscore.evaluate(scheme, records)
    found = [(d.line, d.path, d.code) for d in error.value.diagnostics]
    assert found == [(1, "town", "bad-value"), (2, "note", "bad-value")]
    assert all(f"U+{ord(char):04X}" in d.message for d in error.value.diagnostics)


def test_visible_text_is_kept_and_compared_in_nfc(ladder):
    # "é" written as e + combining acute (NFD) and as one character (NFC) is one subject.
    nfd = branch("caf\u0065\u0301", "2024-Q1", "45", "45", "10")
    nfc = branch("caf\u00e9", "2024-Q1", "45", "45", "10")
    with pytest.raises(partyscore.RecordError) as error:
        partyscore.evaluate(ladder, [nfd, nfc])
    assert [d.code for d in error.value.diagnostics] == ["duplicate-record"]
    assert partyscore.evaluate(ladder, [nfd]).results[0].subject == "caf\u00e9"
