"""Running scheme tests: evaluate a case's records, compare the results with what the case
expects (one readable line per difference), and run every test file under some paths."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from .._compile import CompiledScheme
from .._diagnostics import Diagnostic, EvaluationError, PartyscoreError, RecordError
from .._evaluate import evaluate
from .._expr import format_value
from .._i18n import _
from .._records import Record, read_records
from .._results import Evaluation, Outcome, Result
from ._coverage import _exercised, measure_coverage
from ._format import (
    Case,
    Expectation,
    ExpectedError,
    ExpectedOutcome,
    SchemeTestError,
    SchemeTestFile,
    find_test_files,
    load_test_file,
    untested_schemes,
)
from ._report import CaseResult, SchemeReport, SchemeTestReport


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
        # TRANSLATORS: {error} is an error code in brackets, as in [out-of-range]
        message = _("expected an error {error}, got results")
        failures.append(message.format(error=_show_error(case.error)))
    for expectation in case.expect:
        failures.extend(_compare(expectation, evaluation))
    if case.warnings is not None and tuple(evaluation.warnings) != case.warnings:
        failures.append(
            _("warnings: expected {expected}, got {got}").format(
                expected=_show_texts(case.warnings), got=_show_texts(evaluation.warnings)
            )
        )
    exercised = frozenset(_exercised(scheme, evaluation, records))
    return CaseResult(case.file, case.name, case.line, tuple(failures), exercised)


def _error_failures(case: Case, error: PartyscoreError) -> tuple[str, ...]:
    if case.error is None:
        unexpected = _("unexpected error: {error}")
        return tuple(unexpected.format(error=d.render()) for d in error.diagnostics)
    if any(_error_matches(case.error, d) for d in error.diagnostics):
        return ()
    return (
        # TRANSLATORS: {error} is an error code in brackets, as in [out-of-range]
        _("expected an error {error}, got other errors:").format(error=_show_error(case.error)),
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
        year_end = expected.kind == "year_end"
        if have and year_end:
            message = _(
                "expected a year-end result, got none ({subject} has results for {periods})"
            )
        elif have:
            message = _("expected a result, got none ({subject} has results for {periods})")
        elif year_end:
            message = _("expected a year-end result, got none (no result for {subject} at all)")
        else:
            message = _("expected a result, got none (no result for {subject} at all)")
        return [f"{where}: " + message.format(subject=expected.subject, periods=", ".join(have))]
    failures: list[str] = []

    def differ(key: str, want: str, got: str) -> None:
        failures.append(f"{where} {key}: " + _expected_got(want, got))

    if expected.group is not None and result.group != expected.group:
        differ("group", expected.group, result.group or _("no group"))
    numbers: list[tuple[str, Mapping[str, Decimal], dict[str, Decimal]]] = [
        ("scores", result.scores, expected.scores),
        ("values", result.values, expected.values),
    ]
    for key, got_map, want_map in numbers:
        for name, want in want_map.items():
            got = got_map.get(name)
            if got is None or got != want:
                shown = _("no value") if got is None else format_value(got)
                differ(f"{key}.{name}", format_value(want), shown)
    for banding, band in expected.bands.items():
        if result.bands.get(banding) != band:
            differ(f"bands.{banding}", band, result.bands.get(banding) or _("no band"))
    for ranking, rank in expected.ranks.items():
        got_rank = result.ranks.get(ranking)
        if got_rank != rank:
            shown = _("no rank") if got_rank is None else str(got_rank)
            differ(f"ranks.{ranking}", str(rank), shown)
    lists = (
        ("rewards", expected.rewards, result.rewards),
        ("withheld", expected.withheld, result.withheld),
        ("actions", expected.actions, result.actions),
    )
    for key, want_list, got_list in lists:
        if want_list is not None and not _same_outcomes(want_list, got_list):
            differ(key, _show_expected(want_list), _show_got(want_list, got_list))
    return failures


def _expected_got(want: str, got: str) -> str:
    return _("expected {expected}, got {got}").format(expected=want, got=got)


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
    """Whether `outcome` has the expected id and every other field the expectation gives;
    `rule` means the one rule that decided it, `rules` all of them in rule order."""
    given = expected.model_dump(exclude_none=True)
    for key, value in given.items():
        if key == "rule":
            if outcome.rules != (value,):
                return False
        elif key == "rules":
            if outcome.rules != tuple(value):
                return False
        elif getattr(outcome, key) != value:
            return False
    return True


def _show_outcome(
    id: str,
    amount: Decimal | None = None,
    currency: str | None = None,
    rule: str | None = None,
    rules: Sequence[str] | None = None,
) -> str:
    """``ladder_pay 2400.00 CNY``, ``self_reflection (face_link)`` or
    ``self_reflection (low_total_or_key, face_link)``."""
    text = id
    if amount is not None:
        text += f" {format_value(amount)}"
    if currency is not None:
        text += f" {currency}"
    if rule is not None:
        text += f" ({rule})"
    if rules is not None:
        text += f" ({', '.join(rules)})"
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
            None,
            o.rules if compared & {"rule", "rules"} else None,
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
    if expected.message:
        # TRANSLATORS: {code} is an error code, {message} a part of its message
        return _("[{code}] containing {message!r}").format(
            code=expected.code, message=expected.message
        )
    return f"[{expected.code}]"


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
