"""Dask (and Spark, where Java and pyspark are there) against the single-process columnar
path, in one run, on generated Chengzhuang ladder records read from Parquet parts.

It prints, for the records and for a table of 1,000 records (the engines' fixed cost:
scheduling, the shuffles, the eager passes for row numbers and periods):

- ``columnar``: `partyscore.columnar.evaluate_table` in this process, Parquet parts in,
  results in memory;
- ``dask 2 workers``: `partyscore.dask.evaluate` on a `distributed.LocalCluster` of two
  worker processes (one thread each), the results gathered into this process;
- ``spark local[2]``: `partyscore.spark.evaluate` in Spark local mode, the results written
  as Parquet and read back;

then whether each engine's results equal the columnar path's (every cell, in order), and
the target ``TARGET dask beyond its fixed cost vs columnar``: the Dask time less its time
on 1,000 records, over the columnar time, met at 1.0x or less. Starting the cluster and
the Spark session is reported apart. The exit status is 1 when results disagree.

Run:  .venv/bin/python benchmarks/bench_distributed.py [--records 1000000] [--no-spark]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
from generated import generated

import partyscore
from partyscore.columnar import evaluate_table

ROOT = Path(__file__).resolve().parent.parent
SCHEME = ROOT / "schemes" / "chengzhuang-ladder.yaml"
QUARTERS = 40
PARTS = 8


def write_parts(table: Any, folder: Path) -> list[Path]:
    folder.mkdir()
    step = -(-table.height // PARTS)
    paths = []
    for part in range(PARTS):
        path = folder / f"{part}.parquet"
        table[part * step : (part + 1) * step].write_parquet(path)
        paths.append(path)
    return paths


def timed(work: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def line(label: str, seconds: float, count: int) -> None:
    print(
        f"  {label:<24} {seconds:8.2f} s  {seconds / count * 1e6:8.2f} µs/record "
        f"{count / seconds:12,.0f} records/s"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--no-spark", action="store_true", help="leave Spark out")
    args = parser.parse_args(argv)
    scheme = partyscore.load_scheme(SCHEME)
    agreed = True
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        sizes = {"small": 1_000, "large": args.records}
        parts, expected, single = {}, {}, {}
        for name, n in sizes.items():
            table = generated(scheme, max(1, n // QUARTERS), QUARTERS, seed=7)
            parts[name] = write_parts(table, folder / name)
            single[name], expected[name] = timed(
                lambda name=name: evaluate_table(
                    scheme, pl.concat(pl.read_parquet(p) for p in parts[name])
                )
            )
        count = expected["large"].height
        print(f"ladder, {count:,} records in {PARTS} Parquet parts")
        line("columnar", single["large"], count)

        import dask.dataframe as dd
        import distributed

        from partyscore.dask import evaluate as dask_evaluate

        start, cluster = timed(
            lambda: distributed.LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        )
        print(f"  (cluster of 2 workers started in {start:.2f} s)")
        with cluster, distributed.Client(cluster):  # type: ignore[no-untyped-call]
            on_dask = {}
            for name in sizes:
                frame = dd.read_parquet([str(p) for p in parts[name]])
                on_dask[name], got = timed(
                    lambda frame=frame: dask_evaluate(scheme, frame).compute()
                )
                same = pl.from_pandas(got.reset_index(drop=True)).equals(expected[name])
                agreed &= same
            line("dask 2 workers", on_dask["large"], count)
            print(f"  dask on 1,000 records (its fixed cost): {on_dask['small']:.2f} s")
            print(f"  dask = columnar (every cell): {same}")
        beyond = (on_dask["large"] - on_dask["small"]) / single["large"]
        verdict = "met" if beyond <= 1.0 else "NOT MET"
        print(f"TARGET dask beyond its fixed cost vs columnar: {beyond:.2f}x (<= 1.0x) {verdict}")

        if not args.no_spark and shutil.which("java") is not None:
            agreed &= spark_run(scheme, parts["large"], expected["large"], folder)
    return 0 if agreed else 1


def spark_run(scheme: Any, parts: list[Path], expected: Any, folder: Path) -> bool:
    from pyspark.sql import SparkSession

    from partyscore.spark import evaluate as spark_evaluate

    os.environ["PYSPARK_PYTHON"] = sys.executable
    start, spark = timed(
        lambda: SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(f"  (Spark session started in {start:.2f} s)")
    out = folder / "spark-out"

    def run() -> Any:
        frame = spark.read.parquet(*[str(p) for p in parts])
        spark_evaluate(scheme, frame).write.parquet(str(out))
        return pl.concat(pl.read_parquet(p) for p in sorted(out.glob("*.parquet")))

    seconds, got = timed(run)
    line("spark local[2]", seconds, expected.height)
    same: bool = got.equals(expected)
    print(f"  spark = columnar (every cell): {same}")
    spark.stop()
    return same


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
