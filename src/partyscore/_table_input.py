"""A table of text read straight into columns, for the columnar path, when every value is
plainly good.

The common case, a sheet of ids, period labels, enum words, flags and plain decimal
numbers within their ranges, is checked here with vectorised polars expressions and
parsed into scaled integers without a Python object per cell. Anything else (a label as
a header, a blank that needs a default the check does not know, ``５`` or `` 5 ``, a
number out of range, a repeated record) returns None: the caller then reads the table
with the record path's own reader and checker, so that every problem is reported, and
every accepted value read, exactly as there. This check never refuses anything itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from ._codegen import FLAG_WORDS, identifying_text, number_text
from ._columnar import Enum, Num, Source, Value, _align, constant, parameters
from ._compile import CompiledScheme
from ._periods import Period
from ._records import Row, _example_markers, _period

_PLAIN = r"^[0-9]{1,13}(\.[0-9]{1,10})?$"
"""A plain non-negative decimal: what every reader takes as the same number."""
_MOST_DIGITS = 18
"""Most digits of a scaled integer parsed into int64 here."""


def source_from_frame(scheme: CompiledScheme, frame: Any, file: str) -> Source | None:
    """The table as columns when every value is plainly good, else None."""
    import polars as pl

    plan, model = scheme.plan, scheme.model
    if model.input is not None and (model.input.columns or model.input.ignore_columns):
        return None
    names = set(frame.columns)
    needed = {"subject", "period", *plan.items}
    known = needed | set(plan.attributes)
    if not needed <= names or not names <= known:
        return None
    if any(dtype != pl.String for dtype in frame.schema.values()):
        return None
    size = frame.height
    if size == 0:
        return None
    # Subjects and periods: each distinct text checked once by the record path's own rules.
    subjects = frame["subject"]
    if subjects.null_count():
        return None
    markers = _example_markers()
    for text in subjects.unique().to_list():
        if identifying_text(text) != text or text in markers:
            return None
    periods: dict[str, Period] = {}
    for label in frame["period"].unique().to_list():
        if label is None:
            return None
        found = _period(label, model)
        if isinstance(found, str):
            return None
        periods[label] = found
    ordinal_of = {label: p.ordinal for label, p in periods.items()}
    ordinals = frame["period"].replace_strict(ordinal_of, return_dtype=pl.Int64).to_numpy()
    subject_names = sorted(subjects.unique().to_list())
    subject_codes = subjects.replace_strict(
        {s: i for i, s in enumerate(subject_names)}, return_dtype=pl.Int64
    ).to_numpy()
    # The records in (period, subject) order; the table itself stays as it is and each
    # column is put in that order once it is numbers.
    order = np.lexsort((subject_codes, ordinals))
    ordinals, subject_codes = ordinals[order], subject_codes[order]
    if ((ordinals[1:] == ordinals[:-1]) & (subject_codes[1:] == subject_codes[:-1])).any():
        return None  # a subject twice in a period: the record path names both rows
    positions = order  # the row of the table each record came from (0-based)

    numbers = _numbers(
        frame,
        {
            name: (item.min, item.max)
            for name, item in plan.items.items()
            if item.type != "flag" and item.max is not None
        },
    )
    if numbers is None:
        return None
    env: dict[str, Value] = {}
    raw: dict[str, Any] = {}
    for name, attr in plan.attributes.items():
        column = frame[name] if name in frame.columns else pl.Series(name, [None] * size)
        value = _attribute(column, attr)
        if value is None:
            return None
        env[name], raw[name] = value, column
    parameters(plan, env, size)
    item_names = list(plan.items)
    # every item's blanks, and every flag column, each in one query over all the columns
    presence = frame.select([pl.col(n).is_not_null() for n in item_names]) if item_names else None
    flag_names = [n for n, item in plan.items.items() if item.type == "flag"]
    flag_columns = _flag_columns(frame, flag_names)
    if flag_columns is None:
        return None
    for name, item in plan.items.items():
        applies = np.ones(size, dtype=bool)
        for attribute, allowed in item.applies_to:
            enum = env[attribute]
            assert isinstance(enum, Enum)
            codes = [enum.values.index(v) for v in allowed if v in enum.values]
            applies &= np.isin(enum.codes, codes)
        assert presence is not None
        present = presence[name].to_numpy()
        if (present != applies).any():
            return None  # a blank that applies, or a value that does not: the record path says
        if item.type == "flag":
            env[name] = flag_columns[name] & applies
        else:
            env[name] = numbers[name]
        raw[name] = frame[name]

    env = {name: _ordered(value, order) for name, value in env.items()}
    ordered_raw: dict[str, Any] = {}

    def raw_of(name: str) -> Any:
        """A column's text in record order, put in order when first asked for."""
        found = ordered_raw.get(name)
        if found is None:
            found = ordered_raw[name] = raw[name].gather(order)
        return found

    group_attr = model.subject.group
    if group_attr is not None:
        # the group is the attribute's value as text (an enum word, a text, True/False)
        held_group = _held(raw_of(group_attr), plan.attributes[group_attr])
        group_text = [str(v) for v in held_group]
        group_names = sorted(set(group_text))
        group_code = {g: i for i, g in enumerate(group_names)}
        groups = np.array([group_code[g] for g in group_text], dtype=np.int64)
    else:
        group_text, group_names = [], [""]
        groups = np.zeros(size, dtype=np.int64)
    labels = {p.ordinal: p.label for p in periods.values()}
    program = scheme.program
    slots = program.slots

    def decimals(name: str) -> list[Any]:
        if name in plan.items:
            item = plan.items[name]
            if item.type == "flag":
                flags: list[Any] = np.asarray(env[name], dtype=bool).tolist()
                return flags
            texts = raw_of(name).to_list()
            return [item.absent if t is None else number_text(t) for t in texts]
        return _held(raw_of(name), plan.attributes[name])

    by_ordinal = {p.ordinal: p for p in periods.values()}
    held_attributes: dict[str, list[Any]] = {}

    def row(i: int) -> Row:
        if not held_attributes:
            held_attributes.update({n: _held(raw_of(n), a) for n, a in plan.attributes.items()})
        values: list[Any] = [None] * program.width
        for name in plan.attributes:
            values[slots[name]] = held_attributes[name][i]
        for name, parameter in plan.parameters.items():
            values[slots[name]] = parameter.value_for(
                {n: held_attributes[n][i] for n in plan.attributes}
            )
        return Row(
            subject_names[subject_codes[i]],
            by_ordinal[int(ordinals[i])],
            group_text[i] if group_attr is not None else None,
            values,
            file,
            int(positions[i]) + 2,  # the header is line 1
            program,
        )

    return Source(
        ordinals.astype(np.int64),
        subject_codes.astype(np.int64),
        subject_names,
        groups,
        group_names,
        labels,
        env,
        decimals,
        row,
        positions.astype(np.int64),
    )


def _ordered(value: Value, order: Any) -> Value:
    """A column put in the order `order` gives."""
    if isinstance(value, Num):
        return Num(value.n[order], value.s)
    if isinstance(value, Enum):
        return Enum(value.codes[order], value.values)
    return value[order]


def _attribute(column: Any, attr: Any) -> Value | None:
    """An attribute's column, blanks as its default; None unless plainly good."""
    default = attr.default
    if column.null_count():
        if default is None:
            return None
        column = column.fill_null(_default_text(default))
    if attr.type == "enum":
        values = tuple(attr.values or ())
        if not column.is_in(list(values)).all():
            return None
        codes = column.replace_strict({v: i for i, v in enumerate(values)}, return_dtype=None)
        return Enum(codes.cast(int).to_numpy().astype(np.int64), values)
    if attr.type == "bool":
        return _flags(column)
    if attr.type == "number":
        low = attr.min if attr.min is not None else Decimal(-(10**12))
        high = attr.max if attr.max is not None else Decimal(10**12)
        found = _numbers(column.to_frame(), {column.name: (Decimal(low), Decimal(high))})
        return None if found is None else found[column.name]
    # text: each distinct value as the record path cleans it
    distinct = sorted(column.unique().to_list())
    if any(identifying_text(text) != text for text in distinct):
        return None
    codes = column.replace_strict({v: i for i, v in enumerate(distinct)}, return_dtype=None)
    return Enum(codes.cast(int).to_numpy().astype(np.int64), tuple(distinct))


def _default_text(default: Any) -> str:
    if isinstance(default, bool):
        return "true" if default else "false"
    return str(default)


def _held(column: Any, attr: Any) -> list[Any]:
    """An attribute's values as the record engine holds them."""
    default = attr.default
    out: list[Any] = []
    for text in column.to_list():
        if text is None:
            out.append(default)
        elif attr.type == "bool":
            out.append(FLAG_WORDS[text])
        elif attr.type == "number":
            out.append(number_text(text))
        else:
            out.append(text)
    return out


def _flags(column: Any) -> Any:
    """One flag column as numpy booleans (blanks as false), else None."""
    found = _flag_columns(column.to_frame(), [column.name])
    return None if found is None else found[column.name]


def _flag_columns(frame: Any, names: Sequence[str]) -> dict[str, Any] | None:
    """The flag columns (blanks as false) as numpy booleans, each checked and converted in
    one query over all of them; None unless every cell is a flag word."""
    import polars as pl

    if not names:
        return {}
    words: Mapping[str, bool] = {k: v for k, v in FLAG_WORDS.items() if isinstance(k, str)}
    filled = {n: pl.col(n).fill_null("false") for n in names}
    ok = frame.select([f.is_in(list(words)).all().alias(n) for n, f in filled.items()])
    if not all(ok.row(0)):
        return None
    converted = frame.select(
        [f.replace_strict(words, return_dtype=pl.Boolean).alias(n) for n, f in filled.items()]
    )
    return {n: converted[n].to_numpy().astype(bool) for n in names}


def _numbers(frame: Any, bounds: Mapping[str, tuple[Decimal, Decimal]]) -> dict[str, Num] | None:
    """Every number column (blanks as 0): plain decimals within their bounds as scaled
    int64, else None. A column of few distinct texts (points on a grid of halves) is read
    through its distinct texts, each parsed once; a column of many in one polars query."""
    import polars as pl

    few: dict[str, Num] = {}
    many: dict[str, tuple[Decimal, Decimal]] = {}
    for name, limits in bounds.items():
        column = frame[name].fill_null("0")
        distinct = column.unique()
        if len(distinct) > _FEW:
            many[name] = limits
            continue
        texts = distinct.to_list()
        if not all(_PLAIN_TEXT.match(t) for t in texts):
            return None
        places = max((len(t) - t.index(".") - 1 for t in texts if "." in t), default=0)
        if max(len(t) for t in texts) + places > _MOST_DIGITS:
            return None
        scaled = [_scaled_text(t, places) for t in texts]
        low, high = limits
        if not all(low <= Decimal(v).scaleb(-places) <= high for v in scaled):
            return None
        codes = column.cast(pl.Enum(texts)).to_physical().to_numpy()
        few[name] = Num(np.array(scaled, dtype=np.int64)[codes], places)
    found = _many_numbers(frame, many) if many else {}
    if found is None:
        return None
    return {name: few[name] if name in few else found[name] for name in bounds}


_FEW = 10_000
"""Most distinct texts of a column read one distinct text at a time."""
_PLAIN_TEXT = re.compile(r"[0-9]{1,13}(\.[0-9]{1,10})?\Z")


def _scaled_text(text: str, places: int) -> int:
    """A plain decimal's digits at `places` places: ``3.5`` at 2 is 350."""
    whole, _, fraction = text.partition(".")
    value: int = int(whole) * 10**places
    return value + int(fraction.ljust(places, "0")) if places else value


def _many_numbers(
    frame: Any, bounds: Mapping[str, tuple[Decimal, Decimal]]
) -> dict[str, Num] | None:
    """Number columns of many distinct texts, at once (blanks as 0): plain decimals
    within their bounds as scaled int64, else None. Two passes, each one polars query over
    all the columns."""
    import polars as pl

    if not bounds:
        return {}
    checks = []
    for name in bounds:
        text = pl.col(name).fill_null("0")
        point = text.str.find(".", literal=True)
        length = text.str.len_bytes()
        checks += [
            text.str.contains(_PLAIN).all().alias(f"{name}:ok"),
            length.max().alias(f"{name}:length"),
            (length - point - 1).max().alias(f"{name}:places"),
        ]
    facts = frame.select(checks).row(0, named=True)
    scaled = []
    places: dict[str, int] = {}
    for name in bounds:
        if not facts[f"{name}:ok"]:
            return None
        p = places[name] = int(facts[f"{name}:places"] or 0)
        if int(facts[f"{name}:length"] or 0) + p > _MOST_DIGITS:
            return None
        text = pl.col(name).fill_null("0")
        digits = text.str.replace(".", "", literal=True).cast(pl.Int64)
        if p:
            # a value with k places of p is its digits times 10^(p - k)
            own = (text.str.len_bytes() - text.str.find(".", literal=True) - 1).fill_null(0)
            factor = pl.lit(1, dtype=pl.Int64)
            for k in range(p):
                factor = (
                    pl.when(own == k).then(pl.lit(10 ** (p - k), dtype=pl.Int64)).otherwise(factor)
                )
            digits = digits * factor
        scaled.append(digits.alias(name))
    columns = frame.select(scaled)
    out: dict[str, Num] = {}
    size = frame.height
    for name, (low, high) in bounds.items():
        value = Num(columns[name].to_numpy().astype(np.int64), places[name])
        _s, (a, lo, hi) = _align(value, constant(low, size), constant(high, size))
        if (a < lo).any() or (a > hi).any():
            return None
        out[name] = value
    return out


def typed_as_text(scheme: CompiledScheme, frame: Any) -> Any:
    """A table of typed columns as the text the record path reads from those values, when
    that text is certain: integers, decimals and float64 numbers whose polars text is
    Python's shortest repr (the text the record path reads a float by), booleans for
    flags, text for ids, periods and enum words. None otherwise (text where a number is
    due, which the record path refuses; float32; a float whose text differs)."""
    import polars as pl

    plan = scheme.plan
    numeric = {n for n, item in plan.items.items() if item.type != "flag"}
    numeric |= {n for n, a in plan.attributes.items() if a.type == "number"}
    boolean = {n for n, item in plan.items.items() if item.type == "flag"}
    boolean |= {n for n, a in plan.attributes.items() if a.type == "bool"}
    casts = []
    for name, dtype in frame.schema.items():
        if name in numeric:
            if dtype == pl.Float64:
                values = frame[name].drop_nulls().unique()
                texts = values.cast(pl.String).to_list()
                if any(repr(v) != t for v, t in zip(values.to_list(), texts, strict=True)):
                    return None
            elif not (dtype.is_integer() or dtype == pl.Decimal):
                return None
        elif name in boolean:
            if dtype != pl.Boolean:
                return None
        elif dtype != pl.String:
            return None
        casts.append(pl.col(name).cast(pl.String))
    return frame.select(casts)
