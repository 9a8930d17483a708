"""A pytest plugin that runs scheme tests: each case of a ``*.test.yaml`` file is a test item.

Installed with partyscore and registered as the pytest plugin ``partyscore`` (entry point
``pytest11``), so ``pytest schemes`` collects every ``NAME.test.yaml`` there, one item per
case named by the case, e.g. ``schemes/chengzhuang-ladder.test.yaml::step 1 starts at 70``.
A failing case reports the same differences as ``partyscore test``; a test file that cannot
be read or checked fails its collection with ``path:line:column: message [code]`` lines.
Turn the plugin off with ``-p no:partyscore``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._diagnostics import PartyscoreError
from .scheme_tests import TEST_SUFFIX, Case, CaseResult, SchemeTestFile, load_test_file, run_case

__all__ = ["CaseFailed", "SchemeTestItem", "SchemeTestModule", "pytest_collect_file"]


class CaseFailed(Exception):
    """Raised by a scheme test item whose case did not hold; carries the case's result."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__("\n".join(result.failures))
        self.result = result


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    """Collect ``*.test.yaml`` files as scheme test files (pytest calls this for each file).

    Example: ``pytest schemes`` collects ``schemes/chengzhuang-ladder.test.yaml`` and its cases.

    Raises:
        Nothing: problems of the file are reported when it is collected.
    """
    if file_path.name.endswith(TEST_SUFFIX):
        collector: pytest.Collector = SchemeTestModule.from_parent(parent, path=file_path)
        return collector
    return None


class SchemeTestModule(pytest.File):
    """One scheme test file; its items are its cases."""

    def collect(self) -> Iterator[pytest.Item]:
        """Load the file and its scheme, and yield one item per case."""
        tests = load_test_file(self.path)
        for case in tests.cases:
            yield SchemeTestItem.from_parent(self, name=case.name, tests=tests, case=case)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        """The file's problems, one ``path:line:column: message [code]`` line each."""
        if isinstance(excinfo.value, PartyscoreError):
            return excinfo.value.render()
        return super().repr_failure(excinfo)


class SchemeTestItem(pytest.Item):
    """One case of a scheme test file."""

    def __init__(self, *, tests: SchemeTestFile, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tests = tests
        self.case = case

    def runtest(self) -> None:
        """Evaluate the case and fail with its differences when it does not hold."""
        result = run_case(self.tests, self.case)
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        """The differences, one line each, as ``partyscore test`` prints them."""
        if isinstance(excinfo.value, CaseFailed):
            return "\n".join(excinfo.value.result.failures)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the case stands: its file and the line where it starts."""
        return self.path, self.case.line - 1, f"case: {self.case.name}"
