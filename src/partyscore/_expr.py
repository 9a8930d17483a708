"""The expression language: parsed and type-checked once, evaluated many times by simpleeval.

An expression is one Python expression over the scheme's own names, built only from:
numbers, ``True``/``False``, string literals compared with an enum name (``stage == "full"``,
``stage in ("activist", "full")``), ``+ - * /``, unary ``-``/``+``, ``not``, ``and``, ``or``,
comparisons (chains allowed), ``x if c else y`` and calls of the functions in
`SCALAR_FUNCTIONS` (and, at year end, `SERIES_FUNCTIONS`). Nothing else is accepted: no
attributes, subscripts, f-strings, ``%``, ``**``, lambdas, comprehensions or keyword
arguments.

Every literal becomes a `Decimal` at compile time (``0.7`` is exactly 7/10), so evaluation is
exact. Types are checked statically: conditions are booleans, formulas are numbers, and
``and``/``or``/``not`` take booleans only.
"""

from __future__ import annotations

import ast
import decimal
import difflib
import io
import itertools
import operator
import re
import tokenize
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simpleeval import SimpleEval

from ._numbers import beyond_limits, decimal_text

_ASSIGN = re.compile(r"(?<![=!<>])=(?!=)")
_DECIMAL_LITERAL = re.compile(r"([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
MAX_LENGTH = 2000
"""Longest expression, in characters."""
MAX_NODES = 400
"""Most syntax-tree nodes in one expression."""
MAX_DEPTH = 40
"""Deepest nesting of one expression's syntax tree."""


@dataclass(frozen=True)
class Type:
    """A static type: ``number``, ``bool``, ``enum`` (with its values), or a year-end series."""

    name: str
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


NUMBER = Type("number")
BOOL = Type("bool")
NUMBER_SERIES = Type("number series")
BOOL_SERIES = Type("bool series")


def enum(values: Sequence[str]) -> Type:
    """The type of a name whose value is one of `values`."""
    return Type("enum", tuple(values))


ARITHMETIC = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
"""The arithmetic of every expression: 28 digits; invalid operations, division by zero and
overflow are errors, never NaN or infinity."""


def divides_by_zero(exc: decimal.DecimalException) -> bool:
    """Whether a trapped decimal failure was a division by zero: x / 0, or 0 / 0 (which the C
    decimal module raises as InvalidOperation, naming DivisionUndefined in its arguments)."""
    signals = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    return isinstance(exc, decimal.DivisionByZero) or decimal.DivisionUndefined in signals


def _mean(series: Sequence[Decimal]) -> Decimal:
    return sum(series, Decimal(0)) / len(series)


def _count(series: Sequence[bool]) -> Decimal:
    return Decimal(sum(1 for x in series if x))


def _streak(series: Sequence[bool]) -> Decimal:
    best = run = 0
    for x in series:
        run = run + 1 if x else 0
        best = max(best, run)
    return Decimal(best)


def _sum(series: Sequence[Decimal]) -> Decimal:
    return sum(series, Decimal(0))


SCALAR_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "abs": abs}
"""Functions of numbers: ``min(a, b, ...)``, ``max(a, b, ...)``, ``abs(x)``."""
SERIES_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "mean": _mean,
    "sum": _sum,
    "count": _count,
    "streak": _streak,
    "min": min,
    "max": max,
}
"""Year-end aggregates of one series: mean, sum, min, max of numbers; count and streak of flags."""

_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Not: operator.not_,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda x, y: x in y,
    ast.NotIn: lambda x, y: x not in y,
}
_OP_TEXT = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.FloorDiv: "//",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Invert: "~",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
_NODE_TEXT = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "subscripts ('[...]')",
    ast.JoinedStr: "f-strings",
    ast.Lambda: "lambdas",
    ast.NamedExpr: "':='",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions",
    ast.Starred: "'*' unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


class ExprError(Exception):
    """An expression is invalid; `column` is the 1-based offset inside the expression."""

    def __init__(self, message: str, code: str, column: int = 1, about: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.column = column
        self.about = about
        """The unknown name, for an unknown name."""


@dataclass(frozen=True)
class Compiled:
    """A checked expression: its text, parsed tree, type and the names it reads (in order)."""

    text: str
    tree: ast.expr
    type: Type
    names: tuple[str, ...]


def _col(node: ast.AST) -> int:
    return getattr(node, "col_offset", 0) + 1


def suggest(name: str, known: Sequence[str]) -> str:
    """A 'did you mean' tail for an unknown name, or an empty string."""
    same_but_case = [k for k in known if k.lower() == name.lower() and k != name]
    close = same_but_case or difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


class _Checker:
    def __init__(self, text: str, names: Mapping[str, Type], series: bool) -> None:
        self.text = text
        self.names = names
        self.functions = SERIES_FUNCTIONS if series else SCALAR_FUNCTIONS
        self.used: list[str] = []

    def fail(self, node: ast.AST, message: str, code: str = "expr-invalid") -> ExprError:
        return ExprError(message, code, _col(node))

    def check(self, node: ast.expr) -> Type:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.check(node.operand)
            if isinstance(node.op, ast.Not):
                self.expect(node.operand, operand, BOOL, "'not' needs true/false")
                return BOOL
            if type(node.op) not in _OPERATORS:
                raise self.fail(node, f"the operator {_OP_TEXT[type(node.op)]!r} is not allowed")
            self.expect(node.operand, operand, NUMBER, "unary minus needs a number")
            return NUMBER
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise self.fail(
                    node,
                    f"the operator {_OP_TEXT.get(type(node.op), '?')!r} is not allowed; "
                    "use + - * / only",
                )
            for side in (node.left, node.right):
                self.expect(side, self.check(side), NUMBER, "arithmetic needs numbers")
            return NUMBER
        if isinstance(node, ast.BoolOp):
            word = "and" if isinstance(node.op, ast.And) else "or"
            for value in node.values:
                self.expect(
                    value, self.check(value), BOOL, f"'{word}' needs true/false on both sides"
                )
            return BOOL
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            self.expect(
                node.test,
                self.check(node.test),
                BOOL,
                "the condition after 'if' must be true/false",
            )
            body, other = self.check(node.body), self.check(node.orelse)
            if body != other:
                raise self.fail(
                    node,
                    f"both branches of 'if ... else' must have one type, not {body} and {other}",
                    "expr-type",
                )
            return body
        if isinstance(node, ast.Call):
            return self.call(node)
        what = _NODE_TEXT.get(type(node), type(node).__name__)
        raise self.fail(node, f"{what} may not be used in expressions")

    def expect(self, node: ast.AST, got: Type, want: Type, message: str) -> None:
        if got.name != want.name:
            raise self.fail(node, f"{message}, got {got}", "expr-type")

    def constant(self, node: ast.Constant) -> Type:
        value = node.value
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, Decimal):  # already converted: chains check a node twice
            return NUMBER
        if isinstance(value, int | float):
            segment = ast.get_source_segment(self.text, node) or repr(value)
            if not _DECIMAL_LITERAL.fullmatch(segment):
                raise self.fail(node, f"write {segment} as a decimal number (digits 0-9)")
            number = Decimal(segment)  # exact: 0.7 is 7/10, not a float
            node.value = number  # type: ignore[assignment]
            problem = beyond_limits(number)
            if problem:
                shown = segment if len(segment) <= 40 else segment[:37] + "..."
                raise self.fail(node, f"{shown} {problem}")
            return NUMBER
        if isinstance(value, str):
            raise self.fail(
                node, 'a string may only be compared with an enum name, as in stage == "full"'
            )
        raise self.fail(node, f"the literal {value!r} is not allowed")

    def name(self, node: ast.Name) -> Type:
        if node.id not in self.names:
            if node.id in self.functions:
                raise self.fail(
                    node, f"{node.id} is a function: call it, as in {node.id}(a, b)", "expr-type"
                )
            if node.id in ("true", "false"):
                literal = node.id.capitalize()
                raise self.fail(node, f"write {literal} for the boolean", "expr-unknown-name")
            hint = suggest(node.id, [*self.names, *self.functions])
            failure = self.fail(node, f"unknown name {node.id!r}{hint}", "expr-unknown-name")
            failure.about = node.id
            raise failure
        if node.id not in self.used:
            self.used.append(node.id)
        return self.names[node.id]

    def compare(self, node: ast.Compare) -> Type:
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
            if isinstance(op, ast.In | ast.NotIn):
                self.membership(node, left, right)
                continue
            if type(op) not in _OPERATORS:
                raise self.fail(
                    node,
                    f"the operator {_OP_TEXT[type(op)]!r} is not allowed; "
                    "compare with == != < <= > >=",
                )
            lt, rt = self.operand(left, right), self.operand(right, left)
            if lt.name == "enum" or rt.name == "enum" or lt.name == "bool" or rt.name == "bool":
                if not isinstance(op, ast.Eq | ast.NotEq):
                    raise self.fail(
                        node,
                        f"only == and != compare {lt if lt.name != 'number' else rt} values",
                        "expr-type",
                    )
                if lt.name != rt.name:
                    raise self.fail(node, f"cannot compare {lt} with {rt}", "expr-type")
            elif lt != NUMBER or rt != NUMBER:
                raise self.fail(node, f"cannot compare {lt} with {rt}", "expr-type")
        return BOOL

    def membership(self, node: ast.Compare, left: ast.expr, right: ast.expr) -> None:
        """``stage in ("activist", "probationary")``: an enum name and a tuple of its values."""
        if len(node.ops) != 1 or not isinstance(right, ast.Tuple):
            raise self.fail(
                node,
                "'in' takes an enum name and a tuple of its values, as in "
                'stage in ("activist", "full")',
                "expr-type",
            )
        left_type = self.check(left)
        if left_type.name != "enum":
            raise self.fail(
                left, f"'in' needs an enum name on the left, got {left_type}", "expr-type"
            )
        if not right.elts:
            raise self.fail(right, "the tuple after 'in' is empty", "expr-type")
        for element in right.elts:
            if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
                raise self.fail(
                    element, "the tuple after 'in' holds only quoted enum values", "expr-type"
                )
            self.operand(element, left)

    def operand(self, node: ast.expr, other: ast.expr) -> Type:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            other_type = (
                self.check(other)
                if not (isinstance(other, ast.Constant) and isinstance(other.value, str))
                else None
            )
            if other_type is None or other_type.name != "enum":
                raise self.fail(
                    node, "a string may only be compared with an enum name", "expr-type"
                )
            if node.value not in other_type.values:
                hint = suggest(node.value, other_type.values)
                raise self.fail(
                    node,
                    f"{node.value!r} is not one of {', '.join(other_type.values)}{hint}",
                    "expr-unknown-value",
                )
            return other_type
        return self.check(node)

    def call(self, node: ast.Call) -> Type:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only the listed functions may be called")
        name = node.func.id
        if name not in self.functions:
            hint = suggest(name, list(self.functions))
            raise self.fail(node, f"unknown function {name!r}{hint}", "expr-unknown-name")
        if node.keywords:
            raise self.fail(node, "keyword arguments are not allowed")
        args = [self.check(a) for a in node.args]
        if self.functions is SERIES_FUNCTIONS:
            if len(args) != 1:
                raise self.fail(node, f"{name}() takes one series")
            want = BOOL_SERIES if name in ("count", "streak") else NUMBER_SERIES
            self.expect(node.args[0], args[0], want, f"{name}() needs a {want}")
            return NUMBER
        if name == "abs" and len(args) != 1:
            raise self.fail(node, "abs() takes one number")
        if name in ("min", "max") and len(args) < 2:
            raise self.fail(node, f"{name}() takes two or more numbers")
        for arg_node, arg in zip(node.args, args, strict=True):
            self.expect(arg_node, arg, NUMBER, f"{name}() needs numbers")
        return NUMBER


def _glued(source: str) -> None:
    """Refuse a number written against a name (``70or``), which Python reads as two words
    with a warning: the space may have been lost, or a letter typed by mistake."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return  # the parser says what is wrong
    for before, after in itertools.pairwise(tokens):
        glued = before.end == after.start
        if glued and before.type == tokenize.NUMBER and after.type == tokenize.NAME:
            raise ExprError(
                f"the number {before.string} is written against {after.string!r}: put a "
                "space between them",
                "expr-syntax",
                after.start[1] + 1,
            )


def compile_expr(
    text: str, names: Mapping[str, Type], want: Type, *, series: bool = False
) -> Compiled:
    """Parse and type-check `text` once; the result is evaluated by `evaluate_expr`.

    >>> names = {"daily": NUMBER, "annual": NUMBER}
    >>> compile_expr("0.7 * daily + 0.3 * annual", names, NUMBER).names
    ('daily', 'annual')

    Raises:
        ExprError: with a message, a stable code and the column of the problem.
    """
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is longer than {MAX_LENGTH} characters", "expr-too-long")
    source = text.strip()
    if not source:
        raise ExprError("the expression is empty", "expr-syntax")
    if "\n" in source or ";" in source:
        raise ExprError("an expression is one line with no ';'", "expr-syntax")
    _glued(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Python's own warnings never reach the user
            tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        assign = _ASSIGN.search(source)
        if assign:
            raise ExprError(
                "'=' assigns; use '==' to compare", "expr-syntax", assign.start() + 1
            ) from None
        message = (exc.msg or "invalid syntax").replace(
            "Maybe you meant '==' or ':=' instead of '='?", "use '==' to compare"
        )
        raise ExprError(f"syntax error: {message}", "expr-syntax", exc.offset or 1) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError("the expression is too deeply nested", "expr-too-complex") from None
    for count, _node in enumerate(ast.walk(tree), start=1):
        if count > MAX_NODES:
            raise ExprError(f"the expression has more than {MAX_NODES} parts", "expr-too-complex")
    if _depth(tree.body) > MAX_DEPTH:
        raise ExprError(f"the expression nests more than {MAX_DEPTH} levels", "expr-too-complex")
    checker = _Checker(source, names, series)
    got = checker.check(tree.body)
    if got.name != want.name:
        what = "a condition (true/false)" if want == BOOL else f"a {want}"
        raise ExprError(f"expected {what}, but the expression gives {got}", "expr-type")
    return Compiled(source, tree.body, got, tuple(checker.used))


def _depth(node: ast.AST) -> int:
    stack = [(node, 1)]
    deepest = 0
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(current))
    return deepest


class Evaluator:
    """Evaluates compiled expressions with simpleeval, exactly, without re-parsing."""

    def __init__(self, series: bool = False) -> None:
        functions = SERIES_FUNCTIONS if series else SCALAR_FUNCTIONS
        self._engine = SimpleEval(operators=dict(_OPERATORS), functions=dict(functions), names={})
        # Tuples occur only after 'in', holding string constants (checked at compile time).
        self._engine.nodes[ast.Tuple] = lambda node: tuple(self._engine._eval(e) for e in node.elts)

    def __call__(self, expr: Compiled, names: Mapping[str, Any]) -> Any:
        """Evaluate `expr` with `names`; decimal errors (e.g. division by zero) propagate."""
        self._engine.names = names
        return self._engine.eval(expr.text, previously_parsed=expr.tree)


def describe(expr: Compiled, names: Mapping[str, Any]) -> str:
    """``total < 60 or key < 35 with total=55.00, key=38`` - the expression and what it saw."""
    seen = ", ".join(f"{n}={format_value(names[n])}" for n in expr.names if n in names)
    return f"{expr.text} with {seen}" if seen else expr.text


def format_value(value: Any) -> str:
    """Numbers as plain decimals, flags as true/false, series as [a, b, ...]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)
