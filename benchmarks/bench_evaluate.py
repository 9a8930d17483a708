"""Speed and memory of evaluation, against a baseline measured in the same run.

Prints the time of a whole evaluation (checking records, ranking, rewards, explanations),
then the time of the scheme's expressions alone two ways: through partyscore's evaluator
(parsed once, at load time) and, as the baseline, through plain simpleeval parsing every
expression again for every record. Also the peak memory of one evaluation.

Run:  .venv/bin/python benchmarks/bench_evaluate.py [BRANCHES]
"""

from __future__ import annotations

import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from simpleeval import SimpleEval

import partyscore
from partyscore._expr import Evaluator

ROOT = Path(__file__).resolve().parent.parent


def make_records(scheme: partyscore.CompiledScheme, branches: int) -> list[dict[str, Any]]:
    rng = random.Random(2024)
    records = []
    for quarter in range(1, 5):
        for b in range(branches):
            points: dict[str, Any] = {}
            for name, info in scheme.items.items():
                item = info
                if item.type == "flag":
                    points[name] = rng.random() < 0.8
                else:
                    assert item.max is not None
                    points[name] = Decimal(rng.randint(int(item.max), int(item.max * 2))) / 2
            line = rng.choice(["front", "second", "surface"])
            records.append({"subject": f"b{b:05d}", "period": f"2024-Q{quarter}", "points": points,
                            "attributes": {"line": line, "major_error": False, "inaction": "none"}})
    return records


def best_of(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def names_for(record: dict[str, Any]) -> dict[str, Any]:
    """The names the scheme's expressions read, with fixed values for the computed ones."""
    return {**record["points"], "key": Decimal(40), "basic": Decimal(50),
            "innovation": Decimal(5), "total": Decimal(95), "step_coefficient": Decimal(1),
            "reflection_coefficient": Decimal("0.7"), "withheld": Decimal(3000),
            "coefficient": Decimal(1), "minimum_standard": Decimal(70),
            "mine_rank_last": False, "major_error": False, "inaction": "none"}


def reparsed(scheme: partyscore.CompiledScheme, records: list[dict[str, Any]]) -> None:
    """Baseline: every expression of the scheme, parsed again by simpleeval for every record."""
    texts = [e.text for rule in scheme.plan.rules for _, e in rule.expressions()]
    engine = SimpleEval(names={})
    for record in records:
        engine.names = names_for(record)
        for text in texts:
            engine.eval(text)


def parsed_once(scheme: partyscore.CompiledScheme, records: list[dict[str, Any]]) -> None:
    """The same expressions through partyscore's evaluator, parsed once at load time."""
    compiled = [e for rule in scheme.plan.rules for _, e in rule.expressions()]
    evaluator = Evaluator()
    for record in records:
        names = names_for(record)
        for expr in compiled:
            evaluator(expr, names)


def main() -> None:
    branches = int(sys.argv[1]) if len(sys.argv) > 1 else 250
    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    records = make_records(scheme, branches)
    n = len(records)
    exprs = sum(len(rule.expressions()) for rule in scheme.plan.rules)

    full = best_of(3, lambda: partyscore.evaluate(scheme, records))
    naive = best_of(3, lambda: reparsed(scheme, records))
    once = best_of(3, lambda: parsed_once(scheme, records))

    tracemalloc.start()
    partyscore.evaluate(scheme, records)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"records: {n} ({branches} branches x 4 quarters), {len(scheme.items)} items, "
          f"{exprs} expressions")
    print(f"partyscore evaluate (check, rank, reward, explain): {full * 1000:8.1f} ms "
          f"= {full / n * 1e6:7.1f} us/record")
    print(f"expressions only, parsed once (partyscore):        {once * 1000:8.1f} ms "
          f"= {once / n * 1e6:7.1f} us/record")
    print(f"expressions only, re-parsed each time (baseline):  {naive * 1000:8.1f} ms "
          f"= {naive / n * 1e6:7.1f} us/record  ({naive / once:.1f}x slower)")
    print(f"peak memory during evaluate: {peak / 2**20:.1f} MiB "
          f"({peak / n / 1024:.1f} KiB/record)")


if __name__ == "__main__":
    main()
