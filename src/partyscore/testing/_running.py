"""How a check runs: Hypothesis settings, evaluating a batch, and failures that show the
records; plus what a check reads back from a result (`_value`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

import hypothesis
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from .._compile import CompiledScheme
from .._diagnostics import EvaluationError
from .._evaluate import evaluate
from .._i18n import _
from .._results import Evaluation, Result
from ._oracle import _attributes_of, _points_of
from ._strategies import Records, records


def _configure(
    chosen: hypothesis.settings | None, *, filtering: bool = False
) -> hypothesis.settings:
    """The caller's settings (else the active profile), without a deadline, reporting one bug;
    generating whole record lists is legitimately slow."""
    base = chosen if chosen is not None else hypothesis.settings()
    suppress = {
        *base.suppress_health_check,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    }
    if filtering:
        suppress.add(HealthCheck.filter_too_much)
    return hypothesis.settings(
        base,
        deadline=None,
        report_multiple_bugs=False,
        suppress_health_check=sorted(suppress, key=lambda h: h.value),
    )


def _run(
    test: Callable[..., None],
    *strategies: st.SearchStrategy[Any],
    config: hypothesis.settings,
) -> None:
    config(given(*strategies)(test))()


def _format(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _show(batch: Records) -> str:
    lines = []
    for record in batch:
        attrs = ", ".join(f"{k}={_format(v)}" for k, v in record.get("attributes", {}).items())
        points = ", ".join(f"{k}={_format(v)}" for k, v in record.get("points", {}).items())
        lines.append(
            f"  {record['subject']} {record['period']}: attributes {{{attrs}}} points {{{points}}}"
        )
    return "\n".join(lines)


def _fail(check: str, scheme: CompiledScheme, message: str, batch: Records) -> AssertionError:
    records = _("records:")
    return AssertionError(f"{check}: {scheme.id}: {message}\n{records}\n{_show(batch)}")


def _evaluate(check: str, scheme: CompiledScheme, batch: Records) -> Evaluation:
    """Evaluate; a valid batch that makes evaluation fail breaks the scheme's promise."""
    try:
        return evaluate(scheme, batch)
    except EvaluationError as exc:
        message = _("valid records make evaluation fail:")
        raise _fail(check, scheme, f"{message}\n{exc.render()}", batch) from None


def _by_key(batch: Records) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["subject"], r["period"]): r for r in batch}


def _period_results(evaluation: Evaluation) -> Iterator[Result]:
    return (r for r in evaluation.results if r.kind == "period")


def _value(
    scheme: CompiledScheme, name: str, result: Result, record: Mapping[str, Any]
) -> Decimal | None:
    """The number `name` had for this result, where a result or record shows it."""
    if name in result.scores:
        return result.scores[name]
    if name in result.values:
        return result.values[name]
    if name in scheme.items:
        value = _points_of(scheme, record)[name]
        return value if isinstance(value, Decimal) else None
    attributes = _attributes_of(scheme, record)
    if isinstance(attributes.get(name), Decimal):
        return Decimal(attributes[name])
    param = scheme.plan.parameters.get(name)
    if param is not None:
        return param.value_for(attributes)
    if any(ranking.id == name for ranking in scheme.plan.rankings):
        return Decimal(result.ranks[name])
    return None


def _strategy(
    scheme: CompiledScheme, given_records: st.SearchStrategy[Records] | None
) -> st.SearchStrategy[Records]:
    return given_records if given_records is not None else records(scheme)


def _difference(a: Evaluation, b: Evaluation) -> str:
    for x, y in zip(a.results, b.results, strict=False):
        if x != y:
            for key in (
                "subject",
                "period",
                "scores",
                "bands",
                "values",
                "ranks",
                "rewards",
                "withheld",
                "actions",
                "explain",
            ):
                if getattr(x, key) != getattr(y, key):
                    return (
                        f"  {x.subject} {x.period} {key}:\n    {getattr(x, key)}\n"
                        f"    {getattr(y, key)}"
                    )
    if len(a.results) != len(b.results):
        message = _("{count} results against {other}")
        return "  " + message.format(count=len(a.results), other=len(b.results))
    message = _("warnings {warnings} against {other}")
    return "  " + message.format(warnings=a.warnings, other=b.warnings)


def _without_sources(evaluation: Evaluation) -> Evaluation:
    results = tuple(dataclasses.replace(r, source="") for r in evaluation.results)
    return dataclasses.replace(evaluation, results=results)
