"""Reading numbers exactly and within limits, for schemes and records alike.

A number is an int, a Decimal, or text of ASCII digits (``85``, ``-0.5``, ``1e2``). Text such
as ``85%``, ``1,000``, ``1_000``, full-width ``８５`` or ``NaN`` is refused rather than
guessed at. Magnitude and decimal places are bounded so that no number can make arithmetic
or output explode.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ._i18n import _

MAX_ABS = Decimal(10) ** 12
"""Largest magnitude of any number read (points, bounds, money, parameters)."""
MAX_PLACES = 10
"""Most decimal places of any number read."""

_TEXT = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?", re.ASCII)


class NumberError(ValueError):
    """A value is not a number, or not one within the limits; `code` says which."""

    def __init__(self, message: str, code: str = "bad-value") -> None:
        super().__init__(message)
        self.code = code


def read_number(value: Any, *, text: bool = True) -> Decimal:
    """`value` as an exact Decimal within `MAX_ABS` and `MAX_PLACES`.

    With ``text=False`` a string is refused (JSON and YAML records write numbers as numbers).

    Raises:
        NumberError: saying what was given and why it is not accepted.
    """
    if isinstance(value, bool):
        # TRANSLATORS: {value} is true or false
        raise NumberError(_("expected a number, got {value}").format(value=str(value).lower()))
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str) and not text:
        raise NumberError(_("expected a number, got the string {value!r}").format(value=value))
    elif isinstance(value, str):
        if not _TEXT.fullmatch(value.strip()):
            raise NumberError(
                _("{value!r} is not a number (write digits 0-9, e.g. 85 or 92.5)").format(
                    value=value
                )
            )
        number = Decimal(value.strip())
    else:
        raise NumberError(_("expected a number, got {value!r}").format(value=value))
    if not number.is_finite():
        raise NumberError(_not_finite(_shown(repr(value))))
    problem = beyond_limits(number, _shown(str(value)))
    if problem:
        raise NumberError(problem, "number-range")
    return number


def decimal_text(value: Decimal) -> str:
    """A number as plain decimal text, never in exponent form and never ``-0``."""
    return f"{value:f}" if value or not value.is_signed() else f"{value.copy_abs():f}"


def beyond_limits(number: Decimal, shown: str) -> str | None:
    """Why `number`, written `shown` in the message, breaks the limits (not finite, over
    10^12, over 10 places), or None.

    Works without decimal arithmetic, so no exponent, however large, can overflow here.
    """
    if not number.is_finite():
        return _not_finite(shown)
    if number and (
        number.adjusted() > 12 or (number.adjusted() == 12 and number.copy_abs() > MAX_ABS)
    ):
        return _("{number} is outside the allowed range (at most 10^12 in magnitude)").format(
            number=shown
        )
    _sign, digits, exponent = number.as_tuple()
    if isinstance(exponent, int) and exponent < -MAX_PLACES:  # rare: look at trailing zeros
        written = "".join(map(str, digits))
        trailing_zeros = len(written) - len(written.rstrip("0")) if written.strip("0") else 0
        if exponent + trailing_zeros < -MAX_PLACES:
            return _("{number} has more than {places} decimal places").format(
                number=shown, places=MAX_PLACES
            )
    return None


def _not_finite(shown: str) -> str:
    return _("{number} is not a finite number").format(number=shown)


def _shown(text: str) -> str:
    """Text for a message, at most 40 characters."""
    return text if len(text) <= 40 else text[:37] + "..."
