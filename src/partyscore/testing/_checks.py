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
from .._i18n import N_, _
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
            raise _fail(name, scheme, _("evaluation changed its input records"), kept)
        second = _evaluate(name, scheme, copy.deepcopy(batch))
        if first != second or to_json(first) != to_json(second):
            message = _("two evaluations of the same records differ:")
            raise _fail(name, scheme, f"{message}\n{_difference(first, second)}", batch)

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
            message = _("reordering the records as {order} changes results:").format(order=order)
            raise _fail(name, scheme, f"{message}\n{_difference(first, second)}", batch)

    strategy = _strategy(scheme, records).flatmap(
        lambda batch: st.tuples(st.just(batch), st.permutations(range(len(batch))))
    )
    _run(lambda pair: run(*pair), strategy, config=_configure(settings))


_OUT_OF_RANGE = (
    N_("{score} = {value} for {subject} in {period} is outside its range declared {low}..{high}"),
    N_(
        "{score} = {value} for {subject} in {period} is outside its range implied by its "
        "parts {low}..{high}"
    ),
)


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
                for message, bounds in (
                    (_OUT_OF_RANGE[0], declared.get(score)),
                    (_OUT_OF_RANGE[1], table.get(score)),
                ):
                    if bounds is not None and not bounds[0] <= value <= bounds[1]:
                        raise _fail(
                            name,
                            scheme,
                            _(message).format(
                                score=score,
                                value=_format(value),
                                subject=result.subject,
                                period=result.period,
                                low=_format(bounds[0]),
                                high=_format(bounds[1]),
                            ),
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
                    if section.cap is not None:
                        # TRANSLATORS: {parts} is a sum, as in 10 + 20 + 5
                        message = _(
                            "section {section} = {value} for {subject} in {period}, but its "
                            "items give {parts} capped at {cap} = {expected}"
                        )
                    else:
                        # TRANSLATORS: {parts} is a sum, as in 10 + 20 + 5
                        message = _(
                            "section {section} = {value} for {subject} in {period}, but its "
                            "items give {parts} = {expected}"
                        )
                    raise _fail(
                        name,
                        scheme,
                        message.format(
                            section=section.id,
                            value=_format(result.scores[section.id]),
                            subject=result.subject,
                            period=result.period,
                            parts=shown,
                            cap=section.cap,
                            expected=_format(expected),
                        ),
                        batch,
                    )
            for score, names in sums.items():
                values = [_value(scheme, n, result, record) for n in names]
                total = sum((v for v in values if v is not None), Decimal(0))
                if result.scores[score] != total:
                    shown = " + ".join(
                        f"{n}={_format(v)}" for n, v in zip(names, values, strict=True)
                    )
                    # TRANSLATORS: {parts} is the parts and their values, as in a=1 + b=2
                    message = _(
                        "{score} = {value} for {subject} in {period}, but its parts add up to "
                        "{total} ({parts})"
                    )
                    raise _fail(
                        name,
                        scheme,
                        message.format(
                            score=score,
                            value=_format(result.scores[score]),
                            subject=result.subject,
                            period=result.period,
                            total=_format(total),
                            parts=shown,
                        ),
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
                fields = {
                    "score": banding.score,
                    "subject": result.subject,
                    "period": result.period,
                    "banding": banding.id,
                }
                if len(holding) > 1:
                    message = _(
                        "{score} = {value} for {subject} in {period} is in bands {bands} of "
                        "{banding}"
                    )
                    raise _fail(
                        name,
                        scheme,
                        message.format(value=_format(value), bands=", ".join(holding), **fields),
                        batch,
                    )
                expected = holding[0] if holding else _band_for(banding, value)
                if got != expected:
                    message = _(
                        "{score} = {value} for {subject} in {period} is in {band} of {banding} "
                        "by its bounds, but evaluation put it in {got}"
                    )
                    raise _fail(
                        name,
                        scheme,
                        message.format(value=_format(value), band=expected, got=got, **fields),
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
            # TRANSLATORS: {edge} names the bound, as in "step1 below 80"
            message = _(
                "the boundary record for {edge} should give {score} = {value}, evaluation gave "
                "{got}"
            ).format(
                edge=case.edge,
                score=case.score,
                value=_format(case.value),
                got=_format(got_value) if got_value is not None else _("nothing"),
            )
            raise _fail(name, scheme, message, case.records)
        got = result.bands[case.banding]
        if got != case.band:
            # TRANSLATORS: {side} is below, on or above; {edge} names the bound, as in
            # "step1 below 80"
            message = _(
                "{score} = {value} ({side} {edge}) belongs in {band} of {banding}, evaluation "
                "put it in {got}"
            ).format(
                score=case.score,
                value=_format(case.value),
                side=case.side,
                edge=case.edge,
                band=case.band,
                banding=case.banding,
                got=got,
            )
            raise _fail(name, scheme, message, case.records)

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
        message = _("not points items: {items}").format(items=", ".join(wrong))
        raise ValueError(f"{scheme.id}: {message}")
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

        def change() -> str:
            """The change made, for a failure message."""
            return _("raising {item} from {before} to {after} for {subject} in {period}").format(
                item=item,
                before=_format(before_points),
                after=_format(after_points),
                subject=key[0],
                period=key[1],
            )

        for score, value in before.scores.items():
            if after.scores[score] < value:
                # TRANSLATORS: {change} is the change made ("raising key_01 from 5 to 6 for
                # s1 in 2024-Q1")
                message = _("{change} lowers {name} from {old} to {new}").format(
                    change=change(),
                    name=score,
                    old=_format(value),
                    new=_format(after.scores[score]),
                )
                raise _fail(name, scheme, message, batch)
        records_after = raised[index]
        for banding in monotone:
            old = _value(scheme, banding.score, before, record)
            new = _value(scheme, banding.score, after, records_after)
            assert old is not None
            assert new is not None
            if _band_order(banding, new) < _band_order(banding, old):
                # TRANSLATORS: {change} is the change made ("raising key_01 from 5 to 6 for
                # s1 in 2024-Q1"); {old_band} and {new_band} are bands, {old} and {new} scores
                message = _(
                    "{change} moves {banding} down from {old_band} to {new_band} ({score} {old} "
                    "-> {new})"
                ).format(
                    change=change(),
                    banding=banding.id,
                    old_band=before.bands[banding.id],
                    new_band=after.bands[banding.id],
                    score=banding.score,
                    old=_format(old),
                    new=_format(new),
                )
                raise _fail(name, scheme, message, batch)
            for field_name in banding.fields:
                if after.values[field_name] < before.values[field_name]:
                    # TRANSLATORS: {change} is the change made ("raising key_01 from 5 to 6
                    # for s1 in 2024-Q1"); {field} is a band field
                    message = _(
                        "{change} lowers {field} from {old} to {new} ({banding} {old_band} -> "
                        "{new_band}); the banding is declared monotone"
                    ).format(
                        change=change(),
                        field=field_name,
                        old=_format(before.values[field_name]),
                        new=_format(after.values[field_name]),
                        banding=banding.id,
                        old_band=before.bands[banding.id],
                        new_band=after.bands[banding.id],
                    )
                    raise _fail(name, scheme, message, batch)
        if check_rewards:
            granted = {o.id: o for o in after.rewards}
            for outcome in before.rewards:
                now = granted.get(outcome.id)
                if now is None:
                    # TRANSLATORS: {change} is the change made ("raising key_01 from 5 to 6
                    # for s1 in 2024-Q1")
                    message = _("{change} takes away {reward}").format(
                        change=change(), reward=outcome.id
                    )
                    raise _fail(name, scheme, message, batch)
                if outcome.amount is not None and (now.amount or Decimal(0)) < outcome.amount:
                    # TRANSLATORS: {change} is the change made ("raising key_01 from 5 to 6
                    # for s1 in 2024-Q1")
                    message = _("{change} lowers {name} from {old} to {new}").format(
                        change=change(),
                        name=outcome.id,
                        old=_format(outcome.amount),
                        new=_format(now.amount),
                    )
                    raise _fail(name, scheme, message, batch)

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
            if group:
                where = _("{reward} in {period} (group {group})")
            else:
                where = _("{reward} in {period}")
            where = where.format(reward=reward_id, period=period, group=group)
            ranked = _("{subject} (rank {rank})")
            names = ", ".join(
                ranked.format(subject=r.subject, rank=r.ranks[ranking.id]) for r in chosen
            )
            if isinstance(reward, m.Top) and reward.ties == "exclude":
                # TRANSLATORS: {where} is the reward and period ("pay in 2024-Q1"); {names}
                # lists the subjects with their ranks
                message = _(
                    "{where} goes to {count} subjects, more than its {allowed}, with ties: "
                    "exclude: {names}"
                ).format(where=where, count=len(chosen), allowed=allowed, names=names)
                raise _fail(name, scheme, message, batch)

            def score(result: Result, ranked: str = ranking.score) -> Decimal | None:
                return _value(scheme, ranked, result, records_at[(result.subject, result.period)])

            last_in = score(ordered[allowed - 1]) if allowed > 0 else None
            for position, result in enumerate(ordered, start=1):
                if position > allowed and result in chosen and score(result) != last_in:
                    # TRANSLATORS: {where} is the reward and period ("pay in 2024-Q1");
                    # {names} lists the subjects with their ranks
                    message = _(
                        "{where} goes to {count} subjects, more than its {allowed}, and "
                        "{subject} (position {position}, {score} = {value}) is not tied with "
                        "position {allowed} ({last}): {names}"
                    ).format(
                        where=where,
                        count=len(chosen),
                        allowed=allowed,
                        subject=result.subject,
                        position=position,
                        score=ranking.score,
                        value=_format(score(result)),
                        last=_format(last_in),
                        names=names,
                    )
                    raise _fail(name, scheme, message, batch)

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
