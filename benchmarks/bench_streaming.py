"""Memory and speed of the streaming columnar path (``evaluate --engine columnar``) against
the whole table read into memory, in one run.

For the Chengzhuang ladder it writes a generated Parquet file of ``--check`` records and
one of ``--records`` (40 quarters; branches in blocks of 25,000, one record in 30 left out)
and runs, each in a fresh child process that reports its own peak resident memory:

- ``in memory``: `read_table` then `evaluate_table`, the whole table at once, Parquet out
  (the baseline; at the check size only);
- ``streamed parquet``: ``partyscore evaluate --engine columnar --format parquet``;
- ``streamed csv``: the same from a CSV file to CSV (at the check size).

It prints seconds, records per second and peak RSS of each, checks that the streamed
results equal the in-memory ones cell for cell (check size), and at the large size that
every record has its result row, in `to_csv`'s order of periods. Each target ends as a
line ``TARGET <name>: <figure> (target ...) met|NOT MET``. The exit status is 1 when
results disagree, else 0.

Run:  .venv/bin/python benchmarks/bench_streaming.py [--records 10000000] [--check 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from generated import generated

import partyscore

ROOT = Path(__file__).resolve().parent.parent
SCHEME = ROOT / "schemes" / "chengzhuang-ladder.yaml"
BLOCK = 25_000
"""Branches generated at a time (25,000 x 40 quarters: about a million records)."""
GIB = 1 << 30

PEAK = """
import atexit, os
def peak():
    with open("/proc/self/status") as status:
        found = next(line for line in status if line.startswith("VmHWM:"))
    with open(os.environ["PEAK_FILE"], "w") as out:
        out.write(found.split()[1])
atexit.register(peak)
"""
"""Each child writes its own peak resident memory (kB) at exit. The kernel's figure for a
child (``wait4``) would also count the pages of this process, which it shares when it
forks, so the child reads its own (``VmHWM``: its address space is new since ``exec``)."""

IN_MEMORY = (
    PEAK
    + """
import sys, warnings
import partyscore
from partyscore.columnar import evaluate_table, read_table
warnings.simplefilter("ignore", partyscore.PartyscoreWarning)
scheme = partyscore.load_scheme(sys.argv[1])
evaluate_table(scheme, read_table(sys.argv[2])).write_parquet(sys.argv[3])
"""
)

CLI = PEAK + "import sys\nfrom partyscore.cli import main\nsys.exit(main(sys.argv[1:]))\n"


def write_records(scheme: partyscore.CompiledScheme, count: int, path: Path) -> int:
    """`count` generated ladder records into one Parquet file, a block of branches at a
    time (the last block cut short); how many."""
    writer = None
    written = 0
    block = 0
    while written < count:
        table = generated(
            scheme, BLOCK, 40, seed=100 + block, gaps=1 / 30, first_subject=block * BLOCK
        )
        table = table.head(count - written)
        block += 1
        arrow = table.to_arrow()
        if writer is None:
            writer = pq.ParquetWriter(path, arrow.schema)
        writer.write_table(arrow)
        written += table.height
    assert writer is not None
    writer.close()
    return written


def child(argv: list[str]) -> tuple[float, int]:
    """Run Python code with arguments (`argv`) in a child process; its seconds and peak
    resident memory in bytes."""
    with tempfile.TemporaryFile() as said, tempfile.NamedTemporaryFile() as peak:
        start = time.perf_counter()
        process = subprocess.run(
            [sys.executable, "-c", *argv], stderr=said, env={**os.environ, "PEAK_FILE": peak.name}
        )
        seconds = time.perf_counter() - start
        said.seek(0)
        errors = said.read().decode()
        kilobytes = int(Path(peak.name).read_text() or 0)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv[1:])} failed:\n{errors}")
    if errors:  # warnings of the run: the first of them
        lines = errors.splitlines()
        print(f"  ({len(lines):,} lines on stderr, the first: {lines[0][:150]})")
    return seconds, kilobytes * 1024


def cli(*args: str) -> list[str]:
    return [CLI, "evaluate", str(SCHEME), *args]


def line(label: str, seconds: float, count: int, peak: int) -> None:
    print(
        f"  {label:<18} {seconds:8.2f} s  {count / seconds:>12,.0f} records/s"
        f"  peak RSS {peak / (1 << 20):8,.0f} MiB"
    )


def target(name: str, figure: str, goal: str, met: bool) -> None:
    print(f"TARGET {name}: {figure} (target {goal}) {'met' if met else 'NOT MET'}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--check", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    scheme = partyscore.load_scheme(SCHEME)
    agreed = True
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        small = folder / "check.parquet"
        count = write_records(scheme, args.check, small)
        pl.read_parquet(small).write_csv(folder / "check.csv")
        print(f"ladder, {count:,} records (check size)")
        memory = child([IN_MEMORY, str(SCHEME), str(small), str(folder / "m.parquet")])
        line("in memory", *memory[:1], count, memory[1])
        streamed = child(
            cli(str(small), "--engine", "columnar", "--format", "parquet",
                "-o", str(folder / "s.parquet"))
        )  # fmt: skip
        line("streamed parquet", streamed[0], count, streamed[1])
        as_csv = child(
            cli(str(folder / "check.csv"), "--engine", "columnar", "--format", "csv",
                "-o", str(folder / "s.csv"))
        )  # fmt: skip
        line("streamed csv", as_csv[0], count, as_csv[1])
        same = pl.read_parquet(folder / "s.parquet").equals(pl.read_parquet(folder / "m.parquet"))
        text_same = (folder / "s.csv").read_text(encoding="utf-8") == pl.read_parquet(
            folder / "m.parquet"
        ).write_csv()
        print(f"  streamed = in memory (every cell): parquet {same}, csv {text_same}")
        agreed &= same and text_same
        print(f"  peak RSS streamed / in memory: {streamed[1] / memory[1]:.2f}")
        for path in (small, folder / "check.csv", folder / "s.parquet", folder / "m.parquet"):
            path.unlink()

        large = folder / "large.parquet"
        count = write_records(scheme, args.records, large)
        print(f"ladder, {count:,} records")
        out = folder / "large-results.parquet"
        seconds, peak = child(
            cli(str(large), "--engine", "columnar", "--format", "parquet", "-o", str(out))
        )
        line("streamed parquet", seconds, count, peak)
        results = pl.scan_parquet(out)
        rows = results.select(pl.len()).collect().item()
        labels = results.select("period").collect().to_series()
        in_order = bool(
            (labels.str.replace("-Q", "").cast(pl.Int64).diff().drop_nulls() >= 0).all()
        )
        complete = rows == count
        print(f"  result rows = records: {complete} ({rows:,}); periods in order: {in_order}")
        agreed &= complete and in_order
        target("peak RSS, 10^7 ladder rows Parquet to Parquet", f"{peak / GIB:.2f} GiB",
               "< 2 GiB", peak < 2 * GIB)  # fmt: skip
        rate = count / seconds
        target("streamed Parquet to Parquet records/s", f"{rate:,.0f}", ">= 1,000,000", rate >= 1e6)
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
