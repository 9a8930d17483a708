"""The scheme test file: its Pydantic models, reading and checking it, finding test files.

`FileSpec` and the models it holds describe the format and are validated as a scheme file's
are; `_Checker` then checks what needs the scheme or the file system: files exist, expected
names are the scheme's (`_Names`, read from the compiled plan), keys that go together do.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from .. import models as m
from .._compile import CompiledScheme, iter_scheme_files, load_scheme
from .._diagnostics import Diagnostic, PartyscoreError, SchemeError, sort_diagnostics
from .._expr import suggest
from .._i18n import N_, _
from .._loader import Document, PathKey, parse_yaml, read_text
from .._locate import Locator, pydantic_diagnostics
from .._plan import ConditionRule, HonourRule, MoneyRule, Rule, ScoreRule, declared_order
from .._records import Record

TEST_SUFFIX = ".test.yaml"
"""How a scheme test file's name ends: ``NAME.test.yaml`` tests ``NAME.yaml``."""
MAX_TEST_BYTES = 10_000_000
"""Largest scheme test file accepted, in bytes."""

_CODE = re.compile(r"[a-z]+(-[a-z]+)*")

_R = TypeVar("_R", bound=Rule)


class SchemeTestError(PartyscoreError):
    """A scheme test file is invalid, or the scheme it names is; carries every problem found."""


# --------------------------------------------------------------------------- the format


def _text(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError(
            "string-too-short",
            _("expected text that is not blank, got {value}"),
            {"value": repr(value)},
        )
    return value


def _id_as_text(value: Any) -> Any:
    # YAML reads the year 2024 and the subject 17 as numbers; records take them as text
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _stripped_text(value: str) -> str:
    return _text(value).strip()


def _error_code(value: str) -> str:
    if not _CODE.fullmatch(value):
        raise PydanticCustomError(
            "error-code",
            _(
                "{value} is not an error code: use lower-case words joined by '-', such as "
                "out-of-range"
            ),
            {"value": repr(value)},
        )
    return value


def _outcome_entry(value: Any) -> Any:
    """An entry of an outcome list is an id, short for a mapping that gives only the id."""
    if isinstance(value, str):
        return {"id": _text(value)}
    if isinstance(value, dict):
        return value
    raise PydanticCustomError(
        "dict-type",
        _("expected an id or a mapping with an 'id', got {value}"),
        {"value": repr(value)},
    )


Text = Annotated[str, AfterValidator(_text)]
"""Text that is not blank: a case name, a file path, a name of the scheme to compare."""
SubjectOrPeriod = Annotated[str, BeforeValidator(_id_as_text), AfterValidator(_stripped_text)]
"""A subject id or a period label, written as in the records (``2024-Q1``, ``2024``, ``17``)."""
ErrorCode = Annotated[str, AfterValidator(_error_code)]


class Defaults(m.Model):
    """Attributes and points that inline records start from."""

    attributes: dict[str, Any] = Field(default_factory=dict)
    points: dict[str, Any] = Field(default_factory=dict)


class InlineRecord(m.Model):
    """A record written in the test file. Its values are checked when the case runs, against
    the scheme, so that a case can expect a record error."""

    subject: Any = None
    period: Any = None
    attributes: dict[str, Any] | None = None
    points: dict[str, Any] | None = None


class ExpectedOutcome(m.Model):
    """An expected reward or action, by its id; the other keys given are compared too."""

    id: Text


class ExpectedReward(ExpectedOutcome):
    """``pay``, or ``{id: pay, amount: "20.00", currency: CNY}``."""

    amount: m.Number | None = None
    currency: m.Currency | None = None


class ExpectedAction(ExpectedOutcome):
    """``warning``, ``{id: warning, rule: warn}`` (the one rule that decided), or
    ``{id: warning, rules: [warn, warn_again]}`` (every rule that decided, in rule order)."""

    rule: Text | None = None
    rules: list[Text] | None = Field(default=None, min_length=1)


RewardEntry = Annotated[ExpectedReward, BeforeValidator(_outcome_entry)]
ActionEntry = Annotated[ExpectedAction, BeforeValidator(_outcome_entry)]


class Expectation(m.Model):
    """What one result must hold. Only the keys given are compared; the outcome lists
    (`rewards`, `withheld`, `actions`), when given, must match exactly (in any order)."""

    subject: SubjectOrPeriod
    period: SubjectOrPeriod
    kind: Literal["period", "year_end"] | None = None
    group: Text | None = None
    scores: dict[str, m.Number] = Field(default_factory=dict)
    bands: dict[str, Text] = Field(default_factory=dict)
    values: dict[str, m.Number] = Field(default_factory=dict)
    ranks: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    rewards: list[RewardEntry] | None = None
    withheld: list[RewardEntry] | None = None
    actions: list[ActionEntry] | None = None


class ExpectedError(m.Model):
    """An error the case expects instead of results: a diagnostic with this code (and, when
    given, a message containing `message`)."""

    code: ErrorCode
    message: Text | None = None


class CaseSpec(m.Model):
    """One case as written: records (inline or from a file) and what evaluating them gives.

    Which keys go together (`records` or `records_file`, `expect` or `expect_error`) is
    checked after validation, with the scheme's names.
    """

    name: Text
    description: Text | None = None
    defaults: Defaults | None = None
    records: list[InlineRecord] | None = None
    records_file: Text | None = None
    expect: list[Expectation] | None = None
    expect_error: ExpectedError | None = None
    expect_warnings: list[Text] | None = None


class EquivalentMutant(m.Model):
    """A change to the scheme that no records can tell apart (``partyscore test
    --mutate``), named as the mutation run prints it, with the reason."""

    path: Text
    change: Text
    reason: Text


class FileSpec(m.Model):
    """A whole scheme test file."""

    scheme: Text
    defaults: Defaults | None = None
    cases: list[CaseSpec] = Field(min_length=1)
    equivalent_mutants: list[EquivalentMutant] = Field(default_factory=list)


@dataclass(frozen=True)
class Case:
    """One test case, ready to run: its records (inline ones over the defaults, or a file) and
    what evaluating them must give."""

    name: str
    file: str
    line: int
    records: tuple[Record, ...] = ()
    records_file: Path | None = None
    expect: tuple[Expectation, ...] = ()
    error: ExpectedError | None = None
    warnings: tuple[str, ...] | None = None
    description: str | None = None


@dataclass(frozen=True)
class SchemeTestFile:
    """A checked scheme test file with its compiled scheme; `equivalent` maps each declared
    equivalent mutant, ``(path, change)``, to its reason and line."""

    path: Path
    scheme: CompiledScheme
    cases: tuple[Case, ...]
    equivalent: Mapping[tuple[str, str], tuple[str, int]] = field(default_factory=dict)


# --------------------------------------------------------------------------- reading


def find_test_files(paths: Sequence[str | Path]) -> list[Path]:
    """The scheme test files named by `paths`.

    A folder is searched recursively for ``*.test.yaml`` (hidden folders such as ``.venv``
    excepted); a ``*.test.yaml`` file is taken as given; a scheme file ``NAME.yaml`` stands
    for ``NAME.test.yaml`` beside it (which `load_test_file` reports as unreadable when it
    does not exist). Each file once, in order.

    >>> find_test_files(["schemes"])  # doctest: +SKIP
    [PosixPath('schemes/chengzhuang-ladder.test.yaml'), ...]

    Raises:
        Nothing: paths that do not exist are returned as given, to be reported on loading.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob(f"*{TEST_SUFFIX}")
                    if p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.name.endswith(TEST_SUFFIX):
            found.append(path)
        elif path.suffix in (".yaml", ".yml"):
            found.append(path.with_name(path.stem + TEST_SUFFIX))
        else:
            found.append(path)
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path, None)
    return list(unique)


def untested_schemes(paths: Sequence[str | Path]) -> list[Path]:
    """Scheme files in the folders among `paths` that have no ``NAME.test.yaml`` beside them.

    >>> untested_schemes(["schemes"])  # doctest: +SKIP
    []

    Raises:
        Nothing: only existing folders are searched.
    """
    folders = [p for p in paths if Path(p).is_dir()]
    return [p for p in iter_scheme_files(folders) if not p.with_name(p.stem + TEST_SUFFIX).exists()]


def load_test_file(path: str | Path) -> SchemeTestFile:
    """Read and check a scheme test file and load the scheme it names.

    Every key is checked (unknown keys, types, names of scores, bands, rankings, rewards and
    actions against the scheme) and every problem is reported with its line and column.

    >>> tests = load_test_file("schemes/chengzhuang-ladder.test.yaml")  # doctest: +SKIP
    >>> tests.scheme.id, len(tests.cases)  # doctest: +SKIP
    ('chengzhuang-ladder', 8)

    Raises:
        SchemeTestError: carrying every problem of the test file, and of its scheme when the
            scheme does not load.
    """
    name = str(path)
    text, problem = read_text(path, max_bytes=MAX_TEST_BYTES)
    if text is None:
        assert problem is not None
        raise SchemeTestError([problem])
    document, problems = parse_yaml(text, name)
    if document is None:
        raise SchemeTestError(problems)
    locator = Locator(name, document, _label)
    if not isinstance(document.data, dict):
        message = _("a scheme test file must be a YAML mapping")
        raise SchemeTestError(
            sort_diagnostics([*problems, locator.diag((), "not-a-mapping", message)])
        )
    spec: FileSpec | None = None
    try:
        spec = FileSpec.model_validate(document.data)
    except ValidationError as exc:
        problems.extend(pydantic_diagnostics(exc, locator, FileSpec))
        scheme_name, cases, expectations = _valid_parts(document.data, exc)
    else:
        scheme_name, cases, expectations = spec.scheme, list(enumerate(spec.cases)), []
    checker = _Checker(document, locator, Path(path).parent)
    scheme = checker.scheme(scheme_name) if scheme_name is not None else None
    names = _Names.of(scheme) if scheme is not None else None
    checker.cases(cases, names)
    if names is not None:
        for where, expected in expectations:
            checker.expectation(expected, where, names)
    problems.extend(checker.problems)
    if problems or spec is None or scheme is None:
        raise SchemeTestError(sort_diagnostics(problems))
    equivalent = {
        (e.path, e.change): (e.reason, document.position(("equivalent_mutants", index))[0])
        for index, e in enumerate(spec.equivalent_mutants)
    }
    return SchemeTestFile(Path(path), scheme, _cases(spec, document, Path(path).parent), equivalent)


def _valid_parts(
    data: dict[str, Any], error: ValidationError
) -> tuple[str | None, list[tuple[int, CaseSpec]], list[tuple[PathKey, Expectation]]]:
    """What is valid in a file that is not: the scheme file name, the valid cases (with their
    index), and the valid expectations of the other cases (with their path), so that their
    names are checked too and every problem is reported at once."""
    failed: set[PathKey] = set()  # every path at or above a problem
    for problem in error.errors(include_url=False):
        loc = tuple(problem["loc"])
        failed.update(loc[:end] for end in range(1, len(loc) + 1))
    scheme = data.get("scheme") if ("scheme",) not in failed else None
    raw_cases = data.get("cases")
    cases: list[tuple[int, CaseSpec]] = []
    expectations: list[tuple[PathKey, Expectation]] = []
    for index, raw in enumerate(raw_cases if isinstance(raw_cases, list) else ()):
        if ("cases", index) not in failed:
            cases.append((index, CaseSpec.model_validate(raw)))
            continue
        raw_expect = raw.get("expect") if isinstance(raw, dict) else None
        for row, entry in enumerate(raw_expect if isinstance(raw_expect, list) else ()):
            where: PathKey = ("cases", index, "expect", row)
            if where not in failed:
                expectations.append((where, Expectation.model_validate(entry)))
    return scheme, cases, expectations


def _cases(spec: FileSpec, document: Document, base: Path) -> tuple[Case, ...]:
    """The cases of a checked file, ready to run: inline records over the defaults, with
    the line of each record; a records file's path resolved."""
    cases = []
    for index, case in enumerate(spec.cases):
        path: PathKey = ("cases", index)
        layers = [d for d in (spec.defaults, case.defaults) if d is not None]
        attributes = {k: v for layer in layers for k, v in layer.attributes.items()}
        points = {k: v for layer in layers for k, v in layer.points.items()}
        records = tuple(
            Record(
                subject=record.subject,
                period=record.period,
                attributes={**attributes, **(record.attributes or {})},
                points={**points, **(record.points or {})},
                file=document.file,
                row=document.position((*path, "records", row))[0],
            )
            for row, record in enumerate(case.records or ())
        )
        cases.append(
            Case(
                name=case.name,
                file=document.file,
                line=document.position(path)[0],
                records=records,
                records_file=_resolve(base, case.records_file) if case.records_file else None,
                expect=tuple(case.expect or ()),
                error=case.expect_error,
                warnings=None if case.expect_warnings is None else tuple(case.expect_warnings),
                description=case.description,
            )
        )
    return tuple(cases)


def _resolve(base: Path, relative: str) -> Path:
    """A path written in a test file: relative to the file's folder."""
    return Path(os.path.normpath(base / relative))


@dataclass(frozen=True)
class _Names:
    """The names of a scheme that expectations may mention."""

    scores: list[str]
    bandings: dict[str, list[str]]
    fields: list[str]
    rankings: list[str]
    rewards: list[str]
    actions: list[str]
    rules: list[str]

    @classmethod
    def of(cls, scheme: CompiledScheme) -> _Names:
        plan = scheme.plan
        year_end = plan.year_end
        scores = [s.id for s in declared_order(plan.sections) if not s.veto]
        scores += [s.id for s in declared_order(plan.scores)]
        scores += [s.id for s in year_end if isinstance(s, ScoreRule)]
        bandings = declared_order(plan.bandings)
        rewards = [r.id for r in declared_order(plan.rewards)]
        rewards += [r.id for r in year_end if isinstance(r, HonourRule | MoneyRule)]
        conditions = [r for r in year_end if isinstance(r, ConditionRule)]
        rules = [*declared_order(plan.actions), *conditions]
        actions: set[str] = set()
        for rule in rules:
            if isinstance(rule, ConditionRule):
                actions.add(rule.action)
            else:
                actions.update(step.action for step in rule.steps)
        return cls(
            scores=scores,
            bandings={b.id: list(b.band_ids) for b in bandings},
            fields=sorted(set(plan.field_names)),
            rankings=[r.id for r in declared_order(plan.rankings)],
            rewards=rewards,
            actions=sorted(actions),
            rules=[r.id for r in rules],
        )


def _item_name(item: Any, index: int) -> str:
    """How a list item is named in a key path: by its name, subject and period, or id."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict):
        name = item.get("name")
        if isinstance(name, str) and name:
            return name
        subject, period = item.get("subject"), item.get("period")
        if isinstance(subject, str | int) and isinstance(period, str | int):
            return f"{subject} {period}"
        ident = item.get("id")
        if isinstance(ident, str):
            return ident
    return str(index)


def _label(data: Any, path: PathKey) -> str:
    """A readable key path: ``cases[step 1 at 70].expect[b1 2024-Q1].bands.step``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            item = data[part] if isinstance(data, list) and 0 <= part < len(data) else None
            text += f"[{_item_name(item, part)}]"
            data = item
        else:
            text += f".{part}" if text else part
            data = data.get(part) if isinstance(data, dict) else None
    return text


def _value_at(data: Any, path: PathKey) -> Any:
    for part in path:
        data = data[part]
    return data


class _Checker:
    """Checks what the models leave to the scheme and the file system: the scheme file and
    records files exist, expected names are the scheme's, each case gives one of `records`
    and `records_file` and one of `expect` and `expect_error`, and no two cases share a name.
    Collects every problem with its position."""

    def __init__(self, document: Document, locator: Locator, base: Path) -> None:
        self.document = document
        self.locator = locator
        self.base = base
        self.problems: list[Diagnostic] = []

    def error(self, path: PathKey, code: str, message: str, *, key: bool = False) -> None:
        self.problems.append(self.locator.diag(path, code, message, key=key))

    def scheme(self, name: str) -> CompiledScheme | None:
        path = _resolve(self.base, name)
        if not path.is_file():
            self.error(
                ("scheme",),
                "missing-scheme",
                _(
                    "no scheme file {name!r} (looked for {path}); the path is relative to the "
                    "test file"
                ).format(name=name, path=path),
            )
            return None
        try:
            return load_scheme(path)
        except SchemeError as exc:
            self.problems.extend(exc.diagnostics)
            return None

    def cases(self, cases: Sequence[tuple[int, CaseSpec]], names: _Names | None) -> None:
        first: dict[str, int] = {}  # case name -> the line of the case that has it
        for index, case in cases:
            path: PathKey = ("cases", index)
            if case.name in first:
                self.error(
                    (*path, "name"),
                    "duplicate-name",
                    _("another case is named {name!r} (line {line})").format(
                        name=case.name, line=first[case.name]
                    ),
                )
            first.setdefault(case.name, self.document.position(path)[0])
            self.case(case, path)
            if names is not None:
                for row, expected in enumerate(case.expect or ()):
                    self.expectation(expected, (*path, "expect", row), names)

    def case(self, case: CaseSpec, path: PathKey) -> None:
        if case.defaults is not None and case.records_file is not None:
            self.error(
                (*path, "defaults"),
                "test-shape",
                _("'defaults' fill in inline 'records', not a 'records_file'"),
                key=True,
            )
        records = case.records is not None
        if records == (case.records_file is not None):
            where = (*path, "records_file") if records else path
            message = _("give either 'records' or 'records_file'")
            self.error(where, "test-shape", message, key=records)
        elif case.records_file is not None:
            resolved = _resolve(self.base, case.records_file)
            if not resolved.is_file():
                self.error(
                    (*path, "records_file"),
                    "unreadable",
                    _(
                        "no records file {name!r} (looked for {path}); the path is relative to "
                        "the test file"
                    ).format(name=case.records_file, path=resolved),
                )
        expect = case.expect is not None
        if expect == (case.expect_error is not None):
            where = (*path, "expect_error") if expect else path
            message = _("give either 'expect' or 'expect_error'")
            self.error(where, "test-shape", message, key=expect)
        if case.expect_warnings is not None and case.expect_error is not None:
            self.error(
                (*path, "expect_warnings"),
                "test-shape",
                _("'expect_warnings' goes with 'expect', not with 'expect_error'"),
                key=True,
            )

    def expectation(self, expected: Expectation, path: PathKey, names: _Names) -> None:
        no_score = N_("the scheme has no score {name!r}")
        self.known(expected.scores, names.scores, (*path, "scores"), no_score)
        no_field = N_("the scheme has no band field {name!r}")
        self.known(expected.values, names.fields, (*path, "values"), no_field)
        no_ranking = N_("the scheme has no ranking {name!r}")
        self.known(expected.ranks, names.rankings, (*path, "ranks"), no_ranking)
        where = (*path, "bands")
        no_banding = N_("the scheme has no banding {name!r}")
        for banding in self.known(expected.bands, list(names.bandings), where, no_banding):
            band, bands = expected.bands[banding], names.bandings[banding]
            if band not in bands:
                self.error(
                    (*where, banding),
                    "unknown-band",
                    _("the banding {banding!r} has no band {band!r}").format(
                        banding=banding, band=band
                    )
                    + suggest(band, bands),
                )
        no_reward = N_("the scheme has no reward {name!r}")
        self.outcomes(expected.rewards, (*path, "rewards"), names.rewards, no_reward)
        self.outcomes(expected.withheld, (*path, "withheld"), names.rewards, no_reward)
        no_action = N_("the scheme has no action {name!r}")
        self.outcomes(expected.actions, (*path, "actions"), names.actions, no_action)
        for index, action in enumerate(expected.actions or ()):
            if action.id not in names.actions:
                continue
            given = [((*path, "actions", index, "rule"), action.rule)] if action.rule else []
            given += [
                ((*path, "actions", index, "rules", n), rule)
                for n, rule in enumerate(action.rules or ())
            ]
            for where, rule in given:
                if rule not in names.rules:
                    self.error(
                        where,
                        "unknown-name",
                        _("the scheme has no action rule {name!r}").format(name=rule)
                        + suggest(rule, names.rules),
                    )

    def known(
        self, given: Mapping[str, object], known: list[str], path: PathKey, what: str
    ) -> list[str]:
        """The names among `given`'s keys that the scheme has; an error for each other one,
        `what` (a message marked with `N_`, with ``{name}``)."""
        found = []
        for name in given:
            if name in known:
                found.append(name)
            else:
                message = _(what).format(name=name) + suggest(name, known)
                self.error((*path, name), "unknown-name", message, key=True)
        return found

    def outcomes(
        self,
        entries: Sequence[ExpectedOutcome] | None,
        path: PathKey,
        known: list[str],
        what: str,
    ) -> None:
        for index, entry in enumerate(entries or ()):
            if entry.id not in known:
                at: PathKey = (*path, index)
                if not isinstance(_value_at(self.document.data, at), str):
                    at = (*at, "id")  # a mapping, not an id alone
                message = _(what).format(name=entry.id) + suggest(entry.id, known)
                self.error(at, "unknown-name", message)
