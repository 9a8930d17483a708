"""Dask gives what the single-process paths give, whatever the partitioning.

The oracles: the record engine (`partyscore.evaluate` then `to_csv`) for the shipped
examples and generated records, and the single-process columnar path (itself checked
against the record engine in test_columnar) for a generated million records. The cluster
is a `distributed.LocalCluster` of two worker processes, so that the scheme and the
records travel between processes as they do on a real cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import given
from hypothesis import strategies as st

import partyscore
from partyscore.testing import records
from tests.tables import generated, issued, text_table, yongxi_with_a_bad_value

pl = pytest.importorskip("polars")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
import dask  # noqa: E402

import partyscore.dask  # noqa: E402
from partyscore.columnar import evaluate_table  # noqa: E402

ROOT = Path(__file__).parent.parent
SHIPPED = sorted(p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.endswith(".test.yaml"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as made,
        distributed.Client(made) as client,
    ):
        yield client


def reference(scheme: partyscore.CompiledScheme, given_records: Any) -> str:
    return partyscore.to_csv(partyscore.evaluate(scheme, given_records))


def on_dask(scheme: partyscore.CompiledScheme, table: Any, parts: int, **options: Any) -> str:
    frame = dd.from_pandas(table.to_pandas(), npartitions=parts)
    results = partyscore.dask.evaluate(scheme, frame, **options).compute()
    text: str = pl.from_pandas(results.reset_index(drop=True)).write_csv()
    return text


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_example_on_a_cluster_gives_the_bytes_of_to_csv(path, cluster):
    scheme = partyscore.load_scheme(path)
    example = ROOT / "examples" / f"{path.stem}.csv"
    expected = reference(scheme, partyscore.read_records(example, scheme))
    table = pl.read_csv(example, infer_schema=False)
    for parts in (1, 3, 7):
        assert on_dask(scheme, table, parts) == expected, parts


def test_a_million_generated_records_on_a_cluster_are_the_single_process_results(cluster, tmp_path):
    # 25,000 branches x 40 quarters, one record in 30 left out so that gaps break runs:
    # rankings of 25,000, and escalations over ten years of quarters.
    scheme = partyscore.load_scheme(ROOT / "schemes" / "chengzhuang-ladder.yaml")
    table = generated(scheme, 25_000, 40, seed=10, gaps=1 / 30)
    assert 960_000 < table.height < 1_000_000
    expected, _warned = issued(lambda: evaluate_table(scheme, table))
    # as a province keeps them: Parquet files (in the order of the rows), read by Dask
    for part in range(8):
        table[part * 125_000 : (part + 1) * 125_000].write_parquet(tmp_path / f"{part}.parquet")
    frame = dd.read_parquet(sorted(tmp_path.glob("*.parquet")))
    assert frame.npartitions == 8
    results = partyscore.dask.evaluate(scheme, frame).compute()
    got = pl.from_pandas(results.reset_index(drop=True))
    assert got.height == expected.height
    assert got.equals(expected)
    # every step of the escalation was reached somewhere
    actions = "".join(a for a in expected["actions"].drop_nulls().unique().to_list())
    for step in ("self_reflection", "admonition_talk", "dismissal"):
        assert step in actions


@pytest.mark.parametrize("name", ["yongxi-red-flag", "university-member-points"])
def test_generated_tables_with_year_end_prizes_and_groups_on_a_cluster(name, cluster):
    scheme = partyscore.load_scheme(ROOT / "schemes" / f"{name}.yaml")
    table = generated(scheme, 300, 12, seed=4, gaps=0.05)
    expected = reference(
        scheme, partyscore.read_records(table.write_csv().encode(), scheme, name="t.csv")
    )
    assert on_dask(scheme, table, 5) == expected


def outcome(run: Any) -> Any:
    try:
        return run()
    except partyscore.EvaluationError as error:
        return [(d.code, d.message) for d in error.diagnostics]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_generated_records_in_any_partitioning_agree_with_the_record_path(path):
    scheme = partyscore.load_scheme(path)

    @hypothesis.settings(max_examples=8, derandomize=True, database=None, deadline=None)
    @given(records(scheme, subjects=(1, 6)), st.integers(1, 4))
    def agree(batch, parts):
        expected = outcome(lambda: reference(scheme, batch))
        table = text_table(batch, scheme)
        # in this process, one partition after another (tasks shuffle: no workers here)
        with dask.config.set({"scheduler": "sync", "dataframe.shuffle.method": "tasks"}):
            found = outcome(lambda: on_dask(scheme, table, parts))
        if isinstance(expected, str):
            assert found == expected
        else:
            # The record engine stops at the first record at fault in the table; each
            # partition stops at its own first, and the partition that fails first
            # raises: it is the first record at fault of its period.
            assert isinstance(found, list)
            periods = {r["period"] for r in batch}
            firsts = [
                outcome(lambda p=p: reference(scheme, [r for r in batch if r["period"] == p]))
                for p in sorted(periods)
            ]
            assert found in firsts

    agree()


def test_bad_records_are_the_record_paths_problems_with_their_rows(cluster, tmp_path):
    scheme = partyscore.load_scheme(ROOT / "schemes" / "yongxi-red-flag.yaml")
    bad = yongxi_with_a_bad_value()  # 'abc' at row 32
    bad = pl.concat([bad, bad[5]])  # the record of row 7 again, as row 122
    path = tmp_path / "villages.csv"
    bad.write_csv(path)
    with pytest.raises(partyscore.RecordError) as expected:
        partyscore.evaluate(scheme, partyscore.read_records(path, scheme))
    for parts in (1, 4):
        with pytest.raises(partyscore.RecordError) as found:
            on_dask(scheme, bad, parts, source=str(path))
        assert found.value.diagnostics == expected.value.diagnostics
    lines = sorted(d.line for d in expected.value.diagnostics)
    assert lines == [32, 122]


def test_a_table_without_its_period_column_is_refused_at_once():
    scheme = partyscore.load_scheme(ROOT / "schemes" / "nanping-activity-day.yaml")
    table = pl.read_csv(ROOT / "examples" / "nanping-activity-day.csv", infer_schema=False)
    frame = dd.from_pandas(table.drop("period").to_pandas(), npartitions=2)
    with pytest.raises(partyscore.RecordError) as found:
        partyscore.dask.evaluate(scheme, frame)
    (problem,) = found.value.diagnostics
    assert problem.code == "columnar-input"
    assert "'period'" in problem.message


def test_a_ranking_after_an_escalation_is_refused_with_both_named():
    scheme = partyscore.load_scheme(ROOT / "schemes" / "yongxi-red-flag.yaml")
    plan = scheme.plan
    rules = list(plan.rules)
    escalation = next(r for r in rules if type(r).__name__ == "EscalationRule")
    ranking = next(r for r in rules if type(r).__name__ == "RankingRule")
    reordered = [r for r in rules if r is not ranking] + [ranking]
    object.__setattr__(plan, "rules", tuple(reordered))
    frame = dd.from_pandas(pl.DataFrame({"subject": ["a"], "period": ["2024-Q1"]}).to_pandas())
    with pytest.raises(partyscore.SchemeError) as found:
        partyscore.dask.evaluate(scheme, frame)
    (problem,) = found.value.diagnostics
    assert problem.code == "distributed-order"
    assert repr(ranking.id) in problem.message
    assert repr(escalation.id) in problem.message
