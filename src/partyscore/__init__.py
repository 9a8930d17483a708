"""partyscore: declarative scoring schemes for party members and branches.

Load a scheme (YAML, validated), read records, evaluate, render::

    import partyscore
    scheme = partyscore.load_scheme("schemes/chengzhuang-ladder.yaml")
    records = partyscore.read_records("examples/chengzhuang-ladder.csv", scheme)
    evaluation = partyscore.evaluate(scheme, records)
    print(partyscore.to_json(evaluation))

Every error raised for bad input is a `PartyscoreError` carrying `Diagnostic` objects.
"""

from ._compile import CompiledScheme, compile_scheme, load_scheme, load_scheme_text
from ._diagnostics import (
    Diagnostic,
    EvaluationError,
    PartyscoreError,
    PartyscoreWarning,
    RecordError,
    SchemeError,
)
from ._engine import PeriodResults
from ._evaluate import evaluate, iter_evaluate
from ._history import History, HistoryError
from ._i18n import language
from ._overrides import OverrideError, Overrides, read_overrides
from ._records import Record, read_records, records_from_rows
from ._render import to_csv, to_json, to_table, to_xlsx
from ._results import Evaluation, Outcome, Result

__version__ = "0.1.0"

__all__ = [
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
