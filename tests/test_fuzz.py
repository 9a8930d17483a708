"""Fuzzing the public entry points: only partyscore's own errors come out, each input within 1 s.

The properties run in the default suite with a fixed example count and a derandomised seed, so
every run tries the same inputs. Besides arbitrary text and bytes they feed inputs built from
real schemes and records, mutated with hostile fragments, so that the later stages (models,
expressions, the linter, the evaluator) are reached too.
"""

from __future__ import annotations

import decimal
import re
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partyscore
from partyscore import (
    CompiledScheme,
    PartyscoreError,
    RecordError,
    SchemeError,
    evaluate,
    load_scheme_text,
    read_records,
)
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

FEATURES = (Path(__file__).parent / "data" / "features.yaml").read_text(encoding="utf-8")
LINES = FEATURES.splitlines()
SCHEME = load_scheme_text(FEATURES, file="features.yaml")
# The same scheme dividing by an item and splitting tied prizes: evaluation can fail on records.
DIVIDING = load_scheme_text(
    FEATURES.replace("expr: work,", "expr: work / w1,").replace("ties: shared", "ties: split"),
    file="dividing.yaml",
)
LIMIT = 1.0  # seconds per input
# The decimal context `evaluate` runs expressions in: 28 digits, and these three conditions trap.
CONTEXT = decimal.Context(
    prec=28,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

FUZZ = settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

T = TypeVar("T")


def timed(call: Callable[[], T]) -> T:
    """The call's result (or its exception), after checking it took less than LIMIT."""
    start = time.perf_counter()
    try:
        return call()
    finally:
        elapsed = time.perf_counter() - start
        assert elapsed < LIMIT, f"took {elapsed:.2f} s"


def outcome(call: Callable[[], T], allowed: type[PartyscoreError]) -> T | None:
    """The call's result, or None when it raised an `allowed` error (which must carry
    diagnostics); any other exception fails the property. Either way within LIMIT."""
    error: PartyscoreError | None = None
    try:
        return timed(call)
    except allowed as exc:
        error = exc
    assert error.diagnostics, "a partyscore error carries its diagnostics"
    return None


# --------------------------------------------------------------------------- text strategies

# Characters YAML 1.1 allows in a file (PyYAML's reader refuses the others), with some that
# matter here made likely.
PRINTABLE = st.one_of(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.sampled_from(list("\t\n\r\x85\xa0\u3000：，測試")),
    st.characters(min_codepoint=0xA0, max_codepoint=0xD7FF),
    st.characters(min_codepoint=0xE000, max_codepoint=0xFFFD),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
)
YAML_PIECES = st.sampled_from([*":-[]{},&*!|>'\"%@`#?~ \n", "\n  ", ": ", "- ", "---", "!!"])
YAMLISH = st.lists(st.one_of(PRINTABLE, YAML_PIECES), max_size=150).map("".join)
# Characters YAML refuses: NUL, the other C0 controls but tab and line breaks, DEL, C1 controls.
CONTROL = st.sampled_from(
    [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x80, 0x9F)]
)

# Fragments of real and hostile YAML, put into features.yaml by the mutations below.
FRAGMENTS = [
    "!!python/object/apply:os.system ['true']",
    "!!python/object/new:os.system ['true']",
    "!!python/name:os.system ''",
    "!!binary aGk=",
    "!!set {a, b}",
    "!!str 12",
    "!!int 5",
    "!!float 1",
    "!custom x",
    "&a [1, 2, 3]",
    "&a {x: 1}",
    "*a",
    "*undefined",
    "<<: *a",
    "~",
    "null",
    "no",
    "on",
    "yes",
    "true",
    "1:30",
    "070",
    "-070",
    "0x1F",
    "0o17",
    "1e400",
    "1e1000000",
    "1E+999999999999",
    "1e-100000",
    ".inf",
    "-.inf",
    ".nan",
    "2024-01-01",
    "2024-01-01T00:00:00Z",
    "1_000",
    "+1",
    "-0",
    "0.7",
    "99999999999999999999999",
    "9" * 5000,
    "'quoted'",
    '"\\u263a \\x41"',
    '"\\ud83d\\ude00"',
    "|\n  block",
    ">-\n  folded",
    "[",
    "]",
    "{",
    "}",
    "[a, b]",
    "{a: 1, a: 2}",
    "? [a, b]\n: c",
    "- item",
    "---",
    "...",
    "%YAML 1.1",
    "# comment",
    "",
    "total < 85",
    "work / 0",
    "w1 ** 9",
    "total.__class__",
    "__import__('os')",
    "rk_last or total",
    "min(total)",
    '"=HYPERLINK(1)"',
]
WORDS = sorted(set(re.findall(r"[A-Za-z_][A-Za-z_0-9-]*|\d+", FEATURES)))


@st.composite
def mutated_scheme(draw: st.DrawFn) -> str:
    """features.yaml with a few lines dropped, duplicated, swapped, re-indented or rewritten."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["drop", "dup", "swap", "insert", "value", "word", "indent"]))
        fragment = draw(st.sampled_from(FRAGMENTS))
        if op == "drop" and len(lines) > 1:
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            indent = " " * draw(st.sampled_from([0, 2, 4, 6]))
            key = draw(st.sampled_from([*WORDS, "x", "1", "true", "<<"]))
            lines.insert(i, f"{indent}{key}: {fragment}")
        elif op == "value" and ": " in lines[i]:
            head = lines[i].split(": ", 1)[0]
            lines[i] = f"{head}: {fragment}"
        elif op == "word":
            words = re.findall(r"[A-Za-z_0-9.]+", lines[i])
            if words:
                word = draw(st.sampled_from(words))
                replacement = draw(st.sampled_from([*FRAGMENTS, *WORDS]))
                lines[i] = lines[i].replace(word, replacement, 1)
        elif op == "indent":
            lines[i] = " " * draw(st.integers(0, 3)) + lines[i]
    return "\n".join(lines) + "\n"


SCHEME_KEYS = sorted(
    {
        *re.findall(r"([A-Za-z_][A-Za-z_-]*):", FEATURES),
        "description", "label", "cap", "default", "by", "fields", "monotone", "order",
        "steps", "at", "amount", "currency", "count", "share", "share_rounding", "prizes",
        "rank", "amounts", "end", "assumed", "blocks", "applies_to", "above", "at_most",
    }
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**15), 10**15),
    st.floats(),
    st.text(PRINTABLE, max_size=12),
    st.sampled_from(["work", "total < 85", "quarter", "smoke", "a", "b", "CNY", "half_up"]),
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(SCHEME_KEYS), st.text(PRINTABLE, max_size=8)),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=25,
)


@st.composite
def dumped_scheme(draw: st.DrawFn) -> str:
    """features.yaml as data with some top-level or nested values replaced, dumped to YAML."""
    data = yaml.safe_load(FEATURES)
    for _ in range(draw(st.integers(1, 3))):
        target = data
        path = draw(st.lists(st.integers(0, 10), min_size=0, max_size=3))
        for step in path:  # walk into the tree; stop where it ends
            inner = list(target.values()) if isinstance(target, dict) else target
            candidates = [v for v in inner if isinstance(v, dict | list)]
            if not candidates:
                break
            target = candidates[step % len(candidates)]
        if isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target, key=str)))
            target[key] = draw(TREES)
        elif isinstance(target, list) and target:
            target[draw(st.integers(0, len(target) - 1))] = draw(TREES)
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


# --------------------------------------------------------------------------- the loader


def load(text: str) -> CompiledScheme | None:
    """Load `text`; a SchemeError is fine, anything else fails the property."""
    return outcome(lambda: load_scheme_text(text, file="fuzz.yaml"), SchemeError)


@FUZZ
@given(st.text(max_size=400))
def test_load_scheme_text_arbitrary_text(text: str) -> None:
    load(text)


@FUZZ
@given(st.text(PRINTABLE, max_size=200), CONTROL, st.text(PRINTABLE, max_size=200))
def test_load_scheme_text_control_characters(before: str, control: str, after: str) -> None:
    load(before + control + after)


@FUZZ
@given(YAMLISH)
def test_load_scheme_text_yaml_punctuation(text: str) -> None:
    load(text)


@FUZZ
@given(mutated_scheme())
def test_load_scheme_text_mutated_features(text: str) -> None:
    load(text)


@FUZZ
@given(dumped_scheme())
def test_load_scheme_text_dumped_trees(text: str) -> None:
    load(text)


# --------------------------------------------------------------------------- expressions

NAMES: dict[str, Type] = {
    "daily": NUMBER,
    "annual": NUMBER,
    "total": NUMBER,
    "key": NUMBER,
    "vetoed": BOOL,
    "stage": enum(["activist", "probationary", "full"]),
}
TOKENS = [
    *NAMES, "w1", "totl", "__class__", "__builtins__", "_", "True", "False", "None",
    "0", "1", "0.5", ".5", "5.", "60", "85", "1e3", "1e-3", "1E+12", "1_000", "0.7", "0.3",
    "1000000000000", "1000000000001", "0.0000000001", "1e-999999", "9" * 30, "0x1F", "0o17",
    "0b1", "1e1000000", "1E+999999999999", "1e-1000000", "1j",
    "+", "-", "*", "/", "**", "%", "//", "@", "&", "|", "^", "~", "<<", ">>",
    "==", "!=", "<", "<=", ">", ">=", "=", ":=", "and", "or", "not", "in", "not in", "is",
    "if", "else", "lambda", "for", "yield", ",", ":", ";", ".", "(", ")", "[", "]", "{", "}",
    "min(", "max(", "abs(", "random(", "randint(", "__import__(", "eval(", "open(",
    '"activist"', '"full"', '"x"', "'%s'", 'f"{total}"', "b'x'", "'a' * 9", ".__class__",
    "\\", "#", "\n", "\t", " ",
]  # fmt: skip
EXPRESSIONS = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30).map(
    lambda tokens: " ".join(tokens)
)
NUMBERS = st.decimals(
    min_value=-(10**12), max_value=10**12, allow_nan=False, allow_infinity=False, places=4
)


def values_for(names: tuple[str, ...], data: st.DataObject) -> dict[str, Any]:
    """A value of the right type for each name; numbers are often 0 (to divide by)."""
    values: dict[str, Any] = {}
    for name in names:
        kind = NAMES[name]
        if kind == NUMBER:
            values[name] = data.draw(st.one_of(st.just(Decimal(0)), NUMBERS))
        elif kind == BOOL:
            values[name] = data.draw(st.booleans())
        else:
            values[name] = data.draw(st.sampled_from(kind.values))
    return values


def compile_and_run(text: str, want: Type, data: st.DataObject) -> None:
    """Compile: only ExprError. Evaluate what compiles: only decimal exceptions, right type."""
    refused: ExprError | None = None
    try:
        compiled: Compiled = timed(lambda: compile_expr(text, NAMES, want))
    except ExprError as exc:
        refused = exc
    if refused is not None:
        assert refused.code.startswith("expr-")
        assert refused.column >= 1
        return
    values = values_for(compiled.names, data)
    try:
        with decimal.localcontext(CONTEXT):
            result = timed(lambda: Evaluator()(compiled, values))
    except decimal.DecimalException:
        return
    if want == BOOL:
        assert isinstance(result, bool), result
    else:
        assert isinstance(result, Decimal), result
        assert result.is_finite(), result


@FUZZ
@given(st.text(max_size=200), st.sampled_from([NUMBER, BOOL]), st.data())
def test_compile_expr_arbitrary_text(text: str, want: Type, data: st.DataObject) -> None:
    compile_and_run(text, want, data)


@FUZZ
@given(EXPRESSIONS, st.sampled_from([NUMBER, BOOL]), st.data())
def test_compile_expr_generated(text: str, want: Type, data: st.DataObject) -> None:
    compile_and_run(text, want, data)


# --------------------------------------------------------------------------- records

HEADER = "subject,period,town,stage,w1,w2,extra,v1"
CELLS = [
    "", " ", "0", "5", "50", "60", "61", "-5", "-0", "+5", "5.5", "1e2", "1e13", "1e-11", "85%",
    "1,000", '"1,000"', "８５", "NaN", "inf", "-inf", "true", "false", "yes", "no", "是", "否",
    "2", "a", "b", "c", "東鎮", "east", "2024-Q1", "2024-Q2", "2024-Q5", "2019-Q4", "2024",
    "v-1", "v-2", " v-1 ", "=1+1", "@x", '"', '""', "\r", "\t", "x" * 10001, "0x1F", "\x00",
]  # fmt: skip


@st.composite
def csvish(draw: st.DrawFn) -> bytes:
    """A header (the real one or a shuffled, cut or extended one) and rows of odd cells."""
    columns = HEADER.split(",")
    header = draw(
        st.one_of(
            st.just(columns),
            st.permutations(columns),
            st.lists(st.sampled_from([*columns, "w9", "subject", ""]), max_size=10),
        )
    )
    rows = draw(
        st.lists(
            st.lists(
                st.sampled_from(CELLS),
                min_size=max(len(header) - 1, 0),
                max_size=len(header) + 1,
            ),
            max_size=5,
        )
    )
    separator = draw(st.sampled_from([",", ",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(separator.join(r) for r in [header, *rows]) + newline
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]))
    return text.encode(encoding)


RECORD_TEXT = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    YAMLISH.map(lambda t: t.encode("utf-8")),
)


def read(path: Path) -> list[partyscore.Record] | None:
    """Read records; a RecordError is fine, anything else fails the property."""
    return outcome(lambda: read_records(path, SCHEME), RecordError)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(st.one_of(RECORD_TEXT, csvish()))
def test_read_records_csv_bytes(folder: Path, raw: bytes) -> None:
    path = folder / "records.csv"
    path.write_bytes(raw)
    records = read(path)
    if records is not None:
        run_evaluate(SCHEME, records)


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),  # 5,000 digits: test_evaluate_integers_past_str_limit
        st.floats(),
        st.text(max_size=10),
        st.sampled_from(["\ud800", "\x1b[2J", "=cmd", "1e1000000"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=6), inner, max_size=3),
    ),
    max_leaves=8,
)


def field(choices: list[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes any JSON value."""
    return st.one_of(st.sampled_from(choices), st.sampled_from(choices), JSON_VALUES)


RECORDS = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "subject": field(["a", "b", "c", " a ", "", 7]),
                "period": field(["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4", "2019-Q4", "2024"]),
                "attributes": st.one_of(
                    st.fixed_dictionaries(
                        {"town": field(["east", "west"]), "stage": field(["a", "b", "c"])}
                    ),
                    JSON_VALUES,
                ),
                "points": st.one_of(
                    st.fixed_dictionaries(
                        {
                            "w1": field([0, 1, 50, 60, 61, 5.5, -1, "5"]),
                            "w2": field([0, 30, 40, 0.1]),
                            "extra": field([None, 0, 5]),
                            "v1": field([False, True, 0, 1, "yes"]),
                        }
                    ),
                    JSON_VALUES,
                ),
            },
            optional={"extra": JSON_VALUES},
        ),
        JSON_VALUES,
    ),
    max_size=6,
)


@FUZZ
@given(RECORD_TEXT)
def test_read_records_json_bytes(folder: Path, raw: bytes) -> None:
    path = folder / "records.json"
    path.write_bytes(raw)
    records = read(path)
    if records is not None:
        run_evaluate(SCHEME, records)


@FUZZ
@given(RECORDS.map(lambda records: yaml.safe_dump(records, allow_unicode=True)))
def test_read_records_yaml_files(folder: Path, text: str) -> None:
    path = folder / "records.yaml"
    path.write_text(text, encoding="utf-8")
    records = read(path)
    if records is not None:
        run_evaluate(SCHEME, records)


def run_evaluate(scheme: CompiledScheme, records: Any) -> None:
    outcome(lambda: evaluate(scheme, records), PartyscoreError)


@FUZZ
@given(st.sampled_from([SCHEME, DIVIDING]), st.one_of(RECORDS, JSON_VALUES))
def test_evaluate_arbitrary_mappings(scheme: CompiledScheme, records: Any) -> None:
    run_evaluate(scheme, records)


# --------------------------------------------------------------------------- number literals


@FUZZ
@given(
    st.lists(
        st.sampled_from(["0x1F", "0o17", "0b1", "1e1000000", "1E+999999999999", *TOKENS[:8]]),
        min_size=1,
        max_size=5,
    ).map(" + ".join),
    st.data(),
)
def test_compile_expr_number_literal_forms(text: str, data: st.DataObject) -> None:
    compile_and_run(text, NUMBER, data)


HUGE = 10**5000  # past Python's 4,300-digit limit for converting an int to text


@FUZZ
@given(st.sampled_from(["subject", "period", "town", "w1"]))
def test_evaluate_integers_past_str_limit(where: str) -> None:
    record: dict[str, Any] = {
        "subject": "a",
        "period": "2024-Q1",
        "attributes": {"town": "east", "stage": "a"},
        "points": {"w1": 50, "w2": 30, "v1": False},
    }
    if where in ("subject", "period"):
        record[where] = HUGE
    else:
        record["attributes" if where == "town" else "points"][where] = HUGE
    run_evaluate(SCHEME, [record])
