"""Static analysis of a compiled scheme: what can never happen, and what does not add up.

Ranges are worked out by interval arithmetic from the items' bounds, the sections' caps, the
parameters and the expressions (an over-approximation: a score's true range lies inside).
Conditions are decided three ways (always, never, maybe). The checks need no input data:

- ``band-gap``: reachable scores that fall in no band of a banding with ``unbanded: error``;
- ``band-unreachable``: a band no reachable score falls in;
- ``rule-unreachable``: a reward or action (or escalation step) whose condition never holds;
- ``cap-mismatch``: item maxima that do not add up to a section's cap (bonus sections may
  exceed their cap on purpose);
- ``score-range``: a score that can leave its declared range (the evaluation would fail), or a
  declared bound no input can reach (110 = 45 + 55 + 10 should add up);
- ``unused-item``, ``unused-parameter``, ``unused-attribute``: declared, never read;
- ``not-monotone``: a banding declared ``monotone: true`` whose payload falls as scores rise.
"""

from __future__ import annotations

import ast
import decimal
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from . import models as m
from ._bands import interval, lower, upper
from ._diagnostics import Diagnostic

INF = Decimal("Infinity")


@dataclass(frozen=True)
class Range:
    """A closed interval of numbers; infinite ends are open."""

    lo: Decimal
    hi: Decimal

    @staticmethod
    def of(*values: Decimal) -> Range:
        return Range(min(values), max(values))

    def __or__(self, other: Range) -> Range:
        return Range(min(self.lo, other.lo), max(self.hi, other.hi))

    def __str__(self) -> str:
        lo = "-inf" if self.lo == -INF else _plain(self.lo)
        hi = "inf" if self.hi == INF else _plain(self.hi)
        return f"[{lo}, {hi}]"


ANY = Range(-INF, INF)


class Truth(Enum):
    """The three answers about a condition over all reachable inputs."""

    ALWAYS = "always"
    NEVER = "never"
    MAYBE = "maybe"


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}" if value.is_finite() else str(value)
    return text


def _mul(a: Range, b: Range) -> Range:
    products = []
    for x in (a.lo, a.hi):
        for y in (b.lo, b.hi):
            if (x == 0 and y.is_infinite()) or (y == 0 and x.is_infinite()):
                products.append(Decimal(0))
            else:
                products.append(x * y)
    return Range.of(*products)


def _div(a: Range, b: Range) -> Range:
    if b.lo <= 0 <= b.hi:
        return ANY
    return _mul(
        a,
        Range.of(
            1 / b.lo if b.lo.is_finite() else Decimal(0),
            1 / b.hi if b.hi.is_finite() else Decimal(0),
        ),
    )


class _Intervals:
    """Interval and three-valued evaluation of compiled expression trees."""

    def __init__(self, ranges: dict[str, Range]) -> None:
        self.ranges = ranges

    def number(self, node: ast.expr) -> Range:
        if isinstance(node, ast.Constant) and isinstance(node.value, Decimal):
            return Range(node.value, node.value)
        if isinstance(node, ast.Name):
            return self.ranges.get(node.id, ANY)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.number(node.operand)
            return Range(-inner.hi, -inner.lo)
        if isinstance(node, ast.UnaryOp):
            return self.number(node.operand)
        if isinstance(node, ast.BinOp):
            left, right = self.number(node.left), self.number(node.right)
            if isinstance(node.op, ast.Add):
                return Range(left.lo + right.lo, left.hi + right.hi)
            if isinstance(node.op, ast.Sub):
                return Range(left.lo - right.hi, left.hi - right.lo)
            if isinstance(node.op, ast.Mult):
                return _mul(left, right)
            return _div(left, right)
        if isinstance(node, ast.IfExp):
            test = self.truth(node.test)
            if test is Truth.ALWAYS:
                return self.number(node.body)
            if test is Truth.NEVER:
                return self.number(node.orelse)
            return self.number(node.body) | self.number(node.orelse)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [self.number(a) for a in node.args]
            if node.func.id == "min":
                return Range(min(a.lo for a in args), min(a.hi for a in args))
            if node.func.id == "max":
                return Range(max(a.lo for a in args), max(a.hi for a in args))
            if node.func.id == "abs":
                (a,) = args
                if a.lo >= 0:
                    return a
                if a.hi <= 0:
                    return Range(-a.hi, -a.lo)
                return Range(Decimal(0), max(-a.lo, a.hi))
        return ANY

    def truth(self, node: ast.expr) -> Truth:
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return Truth.ALWAYS if node.value else Truth.NEVER
        if isinstance(node, ast.BoolOp):
            parts = [self.truth(v) for v in node.values]
            decided, other = (
                (Truth.NEVER, Truth.ALWAYS)
                if isinstance(node.op, ast.And)
                else (Truth.ALWAYS, Truth.NEVER)
            )
            if decided in parts:
                return decided
            return other if all(p is other for p in parts) else Truth.MAYBE
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.truth(node.operand)
            return {Truth.ALWAYS: Truth.NEVER, Truth.NEVER: Truth.ALWAYS}.get(inner, Truth.MAYBE)
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            results = [
                self.compare(op, a, b)
                for op, a, b in zip(node.ops, operands[:-1], operands[1:], strict=True)
            ]
            if Truth.NEVER in results:
                return Truth.NEVER
            return Truth.ALWAYS if all(r is Truth.ALWAYS for r in results) else Truth.MAYBE
        return Truth.MAYBE

    def compare(self, op: ast.cmpop, left: ast.expr, right: ast.expr) -> Truth:
        if not isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE):
            return Truth.MAYBE  # == and != on numbers, enums and flags: not decided here
        a, b = self.number(left), self.number(right)
        if isinstance(op, ast.Gt | ast.GtE):
            a, b = b, a
            op = ast.Lt() if isinstance(op, ast.Gt) else ast.LtE()
        if isinstance(op, ast.Lt):
            if a.hi < b.lo:
                return Truth.ALWAYS
            if a.lo >= b.hi:
                return Truth.NEVER
        else:
            if a.hi <= b.lo:
                return Truth.ALWAYS
            if a.lo > b.hi:
                return Truth.NEVER
        return Truth.MAYBE


@dataclass(frozen=True)
class LintInput:
    """What the linter needs from the compiler."""

    scheme: m.Scheme
    nodes: Sequence[Any]  # compiled rules in evaluation order (partyscore._compile.Node)
    year_end: Sequence[Any]


class Linter:
    """Runs every check; `diagnose(path, code, message, severity)` builds a diagnostic."""

    def __init__(self, given: LintInput, diagnose: Any) -> None:
        self.s = given.scheme
        self.nodes = given.nodes
        self.year_end = given.year_end
        self.diagnose = diagnose
        self.found: list[Diagnostic] = []
        self.ranges: dict[str, Range] = {}
        self.step: dict[str, Decimal] = {}  # the granularity of rounded scores
        self.calc = _Intervals(self.ranges)

    def warn(
        self,
        path: tuple[str | int, ...],
        code: str,
        message: str,
        severity: str = "warning",
        *,
        key: bool = False,
    ) -> None:
        self.found.append(self.diagnose(path, code, message, severity=severity, key=key))

    def run(self) -> list[Diagnostic]:
        # Interval ends may overflow to infinity or underflow to zero: that is an answer here,
        # not an error, so nothing traps.
        with decimal.localcontext(decimal.Context(prec=28, traps=[])):
            return self._run()

    def _run(self) -> list[Diagnostic]:
        self.inputs()
        for node in self.nodes:
            getattr(self, f"rule_{node.kind}")(node)
        self.caps()
        self.unused()
        return self.found

    # -- ranges of the inputs ---------------------------------------------------------

    def inputs(self) -> None:
        for name, attr in self.s.subject.attributes.items():
            if attr.type == "number":
                low = -INF if attr.min is None else attr.min
                self.ranges[name] = Range(low, INF if attr.max is None else attr.max)
        for name, param in self.s.parameters.items():
            values = (
                [param.value] if param.value is not None else list((param.values or {}).values())
            )
            if values:
                self.ranges[name] = Range.of(*values)
        for section in self.s.sections:
            for item in section.items:
                if item.type == "points" and item.max is not None:
                    low = min(item.min, Decimal(0)) if item.applies_to else item.min
                    self.ranges[item.id] = Range(low, item.max)

    # -- rules in evaluation order ----------------------------------------------------

    def rule_section(self, node: Any) -> None:
        section: m.Section = node.rule
        if section.kind == "veto":
            return
        parts = [self.ranges.get(i.id, ANY) for i in section.items]
        total = Range(
            sum((p.lo for p in parts), Decimal(0)), sum((p.hi for p in parts), Decimal(0))
        )
        if section.cap is not None:
            total = Range(min(total.lo, section.cap), min(total.hi, section.cap))
        self.ranges[section.id] = total

    def rule_score(self, node: Any) -> None:
        score: m.Score = node.rule
        expr = node.exprs.get("expr")
        if expr is None:
            return
        reach = self.calc.number(expr.tree)
        rounding = score.rounding or self.s.rounding
        self.step[score.id] = Decimal(1).scaleb(-rounding.places)
        # An infinite end means the inputs are unbounded: nothing definite can be said.
        if score.max is not None and reach.hi.is_finite():
            self.declared(node.path, score.id, "max", score.max, reach.hi)
        if score.min is not None and reach.lo.is_finite():
            self.declared(node.path, score.id, "min", score.min, reach.lo)
        lo = reach.lo if score.min is None else max(reach.lo, score.min)
        hi = reach.hi if score.max is None else min(reach.hi, score.max)
        self.ranges[score.id] = Range(lo, hi)

    def declared(
        self, path: tuple[str | int, ...], name: str, end: str, bound: Decimal, reach: Decimal
    ) -> None:
        """Compare a score's declared `end` ("min"/"max") with what its parts can reach."""
        beyond = reach > bound if end == "max" else reach < bound
        if beyond:
            side = "above" if end == "max" else "below"
            self.warn(
                path,
                "score-range",
                f"{name} can reach {_plain(reach)}, {side} its "
                f"declared {end} {_plain(bound)}: an evaluation would fail",
            )
        elif reach != bound:
            most = "at most" if end == "max" else "at least"
            self.warn(
                path,
                "score-range",
                f"{name} declares {end} {_plain(bound)} but its parts reach {most} {_plain(reach)}",
            )

    def rule_banding(self, node: Any) -> None:
        banding: m.Banding = node.rule
        reach = self.ranges.get(banding.score, ANY)
        step = self.step.get(banding.score)
        for index, band in enumerate(banding.bands):
            if not _meets(band, reach, step):
                self.warn(
                    (*node.path, "bands", index),
                    "band-unreachable",
                    f"{band.id} {interval(band)} is never reached: {banding.score} lies in {reach}",
                )
        if banding.unbanded == "error":
            for gap in (_show(*g) for g in _gaps(banding.bands, reach, step)):
                self.warn(
                    (*node.path, "bands"),
                    "band-gap",
                    f"{banding.score} in {gap} falls in no band of {banding.id} and "
                    "unbanded is error: an evaluation would fail",
                    key=True,
                )
        if banding.monotone:
            self.monotone(banding, node.path, list(_gaps(banding.bands, reach, step)))
        values: dict[str, list[Decimal]] = {f: [] for f in banding.fields}
        for band in banding.bands:
            for name, value in band.values.items():
                values.setdefault(name, []).append(value)
        if isinstance(banding.unbanded, m.Unbanded):
            for name, value in banding.unbanded.values.items():
                values.setdefault(name, []).append(value)
        for name, seen in values.items():
            if seen:
                self.ranges[name] = Range.of(*seen)

    def monotone(self, banding: m.Banding, path: tuple[str | int, ...], gaps: list[Gap]) -> None:
        """Payload never falls as scores rise; the unbanded band counts wherever it applies."""
        steps: list[tuple[Decimal, str, dict[str, Decimal], tuple[str | int, ...]]] = [
            (lower(band)[0], band.id, band.values, (*path, "bands", index))
            for index, band in enumerate(banding.bands)
        ]
        if isinstance(banding.unbanded, m.Unbanded):
            unbanded = banding.unbanded
            steps += [(gap[0], unbanded.id, unbanded.values, (*path, "unbanded")) for gap in gaps]
        steps.sort(key=lambda step: step[0])
        for (_, low_id, low, _), (_, high_id, high, where) in itertools.pairwise(steps):
            for name in banding.fields:
                if name in low and name in high and high[name] < low[name]:
                    self.warn(
                        where,
                        "not-monotone",
                        f"{banding.id} is declared monotone, but {name} falls from "
                        f"{_plain(low[name])} in {low_id} to {_plain(high[name])} in {high_id}",
                        "error",
                    )

    def rule_ranking(self, node: Any) -> None:
        ranking: m.Ranking = node.rule
        self.ranges[ranking.id] = Range(Decimal(1), INF)
        self.ranges[f"{ranking.id}_size"] = Range(Decimal(1), INF)

    def rule_reward(self, node: Any) -> None:
        self.condition(node, "when", node.rule.id)

    def rule_action(self, node: Any) -> None:
        action = node.rule
        self.condition(node, "when", action.id)
        if isinstance(action, m.Escalation):
            self.ranges[action.id] = Range(Decimal(0), INF)
            for index, step in enumerate(action.steps):
                key = f"step{index}"
                if key in node.exprs and self.calc.truth(node.exprs[key].tree) is Truth.NEVER:
                    self.warn(
                        (*node.path, "steps", index),
                        "rule-unreachable",
                        f"step {step.action} never applies: {node.exprs[key].text} never holds",
                    )

    def condition(self, node: Any, key: str, name: str) -> None:
        expr = node.exprs.get(key)
        if expr is not None and self.calc.truth(expr.tree) is Truth.NEVER:
            ranges = ", ".join(f"{n} in {self.ranges[n]}" for n in expr.names if n in self.ranges)
            self.warn(
                (*node.path, key),
                "rule-unreachable",
                f"{name} never applies: {expr.text} cannot hold"
                + (f" ({ranges})" if ranges else ""),
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
                    f"the items of {section.id} add up to "
                    f"{_plain(total)}, below its cap {_plain(section.cap)}",
                )
            elif total > section.cap and section.kind != "bonus":
                self.warn(
                    path,
                    "cap-mismatch",
                    f"the items of {section.id} add up to "
                    f"{_plain(total)}, above its cap {_plain(section.cap)} (mark a "
                    "section kind: bonus when its cap is meant to cut)",
                )

    def unused(self) -> None:
        read: set[str] = set()
        for node in [*self.nodes, *self.year_end]:
            if node.kind != "section":  # a section reads its items; it may be unread itself
                read |= set(node.reads)
            for expr in node.exprs.values():
                read |= set(expr.names)
        for param in self.s.parameters.values():
            if param.by:
                read.add(param.by)
        for section in self.s.sections:
            for item in section.items:
                read |= set(item.applies_to or {})
        if self.s.subject.group:
            read.add(self.s.subject.group)
        for index, section in enumerate(self.s.sections):
            # unscored items are recorded by design; a veto section acts through `blocks`
            if section.kind in ("unscored", "veto") or section.id in read:
                continue
            for item_index, item in enumerate(section.items):
                if item.id not in read:
                    self.warn(
                        ("sections", index, "items", item_index),
                        "unused-item",
                        f"no rule reads {item.id} or its section {section.id}",
                    )
        for name in self.s.parameters:
            if name not in read:
                self.warn(
                    ("parameters", name), "unused-parameter", f"no rule reads {name}", key=True
                )
        for name in self.s.subject.attributes:
            if name not in read:
                self.warn(
                    ("subject", "attributes", name),
                    "unused-attribute",
                    f"no rule reads the attribute {name}",
                    key=True,
                )


def _meets(band: m.Band, reach: Range, step: Decimal | None) -> bool:
    """Whether some reachable score (a multiple of `step`, when given) lies in the band."""
    (lo, lo_in), (hi, hi_in) = lower(band), upper(band)
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


def _gaps(bands: Sequence[m.Band], reach: Range, step: Decimal | None) -> Iterator[Gap]:
    """The reachable stretches no band covers."""
    start, start_in = reach.lo, True
    for band in sorted(bands, key=lambda b: (lower(b)[0], not lower(b)[1])):
        (lo, lo_in), (hi, hi_in) = lower(band), upper(band)
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
