"""Hypothesis strategies and ready-made property checks for your own scoring schemes.

This module needs Hypothesis, which comes with the ``test`` extra
(``pip install "partyscore[test]"``). Call the checks from plain test functions::

    import partyscore
    from partyscore.testing import check_all

    def test_my_scheme_keeps_its_promises():
        check_all(partyscore.load_scheme("schemes/my-scheme.yaml"))

Each ``check_*`` function runs a Hypothesis test on generated records and raises
`AssertionError` with the scheme, the broken property and the smallest records found.
`records` and `boundary_records` are the strategies behind them, for your own properties.
See ``docs/testing.md``.

Independent on purpose: the checks judge the engine with an oracle of their own, written
from the scheme's declared bounds and the language reference, never taken from the engine:
band membership (`_holds`, `_band_for`, `_band_order`) and the one-record evaluator
(`_Local`, with the names it reads in `_kinds`). The ranges that steer the strategies and
the boundary search are partyscore's one range analysis (`partyscore._ranges`), which the
linter reads too.
"""

from __future__ import annotations

from ._checks import (
    check_all,
    check_bounds_inclusive,
    check_deterministic,
    check_monotone,
    check_one_band,
    check_order_independent,
    check_parts_add_up,
    check_rank_prize_count,
    check_scores_in_range,
)
from ._strategies import Boundary, Records, boundary_records, records

__all__ = [
    "Boundary",
    "Records",
    "boundary_records",
    "check_all",
    "check_bounds_inclusive",
    "check_deterministic",
    "check_monotone",
    "check_one_band",
    "check_order_independent",
    "check_parts_add_up",
    "check_rank_prize_count",
    "check_scores_in_range",
    "records",
]
