"""Assessment periods and their labels.

One label format per period kind, so a CSV column sorts and reads the same everywhere:

==========  ===========  =======================================
kind        label        periods in a year
==========  ===========  =======================================
month       ``2024-03``  12
bimonth     ``2024-B2``  6 (B1 = Jan-Feb, ..., B6 = Nov-Dec)
quarter     ``2024-Q3``  4
half        ``2024-H1``  2
year        ``2024``     1
==========  ===========  =======================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ._i18n import _, period_word

PeriodKind = Literal["month", "bimonth", "quarter", "half", "year"]

PER_YEAR: dict[str, int] = {"month": 12, "bimonth": 6, "quarter": 4, "half": 2, "year": 1}
_LETTER = {"bimonth": "B", "quarter": "Q", "half": "H"}
EXAMPLE: dict[str, str] = {
    "month": "2024-03",
    "bimonth": "2024-B2",
    "quarter": "2024-Q3",
    "half": "2024-H1",
    "year": "2024",
}
_PATTERNS = {
    "month": re.compile(r"([0-9]{4})-([0-9]{2})"),
    "bimonth": re.compile(r"([0-9]{4})-B([0-9])"),
    "quarter": re.compile(r"([0-9]{4})-Q([0-9])"),
    "half": re.compile(r"([0-9]{4})-H([0-9])"),
    "year": re.compile(r"([0-9]{4})"),
}


@dataclass(frozen=True, order=True)
class Period:
    """One assessment period: its year and its 1-based index within the year."""

    year: int
    index: int
    kind: str

    label: str = field(init=False, repr=False, compare=False)
    """The canonical label, e.g. ``2024-Q3``."""
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Written once: periods key the dicts of every record checked and evaluated.
        object.__setattr__(self, "label", _label(self.year, self.index, self.kind))
        object.__setattr__(self, "_hash", hash((self.year, self.index, self.kind)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def ordinal(self) -> int:
        """A running number: consecutive periods differ by exactly one."""
        return self.year * PER_YEAR[self.kind] + self.index - 1

    @property
    def start(self) -> date:
        """First day of the period."""
        months = 12 // PER_YEAR[self.kind]
        return date(self.year, (self.index - 1) * months + 1, 1)

    def __str__(self) -> str:
        return self.label


def from_ordinal(ordinal: int, kind: str) -> Period:
    """The period of a running number (`Period.ordinal`): consecutive numbers, consecutive
    periods, across year ends."""
    year, index = divmod(ordinal, PER_YEAR[kind])
    return Period(year, index + 1, kind)


def in_window(period: Period, start: date, end: date | None) -> bool:
    """Whether `period` starts within a version's dates (`end` is exclusive, None open)."""
    return period.start >= start and (end is None or period.start < end)


def _label(year: int, index: int, kind: str) -> str:
    if kind == "year":
        return f"{year:04d}"
    if kind == "month":
        return f"{year:04d}-{index:02d}"
    return f"{year:04d}-{_LETTER[kind]}{index}"


def parse_period(text: str, kind: str) -> Period:
    """Parse a label of the given kind; raise ValueError with the expected format.

    >>> parse_period("2024-Q3", "quarter").label
    '2024-Q3'
    """
    match = _PATTERNS[kind].fullmatch(text.strip())
    if match is None:
        # TRANSLATORS: {kind} is the scheme's period kind: month, bimonth, quarter, half, year
        message = _("{text!r} is not a {kind} label; expected e.g. {example!r}")
        raise ValueError(message.format(text=text, kind=period_word(kind), example=EXAMPLE[kind]))
    year = int(match.group(1))
    index = int(match.group(2)) if kind != "year" else 1
    if not 1 <= index <= PER_YEAR[kind] or year < 1:
        # TRANSLATORS: {kind} is the scheme's period kind: month, bimonth, quarter, half, year
        message = _("{text!r} is not a {kind} label; the index must be 1 to {count}")
        raise ValueError(message.format(text=text, kind=kind, count=PER_YEAR[kind]))
    return Period(year, index, kind)
