"""Evaluate on Dask (the ``dask`` extra): the results of `partyscore.to_csv` from a Dask
DataFrame of records, computed by the columnar path on the workers.

    import dask.dataframe as dd
    import partyscore
    import partyscore.dask

    scheme = partyscore.load_scheme("schemes/yongxi-red-flag.yaml")
    records = dd.read_csv("villages-*.csv", dtype=str, keep_default_na=False)
    results = partyscore.dask.evaluate(scheme, records)   # a Dask DataFrame of text
    results.to_parquet("results/")

Rankings, top places and rank prizes compare the subjects of a period, so the records are
first shuffled by period and each partition, holding whole periods, is evaluated by the
columnar path. A scheme with history rules (escalations, year-end rules) has a second
phase: the records, with the ranks and places phase 1 gave them, are shuffled by subject,
and each partition, holding every period of its subjects, is evaluated again with those
ranks, so that escalations count the subject's own periods and year-end rules see its
year. The results are sorted into the order of `to_csv` (period, group, rank, subject),
whatever the partitioning.
"""

from __future__ import annotations

from typing import Any

from ._columnar import LISTING_KEYS
from ._compile import CompiledScheme
from ._distributed import (
    ROW,
    by_period,
    by_subject,
    check_columns,
    empty_results,
    has_history,
    model_text,
    present,
    with_facts,
)

__all__ = ["evaluate"]


def evaluate(scheme: CompiledScheme, frame: Any, *, source: str = "<table>") -> Any:
    """Evaluate a Dask DataFrame of records: one row per subject and period, columns as a
    CSV file has them (``subject``, ``period``, attribute and item ids or labels). Read
    them as text (``dtype=str, keep_default_na=False``) so that numbers keep their digits;
    other columns are turned into text first.

    Returns a lazy Dask DataFrame of text: the columns and cells of `partyscore.to_csv`, in
    its order (missing values where it has empty cells). Numbering the records for
    problems reads the partitions' lengths at once, and a scheme with history rules reads
    the distinct periods; everything else is computed when the results are.

    Raises:
        SchemeError: ``distributed-order`` for a ranking or top rule after an escalation.
        RecordError: ``columnar-input`` for a table without a subject or period column;
            when the results are computed, bad records as `partyscore.evaluate` reports
            them for the CSV file named `source`, rows numbered through the whole table
            (row 2 its first record), for the first partition found at fault.
        EvaluationError: when the results are computed, for a record that breaks a
            declared guarantee of the scheme.
    """
    model = model_text(scheme)
    check_columns(scheme, list(frame.columns), source)
    numbered = _numbered(frame)
    results_meta = _pandas(empty_results(scheme))
    periods = present(scheme, frame["period"].dropna().unique().compute().tolist())
    by_periods = numbered.shuffle(on="period")
    if not has_history(scheme):
        parts = by_periods.map_partitions(_phase, by_period, model, source, meta=results_meta)
    else:
        facts_meta = _pandas(with_facts(scheme, _polars(numbered._meta)))
        phase_1 = by_periods.map_partitions(_phase, by_period, model, source, meta=facts_meta)
        parts = phase_1.shuffle(on="subject").map_partitions(
            _phase, by_subject, model, source, periods, meta=results_meta
        )
    # In the listing order: the periods in ranges, one range a partition, and each
    # partition in order (known ranges, so nothing is computed to find them).
    ranged = parts.set_index("#ordinal", divisions=_divisions(periods, parts.npartitions))
    final_meta = results_meta.drop(columns=LISTING_KEYS)
    return ranged.map_partitions(_in_order, meta=final_meta)


def _divisions(periods: list[int], parts: int) -> tuple[int, ...]:
    """Boundaries that put about as many periods in each of at most `parts` ranges."""
    if not periods:
        return (0, 0)
    step = max(1, -(-len(periods) // max(1, parts)))
    cuts = periods[::step]
    if cuts[-1] != periods[-1] or len(cuts) == 1:
        cuts.append(periods[-1])
    return tuple(cuts)


def _in_order(part: Any) -> Any:
    """A partition of results in the listing order, without its keys."""
    ordered = part.reset_index().sort_values(LISTING_KEYS, kind="stable")
    return ordered.drop(columns=LISTING_KEYS).reset_index(drop=True)


def _numbered(frame: Any) -> Any:
    """The records with their row in the whole table (0-based), for problems."""
    lengths = frame.map_partitions(len).compute().tolist()
    offsets = [sum(lengths[:i]) for i in range(len(lengths))]
    meta = frame._meta.assign(**{ROW: frame._meta.index.to_series().astype("int64")})
    return frame.map_partitions(_number, offsets, meta=meta)


def _number(part: Any, offsets: list[int], partition_info: Any = None) -> Any:
    import numpy as np

    start = offsets[partition_info["number"]] if partition_info else 0
    return part.assign(**{ROW: np.arange(start, start + len(part), dtype=np.int64)})


def _phase(part: Any, phase: Any, model: str, *args: Any) -> Any:
    """A phase of the run on a pandas partition."""
    return _pandas(phase(model, _polars(part), *args))


def _polars(part: Any) -> Any:
    import polars as pl

    return pl.from_pandas(part.reset_index(drop=True))


def _pandas(table: Any) -> Any:
    return table.to_pandas(use_pyarrow_extension_array=True)
