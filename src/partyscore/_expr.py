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

from ._i18n import N_, _
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
    ast.Attribute: N_("attribute access ('.')"),
    ast.Subscript: N_("subscripts ('[...]')"),
    ast.JoinedStr: N_("f-strings"),
    ast.Lambda: N_("lambdas"),
    ast.NamedExpr: "':='",
    ast.List: N_("lists"),
    ast.Tuple: N_("tuples"),
    ast.Dict: N_("dicts"),
    ast.Set: N_("sets"),
    ast.ListComp: N_("comprehensions"),
    ast.SetComp: N_("comprehensions"),
    ast.DictComp: N_("comprehensions"),
    ast.GeneratorExp: N_("comprehensions"),
    ast.Starred: N_("'*' unpacking"),
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: N_("slices"),
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
    return _("; did you mean {name!r}?").format(name=close[0]) if close else ""


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
                self.expect(node.operand, operand, BOOL, N_("'not' needs true/false, got {type}"))
                return BOOL
            if type(node.op) not in _OPERATORS:
                raise self.fail(
                    node,
                    _("the operator {operator!r} is not allowed").format(
                        operator=_OP_TEXT[type(node.op)]
                    ),
                )
            self.expect(node.operand, operand, NUMBER, N_("unary minus needs a number, got {type}"))
            return NUMBER
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise self.fail(
                    node,
                    _("the operator {operator!r} is not allowed; use + - * / only").format(
                        operator=_OP_TEXT.get(type(node.op), "?")
                    ),
                )
            for side in (node.left, node.right):
                self.expect(
                    side, self.check(side), NUMBER, N_("arithmetic needs numbers, got {type}")
                )
            return NUMBER
        if isinstance(node, ast.BoolOp):
            word = "and" if isinstance(node.op, ast.And) else "or"
            for value in node.values:
                self.expect(
                    value,
                    self.check(value),
                    BOOL,
                    N_("'{operator}' needs true/false on both sides, got {type}"),
                    operator=word,
                )
            return BOOL
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            self.expect(
                node.test,
                self.check(node.test),
                BOOL,
                N_("the condition after 'if' must be true/false, got {type}"),
            )
            body, other = self.check(node.body), self.check(node.orelse)
            if body != other:
                raise self.fail(
                    node,
                    _(
                        "both branches of 'if ... else' must have one type, not {first} and "
                        "{second}"
                    ).format(first=body, second=other),
                    "expr-type",
                )
            return body
        if isinstance(node, ast.Call):
            return self.call(node)
        what = _NODE_TEXT.get(type(node), type(node).__name__)
        # TRANSLATORS: {construct} is a kind of Python syntax, such as "lambdas" or "yield"
        message = _("{construct} may not be used in expressions").format(construct=_(what))
        raise self.fail(node, message)

    def expect(self, node: ast.AST, got: Type, want: Type, message: str, /, **fields: str) -> None:
        """Fail unless `got` is `want`: `message` is a message marked with `N_`, translated
        only on failure, with ``{type}`` for the type `got` and `fields` for the rest."""
        if got.name != want.name:
            raise self.fail(node, _(message).format(type=got, **fields), "expr-type")

    def constant(self, node: ast.Constant) -> Type:
        value = node.value
        if isinstance(value, bool):
            return BOOL
        if isinstance(value, Decimal):  # already converted: chains check a node twice
            return NUMBER
        if isinstance(value, int | float):
            segment = ast.get_source_segment(self.text, node) or repr(value)
            if not _DECIMAL_LITERAL.fullmatch(segment):
                raise self.fail(
                    node,
                    _("write {number} as a decimal number (digits 0-9)").format(number=segment),
                )
            number = Decimal(segment)  # exact: 0.7 is 7/10, not a float
            node.value = number  # type: ignore[assignment]
            shown = segment if len(segment) <= 40 else segment[:37] + "..."
            problem = beyond_limits(number, shown)
            if problem:
                raise self.fail(node, problem)
            return NUMBER
        if isinstance(value, str):
            raise self.fail(
                node, _('a string may only be compared with an enum name, as in stage == "full"')
            )
        raise self.fail(node, _("the literal {value!r} is not allowed").format(value=value))

    def name(self, node: ast.Name) -> Type:
        if node.id not in self.names:
            if node.id in self.functions:
                raise self.fail(
                    node,
                    _("{function} is a function: call it, as in {function}(a, b)").format(
                        function=node.id
                    ),
                    "expr-type",
                )
            if node.id in ("true", "false"):
                literal = node.id.capitalize()
                raise self.fail(
                    node,
                    _("write {literal} for the boolean").format(literal=literal),
                    "expr-unknown-name",
                )
            hint = suggest(node.id, [*self.names, *self.functions])
            message = _("unknown name {name!r}").format(name=node.id) + hint
            failure = self.fail(node, message, "expr-unknown-name")
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
                    _(
                        "the operator {operator!r} is not allowed; compare with == != < <= > >="
                    ).format(operator=_OP_TEXT[type(op)]),
                )
            lt, rt = self.operand(left, right), self.operand(right, left)
            if lt.name == "enum" or rt.name == "enum" or lt.name == "bool" or rt.name == "bool":
                if not isinstance(op, ast.Eq | ast.NotEq):
                    raise self.fail(
                        node,
                        _("only == and != compare {type} values").format(
                            type=lt if lt.name != "number" else rt
                        ),
                        "expr-type",
                    )
                if lt.name != rt.name:
                    raise self.fail(node, _cannot_compare(lt, rt), "expr-type")
            elif lt != NUMBER or rt != NUMBER:
                raise self.fail(node, _cannot_compare(lt, rt), "expr-type")
        return BOOL

    def membership(self, node: ast.Compare, left: ast.expr, right: ast.expr) -> None:
        """``stage in ("activist", "probationary")``: an enum name and a tuple of its values."""
        if len(node.ops) != 1 or not isinstance(right, ast.Tuple):
            raise self.fail(
                node,
                _(
                    "'in' takes an enum name and a tuple of its values, as in "
                    'stage in ("activist", "full")'
                ),
                "expr-type",
            )
        left_type = self.check(left)
        if left_type.name != "enum":
            raise self.fail(
                left,
                _("'in' needs an enum name on the left, got {type}").format(type=left_type),
                "expr-type",
            )
        if not right.elts:
            raise self.fail(right, _("the tuple after 'in' is empty"), "expr-type")
        for element in right.elts:
            if not (isinstance(element, ast.Constant) and isinstance(element.value, str)):
                raise self.fail(
                    element, _("the tuple after 'in' holds only quoted enum values"), "expr-type"
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
                    node, _("a string may only be compared with an enum name"), "expr-type"
                )
            if node.value not in other_type.values:
                hint = suggest(node.value, other_type.values)
                raise self.fail(
                    node,
                    _("{value!r} is not one of {values}").format(
                        value=node.value, values=", ".join(other_type.values)
                    )
                    + hint,
                    "expr-unknown-value",
                )
            return other_type
        return self.check(node)

    def call(self, node: ast.Call) -> Type:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, _("only the listed functions may be called"))
        name = node.func.id
        if name not in self.functions:
            hint = suggest(name, list(self.functions))
            message = _("unknown function {function!r}").format(function=name) + hint
            raise self.fail(node, message, "expr-unknown-name")
        if node.keywords:
            raise self.fail(node, _("keyword arguments are not allowed"))
        args = [self.check(a) for a in node.args]
        if self.functions is SERIES_FUNCTIONS:
            if len(args) != 1:
                raise self.fail(node, _("{function}() takes one series").format(function=name))
            want = BOOL_SERIES if name in ("count", "streak") else NUMBER_SERIES
            self.expect(
                node.args[0],
                args[0],
                want,
                # TRANSLATORS: {want} and {type} are types: number series, bool series, ...
                N_("{function}() needs a {want}, got {type}"),
                function=name,
                want=str(want),
            )
            return NUMBER
        if name == "abs" and len(args) != 1:
            raise self.fail(node, _("abs() takes one number"))
        if name in ("min", "max") and len(args) < 2:
            raise self.fail(node, _("{function}() takes two or more numbers").format(function=name))
        for arg_node, arg in zip(node.args, args, strict=True):
            self.expect(
                arg_node, arg, NUMBER, N_("{function}() needs numbers, got {type}"), function=name
            )
        return NUMBER


def _cannot_compare(left: Type, right: Type) -> str:
    return _("cannot compare {left} with {right}").format(left=left, right=right)


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
                _(
                    "the number {number} is written against {name!r}: put a space between them"
                ).format(number=before.string, name=after.string),
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
        raise ExprError(
            _("the expression is longer than {limit} characters").format(limit=MAX_LENGTH),
            "expr-too-long",
        )
    source = text.strip()
    if not source:
        raise ExprError(_("the expression is empty"), "expr-syntax")
    if "\n" in source or ";" in source:
        raise ExprError(_("an expression is one line with no ';'"), "expr-syntax")
    _glued(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Python's own warnings never reach the user
            tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        assign = _ASSIGN.search(source)
        if assign:
            raise ExprError(
                _("'=' assigns; use '==' to compare"), "expr-syntax", assign.start() + 1
            ) from None
        # Python's own message (English), with partyscore's advice for a lone '='
        message = (exc.msg or "invalid syntax").replace(
            "Maybe you meant '==' or ':=' instead of '='?", _("use '==' to compare")
        )
        raise ExprError(
            # TRANSLATORS: {message} is Python's own description of the error, in English
            _("syntax error: {message}").format(message=message),
            "expr-syntax",
            exc.offset or 1,
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExprError(_("the expression is too deeply nested"), "expr-too-complex") from None
    for count, _node in enumerate(ast.walk(tree), start=1):
        if count > MAX_NODES:
            raise ExprError(
                _("the expression has more than {limit} parts").format(limit=MAX_NODES),
                "expr-too-complex",
            )
    if _depth(tree.body) > MAX_DEPTH:
        raise ExprError(
            _("the expression nests more than {limit} levels").format(limit=MAX_DEPTH),
            "expr-too-complex",
        )
    checker = _Checker(source, names, series)
    got = checker.check(tree.body)
    if got.name != want.name:
        if want == BOOL:
            message = _("expected a condition (true/false), but the expression gives {type}")
        else:
            # TRANSLATORS: {want} and {type} are types: number, bool, enum, ...
            message = _("expected a {want}, but the expression gives {type}")
        raise ExprError(message.format(want=want, type=got), "expr-type")
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
    if not seen:
        return expr.text
    # TRANSLATORS: {expression} is a scheme expression, {values} the values it read, as in
    # "total < 60 or key < 35 with total=55.00, key=38"
    return _("{expression} with {values}").format(expression=expr.text, values=seen)


def format_value(value: Any) -> str:
    """Numbers as plain decimals, flags as true/false, series as [a, b, ...]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)
