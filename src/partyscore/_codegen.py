"""The generated evaluator: a scheme's per-record rules as Python code, compiled once.

Expressions are checked by `_expr` first; then every run of rules that needs one record at a
time (sections, scores, bands, money, conditions, escalations) between two rules that need
the whole period (rankings, top places, rank prizes) becomes one Python function over the
record's value list, with local variables, exact `Decimal` constants and no builtins. It is
compiled with `compile()` once per scheme and run under the one decimal context
(`_expr.ARITHMETIC`), so a record costs a few dozen Python operations, not a tree walk.

A value list ``v`` holds, by slot: 0 the record's `Row`, 1 its outcomes (a list of
`Hit`), 2 the rewards its vetoes withhold, 3 its escalation history, then one slot per name
of `Plan.slots`. A rule that fails raises `RuleFailure` naming the rule and what failed; the
evaluator turns it into an `EvaluationError` with the values read, which are all in ``v``.

simpleeval (`_expr.Evaluator`) stays the reference interpreter: a differential test checks
that every expression gives the same value both ways.
"""

from __future__ import annotations

import ast
import bisect
import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import models as m
from ._expr import SCALAR_FUNCTIONS, SERIES_FUNCTIONS, Compiled
from ._numbers import MAX_PLACES, NumberError, read_number
from ._plan import (
    BandingRule,
    BandPlan,
    ConditionRule,
    EscalationRule,
    HonourRule,
    MoneyRule,
    Plan,
    RankingRule,
    RankPrizeRule,
    Rule,
    ScoreRule,
    SectionRule,
    TopRule,
    YearEndRule,
)
from ._text import FALSE_WORDS, TRUE_WORDS, clean_text

ROUNDING_MODES = {
    "half_up": decimal.ROUND_HALF_UP,
    "half_even": decimal.ROUND_HALF_EVEN,
    "half_down": decimal.ROUND_HALF_DOWN,
    "up": decimal.ROUND_UP,
    "down": decimal.ROUND_DOWN,
    "ceiling": decimal.ROUND_CEILING,
    "floor": decimal.ROUND_FLOOR,
}
MAX_RESULT = Decimal(10) ** 15
"""Largest magnitude of any computed number; beyond it a formula has run away."""
MAX_AMOUNT = Decimal(10) ** 12
"""Largest money amount one reward may pay; a larger one is an evaluation error."""

ROW, HITS, BLOCKED, HISTORY = 0, 1, 2, 3
"""Fixed slots of a record's value list."""
FIRST_NAME_SLOT = 4


class RuleFailure(Exception):
    """A rule failed on one record: `what` is ``decimal``, ``runaway``, ``range``,
    ``unbanded``, ``negative`` or ``too-large``; `key` the expression (``expr``, ``when``,
    ``amount``, ``step2``...); `error` the decimal exception; `value` the number at fault."""

    def __init__(
        self,
        rule: Rule,
        what: str,
        key: str = "",
        error: decimal.DecimalException | None = None,
        value: Decimal | None = None,
    ) -> None:
        super().__init__(rule.id, what, key)
        self.rule = rule
        self.what = what
        self.key = key
        self.error = error
        self.value = value


@dataclass(slots=True)
class Hit:
    """One outcome of a record, as data: the rule, the amount (money), the escalation step
    (1-based), and for a withheld reward the veto that withholds it."""

    rule: Rule
    amount: Decimal | None = None
    step: int | None = None
    withheld_by: str | None = None


_ONE = Decimal(1)


def round_to(value: Decimal, rounding: m.Rounding) -> Decimal:
    """Round `value` to `rounding.places` decimal places with `rounding.mode`."""
    return value.quantize(
        Decimal(1).scaleb(-rounding.places), rounding=ROUNDING_MODES[rounding.mode]
    )


# --------------------------------------------------------------------------- expressions


class _Source:
    """Python source for one generated function, with its constants."""

    def __init__(self, constants: dict[str, Any]) -> None:
        self.lines: list[str] = []
        self.constants = constants
        self.by_value: dict[tuple[type, str], str] = {}

    def const(self, value: Any) -> str:
        """The name of a constant holding exactly `value` (Decimals keep their digits)."""
        key = (type(value), repr(value))
        name = self.by_value.get(key)
        if name is None:
            name = f"_k{len(self.constants)}"
            self.constants[name] = value
            self.by_value[key] = name
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)


def expression(tree: ast.expr, local: Callable[[str], str], src: _Source) -> str:
    """Python source for a checked expression tree; names through `local`."""

    def walk(node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "True" if node.value else "False"
            return src.const(node.value)
        if isinstance(node, ast.Name):
            return local(node.id)
        if isinstance(node, ast.UnaryOp):
            op = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not "}[type(node.op)]
            return f"({op}{walk(node.operand)})"
        if isinstance(node, ast.BinOp):
            op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
            return f"({walk(node.left)} {op} {walk(node.right)})"
        if isinstance(node, ast.BoolOp):
            word = " and " if isinstance(node.op, ast.And) else " or "
            return "(" + word.join(walk(v) for v in node.values) + ")"
        if isinstance(node, ast.Compare):
            ops: dict[type[ast.cmpop], str] = {
                ast.Eq: "==",
                ast.NotEq: "!=",
                ast.Lt: "<",
                ast.LtE: "<=",
                ast.Gt: ">",
                ast.GtE: ">=",
                ast.In: "in",
                ast.NotIn: "not in",
            }
            parts = [walk(node.left)]
            for comparison, right in zip(node.ops, node.comparators, strict=True):
                parts += [ops[type(comparison)], walk(right)]
            return "(" + " ".join(parts) + ")"
        if isinstance(node, ast.IfExp):
            return f"({walk(node.body)} if {walk(node.test)} else {walk(node.orelse)})"
        if isinstance(node, ast.Tuple):
            return src.const(tuple(e.value for e in node.elts if isinstance(e, ast.Constant)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return f"_f_{node.func.id}(" + ", ".join(walk(a) for a in node.args) + ")"
        raise AssertionError(f"unchecked expression node {type(node).__name__}")

    return walk(tree)


def compile_expression(expr: Compiled, *, series: bool = False) -> Callable[..., Any]:
    """One expression as a function of its names (in `expr.names` order), for tests and
    constants; the evaluator inlines expressions instead."""
    constants: dict[str, Any] = {}
    src = _Source(constants)
    args = ", ".join(f"n_{n}" for n in expr.names)
    body = expression(expr.tree, lambda n: f"n_{n}", src)
    code = f"def _expr({args}):\n    return {body}\n"
    namespace = _namespace(constants, series)
    exec(compile(code, f"<partyscore expression {expr.text!r}>", "exec"), namespace)
    function: Callable[..., Any] = namespace["_expr"]
    return function


def _namespace(constants: dict[str, Any], series: bool) -> dict[str, Any]:
    functions = SERIES_FUNCTIONS if series else SCALAR_FUNCTIONS
    namespace: dict[str, Any] = {"__builtins__": {}}
    namespace.update({f"_f_{name}": f for name, f in functions.items()})
    namespace.update(constants)
    return namespace


# --------------------------------------------------------------------------- rules


@dataclass
class Segment:
    """Rules run record by record, as one generated function ``fn(v, ordinal, year)``."""

    rules: list[Rule] = field(default_factory=list)
    fn: Callable[[list[Any], int, int], None] | None = None
    source: str = ""


Step = Segment | RankingRule | TopRule | RankPrizeRule
"""One step of a period: a generated segment, or a rule over the whole period."""


class _Writer:
    """Writes the body of one generated function for a list of rules."""

    def __init__(
        self,
        src: _Source,
        load: Callable[[str], str],
        store: Callable[[str], str],
        rule_consts: dict[int, str],
    ) -> None:
        self.src = src
        self.load = load
        self.store = store
        self.rule_consts = rule_consts
        self.loaded: set[str] = set()

    def local(self, name: str) -> str:
        return f"n_{name}"

    def need(self, names: Sequence[str], depth: int) -> None:
        """Load names not yet held in locals; a load inside a branch is not reused after it."""
        for name in names:
            if name not in self.loaded:
                self.src.emit(depth, f"n_{name} = {self.load(name)}")
                if depth == 1:
                    self.loaded.add(name)

    def set(self, name: str, value: str, depth: int) -> None:
        self.src.emit(depth, f"n_{name} = {value}")
        self.src.emit(depth, f"{self.store(name)} = n_{name}")
        self.loaded.add(name)

    def rule(self, rule: Rule) -> str:
        name = self.rule_consts.get(id(rule))
        if name is None:
            name = f"_r{len(self.rule_consts)}"
            self.rule_consts[id(rule)] = name
            self.src.constants[name] = rule
        return name

    def guarded(
        self, depth: int, target: str, expr: Compiled, rule: Rule, key: str, number: bool
    ) -> None:
        """``target = expr``, a decimal failure or a runaway result raising RuleFailure."""
        self.need(expr.names, depth)
        emit = self.src.emit
        emit(depth, "try:")
        emit(depth + 1, f"{target} = {expression(expr.tree, self.local, self.src)}")
        emit(depth, "except _DecimalException as _e:")
        emit(depth + 1, f"raise _Failure({self.rule(rule)}, 'decimal', {key!r}, _e) from None")
        if number:
            emit(depth, f"if {target} > _MAXR or {target} < _MINR:")
            emit(depth + 1, f"raise _Failure({self.rule(rule)}, 'runaway', {key!r})")

    # -- one rule each ----------------------------------------------------------------

    def section(self, rule: SectionRule, depth: int) -> None:
        emit = self.src.emit
        names = [i.id for i in rule.items]
        self.need(names, depth)
        if rule.veto:
            self.set(rule.id, "bool(" + " or ".join(f"n_{n}" for n in names) + ")", depth)
            if rule.blocks:
                emit(depth, f"if n_{rule.id}:")
                flags = "".join(f"n_{n}, " for n in names)
                emit(depth + 1, f"_veto(v, {self.rule(rule)}, ({flags}))")
            return
        total = " + ".join(["_ZERO", *(f"n_{n}" for n in names)])
        # A section sum without trailing zeros and never in exponent form: a whole number
        # with exponent 0 (40, not 4E+1), any other without its trailing zeros (4.5, not 4.50).
        emit(depth, f"_t = {total}")
        emit(depth, "_t = _t.quantize(_ONE) if _t == _t.to_integral_value() else _t.normalize()")
        if rule.cap is not None:
            emit(depth, f"{self.store('#raw:' + rule.id)} = _t")
            cap = self.src.const(rule.cap)
            emit(depth, f"if _t > {cap}:")
            emit(depth + 1, f"_t = {cap}")
        self.set(rule.id, "_t", depth)

    def score(self, rule: ScoreRule, depth: int) -> None:
        emit = self.src.emit
        self.guarded(depth, "_x", rule.expr, rule, "expr", True)
        if rule.rounding is None:
            emit(depth, "_s = _x")  # kept exact
        else:
            unit = self.src.const(rule.unit)
            mode = self.src.const(ROUNDING_MODES[rule.rounding.mode])
            emit(depth, f"_s = _x.quantize({unit}, rounding={mode})")
        emit(depth, "if not _s:")  # -0 is 0
        emit(depth + 1, "_s, _x = _s.copy_abs(), _x.copy_abs()")
        emit(depth, f"{self.store('#raw:' + rule.id)} = _x")
        checks = []
        if rule.min is not None:
            checks.append(f"_s < {self.src.const(rule.min)}")
        if rule.max is not None:
            checks.append(f"_s > {self.src.const(rule.max)}")
        if checks:
            emit(depth, f"if {' or '.join(checks)}:")
            emit(depth + 1, f"raise _Failure({self.rule(rule)}, 'range', 'expr', None, _s)")
        self.set(rule.id, "_s", depth)

    def banding(self, rule: BandingRule, depth: int) -> None:
        emit = self.src.emit
        self.need([rule.score], depth)
        score = f"n_{rule.score}"
        if len(rule.bands) > INLINE_BANDS:
            finder = self.src.const(BandFinder(rule))
            emit(depth, f"_b = {finder}({score})")
            emit(depth, "if _b is None:")
            emit(depth + 1, f"raise _Failure({self.rule(rule)}, 'unbanded', '', None, {score})")
            emit(depth, f"n_{rule.id} = {self.store(rule.id)} = _b.id")
            for name in rule.fields:
                emit(depth, f"n_{name} = {self.store(name)} = _b.values[{name!r}]")
            self.loaded.add(rule.id)
            self.loaded.update(rule.fields)
            return
        first = True
        for band in rule.bands:
            tests = []
            if band.lo.is_finite():
                tests.append(f"{score} {'>=' if band.lo_in else '>'} {self.src.const(band.lo)}")
            if band.hi.is_finite():
                tests.append(f"{score} {'<=' if band.hi_in else '<'} {self.src.const(band.hi)}")
            emit(depth, f"{'if' if first else 'elif'} {' and '.join(tests) or 'True'}:")
            first = False
            self.payload(rule, band.id, band.values, depth + 1)
        emit(depth, "else:" if not first else "if True:")
        if rule.unbanded is None:
            emit(depth + 1, f"raise _Failure({self.rule(rule)}, 'unbanded', '', None, {score})")
        else:
            self.payload(rule, rule.unbanded.id, rule.unbanded.values, depth + 1)
        self.loaded.add(rule.id)
        self.loaded.update(rule.fields)

    def payload(self, rule: BandingRule, band: str, values: Any, depth: int) -> None:
        self.src.emit(depth, f"n_{rule.id} = {self.store(rule.id)} = {band!r}")
        for name in rule.fields:
            value = self.src.const(values[name])
            self.src.emit(depth, f"n_{name} = {self.store(name)} = {value}")

    def grant(self, rule: Rule, depth: int, amount: str = "None") -> None:
        """Grant a reward unless a veto withholds it; the reward's name tells which."""
        emit = self.src.emit
        ref = self.rule(rule)
        emit(depth, f"_w = v[{BLOCKED}]")
        emit(depth, f"if _w is not None and {rule.id!r} in _w:")
        emit(depth + 1, f"v[{HITS}].append(_Hit({ref}, {amount}, None, _w[{rule.id!r}]))")
        emit(depth + 1, f"n_{rule.id} = {self.store(rule.id)} = False")
        emit(depth, "else:")
        emit(depth + 1, f"v[{HITS}].append(_Hit({ref}, {amount}))")
        emit(depth + 1, f"n_{rule.id} = {self.store(rule.id)} = True")

    def reward(self, rule: HonourRule | MoneyRule, depth: int) -> None:
        emit = self.src.emit
        self.src.emit(depth, f"n_{rule.id} = {self.store(rule.id)} = False")
        self.loaded.add(rule.id)
        inner = depth
        if rule.when is not None:
            self.guarded(depth, "_c", rule.when, rule, "when", False)
            emit(depth, "if _c:")
            inner = depth + 1
        if isinstance(rule, MoneyRule):
            self.guarded(inner, "_x", rule.amount, rule, "amount", True)
            unit = self.src.const(Decimal(1).scaleb(-rule.rounding.places))
            mode = self.src.const(ROUNDING_MODES[rule.rounding.mode])
            emit(inner, f"_a = _x.quantize({unit}, rounding={mode})")
            emit(inner, "if not _a:")  # -0 is 0
            emit(inner + 1, "_a = _a.copy_abs()")
            emit(inner, "if _a < _ZERO:")
            emit(inner + 1, f"raise _Failure({self.rule(rule)}, 'negative', 'amount', None, _a)")
            emit(inner, "if _a > _MAXA:")
            emit(inner + 1, f"raise _Failure({self.rule(rule)}, 'too-large', 'amount', None, _a)")
            self.grant(rule, inner, "_a")
        else:
            self.grant(rule, inner)
        if inner == depth:
            emit(depth, "pass")

    def condition(self, rule: ConditionRule, depth: int) -> None:
        emit = self.src.emit
        self.guarded(depth, "_c", rule.when, rule, "when", False)
        self.set(rule.id, "_c", depth)
        emit(depth, "if _c:")
        emit(depth + 1, f"v[{HITS}].append(_Hit({self.rule(rule)}))")

    def escalation(self, rule: EscalationRule, index: int, depth: int) -> None:
        """The count of periods in which `when` holds, then the highest step reached.

        History per subject: ``v[HISTORY][index]`` is (ordinal or year, count)."""
        emit = self.src.emit
        self.guarded(depth, "_c", rule.when, rule, "when", False)
        emit(depth, f"_h = v[{HISTORY}]")
        emit(depth, f"_last, _n = _h[{index}]")
        if rule.consecutive:
            emit(depth, "_n = (_n + 1 if _last == ordinal - 1 else 1) if _c else 0")
            emit(depth, f"_h[{index}] = (ordinal, _n)")
        else:
            emit(depth, "if _c:")
            emit(depth + 1, "_n = _n + 1 if _last == year else 1")
            emit(depth + 1, f"_h[{index}] = (year, _n)")
            emit(depth, "else:")
            emit(depth + 1, "_n = 0")
        self.set(rule.id, "_D(_n)", depth)
        emit(depth, "if _c:")
        emit(depth + 1, "_ch = 0")
        for position, step in enumerate(rule.steps, start=1):
            test = f"_n >= {step.at}"
            if step.when is None:
                emit(depth + 1, f"if {test}:")
                emit(depth + 2, f"_ch = {position}")
                continue
            emit(depth + 1, f"if {test}:")
            self.guarded(depth + 2, "_c2", step.when, rule, f"step{position - 1}", False)
            emit(depth + 2, "if _c2:")
            emit(depth + 3, f"_ch = {position}")
        emit(depth + 1, "if _ch:")
        emit(depth + 2, f"v[{HITS}].append(_Hit({self.rule(rule)}, None, _ch))")


INLINE_BANDS = 12
"""Bandings with more bands than this find a band by bisection, not by a chain of tests."""


class BandFinder:
    """The band of a value by bisection over bands sorted from the lowest up (bands never
    overlap, so at most one can hold the value); the unbanded band, or None, otherwise."""

    def __init__(self, rule: BandingRule) -> None:
        self.ordered = rule.ordered
        self.keys = [(b.lo, 0 if b.lo_in else 1) for b in rule.ordered]
        self.unbanded = rule.unbanded

    def __call__(self, value: Decimal) -> BandPlan | None:
        # The last band starting at or below `value`: (lo, 0) <= (value, 0) means lo <= value
        # with an inclusive start; an exclusive start at `value` sorts after it.
        index = bisect.bisect_right(self.keys, (value, 0)) - 1
        if index >= 0 and self.ordered[index].contains(value):
            return self.ordered[index]
        return self.unbanded


class Program:
    """A scheme's generated evaluator: period steps in order, and the year-end function."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        slots: dict[str, int] = {}
        for name in (*plan.attributes, *plan.parameters, *plan.items):
            slots.setdefault(name, len(slots) + FIRST_NAME_SLOT)
        for rule in plan.rules:
            for name in _produces(rule):
                slots.setdefault(name, len(slots) + FIRST_NAME_SLOT)
        self.slots = slots
        self.width = len(slots) + FIRST_NAME_SLOT
        self.escalations = tuple(r for r in plan.rules if isinstance(r, EscalationRule))
        self.rule_consts: dict[int, str] = {}
        self.steps: list[Step] = []
        self.when: dict[str, Callable[[list[Any]], bool]] = {}
        self.sources: list[str] = []
        segment = Segment()
        for rule in plan.rules:
            if isinstance(rule, RankingRule | TopRule | RankPrizeRule):
                if segment.rules:
                    self.steps.append(segment)
                    segment = Segment()
                self.steps.append(rule)
                if isinstance(rule, TopRule | RankPrizeRule) and rule.when is not None:
                    self.when[rule.id] = self._when_function(rule, rule.when)
            else:
                segment.rules.append(rule)
        if segment.rules:
            self.steps.append(segment)
        for number, step in enumerate(self.steps):
            if isinstance(step, Segment):
                self._segment(step, number)
        self.year_end = self._year_end(plan.year_end) if plan.year_end else None
        self.accept = self._acceptor()
        self.pick = self._picker()

    def _globals(self, constants: dict[str, Any], series: bool = False) -> dict[str, Any]:
        namespace = _namespace(constants, series)
        namespace.update(
            _DecimalException=decimal.DecimalException,
            _Failure=RuleFailure,
            _Hit=Hit,
            _ZERO=Decimal(0),
            _ONE=_ONE,
            _MAXR=MAX_RESULT,
            _MINR=-MAX_RESULT,
            _MAXA=MAX_AMOUNT,
            _D=Decimal,
            _veto=_veto,
            bool=bool,
            str=str,
            int=int,
            _FLAGS=FLAG_WORDS,
            _PLACES=Decimal(1).scaleb(-MAX_PLACES),
            _number=number_text,
            _text=identifying_text,
            _MINN=-MAX_NUMBER,
            _MAXN=MAX_NUMBER,
        )
        return namespace

    def _writer(self, src: _Source) -> _Writer:
        slots = self.slots
        return _Writer(
            src, lambda n: f"v[{slots[n]}]", lambda n: f"v[{slots[n]}]", self.rule_consts
        )

    def _run(self, source: str, constants: dict[str, Any], name: str, series: bool = False) -> Any:
        self.sources.append(source)
        namespace = self._globals(constants, series)
        exec(compile(source, f"<partyscore {name}>", "exec"), namespace)
        return namespace["_fn"]

    def _segment(self, segment: Segment, number: int) -> None:
        constants: dict[str, Any] = {}
        src = _Source(constants)
        writer = self._writer(src)
        src.emit(0, "def _fn(v, ordinal, year):")
        for rule in segment.rules:
            self._rule(writer, rule, 1)
        src.emit(1, "return None")
        segment.source = "\n".join(src.lines) + "\n"
        segment.fn = self._run(segment.source, constants, f"segment {number}")

    def _rule(self, writer: _Writer, rule: Rule, depth: int) -> None:
        if isinstance(rule, SectionRule):
            writer.section(rule, depth)
        elif isinstance(rule, ScoreRule):
            writer.score(rule, depth)
        elif isinstance(rule, BandingRule):
            writer.banding(rule, depth)
        elif isinstance(rule, HonourRule | MoneyRule):
            writer.reward(rule, depth)
        elif isinstance(rule, ConditionRule):
            writer.condition(rule, depth)
        elif isinstance(rule, EscalationRule):
            writer.escalation(rule, self.escalations.index(rule), depth)
        else:  # pragma: no cover - the plan has no other per-record rule
            raise AssertionError(type(rule).__name__)

    def _when_function(self, rule: Rule, when: Compiled) -> Callable[[list[Any]], bool]:
        constants: dict[str, Any] = {}
        src = _Source(constants)
        writer = self._writer(src)
        src.emit(0, "def _fn(v):")
        writer.guarded(1, "_c", when, rule, "when", False)
        src.emit(1, "return _c")
        function: Callable[[list[Any]], bool] = self._run(
            "\n".join(src.lines) + "\n", constants, f"{rule.id}.when"
        )
        return function

    def _year_end(self, rules: Sequence[YearEndRule]) -> Callable[[dict[str, Any]], None]:
        """Year-end rules over a mapping of series (``e``), with the period rules' guards."""
        constants: dict[str, Any] = {}
        src = _Source(constants)
        writer = _Writer(src, lambda n: f"e[{n!r}]", lambda n: f"e[{n!r}]", self.rule_consts)
        src.emit(0, "def _fn(e):")
        src.emit(1, "v = e['#']")  # the outcome lists live where the period rules keep them
        for rule in rules:
            self._rule(writer, rule, 1)
        src.emit(1, "return None")
        function: Callable[[dict[str, Any]], None] = self._run(
            "\n".join(src.lines) + "\n", constants, "year end", series=True
        )
        return function

    def _acceptor(self) -> Callable[[Any, Any, bool, list[Any]], bool]:
        """``accept(attributes, points, text_ok, v)``: fill a record's value list when every
        value is plainly good (the common case), else return False and leave the judgement,
        and every message, to the full record check. It never refuses anything itself."""
        plan, slots = self.plan, self.slots
        constants: dict[str, Any] = {}
        src = _Source(constants)
        emit = src.emit
        commons: dict[tuple[Decimal, Decimal], frozenset[Decimal] | None] = {}
        emit(0, "def _fn(a, p, text_ok, v):")
        emit(1, f"if not (a.keys() <= {src.const(frozenset(plan.attributes))}):")
        emit(2, "return False")
        emit(1, f"if not (p.keys() <= {src.const(frozenset(plan.items))}):")
        emit(2, "return False")
        for name, attr in plan.attributes.items():
            slot = slots[name]
            emit(1, f"x = a.get({name!r})")
            emit(1, "if x is None or (x.__class__ is str and not x.strip()):")
            if attr.default is None:
                emit(2, "return False")
            else:
                emit(2, f"x = {src.const(attr.default)}")
            emit(1, "el" + _ATTRIBUTE_TESTS[attr.type])
            if attr.type == "number":
                low = "_MINN" if attr.min is None else src.const(attr.min)
                high = "_MAXN" if attr.max is None else src.const(attr.max)
                emit(2, f"if not ({low} <= x <= {high}):")
                emit(3, "return False")
            elif attr.type == "enum":
                emit(2, f"if x not in {src.const(frozenset(attr.values or ()))}:")
                emit(3, "return False")
            emit(1, "else:")
            emit(2, "return False")
            emit(1, f"v[{slot}] = x")
        for name, parameter in plan.parameters.items():
            if parameter.by is None:
                emit(1, f"v[{slots[name]}] = {src.const(parameter.value)}")
            else:
                table = src.const(dict(parameter.values))
                emit(1, f"v[{slots[name]}] = {table}[v[{slots[parameter.by]}]]")
        for name, item in plan.items.items():
            slot = slots[name]
            emit(1, f"x = p.get({name!r})")
            depth = 1
            if item.applies_to:
                test = " and ".join(
                    f"v[{slots[attribute]}] in {src.const(values)}"
                    for attribute, values in item.applies_to
                )
                emit(1, f"if not ({test}):")
                emit(2, "if x is None or (x.__class__ is str and not x.strip()):")
                emit(3, f"v[{slot}] = {src.const(item.absent)}")
                emit(2, "else:")
                emit(3, "return False")
                emit(1, "else:")
                depth = 2
            if item.type == "flag":
                emit(depth, "if x is True or x is False:")
                emit(depth + 1, f"v[{slot}] = x")
                emit(depth, "elif text_ok and x.__class__ is str and x in _FLAGS:")
                emit(depth + 1, f"v[{slot}] = _FLAGS[x]")
                emit(depth, "else:")
                emit(depth + 1, "return False")
                continue
            assert item.max is not None
            low, high = src.const(item.min), src.const(item.max)
            emit(depth, "if x.__class__ is _D:")
            common = _common_values(item.min, item.max, commons)
            if common is not None:
                # A set lookup (the hash of a Decimal is kept) settles the usual values;
                # any other goes through the comparisons.
                emit(depth + 1, f"if x not in {src.const(common)} and not (")
                emit(depth + 2, f"{low} <= x <= {high} and x == x.quantize(_PLACES)")
                emit(depth + 1, "):")
            else:
                emit(depth + 1, f"if not ({low} <= x <= {high} and x == x.quantize(_PLACES)):")
            emit(depth + 2, "return False")
            emit(depth, "elif x.__class__ is int:")
            emit(depth + 1, "x = _D(x)")
            emit(depth + 1, f"if not ({low} <= x <= {high}):")
            emit(depth + 2, "return False")
            emit(depth, "elif text_ok and x.__class__ is str:")
            emit(depth + 1, "x = _number(x)")
            emit(depth + 1, f"if x is None or not ({low} <= x <= {high}):")
            emit(depth + 2, "return False")
            emit(depth, "else:")
            emit(depth + 1, "return False")
            emit(depth, f"v[{slot}] = x")
        emit(1, "return True")
        function: Callable[[Any, Any, bool, list[Any]], bool] = self._run(
            "\n".join(src.lines) + "\n", constants, "record check"
        )
        return function

    def _picker(self) -> Callable[[list[Any]], tuple[dict[str, Any], ...]]:
        """``pick(v)``: a result's scores, bands, band values and ranks, as four dicts."""
        plan, slots = self.plan, self.slots
        groups = (
            [(n, n) for n in plan.score_names],
            [(b.id, b.id) for b in plan.bandings],
            [(n, n) for n in plan.field_names],
            [(r.id, f"#rank:{r.id}") for r in plan.rankings],
        )
        displays = [
            "{" + ", ".join(f"{name!r}: v[{slots[slot]}]" for name, slot in group) + "}"
            for group in groups
        ]
        source = f"def _fn(v):\n    return ({', '.join(displays)})\n"
        function: Callable[[list[Any]], tuple[dict[str, Any], ...]] = self._run(
            source, {}, "result"
        )
        return function

    def new_values(self) -> list[Any]:
        """A value list for one record, every slot empty."""
        return [None] * self.width


COMMON_VALUES = 10_001
"""Most values an item's set of usual values holds (0..100 in hundredths)."""


def _common_values(
    low: Decimal, high: Decimal, known: dict[tuple[Decimal, Decimal], frozenset[Decimal] | None]
) -> frozenset[Decimal] | None:
    """The values from `low` to `high` in steps of 0.01, when there are few enough: what a
    point item usually holds. Shared by items with the same range."""
    key = (low, high)
    if key not in known:
        step = Decimal("0.01")
        first, last = (low / step).to_integral_value(decimal.ROUND_CEILING), high / step
        count = int(last.to_integral_value(decimal.ROUND_FLOOR) - first) + 1
        known[key] = (
            frozenset((first + i) * step for i in range(count))
            if 0 < count <= COMMON_VALUES
            else None
        )
    return known[key]


_ATTRIBUTE_TESTS = {
    # Each test leaves the accepted value in x; defaults were validated at load time.
    "enum": "if x.__class__ is str:\n        pass",
    "bool": "if x is True or x is False or (text_ok and x.__class__ is str and x in _FLAGS):"
    "\n        x = _FLAGS.get(x, x)",
    "number": "if (x.__class__ is _D and x == x.quantize(_PLACES)) or ("
    "text_ok and x.__class__ is str and (x := _number(x)) is not None):\n        pass",
    "text": "if x.__class__ is str and (x := _text(x)) is not None:\n        pass",
}
FLAG_WORDS: dict[Any, bool] = {
    **{w: True for word in TRUE_WORDS for w in (word, word.upper(), word.title())},
    **{w: False for word in FALSE_WORDS for w in (word, word.upper(), word.title())},
}
"""Spellings of true and false taken as they are; others go to the full check."""
MAX_NUMBER = Decimal(10) ** 12
_NUMBERS: dict[str, Decimal | None] = {}


def number_text(text: str) -> Decimal | None:
    """A number written as text, read once per distinct text (a sheet repeats the same few
    values); None when the full check must say what is wrong with it."""
    found = _NUMBERS.get(text, _MISSING)
    if found is _MISSING:
        try:
            found = read_number(text)
        except NumberError:
            found = None
        if len(_NUMBERS) > 100_000:  # bounded: a sheet of distinct values reads them anew
            _NUMBERS.clear()
        _NUMBERS[text] = found
    return found if isinstance(found, Decimal) else None


_MISSING: Any = object()
_TEXTS: dict[str, str | None] = {}
TEXTS = _TEXTS
"""Ids and groups read so far, as `identifying_text` gives them (None: refused)."""


def identifying_text(text: str) -> str | None:
    """`clean_text` of a subject id or group, once per distinct text; None when refused."""
    found = _TEXTS.get(text, _MISSING)
    if found is _MISSING:
        try:
            found = clean_text(text) or None
        except ValueError:
            found = None
        if len(_TEXTS) > 100_000:
            _TEXTS.clear()
        _TEXTS[text] = found
    return found if isinstance(found, str) else None


def _produces(rule: Rule) -> tuple[str, ...]:
    """The names a period rule sets on each record (hidden ones start with '#')."""
    if isinstance(rule, BandingRule):
        return (rule.id, *rule.fields)
    if isinstance(rule, ScoreRule) or (isinstance(rule, SectionRule) and rule.cap is not None):
        return (rule.id, f"#raw:{rule.id}")  # unrounded or uncapped, for explanations
    if isinstance(rule, RankingRule):
        return (
            rule.id,
            rule.size_name,
            rule.last_name,
            f"#ties:{rule.id}",
            f"#first:{rule.id}",
            f"#rank:{rule.id}",  # the rank as an int, as results give it
        )
    return (rule.id,)


def _veto(v: list[Any], rule: SectionRule, flags: tuple[bool, ...]) -> None:
    """Withhold the rewards a veto blocks, naming the first veto that withholds each."""
    hit = [item.id for item, flag in zip(rule.items, flags, strict=True) if flag]
    reason = f"veto {rule.id}: {', '.join(hit)}"
    blocked = v[BLOCKED]
    if blocked is None:
        blocked = v[BLOCKED] = {}
    for reward in rule.blocks:
        blocked.setdefault(reward, reason)
