"""The public API is a decision: this list changes only on purpose."""

from __future__ import annotations

import partyscore


def test_all_is_sorted_and_complete():
    assert partyscore.__all__ == sorted(partyscore.__all__)
    # names starting with '@' come from pytest's assertion rewriting of the plugin's package
    public = {name for name in dir(partyscore) if not name.startswith(("_", "@"))}
    modules = {"cli", "models", "scheme_tests", "testing", "pytest_plugin"}  # public submodules
    assert public - modules == set(partyscore.__all__)


def test_exported_members():
    assert partyscore.__all__ == [
        "CompiledScheme",
        "Diagnostic",
        "Evaluation",
        "EvaluationError",
        "Outcome",
        "PartyscoreError",
        "Record",
        "RecordError",
        "Result",
        "SchemeError",
        "compile_scheme",
        "evaluate",
        "load_scheme",
        "load_scheme_text",
        "read_records",
        "to_csv",
        "to_json",
        "to_table",
    ]


def test_every_error_is_a_partyscore_error():
    for error in (partyscore.SchemeError, partyscore.RecordError, partyscore.EvaluationError):
        assert issubclass(error, partyscore.PartyscoreError)
