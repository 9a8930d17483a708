"""The one range analysis: what every number of a scheme can be, worked out from the plan.

Interval arithmetic over the items' bounds (an item that does not apply to a subject counts
as 0, so its range always includes 0), the sections' caps, the parameters, number
attributes, band payloads and expressions; a score's range is widened outward to its
rounding and cut to its declared range (outside it, evaluation stops). Conditions are
decided three ways (always, never, maybe). Year-end names are series of per-period values:
``mean``, ``min`` and ``max`` keep a value's range, ``sum`` multiplies it by the periods in
a year (year-end rules run on complete years only), ``count`` and ``streak`` lie in 0..that
number.

The result over-approximates: a number's true range lies inside. The linter
(`partyscore._lint`) and the strategies of `partyscore.testing` both read this.
"""

from __future__ import annotations

import ast
import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from . import models as m
from ._periods import PER_YEAR
from ._plan import (
    BandingRule,
    EscalationRule,
    ItemPlan,
    Plan,
    RankingRule,
    ScoreRule,
    SectionRule,
)

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
        lo = "-inf" if self.lo == -INF else plain_text(self.lo)
        hi = "inf" if self.hi == INF else plain_text(self.hi)
        return f"[{lo}, {hi}]"


ANY = Range(-INF, INF)


class Truth(Enum):
    """The three answers about a condition over all reachable inputs."""

    ALWAYS = "always"
    NEVER = "never"
    MAYBE = "maybe"


def plain_text(value: Decimal) -> str:
    """A number without trailing zeros, as messages show it."""
    return f"{value.normalize():f}" if value.is_finite() else str(value)


def outward(value: Decimal, rounding: m.Rounding | None, down: bool = False) -> Decimal:
    """Round a range end away from the range, so that every rounded value stays inside
    (a score kept exact, `rounding` None, keeps its ends)."""
    if not value.is_finite() or rounding is None:
        return value
    mode = decimal.ROUND_FLOOR if down else decimal.ROUND_CEILING
    return value.quantize(Decimal(1).scaleb(-rounding.places), rounding=mode)


def _mul(a: Range, b: Range) -> Range:
    products = []
    for x in (a.lo, a.hi):
        for y in (b.lo, b.hi):
            products.append(Decimal(0) if x == 0 or y == 0 else x * y)
    return Range.of(*products)


def _div(a: Range, b: Range) -> Range:
    if b.lo <= 0 <= b.hi:
        return ANY  # the divisor can be zero (or come close to it)
    return _mul(
        a,
        Range.of(
            1 / b.lo if b.lo.is_finite() else Decimal(0),
            1 / b.hi if b.hi.is_finite() else Decimal(0),
        ),
    )


def item_range(item: ItemPlan) -> Range | None:
    """The values a points item can take, 0 included where it may not apply; None for flags."""
    if item.type != "points" or item.max is None:
        return None
    if item.applies_to:
        return Range(min(item.min, Decimal(0)), max(item.max, Decimal(0)))
    return Range(item.min, item.max)


class Ranges:
    """The range of every number of a scheme, computed once from its plan.

    `of[name]` is the range of a number (absent for flags and enums); `implied[name]` that of
    a section or score from its parts alone (rounded outward, declared range not applied);
    `unit[name]` the rounding step of a score.
    """

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.of: dict[str, Range] = {}
        self.implied: dict[str, Range] = {}
        self.unit: dict[str, Decimal | None] = {}
        self.per_year = Decimal(PER_YEAR[plan.period])
        # Interval ends may overflow to infinity or underflow to zero: that is an answer
        # here, not an error, so nothing traps.
        with decimal.localcontext(decimal.Context(prec=28, traps=[])):
            self._inputs()
            for rule in plan.rules:
                self._rule(rule)
            for rule in plan.year_end:
                if isinstance(rule, ScoreRule):
                    self._score(rule, series=True)

    def _inputs(self) -> None:
        plan = self.plan
        for name, attr in plan.attributes.items():
            if attr.type == "number":
                low = -INF if attr.min is None else attr.min
                self.of[name] = Range(low, INF if attr.max is None else attr.max)
        for name, param in plan.parameters.items():
            if param.all_values:
                self.of[name] = Range.of(*param.all_values)
        for name, item in plan.items.items():
            found = item_range(item)
            if found is not None:
                self.of[name] = found

    def _rule(self, rule: object) -> None:
        if isinstance(rule, SectionRule) and not rule.veto and rule.kind != "unscored":
            parts = [self.of.get(i.id, ANY) for i in rule.items]
            total = Range(
                sum((p.lo for p in parts), Decimal(0)), sum((p.hi for p in parts), Decimal(0))
            )
            if rule.cap is not None:
                total = Range(min(total.lo, rule.cap), min(total.hi, rule.cap))
            self.implied[rule.id] = self.of[rule.id] = total
        elif isinstance(rule, ScoreRule):
            self._score(rule)
        elif isinstance(rule, BandingRule):
            payloads = [b.values for b in rule.bands]
            if rule.unbanded is not None:
                payloads.append(rule.unbanded.values)
            for name in rule.fields:
                found = [p[name] for p in payloads if name in p]
                if found:
                    self.of[name] = Range.of(*found)
        elif isinstance(rule, RankingRule):
            self.of[rule.id] = Range(Decimal(1), INF)
            self.of[rule.size_name] = Range(Decimal(1), INF)
        elif isinstance(rule, EscalationRule):
            self.of[rule.id] = Range(Decimal(0), INF)

    def _score(self, rule: ScoreRule, series: bool = False) -> None:
        reach = self.number(rule.expr.tree, series=series)
        implied = Range(
            outward(reach.lo, rule.rounding, down=True), outward(reach.hi, rule.rounding)
        )
        self.implied[rule.id] = implied
        self.unit[rule.id] = rule.unit
        lo = implied.lo if rule.min is None else max(implied.lo, rule.min)
        hi = implied.hi if rule.max is None else min(implied.hi, rule.max)
        self.of[rule.id] = Range(lo, hi) if lo <= hi else implied

    # -- expressions ----------------------------------------------------------------------

    def number(self, node: ast.expr, *, series: bool = False) -> Range:
        """The range of a number expression."""
        with decimal.localcontext(decimal.Context(prec=28, traps=[])):
            return _Walk(self.of, self.per_year, series).number(node)

    def truth(self, node: ast.expr, *, series: bool = False) -> Truth:
        """Whether a condition always, never or maybe holds."""
        with decimal.localcontext(decimal.Context(prec=28, traps=[])):
            return _Walk(self.of, self.per_year, series).truth(node)


class _Walk:
    """Interval and three-valued evaluation of one checked expression tree."""

    def __init__(self, ranges: Mapping[str, Range], per_year: Decimal, series: bool) -> None:
        self.ranges = ranges
        self.per_year = per_year
        self.series = series

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
            return self.call(node.func.id, node.args)
        return ANY

    def call(self, function: str, nodes: list[ast.expr]) -> Range:
        if self.series and len(nodes) == 1:  # an aggregate of one series
            if function in ("count", "streak"):
                return Range(Decimal(0), self.per_year)
            each = self.number(nodes[0])
            if function == "sum":
                return _mul(each, Range(self.per_year, self.per_year))
            return each  # mean, min and max stay within the values' range
        args = [self.number(a) for a in nodes]
        if function == "min":
            return Range(min(a.lo for a in args), min(a.hi for a in args))
        if function == "max":
            return Range(max(a.lo for a in args), max(a.hi for a in args))
        (a,) = args  # abs
        if a.lo >= 0:
            return a
        if a.hi <= 0:
            return Range(-a.hi, -a.lo)
        return Range(Decimal(0), max(-a.lo, a.hi))

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
