"""The message catalogues are current: every marked message is in them, translated into
zh-Hans with the same placeholders, zh-Hant is zh-Hans through OpenCC, and the shipped .mo
files are the compiled .po files. tools/catalogues.py brings them up to date."""

from __future__ import annotations

import gettext
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
catalogues = pytest.importorskip("catalogues")  # needs Babel (the dev extra)
opencc = pytest.importorskip("opencc")

_FIELD = re.compile(r"\{([a-z_]*)(?:![rsa])?(?::[^}]*)?\}")
_PERCENT = re.compile(r"%\((\w+)\)[rsd]|%[rsd]")


def _messages(lang: str) -> Iterator[tuple[str | None, str, str]]:
    """(context, msgid, msgstr) of a catalogue, plural forms flattened."""
    for message in catalogues.read(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for index, string in enumerate(strings):
            yield message.context, ids[min(index, len(ids) - 1)], string


def test_every_marked_message_is_in_the_catalogue_and_no_other() -> None:
    template = {(m.context, m.id) for m in catalogues.extract() if m.id}
    for lang in ("zh_Hans", "zh_Hant"):
        held = {(m.context, m.id) for m in catalogues.read(lang) if m.id}
        assert sorted(template - held, key=str) == [], f"{lang}: run tools/catalogues.py"
        assert sorted(held - template, key=str) == [], f"{lang}: run tools/catalogues.py"


def test_every_message_is_translated_with_the_same_placeholders() -> None:
    for _context, msgid, msgstr in _messages("zh_Hans"):
        assert msgstr, f"untranslated: {msgid!r}"
        assert sorted(_FIELD.findall(msgstr)) == sorted(_FIELD.findall(msgid)), msgid
        assert sorted(_PERCENT.findall(msgstr)) == sorted(_PERCENT.findall(msgid)), msgid
        assert msgstr.endswith("\n") == msgid.endswith("\n"), msgid


def test_traditional_is_simplified_through_opencc() -> None:
    convert = opencc.OpenCC("s2twp").convert
    simplified = {(c, i): s for c, i, s in _messages("zh_Hans")}
    traditional = {(c, i): s for c, i, s in _messages("zh_Hant")}
    assert traditional.keys() == simplified.keys()
    for key, text in simplified.items():
        assert traditional[key] == convert(text), key


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant"])
def test_the_shipped_mo_file_is_the_compiled_po_file(lang: str) -> None:
    path = catalogues.po_path(lang).with_suffix(".mo")
    with path.open("rb") as handle:
        shipped = gettext.GNUTranslations(handle)
    for context, msgid, msgstr in _messages(lang):
        found = shipped.pgettext(context, msgid) if context else shipped.gettext(msgid)
        assert found == msgstr, msgid


def test_a_translation_is_looked_up_in_the_language_in_use() -> None:
    from partyscore._i18n import _, language, pgettext

    with language("zh-Hans"):
        assert pgettext("column", "period") == "期间"
        assert _("warning: {message}") == "警告：{message}"
    with language("zh-Hant"):
        assert pgettext("column", "period") == "期間"
    assert pgettext("column", "period") == "period"  # English outside
