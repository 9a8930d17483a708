"""The docs name every error code the library can emit, and the README's commands exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def emitted_codes() -> set[str]:
    codes = set()
    for path in (ROOT / "src" / "partyscore").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        # codes are the kebab-case string passed next to a message, which may be marked for
        # translation (`_("...")`) and follow a TRANSLATORS comment
        codes.update(
            re.findall(r'"([a-z]+(?:-[a-z]+)+)",\s*(?:#[^\n]*\n\s*)*(?:N?_\(\s*)?f?"', text)
        )
        codes.update(re.findall(r'PydanticCustomError\(\s*"([a-z-]+)"', text))
    return codes


def test_every_code_is_documented():
    errors = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z]+(?:-[a-z]+)*)`", errors))
    codes = emitted_codes()
    assert len(codes) > 60  # the pattern still finds the codes
    assert sorted(codes - documented) == []


def test_readme_starts_with_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    assert len(blocks[0].strip().splitlines()) == 2
    first, second = blocks[0].strip().splitlines()
    assert "partyscore evaluate schemes/" in first
    assert "pytest" in second
