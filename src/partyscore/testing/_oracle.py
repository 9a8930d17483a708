"""The oracle the checks judge results with: band membership and a one-record evaluator.

Independent on purpose: the checks judge the engine with an oracle of their own, written
from the scheme's declared bounds and the language reference, never taken from the engine:
band membership (`_holds`, `_band_for`, `_band_order`) and the one-record evaluator
(`_Local`, with the names it reads in `_kinds`). So this module reads the Pydantic model where
the rest of `partyscore.testing` reads the compiled plan: a fact the compiler got wrong would
otherwise be shared by the engine and its judge. For the same reason the rounding of a score
(`_rounding_of`) and the points a record's items count for (`_applies`, `_points_of`) are
worked out here; only the parsed expression trees (`_tree`) come from the plan.
"""

from __future__ import annotations

import ast
import decimal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import models as m
from .._bands import lower, upper
from .._codegen import round_to
from .._compile import CompiledScheme
from .._expr import ARITHMETIC
from .._i18n import _
from .._plan import ScoreRule, TopRule


def _context() -> decimal.Context:
    """The evaluator's arithmetic: 28 digits, errors trapped."""
    return ARITHMETIC.copy()


# --------------------------------------------------------------------------- the scheme


def _rounding_of(scheme: CompiledScheme, name: str) -> m.Rounding | None:
    """The rounding of a score (None: kept exact), else the scheme's (which also sets the
    grid of inputs)."""
    for score in scheme.model.scores:
        if score.id == name and score.rounding is not None:
            return None if score.rounding == "none" else score.rounding
    return scheme.model.rounding


def _rounded(value: Decimal, rounding: m.Rounding | None) -> Decimal:
    return value if rounding is None else round_to(value, rounding)


def _holds(band: m.Band, value: Decimal) -> bool:
    """Whether `value` is in `band`, read from the bound keys alone (not from the engine)."""
    (lo, lo_in), (hi, hi_in) = lower(band), upper(band)
    return (lo < value or (lo_in and lo == value)) and (value < hi or (hi_in and value == hi))


def _band_for(banding: m.Banding, value: Decimal) -> str | None:
    """The band `value` belongs in by the declared bounds: a band, the unbanded band, or None
    when ``unbanded: error``. Several holding bands would be an overlap; the first is named."""
    holding = [b.id for b in banding.bands if _holds(b, value)]
    if holding:
        return holding[0]
    return banding.unbanded.id if isinstance(banding.unbanded, m.Unbanded) else None


def _band_order(banding: m.Banding, value: Decimal) -> int:
    """Position of `value` on the banding's ladder: 2k+1 inside the (k+1)-th band from the
    bottom, 2k in the gap above k bands (where the unbanded band applies)."""
    ordered = sorted(banding.bands, key=lambda b: (lower(b)[0], not lower(b)[1]))
    below = 0
    for index, band in enumerate(ordered):
        if _holds(band, value):
            return 2 * index + 1
        hi, hi_in = upper(band)
        if hi < value or (hi == value and not hi_in):
            below = index + 1
    return 2 * below


def _applies(item: m.Item, attributes: Mapping[str, Any]) -> bool:
    return all(attributes.get(a) in values for a, values in (item.applies_to or {}).items())


def _attributes_of(scheme: CompiledScheme, record: Mapping[str, Any]) -> dict[str, Any]:
    """A record's attributes with the scheme's defaults filled in."""
    given_values = record.get("attributes", {})
    result: dict[str, Any] = {}
    for name, attr in scheme.attributes.items():
        value = given_values.get(name)
        result[name] = attr.default if value is None else value
    return result


def _points_of(scheme: CompiledScheme, record: Mapping[str, Any]) -> dict[str, Any]:
    """Every item's value as evaluation sees it: 0 (or false) where the item does not apply."""
    attributes = _attributes_of(scheme, record)
    given_points = record.get("points", {})
    result: dict[str, Any] = {}
    for name, info in scheme.items.items():
        value = given_points.get(name)
        if not _applies(info.model, attributes) or value is None:
            result[name] = False if info.model.type == "flag" else Decimal(0)
        elif info.model.type == "points" and not isinstance(value, Decimal):
            result[name] = Decimal(str(value).strip())  # e.g. CSV text
        else:
            result[name] = value
    return result


# --------------------------------------------------------------------------- names


def _kinds(scheme: CompiledScheme) -> dict[str, tuple[str, Any]]:
    """What each name of the scheme is: ("item", Item), ("section", Section), ("score", Score),
    ("parameter", Parameter), ("attribute", Attribute), ("banding", Banding),
    ("field", Banding), ("rank" | "size" | "last", Ranking) or ("outcome", rule)."""
    model = scheme.model
    kinds: dict[str, tuple[str, Any]] = {}
    for name, attr in model.subject.attributes.items():
        kinds[name] = ("attribute", attr)
    for name, param in model.parameters.items():
        kinds[name] = ("parameter", param)
    for section in model.sections:
        kinds[section.id] = ("section", section)
        for item in section.items:
            kinds[item.id] = ("item", item)
    for score in model.scores:
        kinds[score.id] = ("score", score)
    for banding in model.bands:
        kinds[banding.id] = ("banding", banding)
        for name in banding.fields:
            kinds[name] = ("field", banding)
    for ranking in model.rankings:
        kinds[ranking.id] = ("rank", ranking)
        kinds[f"{ranking.id}_size"] = ("size", ranking)
        kinds[f"{ranking.id}_last"] = ("last", ranking)
    for rule in [*model.rewards, *model.actions]:
        kinds[rule.id] = ("outcome", rule)
    return kinds


def _tree(scheme: CompiledScheme, kind: str, ident: str, key: str = "expr") -> ast.expr:
    rule = scheme.plan.rule(ident)
    if isinstance(rule, TopRule):
        return rule.constant.tree
    assert isinstance(rule, ScoreRule), (kind, key)
    return rule.expr.tree


# --------------------------------------------------------------------------- one record, locally


class _Unsupported(Exception):
    """The banded score is not a linear function of item points here."""


@dataclass(frozen=True)
class _Dual:
    """A number and how it moves with each item's points (its local coefficients)."""

    value: Decimal
    grad: Mapping[str, Decimal] = field(default_factory=dict)

    def plus(self, other: _Dual, sign: int = 1) -> _Dual:
        grad = dict(self.grad)
        for name, coefficient in other.grad.items():
            grad[name] = grad.get(name, Decimal(0)) + sign * coefficient
        return _Dual(self.value + sign * other.value, {k: v for k, v in grad.items() if v})

    def scaled(self, factor: Decimal, value: Decimal) -> _Dual:
        return _Dual(value, {k: v * factor for k, v in self.grad.items() if v * factor})


class _Local:
    """Evaluates one record alone, independently of the engine, tracking for every number its
    value and its coefficients in the item points (forward-mode differentiation). In a batch
    of one, every rank is 1 of 1, and last only where the ranking says that a subject nobody
    ranks above is."""

    def __init__(
        self,
        scheme: CompiledScheme,
        attributes: Mapping[str, Any],
        points: Mapping[str, Any],
    ) -> None:
        self.scheme = scheme
        self.kinds = _kinds(scheme)
        self.attributes = attributes
        self.points = points
        self.memo: dict[str, Any] = {}

    def raw(self, name: str) -> _Dual:
        """A score before its rounding (other names as they are)."""
        kind, _ = self.kinds[name]
        value = (
            self.number(_tree(self.scheme, "score", name)) if kind == "score" else self.get(name)
        )
        if not isinstance(value, _Dual):
            raise _Unsupported(f"{name!r} is not a number")
        return value

    def get(self, name: str) -> Any:
        if name not in self.memo:
            with decimal.localcontext(_context()):
                self.memo[name] = self.compute(name)
        return self.memo[name]

    def compute(self, name: str) -> Any:
        kind, rule = self.kinds[name]
        if kind == "attribute":
            value = self.attributes.get(name)
            if rule.type == "number" and value is not None:
                return _Dual(Decimal(str(value)))
            return value
        if kind == "parameter":
            if rule.by is not None:
                return _Dual(rule.values[self.attributes[rule.by]])
            return _Dual(rule.value)
        if kind == "item":
            if rule.type == "flag":
                return bool(self.points[name])
            if not _applies(rule, self.attributes):
                return _Dual(Decimal(0))
            return _Dual(self.points[name], {name: Decimal(1)})
        if kind == "section":
            if rule.kind == "veto":
                return any(bool(self.points[i.id]) for i in rule.items)
            total = _Dual(Decimal(0))
            for item in rule.items:
                total = total.plus(self.get(item.id))
            if rule.cap is not None and total.value > rule.cap:
                return _Dual(rule.cap)
            return total
        if kind == "score":
            raw = self.raw(name)
            return _Dual(_rounded(raw.value, _rounding_of(self.scheme, name)), raw.grad)
        if kind in ("banding", "field"):
            band = self.band(rule)
            if kind == "banding":
                return band.id
            return _Dual(band.values[name])
        if kind == "rank" or kind == "size":
            return _Dual(Decimal(1))
        if kind == "last":
            return bool(rule.last_when_all_tied)  # alone, nobody is above it
        raise _Unsupported(f"depends on the outcome {name!r}")

    def band(self, banding: m.Banding) -> m.Band | m.Unbanded:
        value = self.get(banding.score)
        score = value.value if isinstance(value, _Dual) else value
        found = next((b for b in banding.bands if _holds(b, score)), None)
        if found is not None:
            return found
        if isinstance(banding.unbanded, m.Unbanded):
            return banding.unbanded
        raise _Unsupported(f"{banding.score} = {score} is in no band of {banding.id}")

    def number(self, node: ast.expr) -> _Dual:
        with decimal.localcontext(_context()):
            value = self.walk(node)
        if not isinstance(value, _Dual):
            raise _Unsupported("not a number")
        return value

    def walk(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return _Dual(node.value) if isinstance(node.value, Decimal) else node.value
        if isinstance(node, ast.Name):
            return self.get(node.id)
        if isinstance(node, ast.Tuple):
            return tuple(self.walk(e) for e in node.elts)
        if isinstance(node, ast.UnaryOp):
            inner = self.walk(node.operand)
            if isinstance(node.op, ast.Not):
                return not inner
            return (
                inner.scaled(Decimal(-1), -inner.value) if isinstance(node.op, ast.USub) else inner
            )
        if isinstance(node, ast.BinOp):
            return self.binop(node.op, self.walk(node.left), self.walk(node.right))
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(self.walk(v) for v in node.values)
            return any(self.walk(v) for v in node.values)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            return self.walk(node.body) if self.walk(node.test) else self.walk(node.orelse)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            args: list[_Dual] = [self.walk(a) for a in node.args]
            if node.func.id == "abs":
                (x,) = args
                return x.scaled(Decimal(-1), -x.value) if x.value < 0 else x
            pick = min if node.func.id == "min" else max
            return pick(args, key=lambda d: d.value)  # the first one, as min()/max() do
        raise _Unsupported(f"{type(node).__name__} is not supported")

    @staticmethod
    def binop(op: ast.operator, left: _Dual, right: _Dual) -> _Dual:
        if isinstance(op, ast.Add):
            return left.plus(right)
        if isinstance(op, ast.Sub):
            return left.plus(right, -1)
        if isinstance(op, ast.Mult):
            if left.grad and right.grad:
                raise _Unsupported("multiplies two terms that depend on item points")
            if right.grad:
                left, right = right, left
            return left.scaled(right.value, left.value * right.value)
        if right.grad:
            raise _Unsupported("divides by a term that depends on item points")
        return left.scaled(1 / right.value, left.value / right.value)

    def compare(self, node: ast.Compare) -> bool:
        def plain(value: Any) -> Any:
            return value.value if isinstance(value, _Dual) else value

        left = plain(self.walk(node.left))
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = plain(self.walk(comparator))
            if isinstance(op, ast.In | ast.NotIn):
                holds = (left in right) == isinstance(op, ast.In)
            else:
                holds = _COMPARE[type(op)](left, right)
            if not holds:
                return False
            left = right
        return True


_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: bool(a == b),
    ast.NotEq: lambda a, b: bool(a != b),
    ast.Lt: lambda a, b: bool(a < b),
    ast.LtE: lambda a, b: bool(a <= b),
    ast.Gt: lambda a, b: bool(a > b),
    ast.GtE: lambda a, b: bool(a >= b),
}


def _linear_problem(scheme: CompiledScheme, name: str) -> str | None:
    """Why `name` cannot be steered by item points with `boundary_records`, or None."""
    kinds = _kinds(scheme)

    def walk(node: ast.expr, seen: frozenset[str]) -> bool:
        """Whether `node` depends on item points; raise _Unsupported when not linear."""
        if isinstance(node, ast.Name):
            return depends(node.id, seen)
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left, seen), walk(node.right, seen)
            if isinstance(node.op, ast.Mult) and left and right:
                raise _Unsupported(_("it multiplies two terms that depend on item points"))
            if isinstance(node.op, ast.Div) and right:
                raise _Unsupported(_("it divides by a term that depends on item points"))
            return left or right
        children = node.args if isinstance(node, ast.Call) else list(ast.iter_child_nodes(node))
        children = [c for c in children if isinstance(c, ast.expr)]
        found = [walk(child, seen) for child in children]  # every child: raise if unsupported
        return any(found)

    def depends(ident: str, seen: frozenset[str]) -> bool:
        kind, rule = kinds[ident]
        if kind == "item":
            return bool(rule.type == "points")
        if kind == "section":
            return bool(rule.kind in ("scored", "bonus"))
        if kind == "score" and ident not in seen:
            return walk(_tree(scheme, "score", ident), seen | {ident})
        if kind in ("banding", "field"):
            depends(rule.score, seen)
            return False  # constant between bounds: handled locally
        if kind == "outcome":
            raise _Unsupported(_("it depends on the outcome {name!r}").format(name=ident))
        return False

    try:
        if not depends(name, frozenset()):
            return _("it does not depend on item points")
    except _Unsupported as exc:
        return str(exc)
    return None
