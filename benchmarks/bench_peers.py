"""partyscore against the rule engines users would pick instead, in one run, on two schemes:

- the Chengzhuang ladder's core rules: the capped section totals, the total, the step (70 /
  80 / 90 / 110), the rank within the quarter and the ladder pay (withheld pay x 0.8 / 0.9 /
  1.0, 0.7 below 70 or below 40 key points);
- the Yongxi red flag's core rules: the total of the ten indicators (0 to 100), the prize
  level (full at 95 and above, half from 85 to under 95, none below 85), the rank within
  the quarter across all branches, the rank prize (600 / 500 / 400 yuan at full, half that
  at half; tied branches pool the prizes of the places they occupy by their own level and
  share them equally, rounded down to the fen) and the red flag (every branch at or above
  the ``red_flags``-th place, ties included). The last-place escalation and the year-end
  rules, which read the history, are left out of the hand-written implementations and the
  peers (partyscore still runs them: its rows are the whole scheme).

Implementations, each over prebuilt inputs (building them is not timed):

- ``numpy``: hand-written over int64 columns (points in halves, money in fen): the limit;
- ``partyscore columnar``: every rule of the whole scheme on the checked columns;
- ``partyscore record``: `partyscore.evaluate` of the whole scheme, record by record;
- ``plain python``: a hand-written loop in `Decimal`;
- ``simpleeval``: the expressions parsed once (`EvalWithCompoundTypes.parse`), evaluated
  per record in `Decimal`;
- ``zen-engine``: GoRules' ZEN expressions, compiled once (`zen.compile_expression`);
- ``rule-engine``: `rule_engine.Rule` objects, made once (its numbers are Decimals);
- ``json-logic``: `json_logic.jsonLogic` rules (the json-logic-qubit package).

The peers and the loops work record by record (the ladder's total, step and pay; the red
flag's total and prize level), so what compares records across a quarter is one shared
plain-Python step, timed with them: the ladder's rank; the red flag's rank, rank prize and
flag. Every implementation's results of every record (ladder: total, step, rank and pay;
red flag: total, prize level, rank, prize and flag) are checked equal to partyscore
record's. Each table gives µs per record, records per second, the peak of memory allocated
while it ran (tracemalloc: Python objects and numpy arrays; polars' own allocations are not
seen) and the ratio to numpy. The exit status is 1 when any implementation differs.

Install the peers with the benchmark-only extra: ``pip install -e '.[bench]'``.

Run:  .venv/bin/python benchmarks/bench_peers.py [--records 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import polars as pl
from baselines import YONGXI_NAMES, flag_cut, prize_band, rank_prizes
from bench_columnar import numpy_columns, numpy_ladder
from generated import generated

import partyscore
from partyscore._columnar import rules
from partyscore._table_input import source_from_frame

ROOT = Path(__file__).resolve().parent.parent
LADDER = ROOT / "schemes" / "chengzhuang-ladder.yaml"
RED_FLAG = ROOT / "schemes" / "yongxi-red-flag.yaml"
KEYS = [f"key_{i:02d}" for i in range(1, 11)]
BASICS = [f"basic_{i:02d}" for i in range(1, 13)]
INNOVATIONS = [f"innovation_{n}" for n in ("pillar", "centre", "education", "stability", "culture")]
WITHHELD = {"front": 3000, "second": 2000, "surface": 1000}
STEPS = ["step1", "step2", "step3", "no_step"]
LEVELS = ["full", "half", "none"]
RED_FLAGS = 1  # the scheme's parameter red_flags
Out = list[tuple[int, int, int]]  # per record: total in hundredths, step code, pay in fen
Row = tuple[Any, ...]  # one record's results, as compared
Compiled = Callable[[dict[str, Any]], Any]  # one expression of an engine, compiled


class Implementation(NamedTuple):
    label: str
    work: Callable[[], Any]
    """The timed work."""
    rows: Callable[[Any], list[Row]]
    """Its result as one row per record, in the table's order (not timed)."""


class Bench(NamedTuple):
    title: str
    records: int
    expected: list[Row]
    """partyscore record's rows, in the table's order: the reference."""
    implementations: list[Implementation]


def measure(work: Callable[[], Any]) -> tuple[float, int, Any]:
    """Seconds (best of two when quick), peak bytes allocated, and the result. The runs
    timed are not traced: tracemalloc slows allocating Python code several times over, so
    the peak comes from one more run, traced."""
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    if seconds < 2:
        start = time.perf_counter()
        result = work()
        seconds = min(seconds, time.perf_counter() - start)
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, result


def compare(bench: Bench) -> bool:
    """Time every implementation, print its line; whether all agreed with the reference."""
    count = bench.records
    print(f"{bench.title}, {count:,} records")
    base = None
    agreed = True
    for label, work, rows in bench.implementations:
        seconds, peak, result = measure(work)
        base = base or seconds
        same = rows(result) == bench.expected
        agreed &= same
        print(
            f"  {label:<20} {seconds / count * 1e6:10.3f} µs/record {count / seconds:>13,.0f}"
            f" records/s {peak / 2**20:9.1f} MiB peak {seconds / base:9.1f}x numpy"
            f"  {'same' if same else 'DIFFERENT'}"
        )
    return agreed


def by_period(periods: Sequence[str]) -> list[list[int]]:
    """The indexes of the records of each period."""
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(periods):
        groups.setdefault(p, []).append(i)
    return list(groups.values())


def ranked(members: list[int], totals: Sequence[int]) -> list[tuple[int, int]]:
    """(index, competition rank) of the members, best first: 1 + how many have more."""
    members = sorted(members, key=lambda i: -totals[i])
    out = []
    place = 0
    for position, i in enumerate(members):
        if position == 0 or totals[i] != totals[members[position - 1]]:
            place = position + 1
        out.append((i, place))
    return out


def ranks(periods: Sequence[str], totals: Sequence[int]) -> list[int]:
    """Competition rank of each total within its period."""
    rank = [0] * len(totals)
    for members in by_period(periods):
        for i, place in ranked(members, totals):
            rank[i] = place
    return rank


def red_flag_places(
    periods: Sequence[str], totals: Sequence[int], levels: Sequence[str]
) -> tuple[list[int], list[int], list[bool]]:
    """Per record: the rank within its period, the rank prize in fen (0: none) and the red
    flag, from the totals (in hundredths) and prize levels (baselines' Yongxi rules)."""
    n = len(totals)
    rank, prize, flag = [0] * n, [0] * n, [False] * n
    for members in by_period(periods):
        pairs = ranked(members, totals)
        places = [place for _i, place in pairs]
        amounts = rank_prizes(places, [levels[i] for i, _place in pairs])
        cut = flag_cut(places, RED_FLAGS)
        for (i, place), amount in zip(pairs, amounts, strict=True):
            rank[i] = place
            prize[i] = int(amount * 100) if amount else 0
            flag[i] = place <= cut
    return rank, prize, flag


# --------------------------------------------------------------------------- hand-written


def step_of(total: Any) -> int:
    if 70 <= total < 80:
        return 0
    if 80 <= total < 90:
        return 1
    if 90 <= total <= 110:
        return 2
    return 3


def plain_ladder(rows: list[dict[str, Any]]) -> Out:
    out = []
    coefficient = [Decimal("0.8"), Decimal("0.9"), Decimal("1.0"), Decimal("0.7")]
    for r in rows:
        key = min(sum((r[n] for n in KEYS), Decimal(0)), Decimal(45))
        basic = min(sum((r[n] for n in BASICS), Decimal(0)), Decimal(55))
        innovation = min(sum((r[n] for n in INNOVATIONS), Decimal(0)), Decimal(10))
        total = key + basic + innovation
        step = step_of(total)
        c = Decimal("0.7") if total < 70 or key < 40 else coefficient[step]
        out.append((int(total * 100), step, int(r["withheld"] * c * 100)))
    return out


def plain_red_flag(rows: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
    totals, levels = [], []
    for r in rows:
        total = min(max(sum((r[n] for n in YONGXI_NAMES), Decimal(0)), Decimal(0)), Decimal(100))
        totals.append(int(total * 100))
        levels.append(prize_band(total))
    return totals, levels


def numpy_red_flag(cols: dict[str, np.ndarray], period: np.ndarray) -> dict[str, np.ndarray]:
    """The red flag's core rules by hand over int64 columns: points in halves (x2), total
    in hundredths, prizes in fen. Level codes: 0 full, 1 half, 2 none."""
    n = len(period)
    total = np.clip(sum(cols[name] for name in YONGXI_NAMES), 0, 200) * 50  # 0..100 points
    level = np.where(total >= 9500, 0, np.where(total >= 8500, 1, 2))
    # competition rank of total within the period, in the sorted order
    order = np.lexsort((-total, period))
    sorted_total, sorted_period = total[order], period[order]
    start = np.ones(n, dtype=bool)
    start[1:] = sorted_period[1:] != sorted_period[:-1]
    first = start.copy()
    first[1:] |= sorted_total[1:] != sorted_total[:-1]
    index = np.arange(n)
    part = np.maximum.accumulate(np.where(start, index, 0))
    tie = np.maximum.accumulate(np.where(first, index, 0))
    rank = tie - part + 1
    # the rank prize: a tie group of `tied` at `rank` occupies places rank..rank+tied-1;
    # each member pools those of places 1..3 by its own level and takes an equal share
    group = np.cumsum(first) - 1
    tied = np.bincount(group)[group]
    pooled = np.array([[0, 60000, 110000, 150000], [0, 30000, 55000, 75000], [0, 0, 0, 0]])
    own = level[order]
    pool = pooled[own, np.minimum(rank - 1 + tied, 3)] - pooled[own, np.minimum(rank - 1, 3)]
    prize = pool // tied  # fen, rounded down
    # the red flag: rank <= the RED_FLAGS-th smallest rank of the period (ties included)
    starts = np.flatnonzero(start)
    sizes = np.diff(np.append(starts, n))
    period_of = np.cumsum(start) - 1
    cut = rank[starts[period_of] + np.minimum(RED_FLAGS, sizes[period_of]) - 1]
    out = {"total": total, "level": level}
    for name, in_order in (("rank", rank), ("prize", prize), ("flag", rank <= cut)):
        out[name] = np.empty_like(in_order)
        out[name][order] = in_order
    return out


# --------------------------------------------------------------------------- the peers


class Dialect(NamedTuple):
    """How an engine's expressions write min(x, cap), max(x, low) and a conditional."""

    cap: Callable[[str, int], str]
    floor: Callable[[str, int], str]
    choose: Callable[[str, str, str], str]


PYTHON = Dialect(
    lambda x, cap: f"min({x}, {cap})",
    lambda x, low: f"max({x}, {low})",
    lambda test, yes, no: f"({yes} if {test} else {no})",
)
ZEN = Dialect(  # ZEN writes ``a ? b : c`` and ``min([..])``
    lambda x, cap: f"min([{x}, {cap}])",
    lambda x, low: f"max([{x}, {low}])",
    lambda test, yes, no: f"({test} ? {yes} : {no})",
)
RULE_ENGINE = Dialect(  # rule-engine has no min or max
    lambda x, cap: f"(({x}) > {cap} ? {cap} : ({x}))",
    lambda x, low: f"(({x}) < {low} ? {low} : ({x}))",
    ZEN.choose,
)


def ladder_texts(d: Dialect) -> tuple[str, str, str]:
    """The ladder's key, total and pay (reading key and total)."""
    key = d.cap(" + ".join(KEYS), 45)
    total = f"key + {d.cap(' + '.join(BASICS), 55)} + {d.cap(' + '.join(INNOVATIONS), 10)}"
    coefficient = d.choose(
        "total < 70 or key < 40",
        "0.7",
        d.choose(
            "total < 80",
            "0.8",
            d.choose("total < 90", "0.9", d.choose("total <= 110", "1.0", "0.7")),
        ),
    )
    return key, total, f"withheld * {coefficient}"


def red_flag_texts(d: Dialect) -> tuple[str, str]:
    """The red flag's total and prize level (reading total)."""
    total = d.cap(d.floor(" + ".join(YONGXI_NAMES), 0), 100)
    level = d.choose("total >= 95", "'full'", d.choose("total >= 85", "'half'", "'none'"))
    return total, level


def _var(name: str) -> dict[str, str]:
    return {"var": name}


def _capped(names: Sequence[str], cap: int) -> dict[str, Any]:
    return {"min": [{"+": [_var(n) for n in names]}, cap]}


LADDER_RULES = (
    _capped(KEYS, 45),
    {"+": [_var("key"), _capped(BASICS, 55), _capped(INNOVATIONS, 10)]},
    {
        "*": [
            _var("withheld"),
            {
                "if": [
                    {"or": [{"<": [_var("total"), 70]}, {"<": [_var("key"), 40]}]}, 0.7,
                    {"<": [_var("total"), 80]}, 0.8,
                    {"<": [_var("total"), 90]}, 0.9,
                    {"<=": [_var("total"), 110]}, 1.0,
                    0.7,
                ]
            },
        ]
    },
)  # fmt: skip
RED_FLAG_RULES = (
    {"min": [{"max": [{"+": [_var(n) for n in YONGXI_NAMES]}, 0]}, 100]},
    {"if": [{">=": [_var("total"), 95]}, "full", {">=": [_var("total"), 85]}, "half", "none"]},
)


def simpleeval_compiler() -> Callable[[Any], Compiled]:
    from simpleeval import EvalWithCompoundTypes

    evaluator = EvalWithCompoundTypes(functions={"min": min, "max": max})

    def compiled(text: str) -> Compiled:
        tree = evaluator.parse(text)

        def run(r: dict[str, Any]) -> Any:
            evaluator.names = r
            return evaluator.eval(text, previously_parsed=tree)

        return run

    return compiled


def zen_compiler() -> Callable[[Any], Compiled]:
    import zen

    return lambda text: zen.compile_expression(text).evaluate


def rule_engine_compiler() -> Callable[[Any], Compiled]:
    import rule_engine

    return lambda text: rule_engine.Rule(text).evaluate


def json_logic_compiler() -> Callable[[Any], Compiled]:
    from json_logic import jsonLogic

    def compiled(rule: Any) -> Compiled:
        return lambda r: jsonLogic(rule, r)

    return compiled


class Engine(NamedTuple):
    label: str
    compiler: Callable[[], Callable[[Any], Compiled]]
    """Imports the engine; returns what compiles one expression of it."""
    ladder: tuple[Any, Any, Any]
    red_flag: tuple[Any, Any]
    floats: bool
    """Whether it reads the points as floats (else as Decimals)."""


ENGINES = [
    Engine("simpleeval", simpleeval_compiler, ladder_texts(PYTHON), red_flag_texts(PYTHON), False),
    Engine("zen-engine", zen_compiler, ladder_texts(ZEN), red_flag_texts(ZEN), True),
    Engine(
        "rule-engine",
        rule_engine_compiler,
        ladder_texts(RULE_ENGINE),
        red_flag_texts(RULE_ENGINE),
        False,
    ),
    Engine("json-logic", json_logic_compiler, LADDER_RULES, RED_FLAG_RULES, True),
]


def ladder_loop(engine: Engine) -> Callable[[list[dict[str, Any]]], Out]:
    """A record loop over the engine's three compiled ladder expressions."""
    compiled = engine.compiler()
    key_of, total_of, pay_of = (compiled(e) for e in engine.ladder)

    def run(rows: list[dict[str, Any]]) -> Out:
        out = []
        for r in rows:
            r["key"] = key_of(r)
            r["total"] = total = total_of(r)
            out.append((int(total * 100), step_of(total), round(pay_of(r) * 100)))
        return out

    return run


def red_flag_loop(engine: Engine) -> Callable[[list[dict[str, Any]]], tuple[list[int], list[str]]]:
    """A record loop over the engine's two compiled red-flag expressions."""
    compiled = engine.compiler()
    total_of, level_of = (compiled(e) for e in engine.red_flag)

    def run(rows: list[dict[str, Any]]) -> tuple[list[int], list[str]]:
        totals, levels = [], []
        for r in rows:
            r["total"] = total = total_of(r)
            totals.append(round(total * 100))
            levels.append(level_of(r))
        return totals, levels

    return run


# --------------------------------------------------------------------------- the schemes


def partyscore_implementations(
    scheme: partyscore.CompiledScheme,
    table: pl.DataFrame,
    of_result: Callable[[partyscore.Result], Row],
    of_text: Callable[[dict[str, Any]], Row],
) -> tuple[list[Row], list[Implementation]]:
    """The reference rows (partyscore record's) and the two partyscore implementations;
    `of_result` and `of_text` read a period row of the record and columnar results."""
    source = source_from_frame(scheme, table, "bench.csv")
    assert source is not None
    records = list(partyscore.read_records(table.write_csv().encode(), scheme, name="bench.csv"))
    keys = list(zip(table["subject"].to_list(), table["period"].to_list(), strict=True))

    def from_evaluation(evaluation: partyscore.Evaluation) -> list[Row]:
        got = {
            (r.subject, r.period): of_result(r) for r in evaluation.results if r.kind == "period"
        }
        return [got.get(k, ()) for k in keys]  # (): missing

    def from_columnar(run: Any) -> list[Row]:
        frame = run.table().frame()
        got = {
            (row["subject"], row["period"]): of_text(row)
            for row in frame.iter_rows(named=True)
            if row["kind"] == "period"
        }
        return [got.get(k, ()) for k in keys]  # (): missing

    expected = from_evaluation(partyscore.evaluate(scheme, records))
    return expected, [
        Implementation("partyscore columnar", lambda: rules(scheme, source), from_columnar),
        Implementation(
            "partyscore record", lambda: partyscore.evaluate(scheme, records), from_evaluation
        ),
    ]


def decimal_rows(
    table: pl.DataFrame, points: Sequence[str], **extra: list[Any]
) -> list[dict[str, Any]]:
    """Per record: the points as Decimals, and the `extra` columns."""
    columns = {n: [Decimal(v) for v in table[n].to_list()] for n in points} | extra
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def ladder_bench(records: int) -> Bench:
    scheme = partyscore.load_scheme(LADDER)
    table = generated(scheme, max(1, records // 40), 40, seed=3)
    # prebuilt inputs, not timed
    cols, period_codes = numpy_columns(table)
    withheld = table["line"].replace_strict(WITHHELD, return_dtype=pl.Int64).to_list()
    decimals = decimal_rows(table, [*KEYS, *BASICS, *INNOVATIONS], withheld=withheld)
    floats = [{k: float(v) for k, v in r.items()} for r in decimals]
    periods = table["period"].to_list()

    def of_result(r: partyscore.Result) -> Row:
        amount = next((a.amount for a in r.rewards if a.id == "ladder_pay"), None) or Decimal(0)
        step = STEPS.index(str(r.bands["step"]))
        return (int(r.scores["total"] * 100), step, r.ranks["mine_rank"], int(amount * 100))

    def of_text(row: dict[str, Any]) -> Row:
        return (
            round(float(row["total"]) * 100),
            STEPS.index(row["step"]),
            int(row["mine_rank"]),
            round(float(row["ladder_pay_amount"] or 0) * 100),
        )

    def looped(run: Callable[[list[dict[str, Any]]], Out], rows: Any) -> Callable[[], Any]:
        def work() -> Any:
            out = run([dict(r) for r in rows])
            return out, ranks(periods, [t for t, _s, _p in out])

        return work

    def merged(result: Any) -> list[Row]:
        out, rank = result
        return [(t, s, rank[i], p) for i, (t, s, p) in enumerate(out)]

    def numpy_work() -> Any:
        mine = numpy_ladder(cols, period_codes)
        columns = (mine["total"].tolist(), mine["step"].tolist(), mine["pay"].tolist())
        out = list(zip(*columns, strict=True))
        return out, mine["rank"].tolist()

    expected, ours = partyscore_implementations(scheme, table, of_result, of_text)
    return Bench(
        "ladder core rules",
        table.height,
        expected,
        [
            Implementation("numpy", numpy_work, merged),
            *ours,
            Implementation("plain python", looped(plain_ladder, decimals), merged),
            *(
                Implementation(
                    e.label, looped(ladder_loop(e), floats if e.floats else decimals), merged
                )
                for e in ENGINES
            ),
        ],
    )


def red_flag_bench(records: int) -> Bench:
    scheme = partyscore.load_scheme(RED_FLAG)
    table = generated(scheme, max(1, records // 8), 8, seed=5)  # 8 quarters
    # prebuilt inputs, not timed
    cols = {
        n: (table[n].cast(pl.Float64) * 2).round(0).cast(pl.Int64).to_numpy() for n in YONGXI_NAMES
    }
    period_codes = table["period"].rank("dense").cast(pl.Int64).to_numpy()
    decimals = decimal_rows(table, YONGXI_NAMES)
    floats = [{k: float(v) for k, v in r.items()} for r in decimals]
    periods = table["period"].to_list()

    def of_result(r: partyscore.Result) -> Row:
        prize = next((a.amount for a in r.rewards if a.id == "rank_prize"), None) or Decimal(0)
        return (
            int(r.scores["total"] * 100),
            str(r.bands["prize_level"]),
            r.ranks["village_rank"],
            int(prize * 100),
            any(a.id == "red_flag" for a in r.rewards),
        )

    def of_text(row: dict[str, Any]) -> Row:
        return (
            round(float(row["total"]) * 100),
            row["prize_level"],
            int(row["village_rank"]),
            round(float(row["rank_prize_amount"] or 0) * 100),
            "red_flag" in (row["rewards"] or "").split(";"),
        )

    def looped(
        run: Callable[[list[dict[str, Any]]], tuple[list[int], list[str]]], rows: Any
    ) -> Callable[[], Any]:
        def work() -> Any:
            totals, levels = run([dict(r) for r in rows])
            return totals, levels, *red_flag_places(periods, totals, levels)

        return work

    def zipped(result: Any) -> list[Row]:
        return list(zip(*result, strict=True))

    def numpy_work() -> Any:
        mine = numpy_red_flag(cols, period_codes)
        return [mine[n].tolist() for n in ("total", "level", "rank", "prize", "flag")]

    def numpy_rows(result: Any) -> list[Row]:
        return [(t, LEVELS[v], r, p, f) for t, v, r, p, f in zipped(result)]

    expected, ours = partyscore_implementations(scheme, table, of_result, of_text)
    return Bench(
        "red-flag core rules (no escalation, no year end)",
        table.height,
        expected,
        [
            Implementation("numpy", numpy_work, numpy_rows),
            *ours,
            Implementation("plain python", looped(plain_red_flag, decimals), zipped),
            *(
                Implementation(
                    e.label, looped(red_flag_loop(e), floats if e.floats else decimals), zipped
                )
                for e in ENGINES
            ),
        ],
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    agreed = True
    for bench in (ladder_bench, red_flag_bench):  # one after the other: inputs built lazily
        agreed &= compare(bench(args.records))
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
