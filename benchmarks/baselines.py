"""Hand-written references for bench_core.py: the Chengzhuang ladder and the Yongxi red flag
in plain Python, a checked CSV reader and writer, and seeded record generators.

Standard library only, with Decimal for exact arithmetic: each baseline is what a careful
programmer would write for one scheme without a scheme language, so the ratios bench_core.py
prints say what partyscore's generality costs. Results are `Res` tuples that carry the same
numbers, with the same digits, as partyscore's `Result` objects.

Run as a script it is the baseline of the command line benchmark:

    python benchmarks/baselines.py IN.csv OUT.csv

reads a Chengzhuang ladder CSV with the checks partyscore makes, evaluates it and writes the
results in the layout of ``partyscore evaluate --format csv``.
"""

from __future__ import annotations

import csv
import heapq
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any, NamedTuple

Record = Mapping[str, Any]
"""``{"subject": str, "period": "2024-Q1", "attributes": {...}, "points": {...}}``, typed:
points are Decimal (flags bool), ``major_error`` is bool, enums are str."""

ZERO = Decimal(0)
ONE = Decimal(1)
CENT = Decimal("0.01")
PRECISION = 28
"""Digits of the arithmetic partyscore specifies for every expression (half-even inside)."""


class Res(NamedTuple):
    """One subject in one period (kind ``period``) or one year (kind ``year_end``)."""

    subject: str
    period: str
    kind: str
    scores: dict[str, Decimal]
    bands: dict[str, str]
    values: dict[str, Decimal]
    ranks: dict[str, int]
    rewards: list[tuple[str, Decimal | None]]
    actions: list[tuple[str, str]]
    """(action id, rule id) in rule order."""
    warnings: tuple[str, ...] = ()
    """Counts that may lack periods before the first one of the input."""


# --------------------------------------------------------------------------- shared parts


def plain(value: Decimal) -> Decimal:
    """A section sum as partyscore writes it: without trailing zeros (9, not 9.0)."""
    return value.quantize(ONE) if value == value.to_integral_value() else value.normalize()


def section(points: Mapping[str, Any], names: Sequence[str], cap: Decimal) -> Decimal:
    total = plain(sum([points[name] for name in names], ZERO))
    return cap if total > cap else total


def competition_ranks(values: Sequence[Decimal]) -> list[int]:
    """Ranks by value, highest first; equal values share the better rank (1, 2, 2, 4)."""
    order = sorted(range(len(values)), key=values.__getitem__, reverse=True)
    ranks = [0] * len(values)
    previous: Decimal | None = None
    rank = 0
    for position, index in enumerate(order, start=1):
        value = values[index]
        if value != previous:
            rank, previous = position, value
        ranks[index] = rank
    return ranks


Steps = tuple[tuple[int, str, str | None], ...]
"""An escalation's steps: (at, action, name of a bool attribute that must hold, or None)."""


def escalation_step(steps: Steps, count: int, attributes: Mapping[str, Any]) -> str | None:
    """The highest step reached (at <= count) whose own condition holds."""
    chosen = None
    for at, action, when in steps:
        if at > count:
            break
        if when is not None and not attributes.get(when, False):
            continue
        chosen = action
    return chosen


def quarter(label: str) -> tuple[int, int]:
    """``2024-Q3`` as (2024, 3); labels of typed records are already checked."""
    return int(label[:4]), int(label[6:])


def by_quarter(records: Iterable[Record]) -> dict[tuple[int, int], list[Record]]:
    grouped: dict[tuple[int, int], list[Record]] = defaultdict(list)
    for record in records:
        grouped[quarter(record["period"])].append(record)
    return grouped


def _subject(record: Record) -> str:
    subject: str = record["subject"]
    return subject


# --------------------------------------------------------------------------- Chengzhuang


def _items(prefix: str, maxima: Sequence[int]) -> tuple[tuple[str, Decimal], ...]:
    return tuple((f"{prefix}_{n:02d}", Decimal(m)) for n, m in enumerate(maxima, start=1))


KEY_ITEMS = _items("key", [5] * 5 + [4] * 5)
BASIC_ITEMS = _items("basic", [5] * 7 + [4] * 5)
INNOVATION_ITEMS = tuple(
    (f"innovation_{area}", Decimal(2))
    for area in ("pillar", "centre", "education", "stability", "culture")
)
AUTONOMOUS = tuple(f"autonomous_{n:02d}" for n in range(1, 12))
KEY_NAMES = tuple(name for name, _ in KEY_ITEMS)
BASIC_NAMES = tuple(name for name, _ in BASIC_ITEMS)
INNOVATION_NAMES = tuple(name for name, _ in INNOVATION_ITEMS)
KEY_CAP, BASIC_CAP, INNOVATION_CAP = Decimal(45), Decimal(55), Decimal(10)
TOTAL_MAX = Decimal(110)
LINES = ("front", "second", "surface")
INACTION = ("none", "minor", "serious", "grave")
WITHHELD = {"front": Decimal(3000), "second": Decimal(2000), "surface": Decimal(1000)}
REFLECTION_COEFFICIENT = Decimal("0.7")
MINIMUM_STANDARD = Decimal(70)
STEP_COEFFICIENTS = {
    "step1": Decimal("0.8"),
    "step2": Decimal("0.9"),
    "step3": Decimal("1.0"),
    "no_step": Decimal("0.7"),
}
LOW_SCORE_STEPS: Steps = (
    (1, "admonition_talk", None),
    (2, "removal", None),
    (3, "dismissal", "major_error"),
)
INACTION_RULES = {
    "minor": ("admonition_talk", "inaction_minor"),
    "serious": ("removal", "inaction_serious"),
    "grave": ("dismissal", "inaction_grave"),
}


def step_band(total: Decimal) -> str:
    """step1 [70, 80), step2 [80, 90), step3 [90, 110], else no_step."""
    if 70 <= total < 80:
        return "step1"
    if 80 <= total < 90:
        return "step2"
    if 90 <= total <= 110:
        return "step3"
    return "no_step"


LADDER_START = 2016 * 4  # 2016-Q1, the first quarter of the scheme, as an ordinal
NO_HISTORY = "is the first period of the input and no history was carried in"


def ladder(records: Iterable[Record]) -> list[Res]:
    """Every rule of schemes/chengzhuang-ladder.yaml; results by period, then subject."""
    results: list[Res] = []
    streaks: dict[str, tuple[int, int]] = {}  # subject -> (ordinal of its last quarter, run)
    top_step = max(at for at, _, _ in LOW_SCORE_STEPS)
    with localcontext(prec=PRECISION, rounding=ROUND_HALF_EVEN):
        grouped = by_quarter(records)
        first = min(grouped, default=(0, 1))
        first_ordinal = first[0] * 4 + first[1] - 1
        first_label = f"{first[0]:04d}-Q{first[1]}"
        for year, index in sorted(grouped):
            label = f"{year:04d}-Q{index}"
            ordinal = year * 4 + index - 1
            rows = sorted(grouped[(year, index)], key=_subject)
            scored = []
            for record in rows:
                points = record["points"]
                key = section(points, KEY_NAMES, KEY_CAP)
                basic = section(points, BASIC_NAMES, BASIC_CAP)
                innovation = section(points, INNOVATION_NAMES, INNOVATION_CAP)
                total = (key + basic + innovation).quantize(CENT, ROUND_HALF_UP)
                if not ZERO <= total <= TOTAL_MAX:
                    raise ValueError(f"{record['subject']} {label}: total {total} outside 0..110")
                band = step_band(total)
                low = total < 70 or key < 40
                chosen = REFLECTION_COEFFICIENT if low else STEP_COEFFICIENTS[band]
                coefficient = chosen.quantize(CENT, ROUND_HALF_UP)
                scored.append((record, key, basic, innovation, total, band, low, coefficient))
            totals = [entry[4] for entry in scored]
            ranks = competition_ranks(totals)
            worst = min(totals)
            has_last = max(totals) != worst  # where all tie, nobody is last
            for (record, key, basic, innovation, total, band, low, coefficient), rank in zip(
                scored, ranks, strict=True
            ):
                subject = record["subject"]
                attributes = record["attributes"]
                pay = (WITHHELD[attributes["line"]] * coefficient).quantize(CENT, ROUND_HALF_UP)
                actions: list[tuple[str, str]] = []
                if low:
                    actions.append(("self_reflection", "low_total_or_key"))
                if (has_last and total == worst) or total < MINIMUM_STANDARD:
                    actions.append(("self_reflection", "face_link"))
                    actions.append(("mine_notice", "face_link_notice"))
                holds = total < 60 or key < 35
                previous = streaks.get(subject)
                run = previous[1] if previous is not None and previous[0] == ordinal - 1 else 0
                count = run + 1 if holds else 0
                streaks[subject] = (ordinal, count)
                if holds:
                    step = escalation_step(LOW_SCORE_STEPS, count, attributes)
                    if step is not None:
                        actions.append((step, "low_score"))
                inaction = INACTION_RULES.get(attributes.get("inaction", "none"))
                if inaction is not None:
                    actions.append(inaction)
                warnings: tuple[str, ...] = ()
                if (
                    0 < count < top_step
                    and ordinal - count + 1 == first_ordinal
                    and first_ordinal > LADDER_START
                ):
                    warnings = (
                        f"low_score: counted {count} in a row from {first_label} on, but "
                        f"{first_label} {NO_HISTORY}; with earlier periods the count may be higher",
                    )
                results.append(
                    Res(
                        subject,
                        label,
                        "period",
                        {
                            "key": key,
                            "basic": basic,
                            "innovation": innovation,
                            "total": total,
                            "coefficient": coefficient,
                        },
                        {"step": band},
                        {"step_coefficient": STEP_COEFFICIENTS[band]},
                        {"mine_rank": rank},
                        [("ladder_pay", pay)],
                        actions,
                        warnings,
                    )
                )
    return results


# --------------------------------------------------------------------------- Yongxi

YONGXI_ITEMS: tuple[tuple[str, Decimal], ...] = tuple(
    (name, Decimal(m))
    for name, m in (
        ("party_building", 20),
        ("poverty_relief", 15),
        ("family_planning", 10),
        ("stability", 10),
        ("work_safety", 10),
        ("civil_affairs", 10),
        ("resident_cadres", 10),
        ("sanitation", 5),
        ("finance_tax", 5),
        ("central_tasks", 5),
    )
)
YONGXI_NAMES = tuple(name for name, _ in YONGXI_ITEMS)
INDICATORS_CAP = Decimal(100)
RED_FLAGS = 1
RANK_PRIZES: dict[int, dict[str, Decimal]] = {
    1: {"full": Decimal(600), "half": Decimal(300)},
    2: {"full": Decimal(500), "half": Decimal(250)},
    3: {"full": Decimal(400), "half": Decimal(200)},
}
LAST_AND_LOW_STEPS: Steps = (
    (1, "statement", None),
    (2, "year_end_ineligible", None),
    (3, "discipline_accountability", None),
)
QUARTERS_PER_YEAR = 4


def prize_band(total: Decimal) -> str:
    """full at 95 and above, half from 85 to under 95, none below 85."""
    if total >= 95:
        return "full"
    if total >= 85:
        return "half"
    return "none"


def rank_prizes(ranks: Sequence[int], bands: Sequence[str]) -> list[Decimal | None]:
    """The prize of each subject (None: no prize). Tied subjects pool the prizes of the
    places they occupy, by their own band, and share them equally, rounded down to the fen."""
    last_prized = max(RANK_PRIZES)
    holders = Counter(rank for rank in ranks if rank <= last_prized)
    amounts: list[Decimal | None] = [None] * len(ranks)
    for index, rank in enumerate(ranks):
        if rank > last_prized:
            continue
        band, tied = bands[index], holders[rank]
        if tied > 1:
            pool = sum(
                [RANK_PRIZES.get(place, {}).get(band, ZERO) for place in range(rank, rank + tied)],
                ZERO,
            )
            amount = (pool / tied).quantize(CENT, ROUND_DOWN)
        else:
            amount = RANK_PRIZES[rank].get(band, ZERO).quantize(CENT, ROUND_DOWN)
        if amount > 0:
            amounts[index] = amount
    return amounts


def flag_cut(ranks: Sequence[int], places: int) -> int:
    """The worst rank that still takes a red flag; ties at it are included (0: no flag)."""
    if places <= 0 or not ranks:
        return 0
    return heapq.nsmallest(min(places, len(ranks)), ranks)[-1]


def _streak(flags: Sequence[bool]) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


@dataclass
class _Year:
    """What the year-end rules of one subject read: one entry per period of the year."""

    totals: list[Decimal] = field(default_factory=list)
    flags: list[bool] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)


def _year_end(year: int, history: Mapping[str, _Year]) -> list[Res]:
    results = []
    for subject in sorted(history):
        seen = history[subject]
        if len(seen.totals) != QUARTERS_PER_YEAR:
            continue  # an incomplete year has no year-end result
        annual = (sum(seen.totals, ZERO) / len(seen.totals)).quantize(CENT, ROUND_HALF_UP)
        rewards: list[tuple[str, Decimal | None]] = []
        if _streak(seen.flags) >= 2:
            rewards.append(("extra_branch_funds", None))
        actions = []
        if max(seen.counts) >= 2:
            actions.append(("year_end_ineligible", "year_end_eligibility"))
        if not any(seen.flags):
            actions.append(("performance_subsidy_cancelled", "no_flag_subsidy"))
            actions.append(("rectification", "no_flag_rectification"))
        results.append(
            Res(
                subject,
                f"{year:04d}",
                "year_end",
                {"annual_score": annual},
                {},
                {},
                {},
                rewards,
                actions,
            )
        )
    return results


def yongxi_period(
    rows: Sequence[Record],
) -> tuple[list[Decimal], list[Decimal], list[str], list[int]]:
    """Indicators, totals, prize bands and village ranks of one period's rows."""
    indicators = [section(r["points"], YONGXI_NAMES, INDICATORS_CAP) for r in rows]
    totals = [value.quantize(CENT, ROUND_HALF_UP) for value in indicators]
    for row, total in zip(rows, totals, strict=True):
        if not ZERO <= total <= INDICATORS_CAP:
            raise ValueError(f"{row['subject']}: total {total} outside 0..100")
    bands = [prize_band(total) for total in totals]
    return indicators, totals, bands, competition_ranks(totals)


def red_flag(records: Iterable[Record]) -> list[Res]:
    """Every rule of schemes/yongxi-red-flag.yaml: period rules, ranking, split rank prizes,
    the red flag (ties included), last-place escalation within the year and the year-end
    rules of complete years. Results by period, then subject; year-end results after the
    last period of their year."""
    results: list[Res] = []
    in_year: dict[str, int] = defaultdict(int)
    history: dict[str, _Year] = defaultdict(_Year)
    current: int | None = None
    with localcontext(prec=PRECISION, rounding=ROUND_HALF_EVEN):
        grouped = by_quarter(records)
        first = min(grouped, default=(0, 1))
        first_label = f"{first[0]:04d}-Q{first[1]}"
        for year, index in sorted(grouped):
            if year != current:
                if current is not None:
                    results.extend(_year_end(current, history))
                current = year
                in_year.clear()
                history.clear()
            label = f"{year:04d}-Q{index}"
            rows = sorted(grouped[(year, index)], key=_subject)
            indicators, totals, bands, ranks = yongxi_period(rows)
            prizes = rank_prizes(ranks, bands)
            cut = flag_cut(ranks, RED_FLAGS)
            worst = min(totals)
            has_last = max(totals) != worst  # where all tie, nobody is last
            for position, record in enumerate(rows):
                subject = record["subject"]
                total, rank, prize = totals[position], ranks[position], prizes[position]
                rewards: list[tuple[str, Decimal | None]] = []
                if prize is not None:
                    rewards.append(("rank_prize", prize))
                flag = rank <= cut
                if flag:
                    rewards.append(("red_flag", None))
                actions: list[tuple[str, str]] = []
                count = 0
                warnings: tuple[str, ...] = ()
                if has_last and total == worst and total <= 85:
                    in_year[subject] += 1
                    count = in_year[subject]
                    if year == first[0] and first[1] > 1:  # the year's count is read at year end
                        before = ", ".join(f"{year:04d}-Q{i}" for i in range(1, first[1]))
                        warnings = (
                            f"last_and_low: counted {count} in {year} from {first_label} on, "
                            f"but {first_label} {NO_HISTORY}; with {before} the count may be "
                            "higher",
                        )
                    step = escalation_step(LAST_AND_LOW_STEPS, count, record["attributes"])
                    if step is not None:
                        actions.append((step, "last_and_low"))
                seen = history[subject]
                seen.totals.append(total)
                seen.flags.append(flag)
                seen.counts.append(count)
                results.append(
                    Res(
                        subject,
                        label,
                        "period",
                        {"indicators": indicators[position], "total": total},
                        {"prize_level": bands[position]},
                        {},
                        {"village_rank": rank},
                        rewards,
                        actions,
                        warnings,
                    )
                )
        if current is not None:
            results.extend(_year_end(current, history))
    return results


# --------------------------------------------------------------------------- CSV

MAX_FIELD = 10_000
MAX_PLACES = 10
TRUE_WORDS = frozenset({"true", "1", "yes", "是"})
FALSE_WORDS = frozenset({"false", "0", "no", "否"})
_NUMBER = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?", re.ASCII)
_QUARTER = re.compile(r"([0-9]{4})-Q([0-9])")
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # Unicode Cc and Cs
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvFormat:
    """The columns of one scheme's CSV: point items with their range, flag items, enum and
    bool attributes with their default (None: required), and the first effective quarter."""

    items: tuple[tuple[str, Decimal, Decimal], ...]
    flags: tuple[str, ...] = ()
    enums: Mapping[str, tuple[tuple[str, ...], str | None]] = field(default_factory=dict)
    bools: Mapping[str, bool | None] = field(default_factory=dict)
    start: tuple[int, int] = (1, 1)


LADDER_CSV = CsvFormat(
    items=tuple((name, ZERO, high) for name, high in (*KEY_ITEMS, *BASIC_ITEMS, *INNOVATION_ITEMS)),
    flags=AUTONOMOUS,
    enums={"line": (LINES, None), "inaction": (INACTION, "none")},
    bools={"major_error": False},
    start=(2016, 1),
)
YONGXI_CSV = CsvFormat(
    items=tuple((name, ZERO, high) for name, high in YONGXI_ITEMS), start=(2017, 1)
)


class CsvError(ValueError):
    """Every problem of a CSV file, one ``file:line: message`` each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _too_many_places(number: Decimal) -> bool:
    _, digits, exponent = number.as_tuple()
    if not isinstance(exponent, int) or exponent >= -MAX_PLACES:
        return False
    written = "".join(map(str, digits))
    trailing = len(written) - len(written.rstrip("0")) if written.strip("0") else 0
    return exponent + trailing < -MAX_PLACES


def _flag(text: str) -> bool | None:
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


class _Checker:
    """Checks the cells of one record and builds its typed mapping; `problems` collects."""

    def __init__(self, fmt: CsvFormat, name: str) -> None:
        self.fmt = fmt
        self.name = name
        self.problems: list[str] = []
        self.seen: set[tuple[str, int, int]] = set()

    def bad(self, line: int, message: str) -> None:
        self.problems.append(f"{self.name}:{line}: {message}")

    def record(
        self,
        line: int,
        subject: str,
        period: str,
        attributes: Mapping[str, str],
        points: Mapping[str, str],
    ) -> dict[str, Any] | None:
        fmt = self.fmt
        subject = subject.strip()
        if not subject:
            self.bad(line, "the subject is missing")
            return None
        if _FORBIDDEN.search(subject):
            self.bad(line, f"the subject {subject!r} contains a control character")
            return None
        subject = unicodedata.normalize("NFC", subject)
        match = _QUARTER.fullmatch(period.strip())
        if match is None or not 1 <= int(match.group(2)) <= QUARTERS_PER_YEAR:
            self.bad(line, f"subject {subject!r}: {period!r} is not a quarter label")
            return None
        year, index = int(match.group(1)), int(match.group(2))
        if year < 1:
            self.bad(line, f"subject {subject!r}: {period!r} is not a quarter label")
            return None
        if (year, index) < fmt.start:
            self.bad(line, f"subject {subject!r}: {period} is before the scheme's start")
            return None
        if (subject, year, index) in self.seen:
            self.bad(line, f"subject {subject!r} already has a record for {period}")
            return None
        self.seen.add((subject, year, index))
        ok = True
        typed_attributes: dict[str, Any] = {}
        for attr, (allowed, default) in fmt.enums.items():
            text = attributes.get(attr, "").strip()
            if not text:
                if default is None:
                    self.bad(line, f"subject {subject!r}: no value for {attr!r}")
                    ok = False
                typed_attributes[attr] = default
            elif text in allowed:
                typed_attributes[attr] = text
            else:
                self.bad(line, f"subject {subject!r}: {attr}: {text!r} is not one of {allowed}")
                ok = False
        for attr, fallback in fmt.bools.items():
            text = attributes.get(attr, "").strip()
            value = fallback if not text else _flag(text)
            if value is None:
                self.bad(line, f"subject {subject!r}: {attr}: {text!r} is not true or false")
                ok = False
            typed_attributes[attr] = value
        typed_points: dict[str, Any] = {}
        for item, low, high in fmt.items:
            text = points.get(item, "").strip()
            number_match = _NUMBER.fullmatch(text)
            if number_match is None:
                what = "no value" if not text else f"{text!r} is not a number"
                self.bad(line, f"subject {subject!r}: {item}: {what}")
                ok = False
                continue
            number = Decimal(text)
            if (number_match.group(3) is not None or len(text) > 11) and _too_many_places(number):
                self.bad(line, f"subject {subject!r}: {item}: {text} has too many places")
                ok = False
            elif number < low or number > high:
                self.bad(line, f"subject {subject!r}: {item} = {text} is outside {low}..{high}")
                ok = False
            else:
                typed_points[item] = number
        for item in fmt.flags:
            text = points.get(item, "").strip()
            flag = _flag(text) if text else None
            if flag is None:
                self.bad(line, f"subject {subject!r}: {item}: {text!r} is not true or false")
                ok = False
            else:
                typed_points[item] = flag
        if not ok:
            return None
        return {
            "subject": subject,
            "period": f"{year:04d}-Q{index}",
            "attributes": typed_attributes,
            "points": typed_points,
        }


def check_text_record(
    fmt: CsvFormat,
    subject: str,
    period: str,
    attributes: Mapping[str, str],
    points: Mapping[str, str],
) -> dict[str, Any]:
    """One record given as text (as a CSV has it), checked and typed.

    Raises:
        CsvError: naming every bad value.
    """
    checker = _Checker(fmt, "<record>")
    typed = checker.record(0, subject, period, attributes, points)
    if typed is None:
        raise CsvError(checker.problems)
    return typed


def read_csv_checked(path: str | Path, fmt: CsvFormat = LADDER_CSV) -> list[dict[str, Any]]:
    """A CSV of `fmt` as typed records, with partyscore's checks: known, unique columns,
    every item present and a decimal of ASCII digits within its range, valid enums and flags,
    quarter labels from the scheme's start, one record per subject and quarter.

    Raises:
        CsvError: naming file and line of every problem.
    """
    name = str(path)
    checker = _Checker(fmt, name)
    records: list[dict[str, Any]] = []
    point_names = [item for item, _, _ in fmt.items] + list(fmt.flags)
    attribute_names = [*fmt.enums, *fmt.bools]
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        header = [column.strip() for column in next(reader, [])]
        known = {"subject", "period", *point_names, *attribute_names}
        for column in ("subject", "period"):
            if column not in header:
                checker.bad(1, f"no {column!r} column")
        if len(set(header)) != len(header):
            checker.bad(1, "a column appears twice")
        for column in header:
            if column not in known:
                checker.bad(1, f"unknown column {column!r}")
        for column in point_names:
            if column not in header:
                checker.bad(1, f"no column for the item {column!r}")
        for column, (_, default) in fmt.enums.items():
            if column not in header and default is None:
                checker.bad(1, f"no column for the attribute {column!r}")
        if checker.problems:
            raise CsvError(checker.problems)
        width = len(header)
        at = {column: position for position, column in enumerate(header)}
        subject_at, period_at = at["subject"], at["period"]
        attribute_at = [(a, at[a]) for a in attribute_names if a in at]
        point_at = [(p, at[p]) for p in point_names]
        for cells in reader:
            line = reader.line_num
            if len(cells) != width:
                if any(cell.strip() for cell in cells):
                    checker.bad(line, f"the row has {len(cells)} cells, the header {width}")
                continue
            if max(map(len, cells)) > MAX_FIELD:
                checker.bad(line, f"a cell is longer than {MAX_FIELD} characters")
                continue
            typed = checker.record(
                line,
                cells[subject_at],
                cells[period_at],
                {attr: cells[position] for attr, position in attribute_at},
                {item: cells[position] for item, position in point_at},
            )
            if typed is not None:
                records.append(typed)
    if checker.problems:
        raise CsvError(checker.problems)
    return records


def format_number(value: Decimal) -> str:
    return f"{value:f}"


def _safe(text: str) -> str:
    """Spreadsheet formulas neutralised, as partyscore does (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(results: Sequence[Res], path: str | Path) -> None:
    """Results in the layout of ``partyscore evaluate --format csv``: a column per score, band,
    band field and rank in first-seen order, reward, withheld and action ids joined by ``;``,
    an amount column per money reward; rows period by period, in rank order (these schemes
    have no groups), a period's ties in subject order."""
    scores: dict[str, None] = {}
    bands: dict[str, None] = {}
    values: dict[str, None] = {}
    ranks: dict[str, None] = {}
    money: dict[str, None] = {}
    for result in results:
        for seen, keys in (
            (scores, result.scores),
            (bands, result.bands),
            (values, result.values),
            (ranks, result.ranks),
        ):
            for key in keys:
                if key not in seen:
                    seen[key] = None
        for reward, amount in result.rewards:
            if amount is not None and reward not in money:
                money[reward] = None
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "subject",
                "period",
                "kind",
                "group",
                *scores,
                *bands,
                *values,
                *ranks,
                "rewards",
                "withheld",
                *(f"{m}_amount" for m in money),
                "actions",
                "warnings",
            ]
        )
        blocks = {(r.period, r.kind): n for n, r in reversed(list(enumerate(results)))}
        listed = sorted(
            enumerate(results),
            key=lambda pair: (
                blocks[(pair[1].period, pair[1].kind)],
                next(iter(pair[1].ranks.values()), 0),
                pair[0],
            ),
        )
        for _, r in listed:
            amounts = {reward: amount for reward, amount in r.rewards if amount is not None}
            writer.writerow(
                [
                    _safe(r.subject),
                    r.period,
                    r.kind,
                    "",
                    *(format_number(r.scores[k]) if k in r.scores else "" for k in scores),
                    *(r.bands.get(k, "") for k in bands),
                    *(format_number(r.values[k]) if k in r.values else "" for k in values),
                    *(str(r.ranks[k]) if k in r.ranks else "" for k in ranks),
                    ";".join(reward for reward, _ in r.rewards),
                    "",
                    *(format_number(amounts[k]) if k in amounts else "" for k in money),
                    ";".join(action for action, _ in taken(r.actions)),
                    "\n".join(r.warnings),
                ]
            )


def taken(actions: list[tuple[str, str]]) -> list[tuple[str, tuple[str, ...]]]:
    """Each action once, with every rule that decided it, in rule order."""
    rules: dict[str, list[str]] = {}
    for action, rule in actions:
        rules.setdefault(action, []).append(rule)
    return [(action, tuple(by)) for action, by in rules.items()]


# --------------------------------------------------------------------------- generators


def _halves(top: int) -> list[Decimal]:
    """0, 0.5, ..., top as Decimals written the way a spreadsheet would (4, not 4.0)."""
    return [Decimal(f"{n // 2}.5" if n % 2 else f"{n // 2}") for n in range(2 * top + 1)]


_HALVES = {top: _halves(top) for top in (2, 4, 5)}
_WHOLE = {top: [Decimal(n) for n in range(top + 1)] for top in (5, 10, 15, 20)}
LADDER_QUARTERS = 40
"""Quarters of the generated ladder data: 2016-Q1 (the scheme's start) to 2025-Q4."""


def ladder_shape(n: int) -> tuple[int, int]:
    """(branches, quarters) for about n ladder records: 40 quarters, n / 40 branches."""
    quarters = min(LADDER_QUARTERS, n)
    return max(1, n // quarters), quarters


def _draw(rng: random.Random, table: list[Decimal], quality: float, spread: float) -> Decimal:
    share = quality + (rng.random() - 0.5) * spread
    share = 0.0 if share < 0 else 1.0 if share > 1 else share
    return table[int(share * (len(table) - 1) + 0.5)]


def ladder_records(
    branches: int, quarters: int = LADDER_QUARTERS, *, seed: int = 153, gaps: bool = False
) -> Iterator[dict[str, Any]]:
    """Typed Chengzhuang records, quarter by quarter from 2016-Q1, `branches` per quarter.

    Most branches score on step 2 or 3; about one in ten is weak, below 70 or 60 for runs of
    quarters, so that every band, every escalation step (with and without a major error),
    ties on every step and last places occur. With `gaps` about one record in 30 is left out,
    so that a missing quarter breaks a run.
    """
    rng = random.Random(seed)
    profiles = []
    for _ in range(branches):
        kind = rng.random()
        base = (
            0.80 + rng.random() * 0.20
            if kind < 0.6
            else 0.62 + rng.random() * 0.18
            if kind < 0.9
            else 0.42 + rng.random() * 0.16
        )
        line = LINES[0] if kind < 0.45 else LINES[1] if kind < 0.8 else LINES[2]
        profiles.append((base, line, 0.08 if kind >= 0.9 else 0.01))
    key_tables = [_HALVES[int(high)] for _, high in KEY_ITEMS]
    basic_tables = [_HALVES[int(high)] for _, high in BASIC_ITEMS]
    innovation_table = _HALVES[2]
    for q in range(quarters):
        period = f"{2016 + q // 4:04d}-Q{q % 4 + 1}"
        for b, (base, line, error_rate) in enumerate(profiles):
            if gaps and rng.random() < 1 / 30:
                continue
            quality = base + (rng.random() - 0.5) * 0.16
            key_quality = quality + 0.16
            points: dict[str, Any] = {}
            for (name, _), table in zip(KEY_ITEMS, key_tables, strict=True):
                points[name] = _draw(rng, table, key_quality, 0.2)
            for (name, _), table in zip(BASIC_ITEMS, basic_tables, strict=True):
                points[name] = _draw(rng, table, quality, 0.3)
            for name in INNOVATION_NAMES:
                points[name] = _draw(rng, innovation_table, quality - 0.45, 0.8)
            bits = rng.getrandbits(len(AUTONOMOUS))
            for position, name in enumerate(AUTONOMOUS):
                points[name] = bool(bits >> position & 1)
            roll = rng.random()
            inaction = INACTION[(roll >= 0.96) + (roll >= 0.98) + (roll >= 0.99)]
            yield {
                "subject": f"b{b:05d}",
                "period": period,
                "attributes": {
                    "line": line,
                    "major_error": rng.random() < error_rate,
                    "inaction": inaction,
                },
                "points": points,
            }


def yongxi_records(
    villages: int, periods: Sequence[str] = ("2024-Q1",), *, seed: int = 209
) -> Iterator[dict[str, Any]]:
    """Typed Yongxi records: integer points, so totals are integers from about 60 to 100 and
    a large township ties in groups of thousands (at the top as well). Two villages are always
    far behind, so they tie for last or take turns and climb the escalation; one is always
    perfect, so it holds the red flag in a row. Every other period is marked harder, so that
    a small township's first places sometimes fall in the half-prize band."""
    rng = random.Random(seed)
    bases = [0.3, 0.32, 1.2] + [0.58 + rng.random() * 0.42 for _ in range(max(0, villages - 3))]
    tables = [_WHOLE[int(high)] for _, high in YONGXI_ITEMS]
    for p, period in enumerate(periods):
        harder = 0.1 if p % 2 else 0.0
        for v in range(villages):
            quality = bases[v] - harder + (rng.random() - 0.5) * 0.1
            yield {
                "subject": f"v{v:06d}",
                "period": period,
                "attributes": {},
                "points": {
                    name: _draw(rng, table, quality, 0.25)
                    for (name, _), table in zip(YONGXI_ITEMS, tables, strict=True)
                },
            }


def write_ladder_csv(records: Iterable[Record], path: str | Path) -> int:
    """Typed ladder records as a CSV in the layout of examples/chengzhuang-ladder.csv;
    returns the number of rows written."""
    items = [name for name, _, _ in LADDER_CSV.items]
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            ["subject", "period", "line", "major_error", "inaction", *items, *AUTONOMOUS]
        )
        for record in records:
            attributes, points = record["attributes"], record["points"]
            writer.writerow(
                [
                    record["subject"],
                    record["period"],
                    attributes["line"],
                    "true" if attributes.get("major_error", False) else "false",
                    attributes.get("inaction", "none"),
                    *(f"{points[name]:f}" for name in items),
                    *("true" if points[name] else "false" for name in AUTONOMOUS),
                ]
            )
            rows += 1
    return rows


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        print("usage: python benchmarks/baselines.py IN.csv OUT.csv", file=sys.stderr)
        return 2
    try:
        records = read_csv_checked(argv[0])
    except CsvError as exc:
        print(exc, file=sys.stderr)
        return 1
    write_csv(ladder(records), argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
