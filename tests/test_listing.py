"""The table, CSV and workbook list results alike: period by period, group by group, in rank
order; the table prints explanations on request."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from partyscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
YONGXI = str(ROOT / "schemes" / "yongxi-red-flag.yaml")
YONGXI_CSV = ROOT / "examples" / "yongxi-red-flag.csv"


def _rows(period: str) -> dict[str, list[Decimal]]:
    with YONGXI_CSV.open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        return {r[0]: [Decimal(v) for v in r[2:]] for r in reader if r[1] == period}


def test_explain_prints_how_each_result_was_reached(capsys: pytest.CaptureFixture[str]) -> None:
    status = main([
        "evaluate", YONGXI, str(YONGXI_CSV), "--history-start", "2024-Q1", "--explain",
    ])  # fmt: skip
    assert status == 0
    out = capsys.readouterr().out
    table, _, explained = out.partition("\n\n")
    rows = _rows("2025-Q2")
    values = rows["水口村"]
    total = sum(values, Decimal(0))
    assert total == Decimal("84.5")  # 18.5 + 13.5 + 5.5 + 9 + 8.5 + 8.5 + 9 + 4 + 4 + 4
    assert min(sum(v, Decimal(0)) for v in rows.values()) == total  # last of the 20
    block = explained.split("\n\n")[-1].splitlines()  # the last listed: 2025-Q2's last place
    assert block[0] == "水口村 2025-Q2:"
    assert block[1] == "  indicators: " + " + ".join(str(v) for v in values) + " = 84.5"
    assert block[2] == "  total: indicators with indicators=84.5 -> 84.50"
    assert block[3] == "  prize_level: total=84.50 is in none (-inf, 85)"
    assert block[4] == "  village_rank: rank 20 of 20 by total=84.50 (descending)"
    # Every result listed in the table is explained, in the same order.
    listed = [line.split()[:2] for line in table.splitlines()[2:] if not line.startswith("warn")]
    heads = [b.splitlines()[0].removesuffix(":").split() for b in explained.split("\n\n")]
    assert heads == listed


def test_csv_rows_follow_the_listing_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", YONGXI, str(YONGXI_CSV), "--history-start", "2024-Q1",
                 "--format", "csv"]) == 0  # fmt: skip
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    q1 = [r for r in rows if r["period"] == "2024-Q1"]
    sums = {s: sum(v, Decimal(0)) for s, v in _rows("2024-Q1").items()}
    # In rank order: totals never rise down the listing, and the first is the highest sum.
    totals = [Decimal(r["total"]) for r in q1]
    assert totals == sorted(totals, reverse=True)
    assert q1[0]["subject"] == max(sums, key=lambda s: sums[s]) == "芽溪村"
    assert [int(r["village_rank"]) for r in q1][:3] == [1, 2, 3]
    # Year-end rows (kind year_end) come after the year's last quarter, before 2025-Q1.
    kinds = [(r["period"], r["kind"]) for r in rows]
    assert kinds.index(("2024", "year_end")) > max(
        i for i, k in enumerate(kinds) if k == ("2024-Q4", "period")
    )
    assert kinds.index(("2024", "year_end")) < kinds.index(("2025-Q1", "period"))


def test_csv_explain_column(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evaluate", YONGXI, str(YONGXI_CSV), "--history-start", "2024-Q1", "--format", "csv"]
    assert main(args) == 0
    plain = list(csv.reader(capsys.readouterr().out.splitlines(keepends=True)))
    assert main([*args, "--explain"]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines(keepends=True)))
    assert rows[0] == [*plain[0], "explain"]
    assert [r[:-1] for r in rows] == plain  # the other columns unchanged
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["subject"] == "芽溪村"  # 97.5, the highest sum of 2024-Q1
    values = _rows("2024-Q1")["芽溪村"]
    lines = first["explain"].split("\n")
    assert lines[0] == "indicators: " + " + ".join(str(v) for v in values) + " = 97.5"
    assert lines[1] == "total: indicators with indicators=97.5 -> 97.50"
    assert "rank_prize: rank 1 with prize_level band full -> 600.00 CNY" in lines


def _scheme(extra_scores: str, section_label: str = "") -> str:
    from tests.scheme_text import head

    return head("cols", "欄") + f"""\
sections:
  - id: s
    {section_label}
    items:
      - {{id: a, max: 10}}
scores:
  - id: total
    expr: s
{extra_scores}"""


@pytest.mark.parametrize(
    ("scores", "column"),
    [
        ("  - {id: kind, expr: s}\n", "kind"),
        ("  - {id: rewards, expr: s}\n", "rewards"),
        ("  - {id: explain, expr: s}\n", "explain"),
    ],
)
def test_a_result_column_cannot_take_a_fixed_columns_name(scores: str, column: str) -> None:
    import partyscore

    with pytest.raises(partyscore.SchemeError) as caught:
        partyscore.load_scheme_text(_scheme(scores))
    (problem,) = [d for d in caught.value.diagnostics if d.code == "output-column"]
    assert f"its result column {column!r} would have the name of a column every result" in (
        problem.message
    )


def test_an_amount_column_cannot_take_a_scores_name() -> None:
    import partyscore

    text = _scheme(
        "  - {id: pay_amount, expr: s}\nrewards:\n"
        "  - {id: pay, kind: money, amount: total, currency: CNY,\n"
        "     rounding: {places: 2, mode: half_up}}\n"
    )
    with pytest.raises(partyscore.SchemeError) as caught:
        partyscore.load_scheme_text(text)
    (problem,) = [d for d in caught.value.diagnostics if d.code == "output-column"]
    assert problem.path.startswith("rewards")
    assert "'pay_amount' would have the name of the column of scores" in problem.message


def test_two_labels_alike_in_simplified_are_told_apart_by_their_ids() -> None:
    # 乾部 and 幹部 are two words in Traditional Chinese, and both 干部 in Simplified.
    import partyscore

    text = _scheme(
        "    label: {zh-Hant: 幹部, en: total}\n", "label: {zh-Hant: 乾部, en: section}"
    )
    scheme = partyscore.load_scheme_text(text)
    records = [{"subject": "x", "period": "2024-Q1", "points": {"a": 3}}]
    evaluation = partyscore.evaluate(scheme, records)
    with partyscore.language("zh-Hans"):
        header = next(csv.reader(partyscore.to_csv(evaluation).splitlines()))
        table = partyscore.to_table(evaluation).splitlines()[0]
    assert header[4:6] == ["干部 (s)", "干部 (total)"]
    assert "干部 (s)" in table
    assert "干部 (total)" in table
    with partyscore.language("zh-Hant"):
        header = next(csv.reader(partyscore.to_csv(evaluation).splitlines()))
    assert header[4:6] == ["乾部", "幹部"]
