"""The columnar evaluator: a whole table of records at once, in exact scaled integers.

Every number is a column of integers with one decimal scale (``Num``: value = n / 10**s),
in numpy ``int64`` while the values fit and in Python integers (numpy object arrays)
beyond, so no value is ever a float. Rules run in the plan's order over every record of
the table together: a per-record rule is one array operation per expression node; a
ranking sorts once per table with the period (and group) as the first keys; an escalation
counts runs over each subject's periods in order. Rounding is done in integer arithmetic
with the rule's own mode, so it gives what `Decimal.quantize` gives.

What the record engine does in 28-digit decimal arithmetic is done here exactly; the two
agree as long as no intermediate value needs more than 26 digits. A table whose numbers
would need more, and any record that breaks a declared guarantee (a score out of its
range, a value in no band, a division by zero), is handed to the record engine, so that
the result, or the error, is the record engine's own.

Two things are worked out as the record engine works them out, by its own functions: an
expression that uses a quotient before rounding it, or a score kept unrounded (whose
digits depend on decimal arithmetic), value by value in decimal arithmetic; and year-end
rules, once per subject and year, from the period values computed here.
"""

from __future__ import annotations

import ast
import builtins
import decimal
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from ._codegen import MAX_AMOUNT, MAX_RESULT, ROUNDING_MODES, compile_expression
from ._compile import CompiledScheme
from ._engine import Engine, year_not_over
from ._explain import places, prize_amount, prize_pool
from ._expr import ARITHMETIC, Compiled
from ._numbers import decimal_text
from ._periods import PER_YEAR, Period, from_ordinal
from ._plan import (
    BandingRule,
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
)
from ._records import Row
from ._render import _safe, columns_of, header_names
from ._words import Words

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["Fallback", "Table", "evaluate_rows"]

_INT64_SAFE = 2**62
"""Largest magnitude kept in int64; beyond it a column turns into Python integers."""
_ZERO = Decimal(0)
_EXACT_DIGITS = 10**26
"""Largest magnitude (as a scaled integer) for which 28-digit decimal arithmetic is exact
here, and a rounded quotient is the exact one."""


class Fallback(Exception):
    """The table needs the record engine: a value beyond exact range, or a failed rule."""


# --------------------------------------------------------------------------- values


Ints = Any  # NDArray[np.int64] or an object array of Python ints


@dataclass(frozen=True)
class Num:
    """A number column: value = n / 10**s."""

    n: Ints
    s: int


@dataclass(frozen=True)
class Ratio:
    """A quotient not yet rounded (only a score's or an amount's whole expression)."""

    p: Num
    q: Num


@dataclass(frozen=True)
class Enum:
    """An enum column as codes into `values`."""

    codes: NDArray[np.int64]
    values: tuple[str, ...]


Value = Any
"""A column: `Num`, `Ratio`, `Enum`, a numpy bool array, or a string constant."""


def _bound(n: Ints) -> int:
    if len(n) == 0:
        return 0
    return int(max(abs(int(n.max())), abs(int(n.min()))))


def _fit(n: Ints, bound: int) -> Ints:
    """`n` as int64 if `bound` allows, else as Python integers; beyond exact range: give up."""
    if bound >= _EXACT_DIGITS:
        raise Fallback("beyond the exact range")
    if bound >= _INT64_SAFE:
        return n.astype(object) if n.dtype != object else n
    return n


def _scaled(x: Num, s: int) -> Ints:
    if s == x.s:
        return x.n
    factor = 10 ** (s - x.s)
    n = _fit(x.n, _bound(x.n) * factor)
    return n * factor


def _align(*xs: Num) -> tuple[int, list[Ints]]:
    s = max(x.s for x in xs)
    return s, [_scaled(x, s) for x in xs]


def constant(value: Decimal, size: int) -> Num:
    """A constant as a column."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    s = max(0, -exponent)
    n = int(value.scaleb(s))
    return Num(
        _fit(np.full(size, n, dtype=np.int64 if abs(n) < _INT64_SAFE else object), abs(n)), s
    )


def from_decimals(values: Sequence[Decimal]) -> Num:
    """A column of Decimals, exactly."""
    s = 0
    for d in set(values):
        exponent = d.as_tuple().exponent
        assert isinstance(exponent, int)
        s = max(s, -exponent)
    ints = [int(d.scaleb(s)) for d in values]
    bound = max((abs(i) for i in ints), default=0)
    if bound >= _EXACT_DIGITS:
        raise Fallback("beyond the exact range")
    dtype: Any = np.int64 if bound < _INT64_SAFE else object
    return Num(np.array(ints, dtype=dtype), s)


def round_div(num: Ints, den: Ints | int, mode: str) -> Ints:
    """num / den rounded to an integer with a decimal rounding mode; den > 0."""
    q = num // den  # floor division: 0 <= r < den (np.divmod has no object loop)
    r = num - q * den
    if mode == "floor":
        return q
    inexact = r != 0
    if mode == "ceiling":
        return q + inexact
    if mode == "down":
        return q + (inexact & (num < 0))
    if mode == "up":
        return q + (inexact & (num > 0))
    twice = r * 2
    above = twice > den
    tie = twice == den
    if mode == "half_up":
        return q + (above | (tie & (num > 0)))
    if mode == "half_down":
        return q + (above | (tie & (num < 0)))
    assert mode == "half_even"
    return q + (above | (tie & (q % 2 == 1)))


def round_num(x: Num | Ratio, places_: int, mode: str) -> Ints:
    """`x` rounded to `places_` decimal places, as integers at that scale."""
    if isinstance(x, Num):
        if x.s <= places_:
            return _scaled(x, places_)
        return round_div(x.n, 10 ** (x.s - places_), mode)
    p, q = x.p, x.q
    num = _scaled(p, p.s)  # p.n
    extra = q.s + places_ - p.s  # value * 10**places = p.n * 10**(q.s + places - p.s) / q.n
    den = q.n
    if extra >= 0:
        num = _fit(p.n, _bound(p.n) * 10**extra) * 10**extra
    else:
        den = _fit(q.n, _bound(q.n) * 10**-extra) * 10**-extra
    if _bound(num) >= _EXACT_DIGITS // 10:
        raise Fallback("quotient beyond the exact range")
    if (den == 0).any():
        raise Fallback("division by zero")
    negative = den < 0
    num = np.where(negative, -num, num)
    den = np.where(negative, -den, den)
    return round_div(num, den, mode)


# --------------------------------------------------------------------------- expressions

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: np.equal,
    ast.NotEq: np.not_equal,
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}


class Evaluator:
    """Evaluates checked expression trees over a mapping of columns."""

    def __init__(self, env: Mapping[str, Value], size: int) -> None:
        self.env = env
        self.size = size

    def __call__(self, tree: ast.expr) -> Value:
        return self.walk(tree)

    def walk(self, node: ast.expr) -> Value:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return np.full(self.size, node.value)
            if isinstance(node.value, Decimal):
                return constant(node.value, self.size)
            return node.value  # a string, compared with an enum
        if isinstance(node, ast.Name):
            return self.env[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self.walk(node.operand)
            if isinstance(node.op, ast.Not):
                return ~operand
            if isinstance(node.op, ast.USub):
                if isinstance(operand, Ratio):
                    return Ratio(Num(-operand.p.n, operand.p.s), operand.q)
                return Num(-operand.n, operand.s)
            return operand
        if isinstance(node, ast.BinOp):
            left, right = self.walk(node.left), self.walk(node.right)
            assert isinstance(left, Num)
            assert isinstance(right, Num)
            if isinstance(node.op, ast.Div):
                return Ratio(left, right)
            if isinstance(node.op, ast.Mult):
                a, b = _fit(left.n, 0), _fit(right.n, 0)
                bound = _bound(a) * _bound(b)
                return Num(_fit(a, bound) * _fit(b, bound), left.s + right.s)
            s, (a, b) = _align(left, right)
            bound = _bound(a) + _bound(b)
            a, b = _fit(a, bound), _fit(b, bound)
            return Num(a + b if isinstance(node.op, ast.Add) else a - b, s)
        if isinstance(node, ast.BoolOp):
            values = [self.walk(v) for v in node.values]
            out = values[0]
            for value in values[1:]:
                out = (out & value) if isinstance(node.op, ast.And) else (out | value)
            return out
        if isinstance(node, ast.Compare):
            result: Any = None
            left = self.walk(node.left)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.walk(right_node)
                part = self.compare(op, left, right)
                result = part if result is None else (result & part)
                left = right
            return result
        if isinstance(node, ast.IfExp):
            test = self.walk(node.test)
            body, orelse = self.walk(node.body), self.walk(node.orelse)
            if isinstance(body, Num):
                assert isinstance(orelse, Num)
                s, (a, b) = _align(body, orelse)
                return Num(np.where(test, a, b), s)
            if isinstance(body, Enum):
                assert isinstance(orelse, Enum)
                return Enum(np.where(test, body.codes, orelse.codes), body.values)
            return np.where(test, body, orelse)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [self.walk(a) for a in node.args]
            name = node.func.id
            if name == "abs":
                return Num(np.abs(args[0].n), args[0].s)
            s, ints = _align(*args)
            reduce = np.minimum if name == "min" else np.maximum
            out_n = ints[0]
            for other in ints[1:]:
                out_n = reduce(out_n, other)
            return Num(out_n, s)
        raise AssertionError(f"unchecked expression node {type(node).__name__}")

    def compare(self, op: ast.cmpop, left: Value, right: Value) -> Any:
        if isinstance(left, Enum) or isinstance(right, Enum):
            enum, other = (left, right) if isinstance(left, Enum) else (right, left)
            if isinstance(op, ast.In | ast.NotIn):
                codes = [enum.values.index(v) for v in other if v in enum.values]
                found = np.isin(enum.codes, codes)
                return found if isinstance(op, ast.In) else ~found
            if isinstance(other, Enum):
                a = np.array(enum.values, dtype=object)[enum.codes]
                b = np.array(other.values, dtype=object)[other.codes]
                return _COMPARE[type(op)](a, b)
            code = enum.values.index(other) if other in enum.values else -1
            return _COMPARE[type(op)](enum.codes, code)
        if isinstance(left, Num) and isinstance(right, Num):
            _s, (a, b) = _align(left, right)
            return _COMPARE[type(op)](a, b)
        return _COMPARE[type(op)](left, right)  # booleans


# --------------------------------------------------------------------------- text


def _decimal_text(v: int, places: int) -> str:
    """`v` / 10**places as plain decimal text with exactly `places` places."""
    if not places:
        return str(v)
    whole, frac = divmod(abs(v), 10**places)
    return f"{'-' if v < 0 else ''}{whole}.{frac:0{places}d}"


_DISTINCT_RANGE = 1 << 16
"""Widest range of values whose texts are written once per value present (scores in
halves or hundredths have a few hundred): each record then only picks its text."""


def num_text(x: Num, strip: bool = False) -> Any:
    """Each value as plain decimal text with exactly `x.s` places (a polars Series); with
    `strip`, without trailing zeros (and never in exponent form)."""
    import polars as pl

    def shown(v: int) -> str:
        text = _decimal_text(v, x.s)
        return text.rstrip("0").rstrip(".") if strip and x.s else text

    if x.n.dtype == object:  # Python integers: formatted one by one
        return pl.Series([shown(v) for v in x.n.tolist()], dtype=pl.String)
    size = len(x.n)
    if size:
        low, high = int(x.n.min()), int(x.n.max())
        if high - low < _DISTINCT_RANGE and high - low < size:
            offsets = x.n - low
            present = np.flatnonzero(np.bincount(offsets, minlength=high - low + 1))
            index = np.zeros(high - low + 1, dtype=np.int64)
            index[present] = np.arange(len(present))
            texts = [shown(low + int(o)) for o in present]
            return pl.Series(texts, dtype=pl.String).gather(index[offsets])
    n = pl.col("n")
    text: Any = None
    if x.s == 0:
        text = n.cast(pl.String)
    else:
        unit = 10**x.s
        integral = (n.abs() // unit).cast(pl.String)
        fractional = (n.abs() % unit).cast(pl.String).str.pad_start(x.s, "0")
        minus = pl.when(n < 0).then(pl.lit("-")).otherwise(pl.lit(""))
        text = pl.concat_str([minus, integral, pl.lit("."), fractional])
    column = pl.DataFrame({"n": x.n}).select(text.alias("t"))["t"]
    if strip and x.s:
        return column.str.strip_chars_end("0").str.strip_chars_end(".")
    return column


def normal_text(x: Num) -> Any:
    """Each value without trailing zeros and never in exponent form (section sums)."""
    return num_text(x, strip=True)


def pick(texts: Sequence[str], codes: Any) -> Any:
    """The text of each code (null for an empty text)."""
    import polars as pl

    return pl.Series([t or None for t in texts], dtype=pl.String).gather(codes)


def patterns(masks: Sequence[Any], names: Sequence[str], size: int) -> Any:
    """Per record the names whose mask holds, in order, joined by ``;`` (null: none).
    A name that recurs is kept once, where it first holds. Each distinct pattern of masks is
    joined once."""
    import polars as pl

    if not masks:
        return pl.Series([None] * size, dtype=pl.String)
    if len(masks) <= 62:  # a pattern as the bits of one integer
        key = np.zeros(size, dtype=np.int64)
        for bit, m in enumerate(masks):
            key |= np.asarray(m, dtype=np.int64) << bit
        if len(masks) <= 16:  # the patterns present by counting, not by sorting
            present = np.flatnonzero(np.bincount(key, minlength=1 << len(masks)))
            index = np.zeros(1 << len(masks), dtype=np.int64)
            index[present] = np.arange(len(present))
            distinct_keys, inverse = present, index[key]
        else:
            distinct_keys, inverse = np.unique(key, return_inverse=True)
        distinct = [[bool(k >> b & 1) for b in range(len(masks))] for k in distinct_keys.tolist()]
    else:
        matrix = np.stack([np.asarray(m, dtype=bool) for m in masks], axis=1)
        found, inverse = np.unique(matrix, axis=0, return_inverse=True)
        distinct = found.tolist()
    texts: list[str | None] = []
    for row in distinct:
        chosen: list[str] = []
        for flag, name in zip(row, names, strict=True):
            if flag and name not in chosen:
                chosen.append(name)
        texts.append(_safe(";".join(chosen)) or None)
    return pl.Series(texts, dtype=pl.String).gather(np.asarray(inverse).reshape(-1))


# --------------------------------------------------------------------------- the table


def in_decimal(expr: Compiled) -> bool:
    """Whether `expr` is worked out in decimal arithmetic, value by value, as the record
    engine works it out: it uses a quotient before it is rounded, where 28-digit decimal
    arithmetic may round the quotient (1 / 3 * 3 is 0.9999999999999999999999999999)."""

    def walk(node: ast.AST, at_top: bool) -> bool:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            if not at_top:
                return True
            return walk(node.left, False) or walk(node.right, False)
        return any(walk(child, False) for child in ast.iter_child_nodes(node))

    return walk(expr.tree, True)


@dataclass
class Table:
    """The results of a table, as text columns in the order and words of `to_csv`."""

    header: list[str]
    columns: list[Any]
    """Per column: a polars Series of text (null where empty), or a list of text."""
    keys: Any = None
    """Where asked for, per row the keys of the listing order (`LISTING_KEYS`), as a
    polars DataFrame: to put tables of parts of the records in one order."""
    notices: list[Notice] = field(default_factory=list)
    """The run's warnings (`Evaluation.warnings`), each with where the record engine gives
    it: sorted, they are in its order."""

    def frame(self) -> Any:
        """The results as a polars DataFrame of text (an empty cell is null)."""
        import polars as pl

        return pl.DataFrame(
            {
                name: column if isinstance(column, pl.Series) else [cell or None for cell in column]
                for name, column in zip(self.header, self.columns, strict=True)
            },
            schema=dict.fromkeys(self.header, pl.String),
        )


Notice = tuple[tuple[int, int, str, int, str], str]
"""A warning of a run and where the record engine gives it, as `LISTING_KEYS`: a count's
warning at its period and subject, a year's warnings at its close (``#after`` -1: before
the period's), by subject."""

LISTING_KEYS = ["#ordinal", "#after", "#group", "#rank", "#subject"]
"""The order of `to_csv`: a period row by period, group, first rank and subject; a year's
year-end rows (``#after`` 1) after the rows of the last period of the year, by subject."""


def key_types() -> dict[str, Any]:
    """The polars types of `LISTING_KEYS`."""
    import polars as pl

    return dict(
        zip(LISTING_KEYS, (pl.Int64, pl.Int64, pl.String, pl.Int64, pl.String), strict=True)
    )


@dataclass
class Source:
    """A table's checked input as columns, in (period, subject) order: periods as
    ordinals, subjects and groups as codes into their sorted names (codes compare as the
    texts do), and every attribute, parameter and item by name."""

    ordinal: NDArray[np.int64]
    subject: NDArray[np.int64]
    subject_names: list[str]
    group: NDArray[np.int64]
    group_names: list[str]
    labels: dict[int, str]
    env: dict[str, Value]
    decimals: Callable[[str], list[Any]]
    """An attribute's or item's values as the record engine holds them."""
    row: Callable[[int], Row]
    """The record at a position, as the record engine holds it (for year-end rules)."""
    positions: NDArray[np.int64]
    """Per record: the 0-based row of the table it came from."""


def source_from_rows(scheme: CompiledScheme, rows: list[Row]) -> Source:
    """Checked rows (one per subject and period) as columns."""
    plan = scheme.plan
    indexed = sorted(enumerate(rows), key=lambda ir: (ir[1].period.ordinal, ir[1].subject))
    positions = np.array([i for i, _r in indexed], dtype=np.int64)
    rows = [r for _i, r in indexed]
    size = len(rows)
    slots = scheme.program.slots
    ordinal = np.array([r.period.ordinal for r in rows], dtype=np.int64)
    subject_names = sorted({r.subject for r in rows})
    subject_code = {s: i for i, s in enumerate(subject_names)}
    subject = np.array([subject_code[r.subject] for r in rows], dtype=np.int64)
    group_names = sorted({r.group or "" for r in rows})
    group_code = {g: i for i, g in enumerate(group_names)}
    group = np.array([group_code[r.group or ""] for r in rows], dtype=np.int64)
    labels: dict[int, str] = {}
    for r in rows:
        labels.setdefault(r.period.ordinal, r.period.label)
    env: dict[str, Value] = {}
    for name, attr in plan.attributes.items():
        column = [r.values[slots[name]] for r in rows]
        if attr.type == "enum":
            values = tuple(attr.values or ())
            index = {v: i for i, v in enumerate(values)}
            env[name] = Enum(np.array([index[v] for v in column], dtype=np.int64), values)
        elif attr.type == "bool":
            env[name] = np.array(column, dtype=bool)
        elif attr.type == "number":
            env[name] = from_decimals(column)
    parameters(plan, env, size)
    for name, item in plan.items.items():
        column = [r.values[slots[name]] for r in rows]
        env[name] = np.array(column, dtype=bool) if item.type == "flag" else from_decimals(column)

    def decimals(name: str) -> list[Any]:
        slot = slots[name]
        return [r.values[slot] for r in rows]

    return Source(
        ordinal,
        subject,
        subject_names,
        group,
        group_names,
        labels,
        env,
        decimals,
        rows.__getitem__,
        positions,
    )


def parameters(plan: Plan, env: dict[str, Value], size: int) -> None:
    """Each parameter's column, from its value or the attribute it depends on."""
    for name, parameter in plan.parameters.items():
        if parameter.by is None:
            assert parameter.value is not None
            env[name] = constant(parameter.value, size)
        else:
            by = env[parameter.by]
            assert isinstance(by, Enum)
            table = from_decimals([parameter.values[v] for v in by.values])
            env[name] = Num(table.n[by.codes], table.s)


def evaluate_rows(scheme: CompiledScheme, rows: list[Row]) -> Table:
    """Evaluate checked rows (one per subject and period) column by column."""
    return evaluate_source(scheme, source_from_rows(scheme, rows))


def evaluate_source(scheme: CompiledScheme, source: Source) -> Table:
    """Evaluate a table's input column by column."""
    return rules(scheme, source).table()


def rules(scheme: CompiledScheme, source: Source, across: Across | None = None) -> _Run:
    """Every rule of the scheme over a table's input, on numbers only (no text yet);
    `across`, for a table holding some subjects only, gives what compares all of them."""
    run = _Run(scheme.plan, Engine(scheme), source, across)
    run.all()
    return run


@dataclass
class Across:
    """What a table holding some of the subjects takes from all of them: per record, the
    ranks of each ranking and the places of each top rule (`facts` of a run over whole
    periods, in the table's record order), and the periods the whole table has."""

    facts: dict[str, Any]
    present: list[int]
    """The ordinals of every period the whole table has, in order."""


_RANK_FACTS = ("rank", "first", "ties", "size")
"""A ranking's facts of numbers, by name; its fact ``last`` is a flag."""


def fact_name(rule: str, fact: str) -> str:
    """The column of a rule's fact (``#mine_rank#ties``): a name no scheme id can have."""
    return f"#{rule}#{fact}"


def fact_names(plan: Plan) -> list[str]:
    """The per-record facts a run over whole periods gives a run over some subjects."""
    names: list[str] = []
    for rule in plan.rules:
        if isinstance(rule, RankingRule):
            names += [fact_name(rule.id, k) for k in (*_RANK_FACTS, "last")]
        elif isinstance(rule, TopRule):
            names.append(fact_name(rule.id, "places"))
    return names


def facts(run: _Run) -> dict[str, Any]:
    """The facts of `fact_names`, per record of the run (numpy arrays)."""
    found: dict[str, Any] = {}
    for rule in run.plan.rules:
        if isinstance(rule, RankingRule):
            info = run.ranks[rule.id]
            for k in _RANK_FACTS:
                found[fact_name(rule.id, k)] = np.asarray(info[k], dtype=np.int64)
            found[fact_name(rule.id, "last")] = np.asarray(run.env[rule.last_name], dtype=bool)
        elif isinstance(rule, TopRule):
            found[fact_name(rule.id, "places")] = run.places[rule.id]
    return found


class _Run:
    """One evaluation of a table: columns by name, outcomes per rule, text per column."""

    def __init__(
        self, plan: Plan, engine: Engine, source: Source, across: Across | None = None
    ) -> None:
        self.plan, self.engine, self.source, self.across = plan, engine, source, across
        self.places: dict[str, Any] = {}  # top rule id -> its places, before its condition
        self.env = env = source.env
        self.size = size = len(source.ordinal)
        self.ordinal, self.subject, self.group = source.ordinal, source.subject, source.group
        self.ev = Evaluator(env, size)
        # The text of scores, bands, fields and ranks, made when the table is (a polars
        # Series each): the rules themselves work on numbers only.
        self.text: dict[str, Callable[[], Any]] = {}
        self.made: dict[str, Any] = {}
        self.rewards: list[tuple[Rule, Any]] = []  # (rule, granted mask), in rule order
        self.withheld: list[tuple[Rule, Any]] = []
        self.amounts: dict[str, tuple[Any, Any]] = {}  # money: (granted mask, texts)
        self.actions: list[tuple[str, Any]] = []  # (action id, mask), in rule order
        self.blocked: dict[str, Any] = {}  # reward id -> mask of records a veto withholds
        self.ranks: dict[str, dict[str, Any]] = {}
        self.warnings: dict[int, list[str]] = {}  # by record position, where there are any
        self.first_rank: Any = None
        self.escalations: list[tuple[EscalationRule, Any]] = []
        self.held: dict[str, list[Any]] = {}  # values as Decimals, for decimal arithmetic
        self.sums: set[str] = set()  # sections: their Decimals are their text
        self.slots = engine.slots

    def text_of(self, name: str) -> Any:
        """The text column of a score, band, field or rank, made once."""
        found = self.made.get(name)
        if found is None:
            found = self.made[name] = self.text[name]()
        return found

    def bool(self, expr: Compiled) -> Any:
        if in_decimal(expr):
            return np.array(self.each(expr), dtype=bool)
        value = self.ev(expr.tree)
        return np.asarray(value, dtype=bool)

    # -- decimal arithmetic, value by value ------------------------------------------

    def decimals(self, name: str) -> list[Any]:
        """A column's values as the record engine holds them: Decimals with their own
        exponents (``3.50`` stays ``3.50``), booleans, enum values."""
        found = self.held.get(name)
        if found is not None:
            return found
        value = self.env[name]
        slot = self.slots.get(name)
        if slot is not None and (name in self.plan.items or name in self.plan.attributes):
            found = self.source.decimals(name)
        elif name in self.sums:
            found = [Decimal(t) for t in self.text_of(name).to_list()]
        elif isinstance(value, Enum):
            found = [value.values[c] for c in value.codes.tolist()]
        elif isinstance(value, Num):
            found = [Decimal(v).scaleb(-value.s) for v in value.n.tolist()]
        else:
            found = np.asarray(value, dtype=bool).tolist()
        self.held[name] = found
        return found

    def each(self, expr: Compiled, where: Any = None) -> list[Any]:
        """`expr` in decimal arithmetic for each record (or those in `where`; None for the
        others), with the record engine's own function of it."""
        function = compile_expression(expr)
        columns = [self.decimals(n) for n in expr.names]
        chosen = range(self.size) if where is None else np.flatnonzero(where).tolist()
        out: list[Any] = [None] * self.size
        try:
            with decimal.localcontext(ARITHMETIC):
                for i in chosen:
                    out[i] = function(*(c[i] for c in columns))
        except decimal.DecimalException:
            raise Fallback("decimal") from None
        return out

    def exact(self, values: list[Any], rounding: Any) -> tuple[Num, list[Decimal]]:
        """Decimal results, each checked and rounded as the record engine does."""
        done: list[Decimal] = []
        for x in values:
            if x is None:
                done.append(_ZERO)
                continue
            if x > MAX_RESULT or x < -MAX_RESULT:
                raise Fallback("runaway")
            d = (
                x
                if rounding is None
                else x.quantize(
                    Decimal(1).scaleb(-rounding.places), rounding=ROUNDING_MODES[rounding.mode]
                )
            )
            done.append(d if d else d.copy_abs())  # -0 is 0
        return from_decimals(done), done

    def all(self) -> None:
        for rule in self.plan.rules:
            if isinstance(rule, SectionRule):
                self.section(rule)
            elif isinstance(rule, ScoreRule):
                self.score(rule)
            elif isinstance(rule, BandingRule):
                self.banding(rule)
            elif isinstance(rule, RankingRule):
                self.ranking(rule)
            elif isinstance(rule, HonourRule | MoneyRule):
                self.reward(rule)
            elif isinstance(rule, TopRule):
                self.top(rule)
            elif isinstance(rule, RankPrizeRule):
                self.rank_prize(rule)
            elif isinstance(rule, ConditionRule):
                mask = self.bool(rule.when)
                self.env[rule.id] = mask
                self.actions.append((rule.action, mask))
            elif isinstance(rule, EscalationRule):
                self.escalation(rule)
        self.short_counts()

    # -- per-record rules ------------------------------------------------------------

    def section(self, rule: SectionRule) -> None:
        if rule.veto:
            hit = np.zeros(self.size, dtype=bool)
            for item in rule.items:
                hit |= self.env[item.id]
            self.env[rule.id] = hit
            for reward in rule.blocks:
                if reward not in self.blocked:
                    self.blocked[reward] = hit.copy()
                else:
                    self.blocked[reward] |= hit
            return
        items = [self.env[i.id] for i in rule.items]
        if items:
            s, ints = _align(*items)
            bound = sum(_bound(n) for n in ints)
            total = _fit(ints[0], bound).copy()
            for n in ints[1:]:
                total = total + _fit(n, bound)
        else:
            s, total = 0, np.zeros(self.size, dtype=np.int64)
        raw = value = Num(total, s)
        over: Any = None
        cap_text = decimal_text(rule.cap) if rule.cap is not None else ""
        if rule.cap is not None:
            cap = constant(rule.cap, self.size)
            s2, (a, c) = _align(value, cap)
            over = a > c
            value = Num(np.where(over, c, a), s2)

        def text() -> Any:
            # the sum as the record engine writes it; the cap's own text where it caps
            texts = normal_text(raw)
            if over is not None and over.any():
                import polars as pl

                capped = pl.when(pl.Series(over)).then(pl.lit(cap_text)).otherwise(texts)
                texts = pl.select(capped)
                return texts.to_series()
            return texts

        self.env[rule.id] = value
        self.text[rule.id] = text
        self.sums.add(rule.id)

    def in_range(self, rule: ScoreRule, value: Num) -> None:
        """A score outside its declared range is the record engine's error to report."""
        for bound, test in ((rule.min, np.less), (rule.max, np.greater)):
            if bound is not None:
                _s, (a, b) = _align(value, constant(bound, self.size))
                if test(a, b).any():
                    raise Fallback("out of range")

    def score(self, rule: ScoreRule) -> None:
        if rule.rounding is None or in_decimal(rule.expr):
            value, held = self.exact(self.each(rule.expr), rule.rounding)
            self.in_range(rule, value)
            self.env[rule.id] = value
            self.held[rule.id] = held
            self.text[rule.id] = lambda: _series([decimal_text(d) for d in held])
            return
        raw = self.ev(rule.expr.tree)
        assert isinstance(raw, Num | Ratio)
        assert rule.rounding is not None
        places_ = rule.rounding.places
        n = round_num(raw, places_, rule.rounding.mode)
        value = Num(n, places_)
        limit = int(MAX_RESULT.scaleb(places_))
        if isinstance(raw, Num):
            _s, (a, lim) = _align(raw, constant(MAX_RESULT, self.size))
            if (np.abs(a) > lim).any():
                raise Fallback("runaway")
        elif (np.abs(n) > limit).any():
            raise Fallback("runaway")
        self.in_range(rule, value)
        self.env[rule.id] = value
        self.text[rule.id] = lambda: num_text(value)

    def banding(self, rule: BandingRule) -> None:
        score = self.env[rule.score]
        assert isinstance(score, Num)
        choices = [*rule.bands, *([rule.unbanded] if rule.unbanded else [])]
        code = np.full(self.size, -1, dtype=np.int64)
        for index, band in enumerate(rule.bands):
            test = code < 0
            if band.lo.is_finite():
                _s, (a, b) = _align(score, constant(band.lo, self.size))
                test &= (a >= b) if band.lo_in else (a > b)
            if band.hi.is_finite():
                _s, (a, b) = _align(score, constant(band.hi, self.size))
                test &= (a <= b) if band.hi_in else (a < b)
            code[test] = index
        if rule.unbanded is None:
            if (code < 0).any():
                raise Fallback("unbanded")
        else:
            code[code < 0] = len(rule.bands)
        ids = tuple(b.id for b in choices)
        self.env[rule.id] = Enum(code, ids)
        self.text[rule.id] = lambda: pick(ids, code)
        for name in rule.fields:
            values = [b.values[name] for b in choices]
            table = from_decimals(values)
            self.env[name] = Num(table.n[code], table.s)
            self.text[name] = functools.partial(pick, [decimal_text(v) for v in values], code)
            self.held[name] = np.array(values, dtype=object)[code].tolist()

    # -- rankings and what reads them ------------------------------------------------

    def partition(self, ranking: RankingRule) -> Any:
        """A key per record: its period, and its group where the ranking is by group."""
        if ranking.by_group:
            return self.ordinal * (int(self.group.max(initial=0)) + 1) + self.group
        return self.ordinal

    def ranking(self, rule: RankingRule) -> None:
        key = self.partition(rule)
        if self.across is not None:
            given = self.across.facts
            rank, first, ties, part_size = (given[fact_name(rule.id, k)] for k in _RANK_FACTS)
            last = given[fact_name(rule.id, "last")]
        else:
            score = self.env[rule.score]
            assert isinstance(score, Num)
            n = score.n
            order_key = -n if rule.descending else n
            found = _counted_ranks(key, order_key) if n.dtype != object else None
            if found is None:
                found = _sorted_ranks(key, order_key)
            first, dense, ties, part_size, best, worst = found
            has_last = np.full(self.size, True) if rule.last_when_all_tied else best != worst
            last = has_last & (order_key == worst)
            rank = dense if rule.dense else first
        self.env[rule.id] = Num(rank.astype(np.int64), 0)
        self.env[rule.size_name] = Num(part_size.astype(np.int64), 0)
        self.env[rule.last_name] = last
        self.ranks[rule.id] = {
            "rank": rank,
            "first": first,
            "ties": ties,
            "size": part_size,
            "key": key,
        }
        self.text[rule.id] = lambda: num_text(Num(rank.astype(np.int64), 0))
        if self.first_rank is None:
            self.first_rank = rank

    def grant(self, rule: Rule, mask: Any, amount: tuple[Num, Any] | None = None) -> None:
        blocked = self.blocked.get(rule.id)
        granted = mask & ~blocked if blocked is not None else mask
        self.env[rule.id] = granted
        self.rewards.append((rule, granted))
        if blocked is not None:
            self.withheld.append((rule, mask & blocked))
        if amount is not None:
            self.amounts[rule.id] = (granted, amount[1])

    def reward(self, rule: HonourRule | MoneyRule) -> None:
        mask = self.bool(rule.when) if rule.when is not None else np.ones(self.size, dtype=bool)
        if isinstance(rule, MoneyRule) and in_decimal(rule.amount):
            value, held = self.exact(self.each(rule.amount, mask), rule.rounding)
            active = value.n[mask]
            if (active < 0).any() or (active > int(MAX_AMOUNT.scaleb(value.s))).any():
                raise Fallback("amount")
            self.grant(rule, mask, (value, lambda: _series([decimal_text(d) for d in held])))
        elif isinstance(rule, MoneyRule):
            raw = self.ev(rule.amount.tree)
            assert isinstance(raw, Num | Ratio)
            places_ = rule.rounding.places
            if isinstance(raw, Ratio):
                # a zero divisor matters only where the reward applies
                q = raw.q
                safe = Num(np.where(mask, q.n, 1), q.s)
                raw = Ratio(raw.p, safe)
            n = round_num(raw, places_, rule.rounding.mode)
            active = n[mask]
            if (active < 0).any() or (active > int(MAX_AMOUNT.scaleb(places_))).any():
                raise Fallback("amount")
            if isinstance(raw, Num):
                _s, (a, lim) = _align(raw, constant(MAX_RESULT, self.size))
                if (np.abs(a[mask]) > lim[mask]).any():
                    raise Fallback("runaway")
            value = Num(n, places_)
            self.grant(rule, mask, (value, lambda: num_text(value)))
        else:
            self.grant(rule, mask)

    def top(self, rule: TopRule) -> None:
        if self.across is not None:
            chosen = np.array(self.across.facts[fact_name(rule.id, "places")], dtype=bool)
        else:
            chosen = self.placed(rule)
        self.places[rule.id] = chosen.copy()
        if rule.when is not None:
            chosen &= self.bool(rule.when)
        self.grant(rule, chosen)

    def placed(self, rule: TopRule) -> Any:
        """Who the places of a top rule go to, before its condition."""
        info = self.ranks[rule.ranking.id]
        rank, key, part_size = info["rank"], info["key"], info["size"]
        chosen = np.zeros(self.size, dtype=bool)
        # per partition: the rank at place `count` in rank order
        order = np.lexsort((np.arange(self.size), rank, key))
        sk = key[order]
        new_part = np.ones(self.size, dtype=bool)
        new_part[1:] = sk[1:] != sk[:-1]
        starts = np.flatnonzero(new_part)
        counts: dict[int, int] = {}
        for start in starts.tolist():
            members = int(part_size[order[start]])
            count = counts.get(members)
            if count is None:
                count = counts[members] = places(rule, members)[0]
            if count <= 0:
                continue
            members_idx = order[start : start + members]
            cut = rank[members_idx[min(count, members) - 1]]
            pick = members_idx[rank[members_idx] <= cut]
            if len(pick) > count and not rule.include_ties:
                pick = members_idx[rank[members_idx] < cut]
            chosen[pick] = True
        return chosen

    def rank_prize(self, rule: RankPrizeRule) -> None:
        info = self.ranks[rule.ranking.id]
        rank, first, ties = info["rank"], info["first"], info["ties"]
        band = self.env[rule.banding.id]
        assert isinstance(band, Enum)
        last_place = max(rule.prizes)
        eligible = (rank <= last_place) | (first <= last_place)
        paid = np.zeros(self.size, dtype=bool)
        texts: list[str | None] = [None] * self.size
        found: dict[tuple[int, int, int, int], tuple[str, bool]] = {}
        for i in np.flatnonzero(eligible).tolist():
            k = (int(rank[i]), int(first[i]), int(ties[i]), int(band.codes[i]))
            hit = found.get(k)
            if hit is None:
                band_id = band.values[k[3]]
                amount = prize_amount(rule, k[0], k[1], k[2], band_id)
                pays = amount > 0 or (
                    rule.split and k[2] > 1 and prize_pool(rule, k[1], k[2], band_id) > 0
                )
                hit = found[k] = (decimal_text(amount), pays)
            texts[i] = hit[0]
            paid[i] = hit[1]
        if rule.when is not None:
            paid &= self.bool(rule.when)
        self.grant(
            rule, paid, (Num(np.zeros(self.size, dtype=np.int64), 0), lambda: _series(texts))
        )

    # -- history ---------------------------------------------------------------------

    def escalation(self, rule: EscalationRule) -> None:
        c = self.bool(rule.when)
        order = np.lexsort((self.ordinal, self.subject))
        subj, ordn, cs = self.subject[order], self.ordinal[order], c[order]
        size = self.size
        if rule.consecutive:
            # A run continues where the previous record is the same subject's previous period.
            cont = np.zeros(size, dtype=bool)
            cont[1:] = (subj[1:] == subj[:-1]) & (ordn[1:] == ordn[:-1] + 1) & cs[:-1]
            start = cs & ~cont
            index = np.arange(size)
            start_at = np.maximum.accumulate(np.where(start, index, 0))
            counted = np.where(cs, index - start_at + 1, 0)
        else:
            kind = self.plan.period
            years = np.array(
                [from_ordinal(int(o), kind).year for o in ordn.tolist()], dtype=np.int64
            )
            new_block = np.ones(size, dtype=bool)
            new_block[1:] = (subj[1:] != subj[:-1]) | (years[1:] != years[:-1])
            running = np.cumsum(cs)
            block_id = np.cumsum(new_block) - 1
            starts = np.flatnonzero(new_block)
            before = np.where(starts > 0, running[starts - 1], 0)
            counted = np.where(cs, running - before[block_id], 0)
        count = np.empty(size, dtype=np.int64)
        count[order] = counted
        self.env[rule.id] = Num(count, 0)
        step = np.zeros(size, dtype=np.int64)
        for position, plan_step in enumerate(rule.steps, start=1):
            reached = c & (count >= plan_step.at)
            if plan_step.when is not None:
                reached &= self.bool(plan_step.when)
            step[reached] = position
        for position, plan_step in enumerate(rule.steps, start=1):
            self.actions.append((plan_step.action, step == position))
        self.escalations.append((rule, count))

    def short_counts(self) -> None:
        """The record engine's warnings for counts that may lack earlier periods: asked
        only for the records whose count could reach back to the first period."""
        engine = self.engine
        if not self.escalations or not self.size:
            return
        kind = self.plan.period
        lowest = self.across.present[0] if self.across else int(self.ordinal.min())
        first = from_ordinal(lowest, kind)
        engine.begin(first, [])
        if not engine.may_be_short:
            return
        slots = {r.id: s for r, s, _top in engine.counted}
        tops = {r.id: top for r, _s, top in engine.counted}
        candidate = np.zeros(self.size, dtype=bool)
        for rule, count in self.escalations:
            top = tops[rule.id]
            maybe = count > 0
            if top is not None:
                maybe &= count < top
            if rule.consecutive:
                maybe &= self.ordinal - count + 1 == first.ordinal
            else:
                years = self.ordinal // PER_YEAR[kind]
                maybe &= years == first.ordinal // PER_YEAR[kind]
            candidate |= maybe
        values: list[Any] = [None] * (max(slots.values()) + 1)
        counts = [(slots[rule.id], count) for rule, count in self.escalations]
        periods: dict[int, Period] = {}
        for i in np.flatnonzero(candidate).tolist():
            for slot, count in counts:
                values[slot] = Decimal(int(count[i]))
            o = int(self.ordinal[i])
            period = periods.get(o)
            if period is None:
                period = periods[o] = from_ordinal(o, kind)
            found = engine.short_counts(values, period)
            if found:
                self.warnings[i] = list(found)

    # -- output ----------------------------------------------------------------------

    def table(self, keys: builtins.bool = False) -> Table:
        import polars as pl

        plan = self.plan
        columns = columns_of(plan)
        scores, bands, values, ranks, money = columns
        header = header_names(columns, Words(None))
        size = self.size
        source = self.source
        cols: list[Any] = [
            pick([_safe(s) for s in source.subject_names], self.subject),
            pick(
                [source.labels[k] for k in sorted(source.labels)],
                np.searchsorted(np.array(sorted(source.labels)), self.ordinal),
            ),
            pl.Series(["period"] * size, dtype=pl.String),
            pick([_safe(g) for g in source.group_names], self.group),
        ]
        blank = pl.Series([None] * size, dtype=pl.String)
        for name in (*scores, *bands, *values, *ranks):
            # year-end scores: blank in a period row
            cols.append(self.text_of(name) if name in self.text else blank)
        cols.append(patterns([m for _r, m in self.rewards], [r.id for r, _m in self.rewards], size))
        cols.append(
            patterns([m for _r, m in self.withheld], [r.id for r, _m in self.withheld], size)
        )
        for name in money:
            if name not in self.amounts:  # a year-end reward
                cols.append(blank)
                continue
            granted, made = self.amounts[name]
            texts = made()
            cols.append(pl.select(pl.when(pl.Series(granted)).then(texts)).to_series())
        cols.append(patterns([m for _a, m in self.actions], [a for a, _m in self.actions], size))
        warnings = pl.Series([None] * size, dtype=pl.String)
        first_rank = self.first_rank if self.first_rank is not None else np.zeros(size)
        notices: list[Notice] = []
        if self.warnings:
            at = list(self.warnings)
            warnings = warnings.scatter(at, [_safe("\n".join(self.warnings[i])) for i in at])
            for i in at:  # the record engine's order: period, then subject
                subject, ordinal = source.subject_names[self.subject[i]], int(self.ordinal[i])
                label = source.labels[ordinal]
                where = (ordinal, 0, "", 0, subject)
                notices.extend((where, f"{subject} {label}: {w}") for w in self.warnings[i])
        cols.append(warnings)
        # listing order: period, group, first rank, subject
        order = np.lexsort((np.arange(size), first_rank, self.group, self.ordinal))
        frame = pl.DataFrame({f"c{i}": c.alias(f"c{i}") for i, c in enumerate(cols)})[order]
        key_frame = None
        if keys:
            key_frame = pl.DataFrame(
                {
                    "#ordinal": self.ordinal[order],
                    "#after": np.zeros(size, dtype=np.int64),
                    "#group": pick(source.group_names, self.group[order]),
                    "#rank": np.asarray(first_rank, dtype=np.int64)[order],
                    "#subject": pick(source.subject_names, self.subject[order]),
                },
                schema=key_types(),
            )
        year_end = self.year_end(columns, notices) if self.plan.year_end else {}
        if year_end:
            # A year's year-end rows follow the last period of that year the table has.
            parts, key_parts = [], []

            def year_end_rows(ordinal: int) -> None:
                rows, subjects = year_end.get(ordinal, ([], []))
                if rows:
                    cells = [[cell or None for cell in r] for r in rows]
                    parts.append(pl.DataFrame(cells, schema=frame.columns, orient="row"))
                    key_parts.append(_year_end_keys(ordinal, subjects))

            ordinals = self.ordinal[order]
            ends = np.flatnonzero(np.append(ordinals[1:] != ordinals[:-1], True))
            begin = 0
            for end in ends.tolist():
                parts.append(frame[begin : end + 1])
                if key_frame is not None:
                    key_parts.append(key_frame[begin : end + 1])
                year_end_rows(int(ordinals[end]))
                begin = end + 1
            # A table of some subjects may end a year with a period only others have: its
            # year-end rows go last here, and the listing keys put them in place.
            for ordinal in sorted(set(year_end) - set(ordinals.tolist())):
                year_end_rows(ordinal)
            frame = pl.concat(parts)
            if key_frame is not None:
                key_frame = pl.concat(key_parts)
        notices.sort(key=lambda notice: notice[0])
        return Table(header, [frame[c] for c in frame.columns], key_frame, notices)

    def year_end(
        self, columns: Any, notices: list[Notice]
    ) -> dict[int, tuple[list[list[str]], list[str]]]:
        """The year-end rows (and their subjects) by the ordinal of the period they follow,
        worked out by the record engine's own year-end rules from this table's period
        values; their warnings go to `notices`."""
        import csv
        import io

        from ._history import SubjectHistory
        from ._render import csv_rows

        engine, plan = self.engine, self.plan
        names = engine.year_end_names
        held = [self.decimals(n) for n in names]
        present = self.across.present if self.across else sorted(set(self.ordinal.tolist()))
        kind = plan.period
        row = self.source.row
        subject_names = self.source.subject_names
        by_year: dict[int, list[int]] = {}
        for i, o in enumerate(self.ordinal.tolist()):
            by_year.setdefault(from_ordinal(o, kind).year, []).append(i)
        found: dict[int, tuple[list[list[str]], list[str]]] = {}
        for position, ordinal in enumerate(present):
            period = from_ordinal(ordinal, kind)
            following = (
                from_ordinal(present[position + 1], kind) if position + 1 < len(present) else None
            )
            if following is not None and following.year == period.year:
                continue
            year_over = following is not None or period == engine.periods_in(period.year)[-1]
            if not year_over:
                notices.append(((ordinal, -1, "", 0, ""), year_not_over(period, kind)))
                continue
            members: dict[str, list[int]] = {}
            for i in sorted(by_year.get(period.year, []), key=lambda i: self.ordinal[i]):
                members.setdefault(subject_names[self.subject[i]], []).append(i)
            for subject, indices in members.items():
                history = engine.history[subject] = SubjectHistory(len(engine.counted))
                history.year = period.year
                history.year_values = [(row(i), [column[i] for column in held]) for i in indices]
            results = []
            with decimal.localcontext(ARITHMETIC):
                for subject in sorted(members):  # as `Engine.close`, keeping who warned
                    result, warning = engine.year_end(subject, period.year)
                    if warning is not None:
                        notices.append(((ordinal, -1, "", 0, subject), warning))
                    if result is not None:
                        results.append(result)
            text = csv_rows(results, columns, Words(None))
            found[ordinal] = (
                list(csv.reader(io.StringIO(text))),
                [r.subject for r in results],
            )
        return found


def _year_end_keys(ordinal: int, subjects: list[str]) -> Any:
    import polars as pl

    n = len(subjects)
    return pl.DataFrame(
        {
            "#ordinal": [ordinal] * n,
            "#after": [1] * n,
            "#group": [""] * n,
            "#rank": [0] * n,
            "#subject": subjects,
        },
        schema=key_types(),
    )


Ranks = tuple[Any, Any, Any, Any, Any, Any]
"""Per record: first place of its tie group (its competition rank), dense rank, how many
tie with it, the size of its partition, and the partition's best and worst key."""


def _counted_ranks(key: Any, value: Any) -> Ranks | None:
    """Ranks by counting, where partitions and values span a small range (a period's
    totals in hundredths): how many in the partition have each value, and how many rank
    above. None where the ranges are too wide for a table of counts."""
    size = len(key)
    if size == 0:
        return None
    k = key - key.min()
    v = value - value.min()
    parts, values = int(k.max()) + 1, int(v.max()) + 1
    if parts * values > max(4 * size, 1 << 16):
        return None
    counts = np.bincount(k * values + v, minlength=parts * values).reshape(parts, values)
    above = np.cumsum(counts, axis=1) - counts  # how many have a smaller key: rank above
    present = counts > 0
    distinct_above: Any = np.cumsum(present, axis=1) - present
    cell = k * values + v
    first = above.reshape(-1)[cell] + 1
    dense = distinct_above.reshape(-1)[cell] + 1
    ties = counts.reshape(-1)[cell]
    sizes = counts.sum(axis=1)
    best_v = np.argmax(present, axis=1)
    worst_v = values - 1 - np.argmax(present[:, ::-1], axis=1)
    offset = value.min()
    return (
        first,
        dense,
        ties,
        sizes[k],
        (best_v + offset)[k],
        (worst_v + offset)[k],
    )


def _sorted_ranks(key: Any, value: Any) -> Ranks:
    """Ranks by one sort of the records by partition and key (stable: ties keep their
    order)."""
    size = len(key)
    order = np.lexsort((np.arange(size), value, key))
    sk, sv = key[order], value[order]
    new_part = np.ones(size, dtype=bool)
    new_part[1:] = sk[1:] != sk[:-1]
    new_value = new_part.copy()
    new_value[1:] |= sv[1:] != sv[:-1]
    index = np.arange(size)
    part_start = np.maximum.accumulate(np.where(new_part, index, 0))
    value_start = np.maximum.accumulate(np.where(new_value, index, 0))
    first = value_start - part_start + 1
    dense_count = np.cumsum(new_value)
    dense = dense_count - dense_count[part_start] + 1
    part_id = np.cumsum(new_part) - 1
    part_size = np.bincount(part_id)[part_id]
    value_id = np.cumsum(new_value) - 1
    ties = np.bincount(value_id)[value_id]
    best = sv[part_start]
    worst = sv[part_start + part_size - 1]

    def back(sorted_values: Any) -> Any:
        out = np.empty_like(sorted_values)
        out[order] = sorted_values
        return out

    return back(first), back(dense), back(ties), back(part_size), back(best), back(worst)


def _series(texts: Sequence[str | None]) -> Any:
    import polars as pl

    return pl.Series([t or None for t in texts], dtype=pl.String)
