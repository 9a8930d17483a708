"""The ready-made checks: each runs a Hypothesis test on generated records and raises
`AssertionError` naming the scheme, the broken property and the smallest records found.

Which sections, scores, bandings and rewards a scheme has is read from the compiled plan;
what a result should be (a band, a position on a ladder, a count worked out again) is the
oracle's answer (`partyscore.testing._oracle`).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import hypothesis
from hypothesis import reject
from hypothesis import strategies as st

from .. import models as m
from .._codegen import ROUNDING_MODES
from .._compile import CompiledScheme
from .._plan import ScoreRule, declared_order
from .._render import to_json
from .._results import Result
from ._oracle import _attributes_of, _band_for, _band_order, _holds, _Local, _points_of, _tree
from ._running import (
    _by_key,
    _configure,
    _difference,
    _evaluate,
    _fail,
    _format,
    _period_results,
    _run,
    _strategy,
    _value,
    _without_sources,
)
from ._strategies import (
    _INF,
    Boundary,
    Range,
    Records,
    _boundaries,
    _grid,
    _Ranges,
    _supported,
    _targets,
    _unit,
)


def check_deterministic(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that evaluating the same records twice gives identical results (and JSON), and
    that evaluation leaves its input unchanged.

    >>> scheme = partyscore.load_scheme("schemes/chengzhuang-ladder.yaml")  # doctest: +SKIP
    >>> check_deterministic(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the difference and the smallest records showing it.
    """
    name = "check_deterministic"

    def run(batch: Records) -> None:
        kept = copy.deepcopy(batch)
        first = _evaluate(name, scheme, batch)
        if batch != kept:
            raise _fail(name, scheme, "evaluation changed its input records", kept)
        second = _evaluate(name, scheme, copy.deepcopy(batch))
        if first != second or to_json(first) != to_json(second):
            raise _fail(
                name,
                scheme,
                "two evaluations of the same records differ:\n" + _difference(first, second),
                batch,
            )

    _run(run, _strategy(scheme, records), config=_configure(settings))


def check_order_independent(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that shuffling the records changes no result (only the input row each cites).

    >>> check_order_independent(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the first result that differs and the records, in their
            original order.
    """
    name = "check_order_independent"

    def run(batch: Records, order: list[int]) -> None:
        shuffled = [batch[i] for i in order]
        first = _without_sources(_evaluate(name, scheme, batch))
        second = _without_sources(_evaluate(name, scheme, shuffled))
        if first != second or to_json(first) != to_json(second):
            raise _fail(
                name,
                scheme,
                f"reordering the records as {order} changes results:\n"
                + _difference(first, second),
                batch,
            )

    strategy = _strategy(scheme, records).flatmap(
        lambda batch: st.tuples(st.just(batch), st.permutations(range(len(batch))))
    )
    _run(lambda pair: run(*pair), strategy, config=_configure(settings))


def check_scores_in_range(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that every section and score stays within its declared min/max and within the
    range its expression allows given the items' min/max, caps and parameters.

    An evaluation that stops with ``score-out-of-range`` is reported as a failure too.

    >>> check_scores_in_range(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the score, its value, the range it left and the records.
    """
    name = "check_scores_in_range"
    ranges = _Ranges(scheme)
    declared: dict[str, Range] = {}
    for score in [
        *scheme.plan.scores,
        *(rule for rule in scheme.plan.year_end if isinstance(rule, ScoreRule)),
    ]:
        declared[score.id] = (
            -_INF if score.min is None else score.min,
            _INF if score.max is None else score.max,
        )
    year_end = ranges.year_end()
    implied = {n: ranges.implied(n) for n in scheme.plan.score_names}

    def run(batch: Records) -> None:
        for result in _evaluate(name, scheme, batch).results:
            table = year_end if result.kind == "year_end" else implied
            for score, value in result.scores.items():
                for what, bounds in (
                    ("declared", declared.get(score)),
                    ("implied by its parts", table.get(score)),
                ):
                    if bounds is not None and not bounds[0] <= value <= bounds[1]:
                        raise _fail(
                            name,
                            scheme,
                            f"{score} = {_format(value)} for {result.subject} in "
                            f"{result.period} is outside its range {what} "
                            f"{_format(bounds[0])}..{_format(bounds[1])}",
                            batch,
                        )

    _run(run, _strategy(scheme, records), config=_configure(settings))


def _sum_parts(scheme: CompiledScheme, node: ast.expr) -> list[str] | None:
    """The names a score adds up (``key + basic + innovation``), or None if it is no sum."""
    if isinstance(node, ast.Name):
        item = scheme.items.get(node.id)
        numeric = node.id in scheme.plan.score_names or (item is not None and item.type == "points")
        return [node.id] if numeric else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _sum_parts(scheme, node.left), _sum_parts(scheme, node.right)
        return None if left is None or right is None else left + right
    return None


def check_parts_add_up(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that each scored or bonus section equals the sum of its items capped at its cap,
    and each score written as a sum (``total: key + basic``) equals the sum of its parts
    exactly, so that rounding never loses a part.

    >>> check_parts_add_up(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the section or score, the parts and the records.
    """
    name = "check_parts_add_up"
    sections = [s for s in declared_order(scheme.plan.sections) if not s.veto]
    sums = {
        score.id: parts
        for score in declared_order(scheme.plan.scores)
        if (parts := _sum_parts(scheme, score.expr.tree)) is not None
    }

    def run(batch: Records) -> None:
        records_at = _by_key(batch)
        for result in _period_results(_evaluate(name, scheme, batch)):
            record = records_at[(result.subject, result.period)]
            points = _points_of(scheme, record)
            for section in sections:
                parts = [points[i.id] for i in section.items]
                expected = sum(parts, Decimal(0))
                if section.cap is not None:
                    expected = min(expected, section.cap)
                if result.scores[section.id] != expected:
                    shown = " + ".join(_format(p) for p in parts)
                    cap = f" capped at {section.cap}" if section.cap is not None else ""
                    raise _fail(
                        name,
                        scheme,
                        f"section {section.id} = {_format(result.scores[section.id])} "
                        f"for {result.subject} in {result.period}, but its items give "
                        f"{shown}{cap} = {_format(expected)}",
                        batch,
                    )
            for score, names in sums.items():
                values = [_value(scheme, n, result, record) for n in names]
                total = sum((v for v in values if v is not None), Decimal(0))
                if result.scores[score] != total:
                    shown = " + ".join(
                        f"{n}={_format(v)}" for n, v in zip(names, values, strict=True)
                    )
                    raise _fail(
                        name,
                        scheme,
                        f"{score} = {_format(result.scores[score])} for "
                        f"{result.subject} in {result.period}, but its parts add up "
                        f"to {_format(total)} ({shown})",
                        batch,
                    )

    _run(run, _strategy(scheme, records), config=_configure(settings))


def check_one_band(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that every banded score lies in exactly one band, the one reported, or else gets
    the declared unbanded band; with ``unbanded: error`` a score in no band fails the check.
    Runs on generated records and on boundary records (each bound and one unit either side).

    >>> check_one_band(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the score, the bands holding it and the records.
    """
    name = "check_one_band"
    # The bandings as declared: their bands are judged by the oracle, not by the plan's bounds.
    if not scheme.model.bands:
        return

    def check(batch: Records) -> None:
        records_at = _by_key(batch)
        for result in _period_results(_evaluate(name, scheme, batch)):
            record = records_at[(result.subject, result.period)]
            for banding in scheme.model.bands:
                value = _value(scheme, banding.score, result, record)
                assert value is not None
                holding = [b.id for b in banding.bands if _holds(b, value)]
                got = result.bands[banding.id]
                where = (
                    f"{banding.score} = {_format(value)} for {result.subject} in {result.period}"
                )
                if len(holding) > 1:
                    raise _fail(
                        name,
                        scheme,
                        f"{where} is in bands {', '.join(holding)} of {banding.id}",
                        batch,
                    )
                expected = holding[0] if holding else _band_for(banding, value)
                if got != expected:
                    raise _fail(
                        name,
                        scheme,
                        f"{where} is in {expected} of {banding.id} by "
                        f"its bounds, but evaluation put it in {got}",
                        batch,
                    )

    config = _configure(settings)
    _run(check, _strategy(scheme, records), config=config)
    bandings = _supported(scheme, None, warn=False)  # check_bounds_inclusive says which
    targets = [t for b in bandings for t in _targets(scheme, b)]
    if targets:

        def each(cases: list[Boundary]) -> None:
            for case in cases:
                check(case.records)

        _run(each, _boundaries(scheme, targets), config=_configure(settings, filtering=True))


def check_bounds_inclusive(
    scheme: CompiledScheme,
    *,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that a score exactly on a bound, and one rounding unit either side of it, lands
    in the band its bound keys say: ``at_least``/``at_most`` include the bound,
    ``above``/``below`` exclude it. Uses `boundary_records`; bandings whose score is not
    linear in item points are skipped with a warning.

    >>> check_bounds_inclusive(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the bound, the score, the band expected and the band given.
    """
    name = "check_bounds_inclusive"
    bandings = _supported(scheme, None)
    targets = [t for b in bandings for t in _targets(scheme, b)]
    if not targets:
        return

    def run(cases: list[Boundary]) -> None:
        for case in cases:
            one(case)

    def one(case: Boundary) -> None:
        result = _evaluate(name, scheme, case.records).results[0]
        got_value = result.scores.get(case.score)
        if got_value is None:
            got_value = _value(scheme, case.score, result, case.record)
        if got_value != case.value:
            raise _fail(
                name,
                scheme,
                f"the boundary record for {case.edge} should give "
                f"{case.score} = {_format(case.value)}, evaluation gave "
                f"{_format(got_value) if got_value is not None else 'nothing'}",
                case.records,
            )
        got = result.bands[case.banding]
        if got != case.band:
            raise _fail(
                name,
                scheme,
                f"{case.score} = {_format(case.value)} ({case.side} "
                f"{case.edge}) belongs in {case.band} of {case.banding}, evaluation "
                f"put it in {got}",
                case.records,
            )

    _run(run, _boundaries(scheme, targets), config=_configure(settings, filtering=True))


def check_monotone(
    scheme: CompiledScheme,
    *,
    items: Sequence[str] | None = None,
    rewards: bool | None = None,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that raising one item's points never lowers the subject's scores and sections;
    for bandings declared ``monotone: true``, never lowers its band on the ladder or a band
    field; and, with `rewards` (default: when some banding is monotone), never lowers a
    money amount or takes away a reward without an amount (honours, top places).

    `items` names the items to raise (default: every points item; leave out items that
    deduct). Only the raised subject's result in that period is compared.

    >>> check_monotone(scheme, items=["key_01", "key_02"])  # doctest: +SKIP

    Raises:
        AssertionError: naming the item, its two values, what went down and the records.
        ValueError: when `items` names something that is not a points item.
    """
    name = "check_monotone"
    points_items = [i for i, item in scheme.items.items() if item.type == "points"]
    chosen = list(items) if items is not None else points_items
    wrong = sorted(set(chosen) - set(points_items))
    if wrong:
        raise ValueError(f"{scheme.id}: not points items: {', '.join(wrong)}")
    if not chosen:
        return
    # As declared: the oracle places a score on the ladder from the bounds the scheme wrote.
    monotone = [b for b in scheme.model.bands if b.monotone]
    check_rewards = bool(monotone) if rewards is None else rewards
    unit = _unit(scheme.plan.rounding)

    def rising(record: Mapping[str, Any]) -> list[str]:
        effective, points = _attributes_of(scheme, record), _points_of(scheme, record)
        return [
            i
            for i in chosen
            if scheme.items[i].applies(effective) and points[i] < (scheme.items[i].max or 0)
        ]

    def run(batch: Records, data: st.DataObject) -> None:
        # The first record (the batch comes shuffled) with an item that can still rise.
        index = next((i for i, r in enumerate(batch) if rising(r)), None)
        if index is None:
            reject()
        assert index is not None
        record = batch[index]
        candidates = rising(record)
        item = data.draw(st.sampled_from(candidates), label="item")
        before_points = _points_of(scheme, record)[item]
        top = scheme.items[item].model.max
        assert top is not None
        after_points = data.draw(
            _grid(before_points, top, unit).filter(lambda v: v > before_points), label="raised to"
        )
        raised = copy.deepcopy(batch)
        raised[index]["points"][item] = after_points
        key = (record["subject"], record["period"])
        before = _evaluate(name, scheme, batch).get(*key)
        after = _evaluate(name, scheme, raised).get(*key)
        change = (
            f"raising {item} from {_format(before_points)} to {_format(after_points)} "
            f"for {key[0]} in {key[1]}"
        )
        for score, value in before.scores.items():
            if after.scores[score] < value:
                raise _fail(
                    name,
                    scheme,
                    f"{change} lowers {score} from {_format(value)} to "
                    f"{_format(after.scores[score])}",
                    batch,
                )
        records_after = raised[index]
        for banding in monotone:
            old = _value(scheme, banding.score, before, record)
            new = _value(scheme, banding.score, after, records_after)
            assert old is not None
            assert new is not None
            if _band_order(banding, new) < _band_order(banding, old):
                raise _fail(
                    name,
                    scheme,
                    f"{change} moves {banding.id} down from "
                    f"{before.bands[banding.id]} to {after.bands[banding.id]} "
                    f"({banding.score} {_format(old)} -> {_format(new)})",
                    batch,
                )
            for field_name in banding.fields:
                if after.values[field_name] < before.values[field_name]:
                    raise _fail(
                        name,
                        scheme,
                        f"{change} lowers {field_name} from "
                        f"{_format(before.values[field_name])} to "
                        f"{_format(after.values[field_name])} ({banding.id} "
                        f"{before.bands[banding.id]} -> {after.bands[banding.id]}); "
                        "the banding is declared monotone",
                        batch,
                    )
        if check_rewards:
            granted = {o.id: o for o in after.rewards}
            for outcome in before.rewards:
                now = granted.get(outcome.id)
                if now is None:
                    raise _fail(name, scheme, f"{change} takes away {outcome.id}", batch)
                if outcome.amount is not None and (now.amount or Decimal(0)) < outcome.amount:
                    raise _fail(
                        name,
                        scheme,
                        f"{change} lowers {outcome.id} from "
                        f"{_format(outcome.amount)} to {_format(now.amount)}",
                        batch,
                    )

    _run(run, _strategy(scheme, records), st.data(), config=_configure(settings, filtering=True))


def check_rank_prize_count(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check that a ``top`` reward goes to at most its count (or share) of each ranked group
    and a ``rank_prize`` to at most as many subjects as its highest prized rank, unless the
    tie policy lets a tie in: with ``top`` ``ties: include`` and ``rank_prize`` (shared or
    split), every subject past that number must be tied with the last one within it.
    Withheld rewards count: they were selected.

    >>> check_rank_prize_count(scheme)  # doctest: +SKIP

    Raises:
        AssertionError: naming the reward, the period, who got it and the records.
    """
    name = "check_rank_prize_count"
    limited = [r for r in scheme.model.rewards if isinstance(r, m.Top | m.RankPrize)]
    if not limited:
        return
    rankings = {r.id: r for r in scheme.model.rankings}
    constants = _Local(scheme, {}, {})

    def places(reward: m.Top | m.RankPrize, size: int) -> int:
        if isinstance(reward, m.RankPrize):
            return max(p.rank for p in reward.prizes)
        if reward.count is not None:
            return int(constants.number(_tree(scheme, "reward", reward.id, "count")).value)
        share = constants.number(_tree(scheme, "reward", reward.id, "share")).value
        assert reward.share_rounding is not None
        exact = share * size
        return int(exact.quantize(Decimal(1), rounding=ROUNDING_MODES[reward.share_rounding]))

    def run(batch: Records) -> None:
        evaluation = _evaluate(name, scheme, batch)
        records_at = _by_key(batch)
        groups: dict[tuple[str, str, str | None], list[Result]] = {}
        for result in _period_results(evaluation):
            for reward in limited:
                ranking = rankings[reward.ranking]
                group = result.group if ranking.within == "group" else None
                groups.setdefault((reward.id, result.period, group), []).append(result)
        by_id = {r.id: r for r in limited}
        for (reward_id, period, group), members in groups.items():
            reward = by_id[reward_id]
            ranking = rankings[reward.ranking]
            ordered = sorted(members, key=lambda r: (r.ranks[ranking.id], r.subject))
            allowed = places(reward, len(members))
            chosen = [
                r for r in ordered if any(o.rule == reward_id for o in (*r.rewards, *r.withheld))
            ]
            if len(chosen) <= allowed:
                continue
            where = f"{reward_id} in {period}" + (f" (group {group})" if group else "")
            names = ", ".join(f"{r.subject} (rank {r.ranks[ranking.id]})" for r in chosen)
            if isinstance(reward, m.Top) and reward.ties == "exclude":
                raise _fail(
                    name,
                    scheme,
                    f"{where} goes to {len(chosen)} subjects, more than "
                    f"its {allowed}, with ties: exclude: {names}",
                    batch,
                )

            def score(result: Result, ranked: str = ranking.score) -> Decimal | None:
                return _value(scheme, ranked, result, records_at[(result.subject, result.period)])

            last_in = score(ordered[allowed - 1]) if allowed > 0 else None
            for position, result in enumerate(ordered, start=1):
                if position > allowed and result in chosen and score(result) != last_in:
                    raise _fail(
                        name,
                        scheme,
                        f"{where} goes to {len(chosen)} subjects, more than its "
                        f"{allowed}, and {result.subject} (position {position}, "
                        f"{ranking.score} = {_format(score(result))}) is not tied "
                        f"with position {allowed} ({_format(last_in)}): {names}",
                        batch,
                    )

    _run(run, _strategy(scheme, records), config=_configure(settings))


def check_all(
    scheme: CompiledScheme,
    *,
    records: st.SearchStrategy[Records] | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Run every check on `scheme`: determinism, order independence, ranges, parts, bands,
    bounds, monotonicity and prize counts.

    >>> check_all(partyscore.load_scheme("schemes/yongxi-red-flag.yaml"))  # doctest: +SKIP

    Raises:
        AssertionError: from the first check that finds a counterexample.
    """
    check_deterministic(scheme, records=records, settings=settings)
    check_order_independent(scheme, records=records, settings=settings)
    check_scores_in_range(scheme, records=records, settings=settings)
    check_parts_add_up(scheme, records=records, settings=settings)
    check_one_band(scheme, records=records, settings=settings)
    check_bounds_inclusive(scheme, settings=settings)
    check_monotone(scheme, records=records, settings=settings)
    check_rank_prize_count(scheme, records=records, settings=settings)
