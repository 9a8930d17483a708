"""Bands as intervals: bounds with their inclusivity, membership, overlap and notation."""

from __future__ import annotations

from decimal import Decimal

from . import models as m


def lower_key(band: m.Band) -> tuple[Decimal, int]:
    """Sort key: by lower bound, an inclusive bound before an exclusive one at the same value."""
    value, inclusive = lower(band)
    return (value, 0 if inclusive else 1)


def upper_key(band: m.Band) -> tuple[Decimal, int]:
    """Sort key by upper bound: an exclusive bound before an inclusive one at the same value."""
    value, inclusive = upper(band)
    return (value, 1 if inclusive else 0)


def upper(band: m.Band) -> tuple[Decimal, bool]:
    """The upper bound and whether it is inclusive; infinity when open."""
    if band.at_most is not None:
        return (band.at_most, True)
    if band.below is not None:
        return (band.below, False)
    return (Decimal("Infinity"), False)


def lower(band: m.Band) -> tuple[Decimal, bool]:
    """The lower bound and whether it is inclusive; minus infinity when open."""
    if band.at_least is not None:
        return (band.at_least, True)
    if band.above is not None:
        return (band.above, False)
    return (Decimal("-Infinity"), False)


def is_empty(band: m.Band) -> bool:
    """Whether no score satisfies both bounds."""
    (lo, lo_in), (hi, hi_in) = lower(band), upper(band)
    return lo > hi or (lo == hi and not (lo_in and hi_in))


def overlaps(a: m.Band, b: m.Band) -> bool:
    """Whether two bands share a score; `a` starts no later than `b`."""
    (a_hi, a_hi_in), (b_lo, b_lo_in) = upper(a), lower(b)
    return a_hi > b_lo or (a_hi == b_lo and a_hi_in and b_lo_in)


def interval(band: m.Band) -> str:
    """The band's bounds in interval notation, e.g. ``[80, 90)``."""
    return bounds_text(*lower(band), *upper(band))


def contains(band: m.Band, value: Decimal) -> bool:
    """Whether `value` lies in `band`, honouring each bound's inclusivity."""
    return bounds_contain(*lower(band), *upper(band), value)


def bounds_text(lo: Decimal, lo_in: bool, hi: Decimal, hi_in: bool) -> str:
    """Bounds in interval notation, e.g. ``[80, 90)``; open ends are infinite."""
    left = ("[" if lo_in else "(") + (f"{lo}" if lo.is_finite() else "-inf")
    right = (f"{hi}" if hi.is_finite() else "inf") + ("]" if hi_in else ")")
    return f"{left}, {right}"


def bounds_contain(lo: Decimal, lo_in: bool, hi: Decimal, hi_in: bool, value: Decimal) -> bool:
    """Whether `value` lies between the bounds, honouring each bound's inclusivity: the one
    band-membership test of the engine (generated code writes the same comparisons)."""
    above_lo = value > lo or (lo_in and value == lo)
    below_hi = value < hi or (hi_in and value == hi)
    return above_lo and below_hi
