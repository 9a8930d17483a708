"""Tables of records for the columnar and distributed tests: records of the testing
strategies as a CSV file holds them, and large generated tables (those of the
benchmarks)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import partyscore

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generated import generated

__all__ = ["generated", "issued", "text_table", "yongxi_with_a_bad_value"]

ROOT = Path(__file__).resolve().parent.parent

T = TypeVar("T")


def issued(run: Callable[[], T]) -> tuple[T, tuple[str, ...]]:
    """What `run` returns, and the `PartyscoreWarning`s it issued, in order (any other
    warning stays an error)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", partyscore.PartyscoreWarning)
        value = run()
    return value, tuple(str(w.message) for w in caught)


def text_table(batch: Any, scheme: partyscore.CompiledScheme) -> Any:
    """Records as a polars table of text, as a CSV file holds them: a column for every
    attribute and item, empty (null) where a record has no value."""
    import polars as pl

    rows = []
    for record in batch:
        row = {"subject": record["subject"], "period": record["period"]}
        for name, value in {**record.get("attributes", {}), **record.get("points", {})}.items():
            if isinstance(value, bool):
                row[name] = "true" if value else "false"
            elif value is not None:
                row[name] = str(value)
        rows.append(row)
    names: list[str] = ["subject", "period", *scheme.plan.attributes, *scheme.plan.items]
    for row in rows:
        names.extend(k for k in row if k not in names)
    return pl.DataFrame(
        {n: [row.get(n) for row in rows] for n in names}, schema=dict.fromkeys(names, pl.String)
    )


def yongxi_with_a_bad_value() -> Any:
    """The Yongxi example as text, with 'abc' for party_building in its 31st record (row 32
    of the CSV file, the header being row 1)."""
    import polars as pl

    table = pl.read_csv(ROOT / "examples" / "yongxi-red-flag.csv", infer_schema=False)
    return table.with_columns(
        pl.when(pl.int_range(pl.len()) == 30)
        .then(pl.lit("abc"))
        .otherwise(pl.col("party_building"))
        .alias("party_building")
    )
