"""Large generated tables of records, for the benchmarks and the distributed tests."""

from __future__ import annotations

from typing import Any

import numpy as np

import partyscore
from partyscore._periods import PER_YEAR, Period


def generated(
    scheme: partyscore.CompiledScheme,
    subjects: int,
    periods: int,
    *,
    seed: int,
    gaps: float = 0,
    first_subject: int = 0,
) -> Any:
    """`subjects` x `periods` records of text (fewer by the share `gaps` left out at
    random), from the scheme's first period on; subjects numbered from `first_subject`.
    Each subject has a quality that its points follow, so that weak subjects stay weak for
    runs of periods (escalations reach their steps) and ties occur (points are halves)."""
    import polars as pl

    rng = np.random.default_rng(seed)
    plan = scheme.plan
    kind = plan.period
    start = scheme.model.effective.start
    per_year = PER_YEAR[kind]
    first = (start.month - 1) * per_year // 12
    labels = [
        Period(start.year + (first + i) // per_year, (first + i) % per_year + 1, kind).label
        for i in range(periods)
    ]
    size = subjects * periods
    subject_index = np.tile(np.arange(subjects), periods)
    period_index = np.repeat(np.arange(periods), subjects)
    columns: dict[str, Any] = {
        "subject": pl.Series([f"s{i:08d}" for i in range(first_subject, first_subject + subjects)])[
            subject_index
        ],
        "period": pl.Series(labels)[period_index],
    }
    for name, attr in plan.attributes.items():
        if attr.type == "enum":
            values = list(attr.values or ())
            columns[name] = pl.Series(values)[rng.integers(0, len(values), subjects)[subject_index]]
        elif attr.type == "bool":
            columns[name] = pl.Series(np.where(rng.random(size) < 0.05, "true", "false"))
        elif attr.type == "text":
            groups = max(1, subjects // 20)
            columns[name] = pl.Series([f"g{i:03d}" for i in range(groups)])[
                rng.integers(0, groups, subjects)[subject_index]
            ]
        else:
            raise NotImplementedError(attr.type)
    quality = rng.choice([0.95, 0.85, 0.7, 0.45], subjects, p=[0.4, 0.35, 0.15, 0.1])
    for name, item in plan.items.items():
        if item.type == "flag":
            column = pl.Series(np.where(rng.random(size) < 0.3, "true", "false"))
        else:
            assert item.max is not None
            halves = int(item.max * 2)
            share = quality[subject_index] + rng.normal(0, 0.08, size)
            value = np.clip(np.rint(share * halves), 0, halves) / 2
            column = pl.Series([f"{v:g}" for v in value.tolist()])
        applies = np.ones(size, dtype=bool)
        for attribute, allowed in item.applies_to:
            applies &= columns[attribute].is_in(list(allowed)).to_numpy()
        columns[name] = pl.select(pl.when(pl.Series(applies)).then(column)).to_series()
    table = pl.DataFrame({n: c.alias(n) for n, c in columns.items()})
    if gaps:
        table = table.filter(pl.Series(rng.random(size) >= gaps))
    return table
