"""The public API is a decision: this list changes only on purpose."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import partyscore
import partyscore.plan


def test_all_is_sorted_and_complete():
    assert partyscore.__all__ == sorted(partyscore.__all__)
    # names starting with '@' come from pytest's assertion rewriting of the plugin's package
    public = {name for name in dir(partyscore) if not name.startswith(("_", "@"))}
    modules = {"cli", "columnar", "dask", "models", "plan", "scheme_tests", "spark", "testing"}
    modules.add("pytest_plugin")
    assert public - modules == set(partyscore.__all__)


def test_exported_members():
    assert partyscore.__all__ == [
        "CompiledScheme",
        "Diagnostic",
        "Evaluation",
        "EvaluationError",
        "History",
        "HistoryError",
        "Outcome",
        "OverrideError",
        "Overrides",
        "PartyscoreError",
        "PartyscoreWarning",
        "PeriodResults",
        "Record",
        "RecordError",
        "Result",
        "SchemeError",
        "compile_scheme",
        "evaluate",
        "iter_evaluate",
        "language",
        "load_scheme",
        "load_scheme_text",
        "read_overrides",
        "read_records",
        "records_from_rows",
        "to_csv",
        "to_json",
        "to_table",
        "to_xlsx",
    ]


def test_every_error_is_a_partyscore_error():
    for error in (
        partyscore.SchemeError,
        partyscore.RecordError,
        partyscore.EvaluationError,
        partyscore.HistoryError,
        partyscore.OverrideError,
    ):
        assert issubclass(error, partyscore.PartyscoreError)
    assert issubclass(partyscore.PartyscoreWarning, UserWarning)


PUBLIC_MODULES = {
    "partyscore.cli": ["EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "main"],
    "partyscore.columnar": ["evaluate_files", "evaluate_table", "read_table"],
    "partyscore.dask": ["evaluate"],
    "partyscore.spark": ["evaluate"],
    "partyscore.plan": [
        "BandPlan", "BandingRule", "ConditionRule", "EscalationRule", "HonourRule", "ItemPlan",
        "MoneyRule", "ParameterPlan", "Plan", "RankPrizeRule", "RankingRule", "RewardRule",
        "Rule", "ScoreRule", "SectionRule", "StepPlan", "TopRule",
    ],
    "partyscore.models": [
        "Action", "Attribute", "Band", "Banding", "Cited", "Condition", "Currency", "Day",
        "Effective", "Escalation", "Expr", "Honour", "Id", "Input", "Item", "Label", "Model",
        "Money", "Number", "Parameter", "Prize", "RankPrize", "Ranking", "Reward", "RewardBase",
        "Rounding", "Scheme", "Score", "Section", "Source", "Step", "Subject", "Top",
        "Unbanded", "YearEnd",
    ],
    "partyscore.scheme_tests": [
        "BOUNDS", "CATEGORIES", "TEST_SUFFIX", "Case", "CaseResult", "Coverage",
        "CoverageCategory", "Mutant", "MutantResult", "MutationReport", "SchemeReport",
        "SchemeTestError", "SchemeTestFile", "SchemeTestReport", "coverage_items",
        "find_test_files", "load_test_file", "measure_coverage", "mutants", "run_case",
        "run_mutations", "run_test_file", "run_tests", "untested_schemes",
    ],
    "partyscore.testing": [
        "Boundary", "Records", "boundary_records", "check_all", "check_bounds_inclusive",
        "check_deterministic", "check_monotone", "check_one_band", "check_order_independent",
        "check_parts_add_up", "check_rank_prize_count", "check_scores_in_range", "records",
    ],
    "partyscore.pytest_plugin": [
        "CaseFailed", "SchemeTestItem", "SchemeTestModule", "pytest_collect_file",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PUBLIC_MODULES))
def test_public_module_members(name):
    # Each public module says what it offers in an __all__ (kept sorted by ruff, constants
    # first); this list changes only on purpose, and every name in it exists.
    module = importlib.import_module(name)
    assert module.__all__ == PUBLIC_MODULES[name]
    for member in module.__all__:
        assert hasattr(module, member), member


def test_every_public_module_is_listed():
    import partyscore as package

    found = {
        f"partyscore.{info.name}"
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    }
    assert found == set(PUBLIC_MODULES)
