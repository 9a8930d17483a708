"""Languages: the message catalogues, the language in use, and labels in each language.

Messages are English in the code, marked ``_("...")`` and translated through gettext
catalogues (``locale/<lang>/LC_MESSAGES/partyscore.mo``, compiled from the ``.po`` files by
Babel: see docs/i18n.md). The language in use is a context variable, set by `language`
(the command line sets it from ``--lang`` or the locale); English is the default, and the
machine-facing parts (ids, error codes, JSON keys) never change with it.

A scheme's labels may give ``zh-Hans``, ``zh-Hant`` and ``en``; a Chinese form the scheme
does not give is derived from the other with OpenCC (``t2s`` / ``s2twp``), never from a
hand-written table.
"""

from __future__ import annotations

import contextlib
import functools
import gettext as _gettext
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast, get_args

if TYPE_CHECKING:
    from .models import Label

Lang = Literal["en", "zh-Hans", "zh-Hant"]
LANGS: tuple[Lang, ...] = get_args(Lang)

_LOCALE = Path(__file__).parent / "locale"
_DOMAIN = "partyscore"
_active: ContextVar[Lang] = ContextVar("partyscore_language", default="en")


class LanguageError(ValueError):
    """A language partyscore has no catalogue for, or a label it cannot derive."""


def check_lang(lang: str) -> Lang:
    """`lang` if partyscore speaks it (``en``, ``zh-Hans``, ``zh-Hant``).

    Raises:
        LanguageError: for any other value.
    """
    if lang not in LANGS:
        raise LanguageError(f"unknown language {lang!r}: choose one of {', '.join(LANGS)}")
    return lang


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Speak `lang` (``en``, ``zh-Hans`` or ``zh-Hant``) inside the block: messages,
    explanations, headers and reports are written in it. Results themselves do not change.

    ::

        with partyscore.language("zh-Hans"):
            print(partyscore.to_table(evaluation))
    """
    token = _active.set(check_lang(lang))
    try:
        yield
    finally:
        _active.reset(token)


def current() -> Lang:
    """The language in use."""
    return _active.get()


@functools.cache
def _catalogue(lang: Lang) -> _gettext.NullTranslations:
    if lang == "en":
        return _gettext.NullTranslations()
    folder = lang.replace("-", "_")
    return _gettext.translation(_DOMAIN, _LOCALE, languages=[folder])


def gettext(message: str) -> str:
    """`message` in the language in use (the English text itself for English)."""
    lang = _active.get()
    if lang == "en":
        return message
    return _catalogue(lang).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for `n`, in the language in use."""
    lang = _active.get()
    if lang == "en":
        return singular if n == 1 else plural
    return _catalogue(lang).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the language in use, where the same English word needs a context
    (``pgettext("column", "period")``)."""
    lang = _active.get()
    if lang == "en":
        return message
    return _catalogue(lang).pgettext(context, message)


_ = gettext


def period_word(kind: str) -> str:
    """A period kind as a word in the language in use (``quarter``; 季度 in Chinese)."""
    if _active.get() == "en":
        return kind
    words = {
        "month": pgettext("period kind", "month"),
        "bimonth": pgettext("period kind", "bimonth"),
        "quarter": pgettext("period kind", "quarter"),
        "half": pgettext("period kind", "half"),
        "year": pgettext("period kind", "year"),
    }
    return words.get(kind, kind)


def N_(message: str) -> str:
    """Marks a message for the catalogue where it is defined; translated where it is used."""
    return message


_REGIONS = {
    "cn": "zh-Hans",
    "sg": "zh-Hans",
    "my": "zh-Hans",
    "tw": "zh-Hant",
    "hk": "zh-Hant",
    "mo": "zh-Hant",
}


def lang_from_env(environ: Mapping[str, str] | None = None) -> Lang:
    """The language the locale asks for (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as gettext
    reads them): ``zh_CN``/``zh_SG`` and ``zh_Hans`` give zh-Hans, ``zh_TW``/``zh_HK``/
    ``zh_MO`` and ``zh_Hant`` give zh-Hant, anything else English."""
    env = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key, "")
        if not value:
            continue
        tag = value.split(".")[0].split("@")[0].replace("-", "_").lower()
        if tag != "zh" and not tag.startswith("zh_"):
            return "en"
        parts = tag.split("_")[1:]
        if "hant" in parts:
            return "zh-Hant"
        if "hans" in parts:
            return "zh-Hans"
        return cast(Lang, _REGIONS.get(parts[-1] if parts else "", "zh-Hans"))
    return "en"


@functools.cache
def _converter(config: str) -> object:
    try:
        import opencc
    except ImportError:  # pragma: no cover - the 'zh' extra is in 'all'
        raise LanguageError(
            "deriving Simplified from Traditional Chinese (or back) needs OpenCC: "
            "pip install 'partyscore[zh]'"
        ) from None
    return opencc.OpenCC(config)


def simplified(text: str) -> str:
    """Traditional Chinese text in Simplified characters (OpenCC ``t2s``)."""
    return cast(str, _converter("t2s").convert(text))  # type: ignore[attr-defined]


def traditional(text: str) -> str:
    """Simplified Chinese text in Traditional characters, Taiwan phrasing (OpenCC ``s2twp``)."""
    return cast(str, _converter("s2twp").convert(text))  # type: ignore[attr-defined]


def label_text(label: Label | None, fallback: str, lang: Lang | None = None) -> str:
    """A label in `lang` (default: the language in use), or `fallback` (an id) without one.

    A Chinese form the scheme does not give is derived from the one it gives with OpenCC.
    """
    if label is None:
        return fallback
    want = _active.get() if lang is None else lang
    if want == "en":
        return label.en
    if want == "zh-Hans":
        if label.zh_hans is not None:
            return label.zh_hans
        assert label.zh_hant is not None  # a label gives at least one Chinese form
        return simplified(label.zh_hant)
    if label.zh_hant is not None:
        return label.zh_hant
    assert label.zh_hans is not None
    return traditional(label.zh_hans)
