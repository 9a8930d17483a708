"""The record check specialised to each scheme (generated code) only ever accepts: on every
record it takes, it must give exactly the values the full check gives, digit for digit, and
every record it passes over must still be judged by the full check."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

import partyscore
from partyscore import testing
from partyscore._records import check_records

ROOT = Path(__file__).parent.parent
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))
SETTINGS = hypothesis.settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


def shown(rows: list[Any]) -> list[tuple[Any, ...]]:
    """Everything a checked row holds, numbers by their exact text (5 and 5.0 differ)."""
    return [
        (
            r.subject,
            r.period.label,
            r.group,
            r.file,
            r.line,
            [(k, type(v).__name__, str(v)) for k, v in r.attributes.items()],
            [(k, type(v).__name__, str(v)) for k, v in r.points.items()],
        )
        for r in rows
    ]


def both(scheme: partyscore.CompiledScheme, records: Any, monkeypatch: Any) -> tuple[Any, Any]:
    """The outcome with the specialised check, then with the full check alone."""

    def outcome() -> Any:
        try:
            return shown(check_records(scheme, records))
        except partyscore.RecordError as exc:
            return exc.render()

    fast = outcome()
    with monkeypatch.context() as patch:
        patch.setattr(scheme.program, "accept", lambda *args: False)
        full = outcome()
    return fast, full


def as_text(value: Any) -> Any:
    """A value as a CSV cell would hold it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if value is not None else ""


def as_csv(record: dict[str, Any]) -> partyscore.Record:
    return partyscore.Record(
        record["subject"],
        record["period"],
        {k: as_text(v) for k, v in record.get("attributes", {}).items()},
        {k: as_text(v) for k, v in record.get("points", {}).items()},
        "records.csv",
        2,
    )


# Values a careless sheet or app gives: each must be taken, or refused, exactly as before.
ODD: st.SearchStrategy[Any] = st.sampled_from(
    [None, "", " ", "5", " 5 ", "5.0", "5.00000000000", "4.50", "1e1", "-0", "0.00000000001",
     "yes", "是", "TRUE", "No", "2", 5, 0, 1, True, False, 4.5, Decimal("NaN"), Decimal("-0"),
     Decimal("5.000"), Decimal("1E+1"), Decimal("0.00000000001"), Decimal("4.5"), "front",
     " front", "x", [], {}]
)  # fmt: skip


@st.composite
def spoiled(draw: st.DrawFn, scheme: partyscore.CompiledScheme) -> list[Any]:
    """Valid records, some values replaced by odd ones, some written as CSV text."""
    batch = draw(testing.records(scheme, subjects=(1, 3), periods=(1, 2)))
    result: list[Any] = []
    for record in batch:
        for part in ("attributes", "points"):
            names = sorted(record.get(part, {}))
            for name in draw(st.lists(st.sampled_from(names), max_size=2)) if names else ():
                record[part][name] = draw(ODD)
        result.append(as_csv(record) if draw(st.booleans()) else record)
    return result


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_specialised_check_agrees_with_the_full_check(path, monkeypatch):
    scheme = partyscore.load_scheme(path)

    @SETTINGS
    @given(spoiled(scheme))
    def run(records: list[Any]) -> None:
        fast, full = both(scheme, records, monkeypatch)
        assert fast == full

    run()


def test_the_examples_take_the_specialised_path(monkeypatch):
    # Every shipped example is accepted by the specialised check alone: the fast path is the
    # path of ordinary files, not an exception.
    for path in SHIPPED:
        scheme = partyscore.load_scheme(path)
        example = ROOT / "examples" / f"{path.stem}.csv"
        records = partyscore.read_records(example, scheme)
        with monkeypatch.context() as patch:
            patch.setattr("partyscore._records._check_attributes", None)  # would fail if used
            rows = check_records(scheme, records)
        assert len(rows) == len(records)


def test_values_keep_their_digits():
    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    record = {
        "subject": "b1",
        "period": "2024-Q1",
        "attributes": {"line": "front"},
        "points": {
            name: (Decimal("4.50") if name == "key_01" else Decimal(0))
            if item.type == "points"
            else True
            for name, item in scheme.items.items()
        },
    }
    (row,) = check_records(scheme, [record])
    assert str(row.points["key_01"]) == "4.50"  # as given: 4.50, not 4.5
    assert row.points["autonomous_01"] is True
    assert row.attributes == {"line": "front", "major_error": False, "inaction": "none"}
