"""History carried from one run to the next: what history rules need of earlier periods.

A run that evaluates this quarter's sheet alone cannot know that a branch was already last
in the first quarter. `History` is what an evaluation leaves behind for the next one: each
subject's escalation counts, and the current year's values that year-end rules read. It is
written as a JSON document (format 1, docs/history.md) that names the scheme id, version
and period kind it belongs to and the first and last period it covers; reading it back
checks every name and value against the scheme, and the engine refuses one whose periods
overlap the new records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._diagnostics import Diagnostic, PartyscoreError
from ._i18n import _
from ._loader import label, parse_yaml, read_text
from ._numbers import NumberError, read_number
from ._periods import Period, from_ordinal, parse_period
from ._plan import ScoreRule
from ._render import dumps
from ._text import clean_text

if TYPE_CHECKING:
    from ._compile import CompiledScheme
    from ._plan import Plan
    from ._records import Row

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "History",
    "HistoryError",
    "SubjectHistory",
    "year_end_names",
]

FORMAT = "partyscore-history"
FORMAT_VERSION = 1
MAX_HISTORY_BYTES = 200_000_000
"""The largest history file read (as large as the largest records file)."""
_LOCATE_BYTES = 5_000_000
"""Problems in a history file up to this size are given a line; larger ones a key path."""


class HistoryError(PartyscoreError):
    """A history file cannot be read, belongs to another scheme, or overlaps the records."""


class SubjectHistory:
    """What one subject carries from period to period: per escalation rule ``(ordinal of
    the last period counted or its year, count)``, and the rows and values of the current
    year that year-end rules read."""

    __slots__ = ("counts", "year", "year_values")

    def __init__(self, escalations: int) -> None:
        self.counts: list[tuple[int | None, int]] = [(None, 0)] * escalations
        self.year: int | None = None
        self.year_values: list[tuple[Row, list[Any]]] = []

    def copy(self) -> SubjectHistory:
        """A copy a new run may change (rows and values are never changed once kept)."""
        twin = SubjectHistory(0)
        twin.counts, twin.year, twin.year_values = (
            list(self.counts),
            self.year,
            list(self.year_values),
        )
        return twin


class History:
    """The history state after an evaluation, to carry into the next one.

    Get it from `Evaluation.history` (or the last `PeriodResults.history`), save it with
    `to_json`, read it back with `History.read` or `History.from_json`, and pass it as
    ``history=`` to `evaluate` or `iter_evaluate`.

    `first_period` is the first period the carried counts know of (the first period of the
    first run in the chain), `last_period` the last one evaluated: the next run's records
    must all come after it.
    """

    __slots__ = ("_scheme", "declared", "first", "last", "subjects")

    def __init__(
        self,
        scheme: CompiledScheme,
        first: Period,
        last: Period,
        subjects: Mapping[str, SubjectHistory],
        *,
        declared: bool = False,
    ) -> None:
        self._scheme = scheme
        self.first = first
        self.last = last
        self.subjects = subjects
        """Each subject's state (internal; read by the engine)."""
        self.declared = declared
        """Whether `first_period` was declared the start of counting (`History.start`):
        then no count warns that it may lack earlier periods."""

    @classmethod
    def start(cls, scheme: CompiledScheme, period: str) -> History:
        """An empty history that declares history rules count from `period`: what came
        before is taken as nothing (a scheme adopted then, or records kept since then),
        and no count warns that it may lack earlier periods. Records must start at
        `period` or later.

        Raises:
            HistoryError: when `period` is not a period label of the scheme's kind.
        """
        kind = scheme.model.period
        try:
            first = parse_period(period, kind)
        except ValueError as exc:
            raise HistoryError(
                [Diagnostic("--history-start", 0, 0, "history-periods", str(exc))]
            ) from None
        return cls(scheme, first, from_ordinal(first.ordinal - 1, kind), {}, declared=True)

    @property
    def scheme(self) -> str:
        """The id of the scheme this history belongs to."""
        return self._scheme.model.id

    @property
    def version(self) -> int:
        """The version of the scheme this history belongs to."""
        return self._scheme.model.version

    @property
    def first_period(self) -> str:
        """The first period the history knows of, e.g. ``2024-Q1``."""
        return self.first.label

    @property
    def last_period(self) -> str:
        """The last period the history covers: later records must come after it."""
        return self.last.label

    def __repr__(self) -> str:
        return (
            f"History(scheme={self.scheme!r}, version={self.version}, "
            f"first_period={self.first_period!r}, last_period={self.last_period!r})"
        )

    # -- writing ------------------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """The history as JSON-ready data (numbers as exact Decimals), subjects sorted."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "scheme": self.scheme,
            "version": self.version,
            "period": self.first.kind,
            "first_period": self.first_period,
            "declared_start": self.declared,
            "last_period": self.last_period,
            "subjects": dict(self._subjects()),
        }

    def _subjects(self) -> Iterator[tuple[str, dict[str, Any]]]:
        program = self._scheme.program
        plan = program.plan
        rules = program.escalations
        names = year_end_names(plan)
        slots = program.slots
        kind = self.first.kind
        for subject in sorted(self.subjects):
            state = self.subjects[subject]
            counts: dict[str, Any] = {}
            end = self.last
            for rule, (last, count) in zip(rules, state.counts, strict=True):
                # a run that ended before the last period, a count of an earlier year: the
                # next period starts them again, so they are not carried
                if count <= 0 or last is None:
                    continue
                if last != (end.ordinal if rule.consecutive else end.year):
                    continue
                if rule.consecutive:
                    counts[rule.id] = {"through": from_ordinal(last, kind).label, "count": count}
                else:
                    counts[rule.id] = {"year": last, "count": count}
            entry: dict[str, Any] = {}
            if counts:
                entry["counts"] = counts
            if state.year is not None and state.year_values:
                last_row = state.year_values[-1][0]
                entry["year"] = {
                    "year": state.year,
                    "parameters": {n: last_row.values[slots[n]] for n in plan.parameters},
                    "periods": [
                        {
                            "period": row.period.label,
                            "group": row.group,
                            "source": row.where,
                            "values": dict(zip(names, values, strict=True)),
                        }
                        for row, values in state.year_values
                    ],
                }
            if entry:
                yield subject, entry

    def to_json(self) -> str:
        """The history as a JSON document (UTF-8 text, exact numbers, stable order)."""
        return dumps(self.to_data()) + "\n"

    # -- reading ------------------------------------------------------------------------

    @classmethod
    def read(cls, path: str | Path, scheme: CompiledScheme) -> History:
        """Read a history file written by `to_json` (or ``evaluate --history-out``).

        Raises:
            HistoryError: naming the file, line and key of every problem: not JSON, another
                scheme, version or period kind, an unknown rule or value name, a bad value.
        """
        text, problem = read_text(
            path, max_bytes=MAX_HISTORY_BYTES, too_large=_("; is it a history file?")
        )
        if problem is not None:
            raise HistoryError([problem])
        assert text is not None
        return cls.from_json(text, scheme, file=str(path))

    @classmethod
    def from_json(cls, text: str, scheme: CompiledScheme, *, file: str = "<history>") -> History:
        """A history from the text of a history file; see `read`."""
        try:
            data = json.loads(text, parse_float=Decimal, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as exc:
            # TRANSLATORS: {reason} is Python's own description of the JSON error, in English
            message = _("not JSON: {reason}").format(reason=exc.msg)
            raise HistoryError(
                [Diagnostic(file, exc.lineno, exc.colno, "history-json", message)]
            ) from None
        except _Duplicate as exc:
            message = _("duplicate key {key!r}").format(key=exc.key)
            raise HistoryError([Diagnostic(file, 0, 0, "history-json", message)]) from None
        except RecursionError:
            message = _("not a history file: nested too deeply")
            raise HistoryError([Diagnostic(file, 0, 0, "history-json", message)]) from None
        reader = _Reader(file, scheme)
        history = reader.history(data)
        if reader.problems:
            raise HistoryError(reader.diagnostics(text, data))
        assert history is not None
        return history


# --------------------------------------------------------------------------- reading


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Duplicate(key)
        result[key] = value
    return result


PathKey = tuple[str | int, ...]


class _Reader:
    """Checks a parsed history document against a scheme, collecting every problem."""

    def __init__(self, file: str, scheme: CompiledScheme) -> None:
        self.file = file
        self.scheme = scheme
        self.program = scheme.program
        self.plan = self.program.plan
        self.kind = scheme.model.period
        self.problems: list[tuple[PathKey, str, str]] = []

    def problem(self, path: PathKey, code: str, message: str) -> None:
        self.problems.append((path, code, message))

    def diagnostics(self, text: str, data: Any) -> list[Diagnostic]:
        document = None
        if len(text) <= _LOCATE_BYTES:
            document, _problems = parse_yaml(text, self.file, max_nodes=len(text) + 10)
        found = []
        for path, code, message in self.problems:
            line, column = document.position(path) if document is not None else (0, 0)
            found.append(Diagnostic(self.file, line, column, code, message, label(data, path)))
        return found

    def history(self, data: Any) -> History | None:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            message = _('not a history file: expected "format": "{format}"').format(format=FORMAT)
            self.problem((), "history-format", message)
            return None
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            self.problem(
                ("format_version",),
                "history-format",
                _(
                    "history format {version!r} is not supported; this partyscore reads format "
                    "{supported}"
                ).format(version=version, supported=FORMAT_VERSION),
            )
            return None
        known = {"format", "format_version", "scheme", "version", "period"}
        known |= {"first_period", "declared_start", "last_period", "subjects"}
        for key in data:
            if key not in known:
                self.problem((key,), "unknown-key", _unknown_key(key))
        for key in sorted(known - set(data) - {"declared_start"}):  # that one may be left out
            self.problem((), "missing-key", _missing_key(key))
        if self.problems:
            return None
        model = self.scheme.model
        mine = (model.id, model.version, model.period)
        theirs = (data["scheme"], data["version"], data["period"])
        if theirs != mine:
            self.problem(
                ("scheme",),
                "history-scheme",
                # TRANSLATORS: {kind} and {own_kind} are the schemes' period kinds (month,
                # quarter, ...), made plural in English by the 's' after them
                _(
                    "this history belongs to scheme {scheme!r} version {version!r} ({kind}s), "
                    "not to {own_scheme!r} version {own_version} ({own_kind}s)"
                ).format(
                    scheme=theirs[0],
                    version=theirs[1],
                    kind=theirs[2],
                    own_scheme=mine[0],
                    own_version=mine[1],
                    own_kind=mine[2],
                ),
            )
            return None
        first = self.period(("first_period",), data["first_period"])
        last = self.period(("last_period",), data["last_period"])
        declared = data.get("declared_start", False)
        if type(declared) is not bool:
            self.problem(("declared_start",), "history-value", _not_a_flag(declared))
        empty = 1 if declared is True else 0  # a declared start may carry no period yet
        if first is not None and last is not None and first.ordinal > last.ordinal + empty:
            message = _("{period} is after {last}").format(period=first, last=last)
            self.problem(("first_period",), "history-periods", message)
        subjects_data = data["subjects"]
        subjects: dict[str, SubjectHistory] = {}
        if not isinstance(subjects_data, dict):
            self.problem(("subjects",), "dict-type", _("expected a mapping of subject ids"))
        elif last is not None:
            for subject, entry in subjects_data.items():
                state = self.subject(("subjects", subject), subject, entry, last)
                if state is not None:
                    subjects[clean_text(subject)] = state
        if self.problems:
            return None
        assert first is not None
        assert last is not None
        return History(self.scheme, first, last, subjects, declared=declared is True)

    def period(self, path: PathKey, value: Any) -> Period | None:
        if not isinstance(value, str):
            message = _("expected a period label, got {value!r}").format(value=value)
            self.problem(path, "history-periods", message)
            return None
        try:
            return parse_period(value, self.kind)
        except ValueError as exc:
            self.problem(path, "history-periods", str(exc))
            return None

    def mapping(self, path: PathKey, value: Any, keys: set[str], needed: set[str]) -> bool:
        if not isinstance(value, dict):
            message = _("expected a mapping, got {value!r}").format(value=value)
            self.problem(path, "dict-type", message)
            return False
        ok = True
        for key in value:
            if key not in keys:
                self.problem((*path, key), "unknown-key", _unknown_key(key))
                ok = False
        for key in sorted(needed - set(value)):
            self.problem(path, "missing-key", _missing_key(key))
            ok = False
        return ok

    def subject(
        self, path: PathKey, subject: str, entry: Any, last: Period
    ) -> SubjectHistory | None:
        try:
            if clean_text(subject) != subject or not subject:
                raise ValueError(_("a subject id is written stripped and in Unicode NFC"))
        except ValueError as exc:
            message = _("subject {subject!r}: {problem}").format(subject=subject, problem=exc)
            self.problem(path, "history-subject", message)
            return None
        if not self.mapping(path, entry, {"counts", "year"}, set()):
            return None
        rules = self.program.escalations
        state = SubjectHistory(len(rules))
        counts = entry.get("counts", {})
        if self.mapping((*path, "counts"), counts, {r.id for r in rules}, set()):
            for index, rule in enumerate(rules):
                if rule.id in counts:
                    found = self.count((*path, "counts", rule.id), counts[rule.id], rule, last)
                    if found is not None:
                        state.counts[index] = found
        if "year" in entry:
            self.year((*path, "year"), entry["year"], subject, state, last)
        return state

    def count(self, path: PathKey, value: Any, rule: Any, last: Period) -> tuple[int, int] | None:
        where = "through" if rule.consecutive else "year"
        if not self.mapping(path, value, {where, "count"}, {where, "count"}):
            return None
        count = value["count"]
        if type(count) is not int or count < 1:
            message = _("expected a count of 1 or more, got {count!r}").format(count=count)
            self.problem((*path, "count"), "history-value", message)
            return None
        if rule.consecutive:
            period = self.period((*path, "through"), value["through"])
            if period is None:
                return None
            if period > last:
                self.problem(
                    (*path, "through"),
                    "history-periods",
                    _("{period} is after the last period {last}").format(period=period, last=last),
                )
                return None
            return (period.ordinal, count)
        year = value["year"]
        if type(year) is not int or not 1 <= year <= last.year:
            self.problem((*path, "year"), "history-value", _not_a_year(year, last))
            return None
        return (year, count)

    def year(
        self, path: PathKey, value: Any, subject: str, state: SubjectHistory, last: Period
    ) -> None:
        from ._records import Row

        keys = {"year", "parameters", "periods"}
        if not self.mapping(path, value, keys, keys):
            return
        year = value["year"]
        if type(year) is not int or not 1 <= year <= last.year:
            self.problem((*path, "year"), "history-value", _not_a_year(year, last))
            return
        plan, program = self.plan, self.program
        slots = program.slots
        values = program.new_values()
        parameters = value["parameters"]
        if self.mapping(
            (*path, "parameters"), parameters, set(plan.parameters), set(plan.parameters)
        ):
            for name, parameter in plan.parameters.items():
                where = (*path, "parameters", name)
                number = self.number(where, parameters[name])
                possible = (
                    {parameter.value} if parameter.by is None else set(parameter.values.values())
                )
                if number is not None and number not in possible:
                    # TRANSLATORS: joins the values a parameter may have, as in "80 or 85"
                    shown = _(" or ").join(sorted(str(p) for p in possible))
                    # TRANSLATORS: {parameter} is a parameter name, {values} its possible values
                    message = _("{number} is not {parameter} ({values})").format(
                        number=number, parameter=name, values=shown
                    )
                    self.problem(where, "history-value", message)
                elif number is not None:
                    values[slots[name]] = number
        periods = value["periods"]
        if not isinstance(periods, list) or not periods:
            message = _("expected a list of one or more periods")
            self.problem((*path, "periods"), "list-type", message)
            return
        names = year_end_names(plan)
        types = plan.types
        ranges = {r.id: (r.min, r.max) for r in plan.rules if isinstance(r, ScoreRule)}
        before: Period | None = None
        kept: list[tuple[Row, list[Any]]] = []
        for index, item in enumerate(periods):
            here = (*path, "periods", index)
            if not self.mapping(
                here, item, {"period", "group", "source", "values"}, {"period", "source", "values"}
            ):
                continue
            period = self.period((*here, "period"), item["period"])
            if period is None:
                continue
            if period.year != year or period > last or (before is not None and period <= before):
                self.problem(
                    (*here, "period"),
                    "history-periods",
                    _("{period} is not a later period of {year} up to {last}").format(
                        period=period, year=year, last=last
                    ),
                )
                continue
            before = period
            group = item.get("group")
            source = item["source"]
            if (group is not None and not isinstance(group, str)) or not isinstance(source, str):
                self.problem(here, "history-value", _("'group' and 'source' are text"))
                continue
            file, _colon, line = source.rpartition(":")
            given = item["values"]
            if not self.mapping((*here, "values"), given, set(names), set(names)):
                continue
            row_values: list[Any] = []
            for name in names:
                raw = given[name]
                if types[name].name == "bool":
                    if type(raw) is not bool:
                        self.problem((*here, "values", name), "history-value", _not_a_flag(raw))
                    row_values.append(raw)
                else:
                    number = self.number((*here, "values", name), raw)
                    low, high = ranges.get(name, (None, None))
                    if number is not None and (
                        (low is not None and number < low) or (high is not None and number > high)
                    ):
                        self.problem(
                            (*here, "values", name),
                            "history-value",
                            # TRANSLATORS: {range} is as in 0..100 (an end may be missing)
                            _("{name} = {number} is outside its declared range {range}").format(
                                name=name,
                                number=number,
                                range=_declared_range(low, high),
                            ),
                        )
                    row_values.append(number)
            row = Row(
                subject, period, group, values, file, int(line) if line.isdigit() else 0, program
            )
            kept.append((row, row_values))
        state.year, state.year_values = year, kept

    def number(self, path: PathKey, value: Any) -> Decimal | None:
        try:
            return read_number(value, text=False)
        except NumberError as exc:
            self.problem(path, "history-value", str(exc))
            return None


def _unknown_key(key: str) -> str:
    return _("unknown key {key!r}").format(key=key)


def _missing_key(key: str) -> str:
    return _("missing required key {key!r}").format(key=key)


def _not_a_flag(value: Any) -> str:
    return _("expected true or false, got {value!r}").format(value=value)


def _not_a_year(year: Any, last: Period) -> str:
    return _("expected a year up to {last}, got {year!r}").format(last=last.year, year=year)


def _declared_range(low: Decimal | None, high: Decimal | None) -> str:
    return f"{'' if low is None else low}..{'' if high is None else high}"


def year_end_names(plan: Plan) -> tuple[str, ...]:
    """The per-period names (numbers and flags) that year-end rules read: the only values
    kept from period to period for them."""
    read = {name for rule in plan.year_end for name in rule.reads}
    return tuple(
        name
        for name, type_ in plan.types.items()
        if name in read and type_.name in ("number", "bool") and name not in plan.parameters
    )
