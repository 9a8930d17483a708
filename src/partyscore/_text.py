"""Identifying text: subject ids and group names, compared as people read them."""

from __future__ import annotations

import unicodedata

TRUE_WORDS = ("true", "1", "yes", "是")
"""How a flag may be written true (any case, surrounding spaces aside)."""
FALSE_WORDS = ("false", "0", "no", "否")
"""How a flag may be written false."""


def clean_text(text: str) -> str:
    """Identifying text (subject ids, groups) stripped and in Unicode NFC, so that spellings
    that look the same are the same; control characters and lone surrogates are refused.

    Raises:
        ValueError: naming the character.
    """
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError(f"{text!r} contains the character {char!r}, which is not allowed")
    return unicodedata.normalize("NFC", text.strip())
