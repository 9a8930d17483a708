"""Scheme tests: cases that live beside a scheme, run against it, with coverage.

The cases for ``schemes/NAME.yaml`` live in ``schemes/NAME.test.yaml``::

    scheme: NAME.yaml                  # relative to the test file
    defaults: {attributes: {...}, points: {...}}   # optional, under every inline record
    cases:
      - name: step 1 starts at exactly 70
        records:
          - {subject: b1, period: 2024-Q1, attributes: {line: front}, points: {key_01: 5}}
        expect:
          - subject: b1
            period: 2024-Q1
            scores: {total: "70.00"}
            bands: {step: step1}
            rewards: [{id: ladder_pay, amount: "2400.00"}]
            actions: [self_reflection]
      - name: points above the maximum are refused
        records: [...]
        expect_error: {code: out-of-range}

Pydantic models (`FileSpec` and the models it holds) describe the format and are validated
as a scheme file's are; a second pass checks what needs the scheme or the file system.
`load_test_file` reads and checks a test file (every problem with its line and column) and
loads its scheme; `run_case` evaluates one case and compares; `run_tests` runs every test file
under some paths and adds up coverage: the bands, rewards, actions (per rule and per
escalation step) and band boundaries that the cases reached. The format is described in
``docs/scheme-tests.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from . import models as m
from ._compile import CompiledScheme, iter_scheme_files, load_scheme
from ._diagnostics import (
    Diagnostic,
    EvaluationError,
    PartyscoreError,
    RecordError,
    SchemeError,
    sort_diagnostics,
)
from ._evaluate import evaluate
from ._expr import format_value, suggest
from ._loader import Document, PathKey, parse_yaml, read_text
from ._locate import Locator, pydantic_diagnostics
from ._records import Record, check_records, read_records
from ._results import Evaluation, Outcome, Result

__all__ = [
    "BOUNDS",
    "CATEGORIES",
    "TEST_SUFFIX",
    "Case",
    "CaseResult",
    "Coverage",
    "CoverageCategory",
    "SchemeReport",
    "SchemeTestError",
    "SchemeTestFile",
    "SchemeTestReport",
    "coverage_items",
    "find_test_files",
    "load_test_file",
    "measure_coverage",
    "run_case",
    "run_test_file",
    "run_tests",
    "untested_schemes",
]

TEST_SUFFIX = ".test.yaml"
"""How a scheme test file's name ends: ``NAME.test.yaml`` tests ``NAME.yaml``."""
MAX_TEST_BYTES = 10_000_000
"""Largest scheme test file accepted, in bytes."""
CATEGORIES = ("bands", "rewards", "actions", "boundaries")
"""The coverage categories, in report order."""
BOUNDS = ("at_least", "above", "at_most", "below")

_CODE = re.compile(r"[a-z]+(-[a-z]+)*")


class SchemeTestError(PartyscoreError):
    """A scheme test file is invalid, or the scheme it names is; carries every problem found."""


# --------------------------------------------------------------------------- the format


def _text(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError(
            "string-too-short",
            "expected text that is not blank, got {value}",
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
            "{value} is not an error code: use lower-case words joined by '-', such as "
            "out-of-range",
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
        "dict-type", "expected an id or a mapping with an 'id', got {value}", {"value": repr(value)}
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
    """``warning``, or ``{id: warning, rule: warn}`` (the rule that decided)."""

    rule: Text | None = None


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


class FileSpec(m.Model):
    """A whole scheme test file."""

    scheme: Text
    defaults: Defaults | None = None
    cases: list[CaseSpec] = Field(min_length=1)


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
    """A checked scheme test file with its compiled scheme."""

    path: Path
    scheme: CompiledScheme
    cases: tuple[Case, ...]


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
        message = "a scheme test file must be a YAML mapping"
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
    return SchemeTestFile(Path(path), scheme, _cases(spec, document, Path(path).parent))


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
        model = scheme.model
        scores = [s.id for s in model.sections if s.kind in ("scored", "bonus")]
        scores += [s.id for s in model.scores]
        bandings = {b.id: [band.id for band in b.bands] for b in model.bands}
        for b in model.bands:
            if isinstance(b.unbanded, m.Unbanded):
                bandings[b.id].append(b.unbanded.id)
        rewards = [r.id for r in model.rewards]
        actions: list[str] = []
        rules = [a.id for a in model.actions]
        for action in model.actions:
            if isinstance(action, m.Condition):
                actions.append(action.action or action.id)
            else:
                actions.extend(step.action for step in action.steps)
        if model.year_end is not None:
            scores += [s.id for s in model.year_end.scores]
            rewards += [r.id for r in model.year_end.rewards]
            rules += [a.id for a in model.year_end.actions]
            actions += [a.action or a.id for a in model.year_end.actions]
        return cls(
            scores=scores,
            bandings=bandings,
            fields=sorted({f for b in model.bands for f in b.fields}),
            rankings=[r.id for r in model.rankings],
            rewards=rewards,
            actions=sorted(set(actions)),
            rules=rules,
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
                f"no scheme file {name!r} (looked for {path}); the path is relative to "
                "the test file",
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
                    f"another case is named {case.name!r} (line {first[case.name]})",
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
                "'defaults' fill in inline 'records', not a 'records_file'",
                key=True,
            )
        records = case.records is not None
        if records == (case.records_file is not None):
            where = (*path, "records_file") if records else path
            self.error(where, "test-shape", "give either 'records' or 'records_file'", key=records)
        elif case.records_file is not None:
            resolved = _resolve(self.base, case.records_file)
            if not resolved.is_file():
                self.error(
                    (*path, "records_file"),
                    "unreadable",
                    f"no records file {case.records_file!r} (looked for {resolved}); the path "
                    "is relative to the test file",
                )
        expect = case.expect is not None
        if expect == (case.expect_error is not None):
            where = (*path, "expect_error") if expect else path
            self.error(where, "test-shape", "give either 'expect' or 'expect_error'", key=expect)
        if case.expect_warnings is not None and case.expect_error is not None:
            self.error(
                (*path, "expect_warnings"),
                "test-shape",
                "'expect_warnings' goes with 'expect', not with 'expect_error'",
                key=True,
            )

    def expectation(self, expected: Expectation, path: PathKey, names: _Names) -> None:
        self.known(expected.scores, names.scores, (*path, "scores"), "score")
        self.known(expected.values, names.fields, (*path, "values"), "band field")
        self.known(expected.ranks, names.rankings, (*path, "ranks"), "ranking")
        where = (*path, "bands")
        for banding in self.known(expected.bands, list(names.bandings), where, "banding"):
            band, bands = expected.bands[banding], names.bandings[banding]
            if band not in bands:
                self.error(
                    (*where, banding),
                    "unknown-band",
                    f"the banding {banding!r} has no band {band!r}" + suggest(band, bands),
                )
        self.outcomes(expected.rewards, (*path, "rewards"), names.rewards, "reward")
        self.outcomes(expected.withheld, (*path, "withheld"), names.rewards, "reward")
        self.outcomes(expected.actions, (*path, "actions"), names.actions, "action")
        for index, action in enumerate(expected.actions or ()):
            rule = action.rule
            if action.id in names.actions and rule is not None and rule not in names.rules:
                self.error(
                    (*path, "actions", index, "rule"),
                    "unknown-name",
                    f"the scheme has no action rule {rule!r}" + suggest(rule, names.rules),
                )

    def known(
        self, given: Mapping[str, object], known: list[str], path: PathKey, what: str
    ) -> list[str]:
        """The names among `given`'s keys that the scheme has; an error for each other one."""
        found = []
        for name in given:
            if name in known:
                found.append(name)
            else:
                message = f"the scheme has no {what} {name!r}" + suggest(name, known)
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
                message = f"the scheme has no {what} {entry.id!r}" + suggest(entry.id, known)
                self.error(at, "unknown-name", message)


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case: `failures` holds one readable line per difference (empty when
    the case passed); `exercised` the coverage items its evaluation reached, as
    ``(category, item)`` pairs."""

    file: str
    name: str
    line: int
    failures: tuple[str, ...] = ()
    exercised: frozenset[tuple[str, str]] = frozenset()

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures

    def render(self) -> str:
        """``file:line: FAIL name`` and the indented differences (``file:line: ok name`` when
        the case passed)."""
        head = f"{self.file}:{self.line}: {'ok' if self.passed else 'FAIL'} {self.name}"
        return "\n".join([head, *(f"    {failure}" for failure in self.failures)])


def run_case(tests: SchemeTestFile, case: Case) -> CaseResult:
    """Evaluate one case against its scheme and compare with what it expects.

    >>> tests = load_test_file("schemes/chengzhuang-ladder.test.yaml")  # doctest: +SKIP
    >>> run_case(tests, tests.cases[0]).failures  # doctest: +SKIP
    ()

    Raises:
        Nothing for bad records or evaluation errors: those make the case fail (or pass, when
        it expects that error).
    """
    scheme = tests.scheme
    try:
        if case.records_file is not None:
            records: Sequence[Record] = read_records(case.records_file, scheme)
        else:
            records = case.records
        evaluation = evaluate(scheme, records)
    except (RecordError, EvaluationError) as exc:
        return CaseResult(case.file, case.name, case.line, _error_failures(case, exc))
    failures: list[str] = []
    if case.error is not None:
        failures.append(f"expected an error {_show_error(case.error)}, got results")
    for expectation in case.expect:
        failures.extend(_compare(expectation, evaluation))
    if case.warnings is not None and tuple(evaluation.warnings) != case.warnings:
        failures.append(
            f"warnings: expected {_show_texts(case.warnings)}, "
            f"got {_show_texts(evaluation.warnings)}"
        )
    exercised = frozenset(_exercised(scheme, evaluation, records))
    return CaseResult(case.file, case.name, case.line, tuple(failures), exercised)


def _error_failures(case: Case, error: PartyscoreError) -> tuple[str, ...]:
    if case.error is None:
        return tuple(f"unexpected error: {d.render()}" for d in error.diagnostics)
    if any(_error_matches(case.error, d) for d in error.diagnostics):
        return ()
    return (
        f"expected an error {_show_error(case.error)}, got other errors:",
        *(f"  {d.render()}" for d in error.diagnostics),
    )


def _show_texts(texts: Iterable[str]) -> str:
    return "[" + ", ".join(repr(t) for t in texts) + "]"


def _find(evaluation: Evaluation, expected: Expectation) -> Result | None:
    found = [
        r
        for r in evaluation.results
        if r.subject == expected.subject and r.period == expected.period
    ]
    if expected.kind is not None:
        found = [r for r in found if r.kind == expected.kind]
    found.sort(key=lambda r: r.kind != "period")  # a period result before a year-end one
    return found[0] if found else None


def _compare(expected: Expectation, evaluation: Evaluation) -> list[str]:
    where = f"{expected.subject} {expected.period}"
    result = _find(evaluation, expected)
    if result is None:
        have = [r.period for r in evaluation.results if r.subject == expected.subject]
        detail = (
            f" ({expected.subject} has results for {', '.join(have)})"
            if have
            else f" (no result for {expected.subject} at all)"
        )
        kind = " year-end" if expected.kind == "year_end" else ""
        return [f"{where}: expected a{kind} result, got none{detail}"]
    failures: list[str] = []

    def differ(key: str, want: str, got: str) -> None:
        failures.append(f"{where} {key}: expected {want}, got {got}")

    if expected.group is not None and result.group != expected.group:
        differ("group", expected.group, result.group or "no group")
    numbers: list[tuple[str, Mapping[str, Decimal], dict[str, Decimal]]] = [
        ("scores", result.scores, expected.scores),
        ("values", result.values, expected.values),
    ]
    for key, got_map, want_map in numbers:
        for name, want in want_map.items():
            got = got_map.get(name)
            if got is None or got != want:
                shown = "no value" if got is None else format_value(got)
                differ(f"{key}.{name}", format_value(want), shown)
    for banding, band in expected.bands.items():
        if result.bands.get(banding) != band:
            differ(f"bands.{banding}", band, result.bands.get(banding) or "no band")
    for ranking, rank in expected.ranks.items():
        got_rank = result.ranks.get(ranking)
        if got_rank != rank:
            differ(f"ranks.{ranking}", str(rank), "no rank" if got_rank is None else str(got_rank))
    lists = (
        ("rewards", expected.rewards, result.rewards),
        ("withheld", expected.withheld, result.withheld),
        ("actions", expected.actions, result.actions),
    )
    for key, want_list, got_list in lists:
        if want_list is not None and not _same_outcomes(want_list, got_list):
            differ(key, _show_expected(want_list), _show_got(want_list, got_list))
    return failures


def _same_outcomes(expected: Sequence[ExpectedOutcome], got: Sequence[Outcome]) -> bool:
    """Whether `got` and `expected` pair up one to one, in any order.

    A partial entry (an id alone) could take the outcome a fuller entry needs, so the pairing
    is a matching (augmenting paths), not a first-fit.
    """
    if len(expected) != len(got):
        return False
    owner: dict[int, int] = {}  # index in got -> index in expected

    def place(i: int, seen: set[int]) -> bool:
        for j, outcome in enumerate(got):
            if j not in seen and _matches(expected[i], outcome):
                seen.add(j)
                if j not in owner or place(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return all(place(i, set()) for i in range(len(expected)))


def _matches(expected: ExpectedOutcome, outcome: Outcome) -> bool:
    """Whether `outcome` has the expected id and every other field the expectation gives."""
    given = expected.model_dump(exclude_none=True)
    return all(getattr(outcome, key) == value for key, value in given.items())


def _show_outcome(
    id: str, amount: Decimal | None = None, currency: str | None = None, rule: str | None = None
) -> str:
    """``ladder_pay 2400.00 CNY`` or ``self_reflection (face_link)``."""
    text = id
    if amount is not None:
        text += f" {format_value(amount)}"
    if currency is not None:
        text += f" {currency}"
    if rule is not None:
        text += f" ({rule})"
    return text


def _show_expected(expected: Sequence[ExpectedOutcome]) -> str:
    shown = [_show_outcome(**spec.model_dump(exclude_none=True)) for spec in expected]
    return "[" + ", ".join(shown) + "]"


def _show_got(expected: Sequence[ExpectedOutcome], got: Sequence[Outcome]) -> str:
    """The outcomes with the details the expectation compares, e.g. amounts when it has one."""
    compared = {key for spec in expected for key in spec.model_dump(exclude_none=True)}
    shown = [
        _show_outcome(
            o.id,
            o.amount if "amount" in compared else None,
            o.currency if "currency" in compared else None,
            o.rule if "rule" in compared else None,
        )
        for o in got
    ]
    return "[" + ", ".join(shown) + "]"


def _error_matches(expected: ExpectedError, diagnostic: Diagnostic) -> bool:
    """Whether `diagnostic` is the expected error."""
    return diagnostic.code == expected.code and (
        expected.message is None or expected.message in diagnostic.message
    )


def _show_error(expected: ExpectedError) -> str:
    """``[out-of-range]``, with the expected message part when there is one."""
    return f"[{expected.code}]" + (f" containing {expected.message!r}" if expected.message else "")


# --------------------------------------------------------------------------- coverage


def coverage_items(scheme: CompiledScheme) -> dict[str, list[str]]:
    """Everything a scheme's tests should reach, by category, in scheme order.

    - ``bands``: ``banding.band`` for every band, and the `unbanded` band when it is one;
    - ``rewards``: every reward id, year-end rewards included;
    - ``actions``: ``rule -> action`` for every condition (year-end ones included) and
      ``escalation step N (at K) -> action`` for every step of an escalation;
    - ``boundaries``: ``banding.band bound value`` for every bound of every band: covered when
      a case's banded score equals the value exactly.

    >>> scheme = load_scheme("schemes/jingyuan-branch-grading.yaml")  # doctest: +SKIP
    >>> coverage_items(scheme)["bands"]  # doctest: +SKIP
    ['grade.A', 'grade.B', 'grade.C', 'grade.D']

    Raises:
        Nothing.
    """
    model = scheme.model
    items: dict[str, list[str]] = {category: [] for category in CATEGORIES}
    for banding in model.bands:
        items["bands"].extend(f"{banding.id}.{band.id}" for band in banding.bands)
        if isinstance(banding.unbanded, m.Unbanded):
            items["bands"].append(f"{banding.id}.{banding.unbanded.id}")
        for band in banding.bands:
            for bound in BOUNDS:
                value = getattr(band, bound)
                if value is not None:
                    items["boundaries"].append(_boundary(banding, band, bound, value))
    items["rewards"] = [r.id for r in model.rewards]
    for action in model.actions:
        if isinstance(action, m.Condition):
            items["actions"].append(_condition(action))
        else:
            items["actions"].extend(_step(action, i) for i in range(len(action.steps)))
    if model.year_end is not None:
        items["rewards"] += [r.id for r in model.year_end.rewards]
        items["actions"] += [_condition(a) for a in model.year_end.actions]
    return items


def _boundary(banding: m.Banding, band: m.Band, bound: str, value: Decimal) -> str:
    return f"{banding.id}.{band.id} {bound} {format_value(value)}"


def _condition(action: m.Condition) -> str:
    return f"{action.id} -> {action.action or action.id}"


def _step(action: m.Escalation, index: int) -> str:
    step = action.steps[index]
    return f"{action.id} step {index + 1} (at {step.at}) -> {step.action}"


def _step_index(outcome: Outcome) -> int:
    """Which step of its escalation produced `outcome` (0-based)."""
    assert outcome.step is not None, "escalation outcomes carry their step"
    return outcome.step - 1


def _exercised(
    scheme: CompiledScheme, evaluation: Evaluation, records: Sequence[Record]
) -> Iterator[tuple[str, str]]:
    model = scheme.model
    conditions = {a.id: _condition(a) for a in model.actions if isinstance(a, m.Condition)}
    if model.year_end is not None:
        conditions.update({a.id: _condition(a) for a in model.year_end.actions})
    escalations = {a.id: a for a in model.actions if isinstance(a, m.Escalation)}
    banded = _BandedValues(scheme, records)
    for result in evaluation.results:
        for outcome in result.rewards:
            yield ("rewards", outcome.id)
        for outcome in result.actions:
            if outcome.rule in conditions:
                yield ("actions", conditions[outcome.rule])
            elif outcome.rule in escalations:
                action = escalations[outcome.rule]
                yield ("actions", _step(action, _step_index(outcome)))
        if result.kind != "period":
            continue
        for banding in model.bands:
            band_id = result.bands.get(banding.id)
            if band_id is not None:
                yield ("bands", f"{banding.id}.{band_id}")
            value = banded(banding.score, result)
            if value is None:
                continue
            for band in banding.bands:
                for bound in BOUNDS:
                    limit = getattr(band, bound)
                    if limit is not None and value == limit:
                        yield ("boundaries", _boundary(banding, band, bound, limit))


class _BandedValues:
    """The value a banding bands, for a result: a score or section, a band field or a rank
    from the result; an item, attribute or parameter from the checked input row."""

    def __init__(self, scheme: CompiledScheme, records: Sequence[Record]) -> None:
        self.scheme = scheme
        self.records = records
        self._rows: dict[tuple[str, str], Any] | None = None

    def rows(self) -> dict[tuple[str, str], Any]:
        if self._rows is None:
            checked = check_records(self.scheme, self.records)
            self._rows = {(row.subject, row.period.label): row for row in checked}
        return self._rows

    def __call__(self, name: str, result: Result) -> Decimal | None:
        if name in result.scores:
            return result.scores[name]
        if name in result.values:
            return result.values[name]
        if name in result.ranks:
            return Decimal(result.ranks[name])
        row = self.rows().get((result.subject, result.period))
        if row is None:
            return None
        for source in (row.points, row.attributes):
            value = source.get(name)
            if isinstance(value, Decimal):
                return value
        parameter = self.scheme.model.parameters.get(name)
        if parameter is None:
            return None
        if parameter.by is not None and parameter.values is not None:
            return parameter.values.get(str(row.attributes.get(parameter.by)))
        return parameter.value


@dataclass(frozen=True)
class CoverageCategory:
    """Covered and not covered items of one category (`name` is one of `CATEGORIES`)."""

    name: str
    covered: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def total(self) -> int:
        """How many items the category has."""
        return len(self.covered) + len(self.missing)

    def show(self) -> str:
        """``3/4``, or ``-`` when the category is empty."""
        return f"{len(self.covered)}/{self.total}" if self.total else "-"


@dataclass(frozen=True)
class Coverage:
    """Coverage in every category; `percent` is over all items together."""

    categories: tuple[CoverageCategory, ...]

    @property
    def covered(self) -> int:
        """Items reached, over all categories."""
        return sum(len(c.covered) for c in self.categories)

    @property
    def total(self) -> int:
        """Items, over all categories."""
        return sum(c.total for c in self.categories)

    @property
    def percent(self) -> Decimal:
        """Covered items as a percentage, rounded down to 0.1 (100 when there is nothing to
        cover), so that 99.96% never shows as 100.0%."""
        if not self.total:
            return Decimal("100.0")
        exact = Decimal(self.covered * 100) / Decimal(self.total)
        return exact.quantize(Decimal("0.1"), rounding=ROUND_DOWN)

    def meets(self, minimum: Decimal) -> bool:
        """Whether the exact coverage is at least `minimum` percent."""
        return self.covered * 100 >= minimum * self.total

    def category(self, name: str) -> CoverageCategory:
        """The category called `name`.

        Raises:
            KeyError: when there is no such category.
        """
        for category in self.categories:
            if category.name == name:
                return category
        raise KeyError(name)


def measure_coverage(scheme: CompiledScheme, exercised: Iterable[tuple[str, str]]) -> Coverage:
    """Which of the scheme's `coverage_items` the `exercised` pairs reach.

    >>> measure_coverage(scheme, [("bands", "grade.A")]).category("bands").show()  # doctest: +SKIP
    '1/4'

    Raises:
        Nothing.
    """
    reached = set(exercised)
    categories = []
    for name, items in coverage_items(scheme).items():
        covered = tuple(i for i in items if (name, i) in reached)
        missing = tuple(i for i in items if (name, i) not in reached)
        categories.append(CoverageCategory(name, covered, missing))
    return Coverage(tuple(categories))


def _combine(named: Sequence[tuple[str, Coverage]]) -> Coverage:
    categories = []
    for name in CATEGORIES:
        covered: list[str] = []
        missing: list[str] = []
        for prefix, coverage in named:
            category = coverage.category(name)
            covered += [f"{prefix}: {i}" for i in category.covered]
            missing += [f"{prefix}: {i}" for i in category.missing]
        categories.append(CoverageCategory(name, tuple(covered), tuple(missing)))
    return Coverage(tuple(categories))


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class SchemeReport:
    """Coverage of one scheme by all the test files that name it."""

    scheme: str
    id: str
    test_files: tuple[str, ...]
    coverage: Coverage


@dataclass(frozen=True)
class SchemeTestReport:
    """Everything one run found: every case's result, coverage per scheme, and the problems
    of test files that could not be loaded."""

    test_files: tuple[str, ...]
    cases: tuple[CaseResult, ...]
    schemes: tuple[SchemeReport, ...]
    problems: tuple[Diagnostic, ...] = ()
    untested: tuple[str, ...] = ()

    @property
    def passed(self) -> int:
        """How many cases passed."""
        return sum(1 for c in self.cases if c.passed)

    @property
    def failed(self) -> int:
        """How many cases failed."""
        return len(self.cases) - self.passed

    @property
    def ok(self) -> bool:
        """No case failed and every test file loaded."""
        return not self.failed and not self.problems

    @property
    def coverage(self) -> Coverage:
        """Coverage over every scheme tested."""
        return _combine([(s.scheme, s.coverage) for s in self.schemes])

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data for JSON: cases, coverage per scheme and overall,
        problems."""

        def coverage(c: Coverage) -> dict[str, Any]:
            data: dict[str, Any] = {
                cat.name: {
                    "covered": len(cat.covered),
                    "total": cat.total,
                    "missing": list(cat.missing),
                }
                for cat in c.categories
            }
            data.update(covered=c.covered, total=c.total, percent=float(c.percent))
            return data

        overall = self.coverage
        return {
            "ok": self.ok,
            "passed": self.passed,
            "failed": self.failed,
            "test_files": list(self.test_files),
            "cases": [
                {
                    "file": c.file,
                    "line": c.line,
                    "name": c.name,
                    "passed": c.passed,
                    "failures": list(c.failures),
                }
                for c in self.cases
            ],
            "coverage": {
                "schemes": [
                    {"scheme": s.scheme, "id": s.id, "test_files": list(s.test_files)}
                    | coverage(s.coverage)
                    for s in self.schemes
                ],
                "total": {
                    "covered": overall.covered,
                    "total": overall.total,
                    "percent": float(overall.percent),
                }
                | {
                    cat.name: {"covered": len(cat.covered), "total": cat.total}
                    for cat in overall.categories
                },
            },
            "problems": [
                {
                    "file": d.file,
                    "line": d.line,
                    "column": d.column,
                    "code": d.code,
                    "message": d.message,
                    "path": d.path,
                }
                for d in self.problems
            ],
            "untested": list(self.untested),
        }

    def render(self, *, uncovered: bool = False) -> str:
        """The report as text: each failing case with its differences, the problems, a
        coverage table (with `uncovered`, the items not reached under each scheme) and a
        summary line."""
        lines = [case.render() for case in self.cases if not case.passed]
        lines += [d.render() for d in self.problems]
        if lines:
            lines.append("")
        lines += _coverage_table(self.schemes, self.coverage, uncovered=uncovered)
        lines += [
            f"{path}: no scheme tests ({Path(path).stem}{TEST_SUFFIX})" for path in self.untested
        ]
        files = len(self.test_files)
        summary = (
            f"{len(self.cases)} case{'s' * (len(self.cases) != 1)} in {files} "
            f"file{'s' * (files != 1)}: {self.passed} passed, {self.failed} failed"
        )
        if self.problems:
            broken = len({d.file for d in self.problems})
            summary += f"; {broken} file{'s' * (broken != 1)} with problems"
        lines.append(summary)
        return "\n".join(lines) + "\n"


def _coverage_table(
    schemes: Sequence[SchemeReport], overall: Coverage, *, uncovered: bool
) -> list[str]:
    if not schemes:
        return []
    rows = [["coverage", *CATEGORIES, "total"]]
    for s in schemes:
        cells = [s.coverage.category(c).show() for c in CATEGORIES]
        rows.append([s.scheme, *cells, f"{s.coverage.percent}%"])
    cells = [overall.category(c).show() for c in CATEGORIES]
    rows.append(["all schemes", *cells, f"{overall.percent}%"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for index, row in enumerate(rows):
        text = "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        out.append(text.rstrip())
        if uncovered and 0 < index <= len(schemes):
            for category in schemes[index - 1].coverage.categories:
                if category.missing:
                    out.append(f"    not covered {category.name}: {', '.join(category.missing)}")
    return out


def run_test_file(tests: SchemeTestFile) -> list[CaseResult]:
    """Run every case of a loaded test file, in file order.

    >>> [r.passed for r in run_test_file(load_test_file("x.test.yaml"))]  # doctest: +SKIP
    [True, True]

    Raises:
        Nothing: each case's problems are in its result.
    """
    return [run_case(tests, case) for case in tests.cases]


def run_tests(paths: Sequence[str | Path]) -> SchemeTestReport:
    """Find the scheme test files under `paths`, run every case and measure coverage.

    Test files that cannot be loaded are reported in `problems` and the others still run.

    >>> report = run_tests(["schemes"])  # doctest: +SKIP
    >>> report.ok, report.coverage.percent  # doctest: +SKIP
    (True, Decimal('100.0'))

    Raises:
        Nothing for bad test files, schemes or records: they are in the report.
    """
    files = find_test_files(paths)
    cases: list[CaseResult] = []
    problems: list[Diagnostic] = []
    # by the scheme's resolved path, so that test files reaching it by different relative
    # paths add up to one coverage
    schemes: dict[Path, tuple[CompiledScheme, list[str], set[tuple[str, str]]]] = {}
    for path in files:
        try:
            tests = load_test_file(path)
        except SchemeTestError as exc:
            problems.extend(exc.diagnostics)
            continue
        results = run_test_file(tests)
        cases.extend(results)
        entry = schemes.setdefault(Path(tests.scheme.file).resolve(), (tests.scheme, [], set()))
        entry[1].append(str(path))
        for result in results:
            entry[2].update(result.exercised)
    reports = tuple(
        SchemeReport(scheme.file, scheme.id, tuple(test_files), measure_coverage(scheme, reached))
        for scheme, test_files, reached in schemes.values()
    )
    return SchemeTestReport(
        test_files=tuple(str(p) for p in files),
        cases=tuple(cases),
        schemes=reports,
        problems=tuple(problems),
        untested=tuple(str(p) for p in untested_schemes(paths)),
    )
