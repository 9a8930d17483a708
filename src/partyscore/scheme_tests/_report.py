"""What a run found, as data: each case's result (`CaseResult`), coverage per scheme
(`SchemeReport`) and the whole run (`SchemeTestReport`), rendered as text or plain data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._diagnostics import Diagnostic
from .._i18n import _, ngettext, pgettext
from ._coverage import CATEGORIES, Coverage, _combine
from ._format import TEST_SUFFIX


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
        if self.untested:
            # TRANSLATORS: {file} is the test file expected, as in ladder.test.yaml
            untested = _("no scheme tests ({file})")
            lines += [
                f"{path}: " + untested.format(file=f"{Path(path).stem}{TEST_SUFFIX}")
                for path in self.untested
            ]
        files = len(self.test_files)
        count = len(self.cases)
        # TRANSLATORS: {cases} is "3 cases", {files} is "2 files"
        summary = _("{cases} in {files}: {passed} passed, {failed} failed").format(
            cases=ngettext("{count} case", "{count} cases", count).format(count=count),
            files=ngettext("{count} file", "{count} files", files).format(count=files),
            passed=self.passed,
            failed=self.failed,
        )
        if self.problems:
            broken = len({d.file for d in self.problems})
            summary += ngettext(
                "; {count} file with problems", "; {count} files with problems", broken
            ).format(count=broken)
        lines.append(summary)
        return "\n".join(lines) + "\n"


def _coverage_table(
    schemes: Sequence[SchemeReport], overall: Coverage, *, uncovered: bool
) -> list[str]:
    if not schemes:
        return []
    rows = [
        [pgettext("coverage table", "coverage"), *CATEGORIES, pgettext("coverage table", "total")]
    ]
    for s in schemes:
        cells = [s.coverage.category(c).show() for c in CATEGORIES]
        rows.append([s.scheme, *cells, f"{s.coverage.percent}%"])
    cells = [overall.category(c).show() for c in CATEGORIES]
    rows.append([_("all schemes"), *cells, f"{overall.percent}%"])
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
                    # TRANSLATORS: {category} is bands, rewards, actions or boundaries
                    line = _("not covered {category}: {items}").format(
                        category=category.name, items=", ".join(category.missing)
                    )
                    out.append(f"    {line}")
    return out
