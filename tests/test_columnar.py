"""The columnar path gives what the record path gives, cell for cell.

The oracle is the record engine (`partyscore.evaluate` then `partyscore.to_csv`), an
independent implementation: it works record by record in `Decimal` arithmetic, where the
columnar path works on whole columns of scaled integers. The rounding cases are worked out
by hand from the definitions of the rounding modes.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import partyscore
from partyscore._columnar import round_div
from partyscore.columnar import evaluate_table
from partyscore.testing import records
from tests.scheme_text import head
from tests.tables import issued, text_table

pl = pytest.importorskip("polars")

ROOT = Path(__file__).parent.parent
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))
SETTINGS = hypothesis.settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
)


def reference(scheme: partyscore.CompiledScheme, given_records: Any) -> tuple[str, tuple[str, ...]]:
    """The record path's CSV text and warnings."""
    evaluation = partyscore.evaluate(scheme, given_records)
    return partyscore.to_csv(evaluation), evaluation.warnings


def columnar(scheme: partyscore.CompiledScheme, table: Any) -> tuple[str, tuple[str, ...]]:
    """The columnar path's CSV text and warnings."""
    return issued(lambda: evaluate_table(scheme, table).write_csv())


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_example_gives_the_bytes_of_to_csv(path):
    scheme = partyscore.load_scheme(path)
    example = ROOT / "examples" / f"{path.stem}.csv"
    expected = reference(scheme, partyscore.read_records(example, scheme))
    table = pl.read_csv(example, infer_schema=False)
    assert columnar(scheme, table) == expected


def test_pandas_and_arrow_tables_give_the_same():
    path = ROOT / "schemes" / "chengzhuang-ladder.yaml"
    scheme = partyscore.load_scheme(path)
    example = ROOT / "examples" / "chengzhuang-ladder.csv"
    expected = reference(scheme, partyscore.read_records(example, scheme))
    table = pl.read_csv(example, infer_schema=False)
    assert columnar(scheme, table.to_pandas()) == expected
    assert columnar(scheme, table.to_arrow()) == expected
    assert columnar(scheme, table.lazy()) == expected


def test_a_table_of_typed_columns_reads_numbers_as_numbers():
    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    example = ROOT / "examples" / "chengzhuang-ladder.csv"
    text = pl.read_csv(example, infer_schema=False)
    items = [c for c in text.columns if c.startswith(("key_", "basic_", "innovation_"))]
    typed = text.with_columns(pl.col(c).str.to_decimal(scale=1) for c in items)
    expected = reference(scheme, partyscore.read_records(example, scheme))
    assert columnar(scheme, typed) == expected


def outcome(run: Any) -> Any:
    try:
        return run()
    except partyscore.EvaluationError as error:
        return [(d.code, d.message) for d in error.diagnostics]


def _typed(table: Any, scheme: partyscore.CompiledScheme) -> Any:
    plan = scheme.plan
    casts = []
    for name in table.columns:
        item, attr = plan.items.get(name), plan.attributes.get(name)
        kind = item.type if item is not None else (attr.type if attr is not None else "text")
        if kind == "flag" or kind == "bool":
            casts.append(pl.col(name).replace_strict({"true": True, "false": False}, default=None))
        elif kind in ("number", "points") or (item is not None and kind != "flag"):
            casts.append(pl.col(name).cast(pl.Float64))
        else:
            casts.append(pl.col(name))
    return table.select(casts)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_generated_tables_agree_with_the_record_path(path):
    scheme = partyscore.load_scheme(path)

    @SETTINGS
    @given(records(scheme, subjects=(1, 6)))
    def agree(batch):
        # Both give the same bytes, or both refuse with the same messages.
        expected = outcome(lambda: reference(scheme, batch))
        table = text_table(batch, scheme)
        assert outcome(lambda: columnar(scheme, table)) == expected
        # The same values typed (float64 numbers, booleans), against the record path's
        # reading of the same typed rows.
        typed = _typed(table, scheme)
        rows = partyscore.records_from_rows(typed.to_dicts(), scheme, source="<table>")
        expected_typed = outcome(lambda: reference(scheme, rows))
        assert outcome(lambda: columnar(scheme, typed)) == expected_typed

    agree()


# -- rounding in integers ------------------------------------------------------------------

# 0.125, -0.125, 0.135, 0.124, 0.126, -0.126, 0.120 in thousandths, to hundredths by hand.
THOUSANDTHS = [125, -125, 135, 124, 126, -126, 120]
BY_HAND = {
    "half_up": [13, -13, 14, 12, 13, -13, 12],  # ties away from zero
    "half_even": [12, -12, 14, 12, 13, -13, 12],  # ties to the even digit
    "half_down": [12, -12, 13, 12, 13, -13, 12],  # ties towards zero
    "up": [13, -13, 14, 13, 13, -13, 12],  # away from zero
    "down": [12, -12, 13, 12, 12, -12, 12],  # towards zero
    "ceiling": [13, -12, 14, 13, 13, -12, 12],  # towards +infinity
    "floor": [12, -13, 13, 12, 12, -13, 12],  # towards -infinity
}


@pytest.mark.parametrize("mode", sorted(BY_HAND))
def test_integer_rounding_follows_each_mode(mode):
    got = round_div(np.array(THOUSANDTHS, dtype=np.int64), 10, mode).tolist()
    assert got == BY_HAND[mode]
    big = round_div(np.array([v * 10**20 for v in THOUSANDTHS], dtype=object), 10**21, mode)
    assert big.tolist() == BY_HAND[mode]  # the same with Python integers beyond int64


def small_scheme(
    expr: str, *, places: int = 2, item_max: str = "100", mode: str = "half_up"
) -> partyscore.CompiledScheme:
    text = (
        head("columnar-small", "小", kind="member")
        + f"""\
sections:
  - id: work
    items:
      - {{id: a, max: {item_max}}}
      - {{id: b, max: {item_max}}}
scores:
  - {{id: result, expr: "{expr}", rounding: {{places: {places}, mode: {mode}}}}}
"""
    )
    return partyscore.load_scheme_text(text, file="small.yaml")


def one_score(scheme: partyscore.CompiledScheme, a: str, b: str) -> str:
    table = pl.DataFrame({"subject": ["m"], "period": ["2024-Q1"], "a": [a], "b": [b]})
    out = evaluate_table(scheme, table)
    cell: str = out["result"][0]
    points = {"a": Decimal(a), "b": Decimal(b)}
    expected = reference(scheme, [{"subject": "m", "period": "2024-Q1", "points": points}])
    assert (out.write_csv(), ()) == expected
    return cell


def test_a_product_of_hundredths_keeps_every_digit():
    # 0.05 x 0.05 = 0.0025 exactly (a two-place decimal type gives 0.00)
    assert one_score(small_scheme("a * b", places=4), "0.05", "0.05") == "0.0025"


def test_a_tie_rounds_half_up_as_declared():
    # 0.125 to two places, half up: 0.13 (half even would give 0.12)
    assert one_score(small_scheme("a + b"), "0.125", "0") == "0.13"


def test_three_places_of_text_are_read_whole_not_cut_to_two():
    # '1.005' is 1.005; + 0 rounded half up to two places is 1.01 (a cast to two places gives 1.00)
    assert one_score(small_scheme("a + b"), "1.005", "0") == "1.01"


def test_a_quotient_used_before_rounding_is_what_decimal_arithmetic_gives():
    # 28-digit arithmetic: 1 / 3 = 0.3333333333333333333333333333 (28 threes), x 3 =
    # 0.9999999999999999999999999999; down to two places: 0.99 (exact thirds would give 1.00)
    assert one_score(small_scheme("a / b * 3", mode="down"), "1", "3") == "0.99"


def test_numbers_beyond_int64_stay_exact():
    # 123456.789012^2: 123456789012^2 = 15241578753153483936144 (beyond 2^63) at 12 places,
    # 15241578753.153483936144, half up to two places: 15241578753.15
    scheme = small_scheme("a * b", item_max="1000000")
    assert one_score(scheme, "123456.789012", "123456.789012") == "15241578753.15"


def test_a_broken_guarantee_is_the_record_engines_error():
    scheme = small_scheme("a / b")
    table = pl.DataFrame({"subject": ["m"], "period": ["2024-Q1"], "a": ["1"], "b": ["0"]})
    with pytest.raises(partyscore.EvaluationError) as ours:
        evaluate_table(scheme, table)
    with pytest.raises(partyscore.EvaluationError) as theirs:
        partyscore.evaluate(
            scheme, [{"subject": "m", "period": "2024-Q1", "points": {"a": 1, "b": 0}}]
        )
    assert [d.code for d in ours.value.diagnostics] == [d.code for d in theirs.value.diagnostics]
    assert [d.message for d in ours.value.diagnostics] == [
        d.message for d in theirs.value.diagnostics
    ]


def test_bad_values_are_the_record_paths_problems():
    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    example = ROOT / "examples" / "chengzhuang-ladder.csv"
    lines = example.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    cells = next(csv.reader([lines[1]]))
    cells[header.index("key_01")] = "6"  # above the item's max of 5
    bad = "\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n"
    with pytest.raises(partyscore.RecordError) as ours:
        evaluate_table(scheme, pl.read_csv(io.StringIO(bad), infer_schema=False))
    with pytest.raises(partyscore.RecordError) as theirs:
        partyscore.evaluate(scheme, partyscore.read_records(bad.encode(), scheme, name="x.csv"))
    [found] = ours.value.diagnostics
    [wanted] = theirs.value.diagnostics
    assert (found.line, found.path, found.code, found.message) == (
        wanted.line,
        wanted.path,
        wanted.code,
        wanted.message,
    )
    assert found.file == "<table>.csv"


def test_something_that_is_not_a_table_is_refused():
    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    with pytest.raises(TypeError, match="polars or pandas DataFrame or an Arrow table"):
        evaluate_table(scheme, [{"subject": "x"}])


@given(st.lists(st.integers(-(10**30), 10**30), min_size=1, max_size=20), st.integers(1, 10**12))
@SETTINGS
def test_integer_rounding_agrees_with_decimal_quantize(numbers, divisor):
    import decimal

    for mode, constant in {
        "half_up": decimal.ROUND_HALF_UP,
        "half_even": decimal.ROUND_HALF_EVEN,
        "floor": decimal.ROUND_FLOOR,
        "up": decimal.ROUND_UP,
    }.items():
        got = round_div(np.array(numbers, dtype=object), divisor, mode).tolist()
        with decimal.localcontext(decimal.Context(prec=100)):
            want = [
                int((Decimal(n) / Decimal(divisor)).quantize(Decimal(1), rounding=constant))
                for n in numbers
            ]
        assert got == want


# -- the command line ----------------------------------------------------------------------


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from partyscore.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


LADDER = str(ROOT / "schemes" / "chengzhuang-ladder.yaml")
LADDER_CSV = str(ROOT / "examples" / "chengzhuang-ladder.csv")


def test_the_columnar_engine_writes_the_csv_and_warnings_of_the_record_engine(capsys):
    status, expected, warned = cli(capsys, "evaluate", LADDER, LADDER_CSV, "--format", "csv")
    assert status == 0
    # The example starts at 2024-Q1 with no history: two counts may lack earlier quarters.
    assert warned.count("warning: ") == 2
    status, out, err = cli(
        capsys, "evaluate", LADDER, LADDER_CSV, "--format", "csv", "--engine", "columnar"
    )
    assert (status, err) == (0, warned)
    assert out == expected


def test_parquet_in_and_out_keeps_every_cell(capsys, tmp_path):
    status, expected, warned = cli(capsys, "evaluate", LADDER, LADDER_CSV, "--format", "csv")
    given = tmp_path / "ladder.parquet"
    pl.read_csv(LADDER_CSV).write_parquet(given)  # typed columns: floats, ints, booleans
    written = tmp_path / "results.parquet"
    status, _out, err = cli(
        capsys, "evaluate", LADDER, str(given), "--engine", "columnar",
        "--format", "parquet", "-o", str(written),
    )  # fmt: skip
    assert (status, err) == (0, warned)
    results = pl.read_parquet(written)
    assert results.write_csv() == expected
    assert results.height == 48  # 12 branches x 4 quarters in the example


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--format", "table"], "--engine columnar writes --format csv or --format parquet"),
        (["--format", "csv", "--strict"], "--engine columnar does not take --history-in"),
        (["--format", "csv", "--history-start", "2024-Q1"], "does not take --history-in"),
    ],
)
def test_what_the_columnar_engine_does_not_do_is_a_usage_error(capsys, extra, message):
    status, out, err = cli(capsys, "evaluate", LADDER, LADDER_CSV, "--engine", "columnar", *extra)
    assert status == 2
    assert out == ""
    assert message in err


def test_parquet_output_needs_the_columnar_engine(capsys, tmp_path):
    status, _out, err = cli(
        capsys, "evaluate", LADDER, LADDER_CSV, "--format", "parquet", "-o", str(tmp_path / "x")
    )
    assert status == 2
    assert "--format parquet goes with --engine columnar" in err


def test_a_workbook_is_not_read_by_the_columnar_engine(capsys, tmp_path):
    book = tmp_path / "ladder.xlsx"
    book.write_bytes(b"PK\x03\x04")
    status, out, err = cli(
        capsys, "evaluate", LADDER, str(book), "--engine", "columnar", "--format", "csv"
    )
    assert status == 1
    assert out == ""
    assert "reads CSV and Parquet files, not" in err
    assert "[columnar-input]" in err


def _cell(column: str, value: str | None) -> Any:
    """The ladder example with the cell of `column` in its fourth row replaced."""
    return lambda f: f.with_columns(
        pl.when(pl.int_range(pl.len()) == 3)
        .then(pl.lit(value, dtype=pl.String))
        .otherwise(pl.col(column))
        .alias(column)
    )


EDITS = {
    "an attribute column left out (its default)": lambda f: f.drop("major_error"),
    "a blank attribute (its default)": _cell("inaction", None),
    "a blank point that applies": _cell("key_01", None),
    "a column the scheme does not have": lambda f: f.with_columns(pl.lit("x").alias("extra")),
    "007": _cell("key_01", "007"),
    "4.50": _cell("key_01", "4.50"),
    "eleven places": _cell("key_01", "4.00000000001"),
    "a point above its max": _cell("key_01", "5.5"),
    "a full-width digit": _cell("key_01", "４"),
    "a space around a number": _cell("key_01", " 4"),
    "TRUE": _cell("autonomous_01", "TRUE"),
    "是": _cell("autonomous_01", "是"),
    "a flag that is not one": _cell("autonomous_01", "maybe"),
    "a record twice": lambda f: pl.concat([f, f.head(1)]),
    "2024Q1 for 2024-Q1": _cell("period", "2024Q1"),
    "a period outside the scheme's dates": _cell("period", "2015-Q4"),
    "a subject that starts a formula": _cell("subject", "=1+1"),
    "an enum word that is not one": _cell("line", "Front"),
}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_table_gives_what_the_same_csv_file_gives(edit):
    # Every edit either takes the column-wise check or the record path's own reader; both
    # must give what the record path gives for the same text as a CSV file.
    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    example = ROOT / "examples" / "chengzhuang-ladder.csv"
    table = EDITS[edit](pl.read_csv(example, infer_schema=False))

    def problems(run: Any) -> Any:
        try:
            return run()
        except partyscore.PartyscoreError as error:
            return [(d.code, d.line, d.path, d.message) for d in error.diagnostics]

    text = table.write_csv().encode()
    expected = problems(
        lambda: reference(scheme, partyscore.read_records(text, scheme, name="<table>.csv"))
    )
    assert problems(lambda: columnar(scheme, table)) == expected


def test_ranks_by_counting_and_by_sorting_agree_with_a_hand_count():
    from partyscore._columnar import _counted_ranks, _sorted_ranks

    # partition 0 holds keys 5, 3, 5, 7 (lower ranks first), partition 1 holds 2, 2
    key = np.array([0, 0, 0, 0, 1, 1])
    value = np.array([5, 3, 5, 7, 2, 2])
    by_hand = (
        [2, 1, 2, 4, 1, 1],  # competition rank: 3 first, the two 5s second, 7 fourth
        [2, 1, 2, 3, 1, 1],  # dense rank
        [2, 1, 2, 1, 2, 2],  # how many share the place
        [4, 4, 4, 4, 2, 2],  # partition size
        [3, 3, 3, 3, 2, 2],  # best key of the partition
        [7, 7, 7, 7, 2, 2],  # worst key of the partition
    )
    counted = _counted_ranks(key, value)
    assert counted is not None
    assert tuple(c.tolist() for c in counted) == by_hand
    assert tuple(c.tolist() for c in _sorted_ranks(key, value)) == by_hand
    assert _counted_ranks(key, value * 10**9) is None  # too wide to count: sorted instead
