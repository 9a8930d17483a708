"""Differential property: partyscore's evaluator agrees with plain simpleeval on every compiled
expression of every shipped scheme, for generated values of the names it reads."""

from __future__ import annotations

import ast
import decimal
import itertools
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import simpleeval
from hypothesis import given
from hypothesis import strategies as st

import partyscore
from partyscore._codegen import compile_expression
from partyscore._compile import CompiledScheme
from partyscore._expr import (
    BOOL,
    NUMBER,
    Compiled,
    Evaluator,
    ExprError,
    Type,
    compile_expr,
    enum,
)
from partyscore._periods import PER_YEAR
from partyscore._plan import ScoreRule

ROOT = Path(__file__).parent.parent
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))
SETTINGS = hypothesis.settings(max_examples=60, derandomize=True, database=None, deadline=None)

# The engine's arithmetic (see partyscore._evaluate): 28 digits, errors trapped.
CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


def _streak(series: tuple[bool, ...]) -> int:
    return max((len(list(run)) for held, run in itertools.groupby(series) if held), default=0)


# Written here from the language reference, not imported: a second opinion on each function.
SCALAR = {"min": min, "max": max, "abs": abs}
SERIES = {
    "mean": lambda s: sum(s) / len(s),
    "sum": sum,
    "count": lambda s: sum(1 for x in s if x),
    "streak": _streak,
    "min": min,
    "max": max,
}


def expressions() -> list[Any]:
    """(scheme, expression, the type of each name it reads, at year end) for every
    expression of every shipped scheme."""
    found = []
    for path in SHIPPED:
        scheme = partyscore.load_scheme(path)
        for rule in scheme.plan.rules:
            for key, expr in rule.expressions():
                types = {n: scheme.types[n] for n in expr.names}
                found.append(
                    pytest.param(
                        scheme,
                        expr,
                        types,
                        False,
                        id=f"{scheme.id}-v{scheme.model.version}:{rule.id}.{key}",
                    )
                )
        year_end = year_end_types(scheme)
        for year_end_rule in scheme.plan.year_end:
            for key, expr in year_end_rule.expressions():
                types = {n: year_end[n] for n in expr.names}
                found.append(
                    pytest.param(
                        scheme,
                        expr,
                        types,
                        True,
                        id=f"{scheme.id}-v{scheme.model.version}:year_end.{year_end_rule.id}.{key}",
                    )
                )
            year_end[year_end_rule.id] = NUMBER if isinstance(year_end_rule, ScoreRule) else BOOL
    return found


def year_end_types(scheme: CompiledScheme) -> dict[str, Type]:
    """At year end a per-period number or flag is a series; parameters stay numbers."""
    types: dict[str, Type] = {}
    for name, type_ in scheme.types.items():
        if type_ == NUMBER:
            types[name] = Type("number series")
        elif type_ == BOOL:
            types[name] = Type("bool series")
    types.update(dict.fromkeys(scheme.model.parameters, NUMBER))
    return types


NUMBERS = st.one_of(
    st.just(Decimal(0)),  # divisions by zero must fail alike
    st.integers(-5, 200).map(Decimal),
    st.decimals(-(10**6), 10**6, places=2),
)


def numbers(expr: Compiled, scheme: CompiledScheme) -> st.SearchStrategy[Decimal]:
    """Generated numbers, and the expression's own literals and the parameters' values:
    ``total < 70`` must meet ``total = 70``."""
    seen: set[Any] = {n.value for n in ast.walk(expr.tree) if isinstance(n, ast.Constant)}
    for param in scheme.model.parameters.values():
        seen.update([param.value] if param.value is not None else (param.values or {}).values())
    ties: list[Decimal] = sorted(v for v in seen if isinstance(v, Decimal))
    return st.one_of(NUMBERS, st.sampled_from(ties)) if ties else NUMBERS


def value_of(
    type_: Type, periods: int, number: st.SearchStrategy[Decimal]
) -> st.SearchStrategy[Any]:
    if type_ == NUMBER:
        return number
    if type_ == BOOL:
        return st.booleans()
    if type_.name == "enum":
        return st.sampled_from(type_.values)
    element = number if type_.name == "number series" else st.booleans()
    return st.tuples(*[element] * periods)  # a complete year: one value per period


def as_float(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, tuple):
        return tuple(as_float(v) for v in value)
    return value


@pytest.mark.parametrize(("scheme", "expr", "types", "series"), expressions())
def test_partyscore_agrees_with_simpleeval(
    scheme: CompiledScheme, expr: Compiled, types: dict[str, Type], series: bool
):
    periods = PER_YEAR[scheme.model.period]
    number = numbers(expr, scheme)
    names = st.fixed_dictionaries({n: value_of(t, periods, number) for n, t in types.items()})
    ours = Evaluator(series=series)

    @SETTINGS
    @given(names)
    def run(values: dict[str, Any]) -> None:
        try:
            with decimal.localcontext(CONTEXT):
                exact = ours(expr, values)
        except decimal.DecimalException:
            exact = ZeroDivisionError
        # simpleeval parses the text itself, so its literals are floats, and Decimal does not
        # mix with float in arithmetic: it is given the same values as floats. Booleans and
        # enum values must then agree exactly. Numbers agree within 1e-9 relative: binary
        # floats carry about 16 digits, and the generated values (at most 10^6, two places)
        # and the shipped expressions (a few operations) lose far fewer than 7 of them. A
        # comparison could only flip where a float error meets an exact tie; the shipped
        # conditions compare names with integer literals or with each other, which floats
        # order exactly.
        try:
            loose = simpleeval.simple_eval(
                expr.text,
                names={n: as_float(v) for n, v in values.items()},
                functions=SERIES if series else SCALAR,
            )
        except ZeroDivisionError:
            loose = ZeroDivisionError
        where = f"{expr.text} with {values}: partyscore {exact!r}, simpleeval {loose!r}"
        if isinstance(exact, Decimal) and not isinstance(loose, type):
            assert math.isclose(float(exact), loose, rel_tol=1e-9, abs_tol=1e-9), where
        else:
            assert exact == loose, where
            assert type(exact) is type(loose), where

    run()


def _run(function: Any, *args: Any) -> Any:
    """A value, or the class of the decimal failure, under the engine's arithmetic."""
    try:
        with decimal.localcontext(CONTEXT):
            return function(*args)
    except decimal.DecimalException as exc:
        return type(exc)


def agree(expr: Compiled, values: dict[str, Any], series: bool) -> None:
    """The generated code and simpleeval (the reference interpreter) give the same value,
    exactly: the same digits, the same type, the same failure."""
    generated = compile_expression(expr, series=series)
    ours = _run(generated, *(values[n] for n in expr.names))
    reference = _run(Evaluator(series=series), expr, values)
    where = f"{expr.text} with {values}: generated {ours!r}, simpleeval {reference!r}"
    assert type(ours) is type(reference), where
    assert ours == reference, where
    if isinstance(ours, Decimal):
        assert str(ours) == str(reference), where  # the same exponent, not only the same value


@pytest.mark.parametrize(("scheme", "expr", "types", "series"), expressions())
def test_generated_code_agrees_with_simpleeval(
    scheme: CompiledScheme, expr: Compiled, types: dict[str, Type], series: bool
):
    periods = PER_YEAR[scheme.model.period]
    number = numbers(expr, scheme)
    names = st.fixed_dictionaries({n: value_of(t, periods, number) for n, t in types.items()})

    @SETTINGS
    @given(names)
    def run(values: dict[str, Any]) -> None:
        agree(expr, values, series)

    run()


# Generated expressions: well typed by construction, over every operator of the language.
GENERATED_NAMES: dict[str, Type] = {
    "a": NUMBER,
    "b": NUMBER,
    "c": NUMBER,
    "p": BOOL,
    "q": BOOL,
    "stage": enum(["activist", "full"]),
}
LITERALS = st.sampled_from(["0", "1", "2.5", "0.7", "100", "0.001", "1e3", "3"])
NUMBER_TEXT = st.recursive(
    st.one_of(LITERALS, st.sampled_from(["a", "b", "c"])),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda x: f"-{x}"),
        inner.map(lambda x: f"+{x}"),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(inner, min_size=2, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        inner.map(lambda x: f"abs({x})"),
        st.tuples(inner, inner, inner, inner).map(
            lambda t: f"({t[0]} if {t[1]} < {t[2]} else {t[3]})"
        ),
    ),
    max_leaves=8,
)
COMPARISON = st.tuples(
    NUMBER_TEXT, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), NUMBER_TEXT
).map(lambda t: f"{t[0]} {t[1]} {t[2]}")
BOOL_TEXT = st.recursive(
    st.one_of(
        st.sampled_from(["p", "q", "True", "False", 'stage == "full"', 'stage != "activist"']),
        st.just('stage in ("activist", "full")'),
        st.just('stage not in ("full",)'),
        COMPARISON,
        st.tuples(NUMBER_TEXT, NUMBER_TEXT, NUMBER_TEXT).map(
            lambda t: f"{t[0]} < {t[1]} <= {t[2]}"
        ),
    ),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda x: f"not {x}"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(inner, st.sampled_from(["==", "!="]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        ),
    ),
    max_leaves=6,
)
VALUES = st.fixed_dictionaries(
    {
        "a": st.one_of(st.just(Decimal(0)), st.decimals(-1000, 1000, places=3)),
        "b": st.one_of(st.just(Decimal("-0")), st.integers(-50, 50).map(Decimal)),
        "c": st.decimals(-(10**12), 10**12, places=10),
        "p": st.booleans(),
        "q": st.booleans(),
        "stage": st.sampled_from(["activist", "full"]),
    }
)


@hypothesis.settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    st.one_of(NUMBER_TEXT.map(lambda t: (t, NUMBER)), BOOL_TEXT.map(lambda t: (t, BOOL))), VALUES
)
def test_generated_code_agrees_on_generated_expressions(
    text_and_type: tuple[str, Type], values: dict[str, Any]
) -> None:
    text, want = text_and_type
    try:
        expr = compile_expr(text, GENERATED_NAMES, want)
    except ExprError:  # e.g. a literal past the limits: refused alike
        hypothesis.reject()
    agree(expr, values, False)
