"""Evaluate on Spark (the ``spark`` extra): the results of `partyscore.to_csv` from a Spark
DataFrame of records, computed by the columnar path in the executors' Python workers.

    from pyspark.sql import SparkSession
    import partyscore
    import partyscore.spark

    spark = SparkSession.builder.getOrCreate()
    scheme = partyscore.load_scheme("schemes/chengzhuang-ladder.yaml")
    records = spark.read.parquet("hdfs:///scores/ladder/")
    results = partyscore.spark.evaluate(scheme, records)   # a Spark DataFrame of text
    results.write.parquet("hdfs:///scores/ladder-results/")

The same two phases as `partyscore.dask`, with ``groupBy().applyInPandas``: phase 1 gets
each period whole and ranks its subjects; for a scheme with history rules, phase 2 gets
whole subjects (hashed into buckets) with the ranks phase 1 gave them, and counts their
periods. The results are ordered as `to_csv` orders them (period, group, rank, subject).
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
    fact_types,
    has_history,
    header,
    model_text,
    present,
)

__all__ = ["evaluate"]


def evaluate(scheme: CompiledScheme, frame: Any, *, source: str = "<table>") -> Any:
    """Evaluate a Spark DataFrame of records: one row per subject and period, columns as a
    CSV file has them (``subject``, ``period``, attribute and item ids or labels). Every
    column is read as text (cast to string first), so keep numbers as strings or
    decimals, not doubles.

    Returns a Spark DataFrame of string columns: the header and cells of
    `partyscore.to_csv`, ordered as it orders them (null where it has an empty cell).
    Numbering the records for problems counts each partition's rows at once, and the
    distinct periods are read at once; the rest is computed when the results are.

    Raises:
        SchemeError: ``distributed-order`` for a ranking or top rule after an escalation.
        RecordError: ``columnar-input`` for a table without a subject or period column.
            When the results are computed, Spark raises its own error whose text holds
            the problems of the first group found at fault, as `partyscore.evaluate`
            reports them for the CSV file named `source` (rows numbered through the whole
            table in its partitions' order, row 2 the first record).
    """
    import polars as pl
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    model = model_text(scheme)
    check_columns(scheme, list(frame.columns), source)
    text = frame.select([F.col(c).cast("string").alias(c) for c in frame.columns])
    numbered = _numbered(text)
    labels = [r[0] for r in text.select("period").distinct().collect()]
    periods = present(scheme, labels)
    keys = [
        T.StructField(name, T.StringType() if name in ("#group", "#subject") else T.LongType())
        for name in LISTING_KEYS
    ]
    results = T.StructType([T.StructField(n, T.StringType()) for n in header(scheme)] + keys)
    if not has_history(scheme):
        parts = numbered.groupBy("period").applyInPandas(
            _phase(by_period, model, source), schema=results
        )
    else:
        facts = [
            T.StructField(n, T.BooleanType() if kind == pl.Boolean else T.LongType())
            for n, kind in fact_types(scheme).items()
        ]
        with_facts = T.StructType([*numbered.schema.fields, *facts])
        phase_1 = numbered.groupBy("period").applyInPandas(
            _phase(by_period, model, source), schema=with_facts
        )
        buckets = max(1, frame.sparkSession.sparkContext.defaultParallelism)
        bucket = F.pmod(F.hash("subject"), F.lit(buckets))
        parts = phase_1.groupBy(bucket).applyInPandas(
            _phase(by_subject, model, source, periods), schema=results
        )
    return parts.orderBy(*LISTING_KEYS).drop(*LISTING_KEYS)


def _numbered(frame: Any) -> Any:
    """The records with their row in the whole table (0-based), for problems: each
    partition's rows counted, then numbered on from the rows of the partitions before."""
    from pyspark.sql import functions as F

    part = F.spark_partition_id()
    counts = dict(frame.groupBy(part.alias("p")).count().collect())
    offsets, total = [], 0
    for p in range(max(counts, default=-1) + 1):
        offsets.append(total)
        total += counts.get(p, 0)
    within = F.monotonically_increasing_id() - F.shiftleft(part.cast("long"), 33)
    offset = F.element_at(F.array(*[F.lit(o) for o in offsets or [0]]), part + 1)
    return frame.withColumn(ROW, (offset + within).cast("long"))


def _phase(phase: Any, model: str, source: str, *args: Any) -> Any:
    """A phase of the run on one group's records (a pandas DataFrame)."""

    def run(part: Any) -> Any:
        import polars as pl

        found = phase(model, pl.from_pandas(part), source, *args)
        return found.to_pandas()

    return run
