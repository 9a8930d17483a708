"""A short tour of the library: load a scheme, read records, evaluate, explain, render.

Run from the repository root:  .venv/bin/python examples/library_tour.py
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import partyscore

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    records = partyscore.read_records(ROOT / "examples" / "chengzhuang-ladder.csv", scheme)
    evaluation = partyscore.evaluate(scheme, records)

    # One branch, one quarter, with the reasons.
    result = evaluation.get("開拓隊", "2024-Q2")
    print(f"{result.subject} {result.period}: total {result.scores['total']}, "
          f"step {result.bands['step']}, coefficient {result.scores['coefficient']}")
    for action in result.actions:
        print(f"  action {action.id} (rule {action.rule}): {action.because}")

    # Money is exact: the pay returned to all secretaries in the year.
    paid = sum(
        (o.amount for r in evaluation.results for o in r.rewards
         if o.id == "ladder_pay" and o.amount is not None),
        Decimal(0),
    )
    print(f"ladder pay returned in 2024: {paid} CNY")

    # Records can be built in Python too; a bad one is reported, never dropped.
    bad = {"subject": "新支部", "period": "2024-Q1", "attributes": {"line": "front"},
           "points": {"key_01": 9}}
    try:
        partyscore.evaluate(scheme, [bad])
    except partyscore.RecordError as error:
        print(f"rejected with {len(error.diagnostics)} problems, the first:")
        print("  " + error.diagnostics[0].render())


if __name__ == "__main__":
    main()
