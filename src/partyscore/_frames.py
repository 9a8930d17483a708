"""Results as data frames (pandas, polars): the rows and columns of `to_csv`, values exact.

A frame has one row per result, in the order of the CSV (period, group, rank), and the
CSV's columns under the CSV's names (ids in English, the scheme's labels in Chinese), worked
out by the same functions, so the two cannot drift apart. Values are not turned into text:
scores, band values and money amounts stay `Decimal`, ranks are integers, and a value a
result does not have (a year-end score on a period row, a rank outside a ranking) is null.
Rewards, withheld rewards and actions are their ids joined by ``;`` and warnings one per
line, as in the CSV; text is not prefixed against spreadsheet formulas, as the CSV's is.

pandas and polars are imported only when a frame is asked for (the ``frames`` extra).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import ModuleType
from typing import Any, Literal

from ._i18n import _
from ._numbers import decimal_text
from ._render import header_names, kind_words, listing, result_columns
from ._results import Evaluation, Result
from ._words import Words

__all__ = ["Column", "frame_columns", "polars_decimal", "to_pandas", "to_polars"]

Kind = Literal["text", "decimal", "int"]

POLARS_PRECISION = 38
"""The most digits a polars Decimal column holds."""


@dataclass(frozen=True)
class Column:
    """One column of a frame: its header, the kind of its values, and the values (None
    where a result has none)."""

    name: str
    kind: Kind
    values: list[Any]


def frame_columns(evaluation: Evaluation) -> list[Column]:
    """The columns of `to_csv`, in its order and under its names, with typed values."""
    columns = result_columns(evaluation)
    scores, bands, values, ranks, money = columns
    words = Words(evaluation.plan)
    names = header_names(columns, words)
    results = listing(evaluation.results)
    kind_word = kind_words(words)

    def each(kind: Kind, value: Callable[[Result], Any]) -> tuple[Kind, list[Any]]:
        return kind, [value(r) for r in results]

    def pick(kind: Kind, part: str, key: str) -> tuple[Kind, list[Any]]:
        return kind, [getattr(r, part).get(key) for r in results]

    def band(key: str) -> tuple[Kind, list[Any]]:
        return "text", [words.band(key, r.bands[key]) if key in r.bands else None for r in results]

    def amount(reward: str) -> tuple[Kind, list[Any]]:
        return "decimal", [
            next((o.amount for o in r.rewards if o.id == reward), None) for r in results
        ]

    typed: list[tuple[Kind, list[Any]]] = [
        each("text", lambda r: r.subject),
        each("text", lambda r: r.period),
        each("text", lambda r: kind_word[r.kind]),
        each("text", lambda r: r.group),
        *(pick("decimal", "scores", k) for k in scores),
        *(band(k) for k in bands),
        *(pick("decimal", "values", k) for k in values),
        *(pick("int", "ranks", k) for k in ranks),
        each("text", lambda r: ";".join(words.outcome(o) for o in r.rewards)),
        each("text", lambda r: ";".join(words.outcome(o) for o in r.withheld)),
        *(amount(m) for m in money),
        each("text", lambda r: ";".join(words.outcome(o) for o in r.actions)),
        each("text", lambda r: "\n".join(r.warnings)),
    ]
    return [Column(name, kind, values) for name, (kind, values) in zip(names, typed, strict=True)]


def _need(module: str, method: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ModuleNotFoundError(
            # TRANSLATORS: {method} is to_pandas or to_polars, {module} pandas or polars
            _("Evaluation.{method}() needs {module}: pip install 'partyscore[frames]'").format(
                method=method, module=module
            ),
            name=module,
        ) from None


def to_pandas(evaluation: Evaluation) -> Any:
    """The results as a `pandas.DataFrame`: Decimal values in object columns, ranks as
    ``Int64``, text as ``string``, nulls as ``pd.NA`` (None in object columns).

    Raises:
        ModuleNotFoundError: when pandas is not installed.
    """
    pd = _need("pandas", "to_pandas")
    dtypes = {"text": "string", "int": "Int64", "decimal": object}
    columns = frame_columns(evaluation)
    series = [pd.Series(c.values, dtype=dtypes[c.kind]) for c in columns]
    frame = pd.DataFrame(dict(enumerate(series)), index=pd.RangeIndex(len(evaluation.results)))
    frame.columns = [c.name for c in columns]
    return frame


def polars_decimal(values: Sequence[Decimal | None]) -> tuple[int, int] | None:
    """The (precision, scale) of a polars Decimal column that holds every value exactly:
    the scale is the most decimal places of any value; None when the digits needed are more
    than polars holds (`POLARS_PRECISION`)."""
    scale, whole = 0, 1
    for value in values:
        if value is None:
            continue
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)  # results are finite
        scale = max(scale, -exponent)
        whole = max(whole, value.adjusted() + 1)
    if whole + scale > POLARS_PRECISION:
        return None
    return POLARS_PRECISION, scale


def to_polars(evaluation: Evaluation) -> Any:
    """The results as a `polars.DataFrame`: each Decimal column as ``pl.Decimal(38, s)``
    with `s` its values' most decimal places (so no value is rounded), or, where a
    column's values need more than 38 digits, as ``pl.String`` of their exact decimal
    text; ranks as ``Int64``, text as ``String``, nulls as null.

    Raises:
        ModuleNotFoundError: when polars is not installed.
    """
    pl = _need("polars", "to_polars")
    series = []
    for column in frame_columns(evaluation):
        values: list[Any] = column.values
        if column.kind == "text":
            dtype = pl.String
        elif column.kind == "int":
            dtype = pl.Int64
        else:
            shape = polars_decimal(values)
            if shape is None:
                dtype = pl.String
                values = [None if v is None else decimal_text(v) for v in values]
            else:
                dtype = pl.Decimal(*shape)
        series.append(pl.Series(column.name, values, dtype=dtype))
    return pl.DataFrame(series)
