"""partyscore against the rule engines users would pick instead, in one run, on the
Chengzhuang ladder's core rules: the capped section totals, the total, the step (70 / 80 /
90 / 110), the rank within the quarter and the ladder pay (withheld pay x 0.8 / 0.9 / 1.0,
0.7 below 70 or below 40 key points).

Implementations, each over prebuilt inputs (building them is not timed):

- ``numpy``: hand-written over int64 columns (points in halves, pay in fen): the limit;
- ``partyscore columnar``: every rule of the whole scheme on the checked columns;
- ``partyscore record``: `partyscore.evaluate` of the whole scheme, record by record;
- ``plain python``: a hand-written loop in `Decimal`;
- ``simpleeval``: the expressions parsed once (`EvalWithCompoundTypes.parse`), evaluated
  per record in `Decimal`;
- ``zen-engine``: GoRules' ZEN expressions, compiled once (`zen.compile_expression`);
- ``rule-engine``: `rule_engine.Rule` objects, made once (its numbers are Decimals);
- ``json-logic``: `json_logic.jsonLogic` rules (the json-logic-qubit package).

The peers and the loops work record by record, so their rank is one plain-Python sort per
quarter, timed with them. Every implementation's total, step, rank and pay of every
record are checked equal to partyscore's. The table gives µs per record, records per
second, the peak of memory allocated while it ran (tracemalloc: Python objects and numpy
arrays; polars' own allocations are not seen) and the ratio to numpy.

Install the peers with the benchmark-only extra: ``pip install -e '.[bench]'``.

Run:  .venv/bin/python benchmarks/bench_peers.py [--records 100000]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
from bench_columnar import numpy_columns, numpy_ladder
from generated import generated

import partyscore
from partyscore._columnar import rules
from partyscore._table_input import source_from_frame

ROOT = Path(__file__).resolve().parent.parent
SCHEME = ROOT / "schemes" / "chengzhuang-ladder.yaml"
KEYS = [f"key_{i:02d}" for i in range(1, 11)]
BASICS = [f"basic_{i:02d}" for i in range(1, 13)]
INNOVATIONS = [f"innovation_{n}" for n in ("pillar", "centre", "education", "stability", "culture")]
WITHHELD = {"front": 3000, "second": 2000, "surface": 1000}
STEPS = ["step1", "step2", "step3", "no_step"]
Out = list[tuple[int, int, int]]  # per record: total in hundredths, step code, pay in fen


def measure(work: Callable[[], Any]) -> tuple[float, int, Any]:
    """Seconds (best of two when quick), peak bytes allocated, and the result."""
    tracemalloc.start()
    start = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if seconds < 2:
        start = time.perf_counter()
        result = work()
        seconds = min(seconds, time.perf_counter() - start)
    return seconds, peak, result


def ranks(periods: list[str], totals: list[int]) -> list[int]:
    """Competition rank of each total within its period (1 + how many have more)."""
    by_period: dict[str, list[int]] = {}
    for i, p in enumerate(periods):
        by_period.setdefault(p, []).append(i)
    rank = [0] * len(totals)
    for members in by_period.values():
        members.sort(key=lambda i: -totals[i])
        place = 0
        for position, i in enumerate(members):
            if position == 0 or totals[i] != totals[members[position - 1]]:
                place = position + 1
            rank[i] = place
    return rank


def step_of(total: Any) -> int:
    if 70 <= total < 80:
        return 0
    if 80 <= total < 90:
        return 1
    if 90 <= total <= 110:
        return 2
    return 3


def plain_python(rows: list[dict[str, Any]]) -> Out:
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


KEY_SUM = " + ".join(KEYS)
BASIC_SUM = " + ".join(BASICS)
INNOVATION_SUM = " + ".join(INNOVATIONS)


def with_expressions(evaluate: Callable[[str], Callable[[dict[str, Any]], Any]]) -> Any:
    """A record loop over three compiled expressions: key, total and pay (by `evaluate`,
    which compiles an expression of the engine once and returns its function)."""
    key_of = evaluate(f"min({KEY_SUM}, 45)")
    total_of = evaluate(f"key + min({BASIC_SUM}, 55) + min({INNOVATION_SUM}, 10)")
    pay_of = evaluate(
        "withheld * (0.7 if total < 70 or key < 40 else 0.8 if total < 80 "
        "else 0.9 if total < 90 else 1.0 if total <= 110 else 0.7)"
    )

    def run(rows: list[dict[str, Any]]) -> Out:
        out = []
        for r in rows:
            r["key"] = key_of(r)
            r["total"] = total = total_of(r)
            out.append((int(total * 100), step_of(total), round(pay_of(r) * 100)))
        return out

    return run


def simpleeval_run() -> Any:
    from simpleeval import EvalWithCompoundTypes

    evaluator = EvalWithCompoundTypes(functions={"min": min})

    def compiled(text: str) -> Callable[[dict[str, Any]], Any]:
        tree = evaluator.parse(text)

        def run(r: dict[str, Any]) -> Any:
            evaluator.names = r
            return evaluator.eval(text, previously_parsed=tree)

        return run

    return with_expressions(compiled)


def zen_run() -> Any:
    import zen

    def compiled(text: str) -> Callable[[dict[str, Any]], Any]:
        text = text.replace(" if ", " ? ").replace(" else ", " : ")
        return zen_ternary(zen, text)

    return with_expressions(compiled)


def zen_ternary(zen: Any, text: str) -> Callable[[dict[str, Any]], Any]:
    """ZEN writes ``a ? b : c`` and ``min([..])``."""
    if text.startswith("withheld"):
        text = (
            "withheld * ((total < 70 or key < 40) ? 0.7 : (total < 80 ? 0.8 : "
            "(total < 90 ? 0.9 : (total <= 110 ? 1.0 : 0.7))))"
        )
    else:
        text = text.replace("min(", "min([").replace(", 45)", ", 45])")
        text = text.replace(", 55)", ", 55])").replace(", 10)", ", 10])")
    expression = zen.compile_expression(text)
    return expression.evaluate  # type: ignore[no-any-return]


def rule_engine_run() -> Any:
    import rule_engine

    def compiled(text: str) -> Callable[[dict[str, Any]], Any]:
        if text.startswith("withheld"):
            text = (
                "withheld * ((total < 70 or key < 40) ? 0.7 : (total < 80 ? 0.8 : "
                "(total < 90 ? 0.9 : (total <= 110 ? 1.0 : 0.7))))"
            )
        else:
            text = _capped(text)
        rule = rule_engine.Rule(text)
        return rule.evaluate  # type: ignore[no-any-return]

    return with_expressions(compiled)


def _capped(text: str) -> str:
    """``min(a + b, 45)`` as ``(a + b > 45 ? 45 : a + b)`` (rule-engine has no min)."""
    while "min(" in text:
        start = text.index("min(")
        end = text.index(")", start)
        inner, cap = text[start + 4 : end].rsplit(", ", 1)
        text = f"{text[:start]}(({inner}) > {cap} ? {cap} : ({inner})){text[end + 1 :]}"
    return text


def json_logic_run() -> Any:
    from json_logic import jsonLogic

    def var(name: str) -> dict[str, str]:
        return {"var": name}

    def capped(names: list[str], cap: int) -> dict[str, Any]:
        return {"min": [{"+": [var(n) for n in names]}, cap]}

    key_rule = capped(KEYS, 45)
    total_rule = {"+": [var("key"), capped(BASICS, 55), capped(INNOVATIONS, 10)]}
    total, key = var("total"), var("key")
    coefficient = {
        "if": [
            {"or": [{"<": [total, 70]}, {"<": [key, 40]}]}, 0.7,
            {"<": [total, 80]}, 0.8,
            {"<": [total, 90]}, 0.9,
            {"<=": [total, 110]}, 1.0,
            0.7,
        ]
    }  # fmt: skip
    pay_rule = {"*": [var("withheld"), coefficient]}

    def compiled(text: str) -> Callable[[dict[str, Any]], Any]:
        rule = key_rule if text.startswith("min(") else (
            pay_rule if text.startswith("withheld") else total_rule
        )
        return lambda r: jsonLogic(rule, r)

    return with_expressions(compiled)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args(argv)
    scheme = partyscore.load_scheme(SCHEME)
    table = generated(scheme, max(1, args.records // 40), 40, seed=3)
    count = table.height
    print(f"ladder core rules, {count:,} records")
    # prebuilt inputs, not timed
    cols, period_codes = numpy_columns(table)
    source = source_from_frame(scheme, table, "bench.csv")
    assert source is not None
    records = partyscore.read_records(table.write_csv().encode(), scheme, name="bench.csv")
    records = list(records)
    points = [*KEYS, *BASICS, *INNOVATIONS]
    decimals = [
        {**{n: Decimal(v) for n, v in zip(points, values, strict=True)}, "withheld": w}
        for *values, w in zip(
            *(table[n].to_list() for n in points),
            table["line"].replace_strict(WITHHELD, return_dtype=pl.Int64).to_list(),
            strict=True,
        )
    ]
    floats = [{k: float(v) for k, v in r.items()} for r in decimals]
    periods = table["period"].to_list()

    # partyscore's own results: the reference every implementation is checked against
    results = partyscore.evaluate(scheme, records)
    reference = []
    for r in results.results:
        s = r.scores
        amount = next((a.amount for a in r.rewards if a.id == "ladder_pay"), None) or Decimal(0)
        reference.append(
            (
                (r.subject, r.period),
                (int(s["total"] * 100), STEPS.index(str(r.bands["step"])), r.ranks["mine_rank"],
                 int(amount * 100)),
            )
        )  # fmt: skip
    expected = dict(reference)

    def check(out: Out, rank: list[int]) -> bool:
        subjects = table["subject"].to_list()
        return all(
            expected[(subjects[i], periods[i])] == (t, s, rank[i], p)
            for i, (t, s, p) in enumerate(out)
        )

    def looped(run: Callable[[list[dict[str, Any]]], Out], rows: Any) -> Callable[[], Any]:
        def work() -> Any:
            out = run([dict(r) for r in rows])
            return out, ranks(periods, [t for t, _s, _p in out])

        return work

    def numpy_work() -> Any:
        mine = numpy_ladder(cols, period_codes)
        columns = (mine["total"].tolist(), mine["step"].tolist(), mine["pay"].tolist())
        out = list(zip(*columns, strict=True))
        return out, mine["rank"].tolist()

    implementations: list[tuple[str, Callable[[], Any]]] = [
        ("numpy", numpy_work),
        ("partyscore columnar", lambda: rules(scheme, source)),
        ("partyscore record", lambda: partyscore.evaluate(scheme, records)),
        ("plain python", looped(plain_python, decimals)),
        ("simpleeval", looped(simpleeval_run(), decimals)),
        ("zen-engine", looped(zen_run(), floats)),
        ("rule-engine", looped(rule_engine_run(), decimals)),
        ("json-logic", looped(json_logic_run(), floats)),
    ]
    base = None
    agreed = True
    for label, work in implementations:
        seconds, peak, result = measure(work)
        base = base or seconds
        if label == "partyscore columnar":
            text = result.table()
            same = _columnar_agrees(text, table, expected)
        elif label == "partyscore record":
            same = True  # the reference itself
        else:
            same = check(*result)
        agreed &= same
        print(
            f"  {label:<20} {seconds / count * 1e6:10.3f} µs/record {count / seconds:>13,.0f}"
            f" records/s {peak / 2**20:9.1f} MiB peak {seconds / base:9.1f}x numpy"
            f"  {'same' if same else 'DIFFERENT'}"
        )
    return 0 if agreed else 1


def _columnar_agrees(text: Any, table: Any, expected: dict[Any, Any]) -> bool:
    frame = pl.DataFrame(dict(zip(text.header, text.columns, strict=True)))
    for row in frame.iter_rows(named=True):
        got = (
            round(float(row["total"]) * 100),
            STEPS.index(row["step"]),
            int(row["mine_rank"]),
            round(float(row["ladder_pay_amount"] or 0) * 100),
        )
        if expected[(row["subject"], row["period"])] != got:
            return False
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
