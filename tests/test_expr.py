"""The expression language: what compiles, what is refused and why, and exact results."""

from __future__ import annotations

from decimal import Decimal

import pytest

from partyscore._expr import (
    BOOL,
    NUMBER,
    Evaluator,
    ExprError,
    compile_expr,
    describe,
    enum,
)

NAMES = {
    "daily": NUMBER,
    "annual": NUMBER,
    "key": NUMBER,
    "total": NUMBER,
    "vetoed": BOOL,
    "stage": enum(["activist", "probationary", "full"]),
}


def run(text: str, want=NUMBER, **values):
    compiled = compile_expr(text, NAMES, want)
    return Evaluator()(compiled, {k: Decimal(v) if NAMES[k] == NUMBER else v
                                  for k, v in values.items()})


def test_weighted_sum_is_exact_where_floats_miss_the_band():
    # 0.7*92 + 0.3*52 is 79.99999999999999 in binary floats; 64.4 + 15.6 = 80.0 exactly
    assert run("0.7 * daily + 0.3 * annual", daily="92", annual="52") == Decimal("80.0")
    assert 0.7 * 92 + 0.3 * 52 < 80  # the float result this guards against


def test_literals_are_decimals_from_their_text():
    compiled = compile_expr("0.1 + 0.2", NAMES, NUMBER)
    assert Evaluator()(compiled, {}) == Decimal("0.3")


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("total < 60 or key < 35", {"total": "60", "key": "34.5"}, True),
        ("total < 60 or key < 35", {"total": "60", "key": "35"}, False),
        ("60 <= total < 70", {"total": "69.99"}, True),
        ("60 <= total < 70", {"total": "70"}, False),
        ('stage == "full" and not vetoed', {"stage": "full", "vetoed": False}, True),
        ('stage != "full"', {"stage": "activist"}, True),
    ],
)
def test_conditions(text, values, expected):
    assert run(text, BOOL, **values) is expected


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("min(total, 100)", {"total": "104"}, "100"),
        ("max(total, key, 3)", {"total": "1", "key": "2"}, "3"),
        ("abs(total - 100)", {"total": "95.5"}, "4.5"),
        ("0.7 if total < 70 else 1", {"total": "69"}, "0.7"),
        ("-total + 1", {"total": "3"}, "-2"),
        ("total / 3", {"total": "1"}, "0.3333333333333333333333333333"),  # 28 digits
    ],
)
def test_numbers(text, values, expected):
    assert run(text, **values) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "want", "message", "code", "column"),
    [
        ("totl + 1", NUMBER, "unknown name 'totl'; did you mean 'total'?", "expr-unknown-name", 1),
        ("total + dialy", NUMBER, "unknown name 'dialy'; did you mean 'daily'?",
         "expr-unknown-name", 9),
        ("total.__class__", NUMBER, "attribute access ('.') may not be used in expressions",
         "expr-invalid", 1),
        ("total[0]", NUMBER, "subscripts ('[...]') may not be used in expressions",
         "expr-invalid", 1),
        ('f"{total}"', NUMBER, "f-strings may not be used in expressions", "expr-invalid", 1),
        ("total ** 2", NUMBER, "the operator '**' is not allowed; use + - * / only",
         "expr-invalid", 1),
        ('"a" * 9', NUMBER, "a string may only be compared with an enum name, as in "
         'stage == "full"', "expr-invalid", 1),
        ("total % 7", NUMBER, "the operator '%' is not allowed; use + - * / only",
         "expr-invalid", 1),
        ("total = 60", BOOL, "'=' assigns; use '==' to compare", "expr-syntax", 7),
        ("total; key", NUMBER, "an expression is one line with no ';'", "expr-syntax", 1),
        ("total or key", BOOL, "'or' needs true/false on both sides, got number", "expr-type", 1),
        ("total", BOOL, "expected a condition (true/false), but the expression gives number",
         "expr-type", 1),
        ("total < 60", NUMBER, "expected a number, but the expression gives bool", "expr-type", 1),
        ('stage == "ful"', BOOL, "'ful' is not one of activist, probationary, full; did you mean "
         "'full'?", "expr-unknown-value", 10),
        ("stage < 3", BOOL, "only == and != compare enum values", "expr-type", 1),
        ("random()", NUMBER, "unknown function 'random'", "expr-unknown-name", 1),
        ("min(total)", NUMBER, "min() takes two or more numbers", "expr-invalid", 1),
        ("max(total, key=1)", NUMBER, "keyword arguments are not allowed", "expr-invalid", 1),
        ("(lambda: 1)()", NUMBER, "only the listed functions may be called", "expr-invalid", 1),
        ("[x for x in total]", NUMBER, "comprehensions may not be used in expressions",
         "expr-invalid", 1),
        ("total if vetoed else vetoed", NUMBER,
         "both branches of 'if ... else' must have one type, not number and bool", "expr-type", 1),
        ("", NUMBER, "the expression is empty", "expr-syntax", 1),
        ("1e400 + total", NUMBER, "1e400 is outside the allowed range (at most 10^12 in "
         "magnitude)", "expr-invalid", 1),
        ("1_000 + total", NUMBER, "write 1_000 as a decimal number (digits 0-9)",
         "expr-invalid", 1),
    ],
)
def test_refused(text, want, message, code, column):
    with pytest.raises(ExprError) as error:
        compile_expr(text, NAMES, want)
    assert (error.value.message, error.value.code, error.value.column) == (message, code, column)


def test_limits():
    with pytest.raises(ExprError, match="longer than 2000 characters"):
        compile_expr("total + " * 300 + "1", NAMES, NUMBER)
    with pytest.raises(ExprError, match="more than 400 parts"):
        compile_expr(" + ".join(["total"] * 250), NAMES, NUMBER)
    with pytest.raises(ExprError, match="nests more than 40 levels"):
        compile_expr("(" * 45 + "total" + ")" * 45 + " + -" * 45 + "1", NAMES, NUMBER)


def test_names_read_in_order_for_explanations():
    compiled = compile_expr("total < 60 or key < 35", NAMES, BOOL)
    assert compiled.names == ("total", "key")
    text = describe(compiled, {"total": Decimal("55.00"), "key": Decimal("38")})
    assert text == "total < 60 or key < 35 with total=55.00, key=38"


def test_evaluation_does_not_reparse(monkeypatch):
    compiled = compile_expr("total + 1", NAMES, NUMBER)
    evaluator = Evaluator()

    def fail(_text: str) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(evaluator._engine, "parse", fail)
    assert evaluator(compiled, {"total": Decimal(1)}) == Decimal(2)


@pytest.mark.parametrize(
    ("text", "stage", "expected"),
    [
        ('stage in ("activist", "probationary")', "probationary", True),
        ('stage in ("activist", "probationary")', "full", False),
        ('stage not in ("full",)', "activist", True),
    ],
)
def test_enum_membership(text, stage, expected):
    assert run(text, BOOL, stage=stage) is expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('stage in ("activist", "ful")', "'ful' is not one of activist, probationary, full; "
         "did you mean 'full'?"),
        ("total in (1, 2)", "'in' needs an enum name on the left, got number"),
        ('stage in ("full", total)', "the tuple after 'in' holds only quoted enum values"),
        ('stage in "full"', "'in' takes an enum name and a tuple of its values, as in "
         'stage in ("activist", "full")'),
        ("(total, key)", "tuples may not be used in expressions"),
    ],
)
def test_enum_membership_refused(text, message):
    with pytest.raises(ExprError) as error:
        compile_expr(text, NAMES, BOOL)
    assert error.value.message == message
