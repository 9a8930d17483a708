"""Spark gives what the single-process paths give.

Spark local mode with two executor threads, its Python workers running this interpreter.
The oracles: the record engine for the shipped examples and generated records, the
single-process columnar path (checked against the record engine in test_columnar) for a
generated million records. Without Java these tests are skipped, unless
PARTYSCORE_REQUIRE_SPARK=1 (as in CI), where a missing Java fails them.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import partyscore
from tests.tables import generated, issued, yongxi_with_a_bad_value

pl = pytest.importorskip("polars")

pytestmark = [
    pytest.mark.spark,
    # py4j leaves sockets to the JVM to be closed by the garbage collector
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    # newer pyspark warns that it does not yet fully support pandas 3; these tests check
    # the results themselves
    pytest.mark.filterwarnings("ignore:.*PySpark does not yet fully support pandas"),
]

ROOT = Path(__file__).parent.parent
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    missing = None
    if shutil.which("java") is None:
        missing = "no java on PATH"
    else:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            missing = "pyspark is not installed"
    if missing is not None:
        if os.environ.get("PARTYSCORE_REQUIRE_SPARK") == "1":
            pytest.fail(f"PARTYSCORE_REQUIRE_SPARK=1 but {missing}")
        pytest.skip(missing)
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("partyscore-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def frame_of(spark: Any, table: Any, parts: int) -> Any:
    schema = ", ".join(f"`{c}` string" for c in table.columns)
    return spark.createDataFrame(table.rows(), schema=schema).repartition(parts)


def on_spark(scheme: partyscore.CompiledScheme, frame: Any, **options: Any) -> Any:
    import partyscore.spark

    results = partyscore.spark.evaluate(scheme, frame, **options)
    schema = dict.fromkeys(results.columns, pl.String)
    return pl.DataFrame([list(r) for r in results.collect()], schema=schema, orient="row")


def reference(scheme: partyscore.CompiledScheme, given_records: Any) -> str:
    return partyscore.to_csv(partyscore.evaluate(scheme, given_records))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_example_gives_the_bytes_of_to_csv(path, spark):
    scheme = partyscore.load_scheme(path)
    example = ROOT / "examples" / f"{path.stem}.csv"
    expected = reference(scheme, partyscore.read_records(example, scheme))
    table = pl.read_csv(example, infer_schema=False)
    assert on_spark(scheme, frame_of(spark, table, 3)).write_csv() == expected


def test_a_million_generated_records_from_parquet_are_the_single_process_results(
    spark, tmp_path
):
    from partyscore.columnar import evaluate_table
    from partyscore.spark import evaluate as spark_evaluate

    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    table = generated(scheme, 25_000, 40, seed=11, gaps=1 / 30)
    assert 960_000 < table.height < 1_000_000
    expected, _warned = issued(lambda: evaluate_table(scheme, table))
    for part in range(4):
        table[part * 250_000 : (part + 1) * 250_000].write_parquet(tmp_path / f"{part}.parquet")
    frame = spark.read.parquet(str(tmp_path / "*.parquet"))
    spark_evaluate(scheme, frame).write.parquet(str(tmp_path / "out"))
    # the parts in order, as Spark wrote its ordered results
    results = pl.concat(pl.read_parquet(p) for p in sorted((tmp_path / "out").glob("*.parquet")))
    assert results.height == expected.height
    assert results.equals(expected)


def test_generated_year_end_and_groups_agree_with_the_record_path(spark):
    for name in ("yongxi-red-flag", "university-member-points"):
        scheme = partyscore.load_scheme(ROOT / "schemes" / f"{name}.yaml")
        table = generated(scheme, 300, 12, seed=5, gaps=0.05)
        expected = reference(
            scheme, partyscore.read_records(table.write_csv().encode(), scheme, name="t.csv")
        )
        assert on_spark(scheme, frame_of(spark, table, 5)).write_csv() == expected, name


def test_a_bad_record_fails_the_job_with_the_record_paths_problem(spark, tmp_path):
    scheme = partyscore.load_scheme(ROOT / "schemes" / "yongxi-red-flag.yaml")
    bad = yongxi_with_a_bad_value()  # 'abc' at row 32
    path = tmp_path / "villages.csv"
    bad.write_csv(path)
    with pytest.raises(partyscore.RecordError) as expected:
        partyscore.evaluate(scheme, partyscore.read_records(path, scheme))
    (problem,) = expected.value.diagnostics
    assert problem.line == 32
    with pytest.raises(Exception, match="party_building") as found:
        on_spark(scheme, frame_of(spark, bad, 1), source=str(path))
    assert problem.render() in str(found.value)
