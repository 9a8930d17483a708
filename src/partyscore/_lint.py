"""Static analysis of a compiled scheme: what can never happen, and what does not add up.

Ranges come from `partyscore._ranges` (interval arithmetic over the plan, an
over-approximation: a score's true range lies inside); conditions are decided three ways
(always, never, maybe). Year-end rules are checked like period rules. The checks need no
input data:

- ``band-gap``: reachable scores that fall in no band of a banding with ``unbanded: error``;
- ``band-unreachable``: a band no reachable score falls in;
- ``band-beyond-range``: a band bound outside its score's declared ``min``/``max``;
- ``rule-unreachable``: a reward or action (or escalation step) whose condition never holds;
- ``cap-mismatch``: item maxima that do not add up to a section's cap (bonus sections may
  exceed their cap on purpose);
- ``score-range``: a score that can leave its declared range (the evaluation would fail), or a
  declared bound no input can reach (110 = 45 + 55 + 10 should add up);
- ``unused-item``, ``unused-parameter``, ``unused-attribute``: declared, never read;
- ``not-monotone``: a banding declared ``monotone: true`` whose payload falls as scores rise.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal

from . import models as m
from ._diagnostics import Diagnostic, Severity
from ._expr import Compiled
from ._i18n import _
from ._plan import (
    BandingRule,
    BandPlan,
    ConditionRule,
    EscalationRule,
    HonourRule,
    MoneyRule,
    PathT,
    Plan,
    RankPrizeRule,
    Rule,
    ScoreRule,
    SectionRule,
    TopRule,
)
from ._ranges import INF, Range, Ranges, Truth
from ._ranges import plain_text as _plain

Diagnose = Callable[..., Diagnostic]
"""``diagnose(path, code, message, severity=..., key=...)``: a diagnostic at a key path."""


class Linter:
    """Runs every check over a compiled plan; `diagnose` builds each diagnostic."""

    def __init__(self, scheme: m.Scheme, plan: Plan, diagnose: Diagnose) -> None:
        self.s = scheme
        self.plan = plan
        self.diagnose = diagnose
        self.found: list[Diagnostic] = []
        self.ranges = Ranges(plan)

    def warn(
        self,
        path: PathT,
        code: str,
        message: str,
        severity: Severity = "warning",
        *,
        key: bool = False,
    ) -> None:
        self.found.append(self.diagnose(path, code, message, severity=severity, key=key))

    def run(self) -> list[Diagnostic]:
        # Interval ends may overflow to infinity or underflow to zero: that is an answer here,
        # not an error, so nothing traps.
        with decimal.localcontext(decimal.Context(prec=28, traps=[])):
            for rule in self.plan.rules:
                self.rule(rule, series=False)
            for year_end in self.plan.year_end:
                self.rule(year_end, series=True)
            self.caps()
            self.unused()
        return self.found

    def rule(self, rule: Rule, *, series: bool) -> None:
        if isinstance(rule, ScoreRule):
            self.score(rule)
        elif isinstance(rule, BandingRule):
            self.banding(rule)
        elif isinstance(rule, HonourRule | MoneyRule | TopRule | RankPrizeRule | ConditionRule):
            self.condition(rule, "when", rule.when, series)
        elif isinstance(rule, EscalationRule):
            self.condition(rule, "when", rule.when, series)
            for step in rule.steps:
                if step.when is not None and self.ranges.truth(step.when.tree) is Truth.NEVER:
                    self.warn(
                        step.path,
                        "rule-unreachable",
                        _("step {action} never applies: {condition} never holds").format(
                            action=step.action, condition=step.when.text
                        ),
                    )

    # -- rules ------------------------------------------------------------------------

    def score(self, rule: ScoreRule) -> None:
        reach = self.ranges.implied[rule.id]
        # An infinite end means the inputs are unbounded: nothing definite can be said.
        if rule.max is not None and reach.hi.is_finite():
            self.declared(rule.path, rule.id, "max", rule.max, reach.hi)
        if rule.min is not None and reach.lo.is_finite():
            self.declared(rule.path, rule.id, "min", rule.min, reach.lo)

    def declared(self, path: PathT, name: str, end: str, bound: Decimal, reach: Decimal) -> None:
        """Compare a score's declared `end` ("min"/"max") with what its parts can reach."""
        beyond = reach > bound if end == "max" else reach < bound
        if beyond:
            if end == "max":
                message = _(
                    "{name} can reach {reach}, above its declared max {bound}: "
                    "an evaluation would fail"
                )
            else:
                message = _(
                    "{name} can reach {reach}, below its declared min {bound}: "
                    "an evaluation would fail"
                )
            self.warn(
                path,
                "score-range",
                message.format(name=name, reach=_plain(reach), bound=_plain(bound)),
            )
        elif reach != bound:
            if end == "max":
                message = _("{name} declares max {bound} but its parts reach at most {reach}")
            else:
                message = _("{name} declares min {bound} but its parts reach at least {reach}")
            self.warn(
                path,
                "score-range",
                message.format(name=name, reach=_plain(reach), bound=_plain(bound)),
            )

    def banding(self, rule: BandingRule) -> None:
        reach = self.ranges.of.get(rule.score, Range(-INF, INF))
        step = self.ranges.unit.get(rule.score)
        for band in rule.bands:
            if not _meets(band, reach, step):
                self.warn(
                    band.path,
                    "band-unreachable",
                    # TRANSLATORS: {interval} and {reach} are intervals such as [60, 80)
                    _("{band} {interval} is never reached: {score} lies in {reach}").format(
                        band=band.id, interval=band.interval, score=rule.score, reach=reach
                    ),
                )
        self.beyond(rule)
        gaps = list(_gaps(rule.bands, reach, step))
        if rule.unbanded is None:
            for gap in (_show(*g) for g in gaps):
                self.warn(
                    (*rule.path, "bands"),
                    "band-gap",
                    _(
                        "{score} in {gap} falls in no band of {banding} and "
                        "unbanded is error: an evaluation would fail"
                    ).format(score=rule.score, gap=gap, banding=rule.id),
                    key=True,
                )
        if rule.monotone:
            self.monotone(rule, gaps)

    def beyond(self, rule: BandingRule) -> None:
        """A band bound outside its score's declared range: a bound no score can be near,
        most likely a slip (``at_most: 111`` for a total of at most 110)."""
        score = next(
            (r for r in self.plan.rules if isinstance(r, ScoreRule) and r.id == rule.score), None
        )
        if score is None:
            return
        for band in rule.bands:
            if score.max is not None and band.hi.is_finite() and band.hi > score.max:
                self.warn(
                    band.path,
                    "band-beyond-range",
                    _("{band} {interval} reaches past {score}'s declared max {bound}").format(
                        band=band.id,
                        interval=band.interval,
                        score=score.id,
                        bound=_plain(score.max),
                    ),
                )
            if score.min is not None and band.lo.is_finite() and band.lo < score.min:
                self.warn(
                    band.path,
                    "band-beyond-range",
                    _("{band} {interval} reaches below {score}'s declared min {bound}").format(
                        band=band.id,
                        interval=band.interval,
                        score=score.id,
                        bound=_plain(score.min),
                    ),
                )

    def monotone(self, rule: BandingRule, gaps: list[Gap]) -> None:
        """Payload never falls as scores rise; the unbanded band counts wherever it applies."""
        steps: list[tuple[Decimal, BandPlan]] = [(band.lo, band) for band in rule.bands]
        if rule.unbanded is not None:
            steps += [(gap[0], rule.unbanded) for gap in gaps]
        steps.sort(key=lambda step: step[0])
        for (_start, low), (_next, high) in itertools.pairwise(steps):
            for name in rule.fields:
                falls = name in low.values and name in high.values
                if falls and high.values[name] < low.values[name]:
                    self.warn(
                        high.path,
                        "not-monotone",
                        # TRANSLATORS: {field} is a banding field; {low_band} and
                        # {high_band} are band ids, {low} and {high} their values of it
                        _(
                            "{banding} is declared monotone, but {field} falls from "
                            "{low} in {low_band} to {high} in {high_band}"
                        ).format(
                            banding=rule.id,
                            field=name,
                            low=_plain(low.values[name]),
                            low_band=low.id,
                            high=_plain(high.values[name]),
                            high_band=high.id,
                        ),
                        "error",
                    )

    def condition(self, rule: Rule, key: str, expr: Compiled | None, series: bool) -> None:
        if expr is None:
            return
        if self.ranges.truth(expr.tree, series=series) is Truth.NEVER:
            in_range = _("{name} in {range}")
            ranges = ", ".join(
                in_range.format(name=n, range=self.ranges.of[n])
                for n in expr.names
                if n in self.ranges.of
            )
            if ranges:
                # TRANSLATORS: {ranges} lists the names the condition reads with their
                # ranges, as in "total in [0, 100], key in [0, 50]"
                message = _("{rule} never applies: {condition} cannot hold ({ranges})")
            else:
                message = _("{rule} never applies: {condition} cannot hold")
            self.warn(
                (*rule.path, key),
                "rule-unreachable",
                message.format(rule=rule.id, condition=expr.text, ranges=ranges),
            )

    # -- whole-scheme checks ------------------------------------------------------------

    def caps(self) -> None:
        for index, section in enumerate(self.s.sections):
            if section.cap is None or section.kind == "veto":
                continue
            total = sum((i.max for i in section.items if i.max is not None), Decimal(0))
            path = ("sections", index, "cap")
            if total < section.cap:
                self.warn(
                    path,
                    "cap-mismatch",
                    _("the items of {section} add up to {total}, below its cap {cap}").format(
                        section=section.id, total=_plain(total), cap=_plain(section.cap)
                    ),
                )
            elif total > section.cap and section.kind != "bonus":
                self.warn(
                    path,
                    "cap-mismatch",
                    _(
                        "the items of {section} add up to {total}, above its cap {cap} (mark a "
                        "section kind: bonus when its cap is meant to cut)"
                    ).format(section=section.id, total=_plain(total), cap=_plain(section.cap)),
                )

    def unused(self) -> None:
        read: set[str] = set()
        for rule in [*self.plan.rules, *self.plan.year_end]:
            if not isinstance(rule, SectionRule):  # a section reads its items; it may be unread
                read |= rule.reads
        for param in self.plan.parameters.values():
            if param.by:
                read.add(param.by)
        for item in self.plan.items.values():
            read |= {name for name, _ in item.applies_to}
        if self.plan.group:
            read.add(self.plan.group)
        for index, section in enumerate(self.s.sections):
            # unscored items are recorded by design; a veto section acts through `blocks`
            if section.kind in ("unscored", "veto") or section.id in read:
                continue
            for item_index, declared in enumerate(section.items):
                if declared.id not in read:
                    self.warn(
                        ("sections", index, "items", item_index),
                        "unused-item",
                        _("no rule reads {item} or its section {section}").format(
                            item=declared.id, section=section.id
                        ),
                    )
        for name in self.plan.parameters:
            if name not in read:
                self.warn(
                    ("parameters", name),
                    "unused-parameter",
                    _("no rule reads {parameter}").format(parameter=name),
                    key=True,
                )
        for name in self.plan.attributes:
            if name not in read:
                self.warn(
                    ("subject", "attributes", name),
                    "unused-attribute",
                    _("no rule reads the attribute {attribute}").format(attribute=name),
                    key=True,
                )


def _meets(band: BandPlan, reach: Range, step: Decimal | None) -> bool:
    """Whether some reachable score (a multiple of `step`, when given) lies in the band."""
    lo, lo_in, hi, hi_in = band.lo, band.lo_in, band.hi, band.hi_in
    start, start_in = (lo, lo_in) if lo > reach.lo else (reach.lo, True)
    end, end_in = (hi, hi_in) if hi < reach.hi else (reach.hi, True)
    return _holds_a_value(start, start_in, end, end_in, step)


def _holds_a_value(
    lo: Decimal, lo_in: bool, hi: Decimal, hi_in: bool, step: Decimal | None
) -> bool:
    if lo > hi or (lo == hi and not (lo_in and hi_in)):
        return False
    if step is None or not lo.is_finite() or not hi.is_finite():
        return True
    first = (lo / step).to_integral_value(rounding="ROUND_CEILING") * step
    if first == lo and not lo_in:
        first += step
    return first < hi or (first == hi and hi_in)


Gap = tuple[Decimal, bool, Decimal, bool]
"""A stretch of scores: low end, inclusive?, high end, inclusive?"""


def _gaps(bands: Sequence[BandPlan], reach: Range, step: Decimal | None) -> Iterator[Gap]:
    """The reachable stretches no band covers."""
    start, start_in = reach.lo, True
    for band in sorted(bands, key=lambda b: (b.lo, not b.lo_in)):
        lo, lo_in, hi, hi_in = band.lo, band.lo_in, band.hi, band.hi_in
        before = (lo, not lo_in)  # the gap ends where the band starts
        if (lo, 0 if lo_in else 1) > (start, 0 if start_in else 1) and _holds_a_value(
            start,
            start_in,
            min(before[0], reach.hi),
            before[1] if before[0] <= reach.hi else True,
            step,
        ):
            yield (start, start_in, min(lo, reach.hi), before[1] if lo <= reach.hi else True)
        after = (hi, not hi_in)  # the next uncovered score starts after the band
        if (after[0], 0 if after[1] else 1) > (start, 0 if start_in else 1):
            start, start_in = after
    if _holds_a_value(start, start_in, reach.hi, True, step):
        yield (start, start_in, reach.hi, True)


def _show(lo: Decimal, lo_in: bool, hi: Decimal, hi_in: bool) -> str:
    left = ("[" if lo_in else "(") + ("-inf" if lo == -INF else _plain(lo))
    right = ("inf" if hi == INF else _plain(hi)) + ("]" if hi_in and hi != INF else ")")
    return f"{left}, {right}"
