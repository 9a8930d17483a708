"""The columnar path against the record path and a hand-written numpy version, in one run.

For the Chengzhuang ladder at each size it prints microseconds per record and records per
second of:

- ``record``: the record path, CSV file in to CSV text out (`read_records`, `evaluate`,
  `to_csv`);
- ``columnar csv``: CSV file in to CSV text out through `partyscore.columnar`;
- ``columnar parquet``: Parquet file in to Parquet file out;
- ``columnar rules``: every rule (scores, bands, ranks, money and actions) on a table
  already checked into columns, on numbers only, as the numpy version works;
- ``columnar + text``: the same, and the text of every output cell;
- ``numpy``: a hand-written numpy version of the ladder's total, step, rank and pay over
  prebuilt int64 columns (points in halves, money in fen): the physical limit here;

then the ratios, and whether the columnar results equal the record path's (byte for
byte) and numpy's (total, step, rank and pay of every record). Each target ends as a line
``TARGET <name>: <figure> (target ...) met|NOT MET``. The exit status is 1 when results
disagree, else 0 (targets do not change it).

Run:  .venv/bin/python benchmarks/bench_columnar.py [--sizes 2000 20000]

A size is ``baselines.ladder_records(n)``'s n: about n branches over 40 quarters, so 40 x n
records.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import baselines
import numpy as np
import polars as pl

import partyscore
from partyscore._columnar import evaluate_source, rules
from partyscore._table_input import source_from_frame
from partyscore.columnar import evaluate_table, read_table

ROOT = Path(__file__).resolve().parent.parent
SCHEME = ROOT / "schemes" / "chengzhuang-ladder.yaml"
KEY_MAX = [5, 5, 5, 5, 5, 4, 4, 4, 4, 4]
BASIC_MAX = [5] * 7 + [4] * 5


def best(work: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    """Best time of `runs` runs (one run when it takes over 5 s), and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
        if times[-1] > 5:
            break
    return min(times), result


def numpy_ladder(cols: dict[str, np.ndarray], period: np.ndarray) -> dict[str, np.ndarray]:
    """The ladder by hand over int64 columns: points in halves (x2), total in hundredths,
    pay in fen. Step codes: 0 step1, 1 step2, 2 step3, 3 no_step."""
    key = np.minimum(sum(cols[f"key_{i:02d}"] for i in range(1, 11)), 90)  # cap 45, in halves
    basic = np.minimum(sum(cols[f"basic_{i:02d}"] for i in range(1, 13)), 110)
    names = ["pillar", "centre", "education", "stability", "culture"]
    innovation = np.minimum(sum(cols[f"innovation_{n}"] for n in names), 20)
    total = (key + basic + innovation) * 50  # halves to hundredths
    step = np.full(len(total), 3)
    step[(total >= 7000) & (total < 8000)] = 0
    step[(total >= 8000) & (total < 9000)] = 1
    step[(total >= 9000) & (total <= 11000)] = 2
    coefficient = np.array([8, 9, 10, 7])[step]  # tenths
    coefficient = np.where((total < 7000) | (key < 80), 7, coefficient)
    pay = cols["withheld"] * coefficient * 10  # yuan x tenths -> fen
    # competition rank of total within the period: 1 + how many have more
    order = np.lexsort((-total, period))
    sorted_total, sorted_period = total[order], period[order]
    first = np.ones(len(total), dtype=bool)
    first[1:] = (sorted_period[1:] != sorted_period[:-1]) | (sorted_total[1:] != sorted_total[:-1])
    start = np.ones(len(total), dtype=bool)
    start[1:] = sorted_period[1:] != sorted_period[:-1]
    index = np.arange(len(total))
    part = np.maximum.accumulate(np.where(start, index, 0))
    tie = np.maximum.accumulate(np.where(first, index, 0))
    rank = np.empty(len(total), dtype=np.int64)
    rank[order] = tie - part + 1
    return {"total": total, "step": step, "rank": rank, "pay": pay}


def numpy_columns(frame: pl.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Prebuilt int64 columns from the table (not timed): points in halves."""
    cols: dict[str, np.ndarray] = {}
    for name in frame.columns:
        if name.startswith(("key_", "basic_", "innovation_")):
            cols[name] = (frame[name].cast(pl.Float64) * 2).round(0).cast(pl.Int64).to_numpy()
    withheld = {"front": 3000, "second": 2000, "surface": 1000}
    cols["withheld"] = frame["line"].replace_strict(withheld, return_dtype=pl.Int64).to_numpy()
    period = frame["period"].rank("dense").cast(pl.Int64).to_numpy()
    return cols, period


def agrees_with_numpy(results: pl.DataFrame, frame: pl.DataFrame, mine: dict[str, Any]) -> bool:
    """The columnar totals, steps, ranks and pay against numpy's, record by record."""
    by_key = {
        (s, p): i for i, (s, p) in enumerate(zip(frame["subject"], frame["period"], strict=True))
    }
    steps = ["step1", "step2", "step3", "no_step"]
    for row in results.iter_rows(named=True):
        i = by_key[(row["subject"], row["period"])]
        total = round(float(row["total"]) * 100)
        pay = round(float(row["ladder_pay_amount"]) * 100)
        if (total, row["step"], int(row["mine_rank"]), pay) != (
            int(mine["total"][i]),
            steps[int(mine["step"][i])],
            int(mine["rank"][i]),
            int(mine["pay"][i]),
        ):
            return False
    return True


def report(label: str, seconds: float, count: int, numpy_seconds: float) -> None:
    per = seconds / count * 1e6
    print(
        f"  {label:<18} {per:9.3f} µs/record {count / seconds:>13,.0f} records/s "
        f"{seconds / numpy_seconds:8.1f}x numpy"
    )


def target(name: str, figure: float, goal: str, met: bool) -> None:
    print(f"TARGET {name}: {figure:,.2f} ({goal}) {'met' if met else 'NOT MET'}")


def size(scheme: partyscore.CompiledScheme, n: int, folder: str, last: bool) -> bool:
    """Measure one size; whether every result agreed."""
    csv_path = Path(folder) / f"ladder-{n}.csv"
    count = baselines.write_ladder_csv(baselines.ladder_records(n), csv_path)
    parquet_in = Path(folder) / f"ladder-{n}.parquet"
    pl.read_csv(csv_path, infer_schema=False).write_parquet(parquet_in)
    print(f"ladder, {count:,} records")
    frame = pl.read_csv(csv_path, infer_schema=False)
    source = source_from_frame(scheme, frame, "bench.csv")
    assert source is not None
    cols, period = numpy_columns(frame)
    t_numpy, mine = best(lambda: numpy_ladder(cols, period))
    t_compute, _run = best(lambda: rules(scheme, source))
    t_text, _table = best(lambda: evaluate_source(scheme, source))

    def columnar_csv() -> str:
        text: str = evaluate_table(scheme, read_table(csv_path)).write_csv()
        return text

    def columnar_parquet() -> int:
        out = io.BytesIO()
        results = evaluate_table(scheme, read_table(parquet_in))
        results.write_parquet(out)
        height: int = results.height
        return height

    def record_path() -> str:
        records = partyscore.read_records(csv_path, scheme)
        return partyscore.to_csv(partyscore.evaluate(scheme, records))

    t_csv, ours = best(columnar_csv)
    t_parquet, _height = best(columnar_parquet)
    same: bool | None = None
    t_record = float("nan")
    if count <= 1_000_000:
        t_record, theirs = best(record_path, runs=1)
        same = ours == theirs
    results = pl.read_csv(io.StringIO(ours), infer_schema=False)
    numpy_same = agrees_with_numpy(results, frame, mine)
    report("numpy", t_numpy, count, t_numpy)
    report("columnar rules", t_compute, count, t_numpy)
    report("columnar + text", t_text, count, t_numpy)
    report("columnar parquet", t_parquet, count, t_numpy)
    report("columnar csv", t_csv, count, t_numpy)
    if same is not None:
        report("record", t_record, count, t_numpy)
    print(f"  columnar = record path (bytes): {same}; columnar = numpy: {numpy_same}")
    if last:
        rate = count / t_compute
        target("columnar rules records/s", rate, ">= 8,000,000", rate >= 8e6)
        ratio = t_compute / t_numpy
        target("columnar rules / numpy", ratio, "<= 1.5x", ratio <= 1.5)
        target("CSV to CSV records/s", count / t_csv, ">= 250,000", count / t_csv >= 2.5e5)
        if same is not None:
            speedup = t_record / t_csv
            target("CSV to CSV vs record path", speedup, ">= 10x", speedup >= 10)
        rate = count / t_parquet
        target("Parquet to Parquet records/s", rate, ">= 1,000,000", rate >= 1e6)
    return same is not False and numpy_same


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000, 20_000])
    args = parser.parse_args(argv)
    scheme = partyscore.load_scheme(SCHEME)
    agreed = True
    with tempfile.TemporaryDirectory() as folder:
        for n in args.sizes:
            agreed &= size(scheme, n, folder, n == args.sizes[-1])
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
