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
escalation step) and band boundaries that the cases reached. `run_mutations` checks that
the cases notice a changed threshold: each mutant of the scheme (one value or operator
changed) must fail a case. The format is described in ``docs/scheme-tests.md``.
"""

from __future__ import annotations

from ._coverage import (
    BOUNDS,
    CATEGORIES,
    Coverage,
    CoverageCategory,
    coverage_items,
    measure_coverage,
)
from ._format import (
    TEST_SUFFIX,
    Case,
    SchemeTestError,
    SchemeTestFile,
    find_test_files,
    load_test_file,
    untested_schemes,
)
from ._mutations import Mutant, MutantResult, MutationReport, mutants, run_mutations
from ._report import CaseResult, SchemeReport, SchemeTestReport
from ._run import run_case, run_test_file, run_tests

__all__ = [
    "BOUNDS",
    "CATEGORIES",
    "TEST_SUFFIX",
    "Case",
    "CaseResult",
    "Coverage",
    "CoverageCategory",
    "Mutant",
    "MutantResult",
    "MutationReport",
    "SchemeReport",
    "SchemeTestError",
    "SchemeTestFile",
    "SchemeTestReport",
    "coverage_items",
    "find_test_files",
    "load_test_file",
    "measure_coverage",
    "mutants",
    "run_case",
    "run_mutations",
    "run_test_file",
    "run_tests",
    "untested_schemes",
]
