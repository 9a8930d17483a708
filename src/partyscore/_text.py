"""Identifying text: subject ids and group names, compared as people read them."""

from __future__ import annotations

import unicodedata

TRUE_WORDS = ("true", "1", "yes", "是")
"""How a flag may be written true (any case, surrounding spaces aside)."""
FALSE_WORDS = ("false", "0", "no", "否")
"""How a flag may be written false."""


REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cs": "a lone surrogate",
    "Cf": "an invisible format character",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}
"""Unicode general categories refused in identifying text, and how a message names them."""


def refused_character(char: str) -> str | None:
    """Why `char` is refused in identifying text, or None when it is allowed."""
    if char == "\ufffd":
        return "the replacement character (text that was decoded wrongly)"
    return REFUSED_CATEGORIES.get(unicodedata.category(char))


def clean_text(text: str) -> str:
    """Identifying text (subject ids, groups, text attributes) stripped and in Unicode NFC,
    so that spellings that look the same are the same. Characters that do not show, or show
    as something else, are refused: control and format characters (zero-width space and
    joiners, soft hyphen, byte-order mark, direction overrides), lone surrogates, private-use
    and unassigned code points, and U+FFFD.

    Raises:
        ValueError: naming the character, its code point and its position (1-based).
    """
    for position, char in enumerate(text, start=1):
        why = refused_character(char)
        if why is not None:
            name = unicodedata.name(char, "")
            named = f"U+{ord(char):04X}" + (f" {name}" if name else "")
            raise ValueError(
                f"{text!r} contains the character {char!r} ({named}, {why}) at character "
                f"{position}, which is not allowed"
            )
    return unicodedata.normalize("NFC", text.strip())
