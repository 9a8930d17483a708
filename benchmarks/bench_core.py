"""Speed and memory of partyscore against hand-written baselines, measured in one run.

For the Chengzhuang ladder (10^3 .. 10^6 records) and the Yongxi red flag (10^3 .. 10^5
villages) it prints microseconds per record, records per second and peak memory of
partyscore and of a baseline measured in the same process, their ratio, and whether the
results agree; then the same for the command line, as subprocesses. Each target ends as a
line ``TARGET <name>: <ratio>x (target <=Nx) met|NOT MET``. The exit status is 1 when
partyscore and a baseline disagree on any result, else 0 (targets do not change it).

Run:  .venv/bin/python benchmarks/bench_core.py [--quick]

``--quick`` runs the ladder at 10^3 and 10^4, the whole Yongxi evaluation at 10^3 and 10^4
(its ranking and prizes at all three sizes) and the command line at 10^4 and 5x10^4.
Times are best of 3 for runs under a second, else one run. Peak memory of a run under a
second is traced by tracemalloc in one more run ("traced"); of a longer one it is how much the
resident set grew during it ("rss"; Linux: /proc/self/clear_refs resets the high-water mark).
In the full run a measurement is skipped when the previous size took over 120 s, or when the
previous size's peak, scaled, would not fit in the memory available.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import ctypes
import dataclasses
import decimal
import filecmp
import gc
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar

import baselines
import yaml
from baselines import Res
from simpleeval import SimpleEval

import partyscore
from partyscore import models
from partyscore._codegen import Segment
from partyscore._engine import Engine
from partyscore._expr import ARITHMETIC
from partyscore._plan import RankingRule, RankPrizeRule
from partyscore._records import check_records

ROOT = Path(__file__).resolve().parent.parent
LADDER_SCHEME = ROOT / "schemes" / "chengzhuang-ladder.yaml"
YONGXI_SCHEME = ROOT / "schemes" / "yongxi-red-flag.yaml"
YEAR = ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4")
TOO_SLOW = 120.0
"""Seconds: a measurement that took longer is not repeated at the next, larger size."""
TRACE_BELOW = 1.0
"""Seconds: runs shorter than this get their peak memory traced by tracemalloc."""
RANK_BUDGET = 6.0
"""Seconds for the repeated runs of each side of the ranking-and-prizes difference."""
MIB = 2**20
GIB = 2**30

T = TypeVar("T")
U = TypeVar("U")


# --------------------------------------------------------------------------- measuring


def _status(field: str) -> int | None:
    """A size from /proc/self/status, in bytes (None where there is no /proc)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _trim() -> None:
    """Hands memory the C allocator keeps after frees back to the system, so that the next
    run's growth of the resident set shows what that run needs (glibc only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 2**62


@dataclass
class Measure(Generic[T]):
    seconds: float
    peak: int | None
    """Peak bytes of one run (None: not measurable here)."""
    traced: bool
    """Whether `peak` is traced allocations (tracemalloc) rather than resident-set growth."""
    result: T

    def peak_text(self) -> str:
        if self.peak is None:
            return "peak      n/a"
        return f"peak {self.peak / MIB:8.1f} MiB {'traced' if self.traced else 'rss'}"


def _timed(work: Callable[[], Any]) -> float:
    """Seconds of one run of `work`, the objects alive before it frozen out of the collector."""
    gc.collect()
    gc.freeze()
    start = time.perf_counter()
    result = work()
    took = time.perf_counter() - start
    gc.unfreeze()
    del result
    return took


def measure(work: Callable[[], T], *, budget: float = 0.0, most: int = 7) -> Measure[T]:
    """Time `work`: best of 3 when a run is under a second, else one run; with a `budget`
    (seconds), more runs while they fit in it, up to `most`. Peak memory: for runs under
    TRACE_BELOW seconds, one more run under tracemalloc (exact, but slow); for longer ones,
    how much the resident set grew during the first run (memory the allocator kept from
    earlier runs is reused unseen, so small figures read low)."""
    gc.collect()
    # Objects alive before the run (records, other results) are frozen out of the cyclic
    # collector, so that each side pays for collecting its own objects only.
    gc.freeze()
    _trim()
    before = _status("VmRSS")
    can_peak = before is not None and _reset_peak()
    start = time.perf_counter()
    result = work()
    first = time.perf_counter() - start
    high = _status("VmHWM") if can_peak else None
    peak = max(0, high - before) if high is not None and before is not None else None
    gc.unfreeze()
    best, spent, runs = first, first, 1
    while runs < most and ((first < 1.0 and runs < 3) or spent + best <= budget):
        took = _timed(work)
        best, spent, runs = min(best, took), spent + took, runs + 1
    traced = first < TRACE_BELOW
    if traced:
        gc.collect()
        tracemalloc.start()
        again = work()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del again
    gc.collect()
    return Measure(best, peak, traced, result)


def paired(
    work: Callable[[], T], baseline: Callable[[], U], *, rounds: int = 5, budget: float = 4.0
) -> tuple[Measure[T], Measure[U]]:
    """Time `work` and `baseline` in alternation, best of each: on a shared machine the
    speed changes from second to second, and a ratio of two runs made minutes apart says
    more about the machine than about the code. One round each, with peak memory, then more
    alternating rounds (up to `rounds`) while a round fits in `budget` seconds."""
    first = measure(work, most=1)
    second = measure(baseline, most=1)
    best_work, best_baseline = first.seconds, second.seconds
    for _ in range(rounds - 1):
        if best_work + best_baseline > budget:
            break
        best_work = min(best_work, _timed(work))
        best_baseline = min(best_baseline, _timed(baseline))
    return (
        dataclasses.replace(first, seconds=best_work),
        dataclasses.replace(second, seconds=best_baseline),
    )


def row(label: str, m: Measure[Any], count: int, unit: str = "record") -> str:
    per = m.seconds / count * 1e6
    return (
        f"  {label:<42} {per:9.2f} us/{unit:<7} {count / m.seconds:11,.0f} {unit}s/s  "
        f"{m.peak_text()}"
    )


def ratio_text(value: float) -> str:
    return f"{value:.2f}x"


class Skipper:
    """Skips a measurement at the next size when this one was too slow or too large."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[int, float, int | None]] = {}

    def why_skip(self, task: str, size: int) -> str | None:
        if task not in self.last:
            return None
        previous, seconds, peak = self.last[task]
        if seconds > TOO_SLOW:
            return f"skipped: too slow ({previous:,} took {seconds:.0f} s)"
        if peak is not None:
            needed = peak * size / previous
            free = available_memory()
            if needed > 0.8 * free:
                return (
                    f"skipped: needs about {needed / GIB:.1f} GiB, {free / GIB:.1f} GiB available"
                )
        return None

    def done(self, task: str, size: int, seconds: float, peak: int | None) -> None:
        self.last[task] = (size, seconds, peak)


# --------------------------------------------------------------------------- agreement

Digest = tuple[Any, ...]


def _numbers(values: Mapping[str, Decimal]) -> tuple[tuple[str, str], ...]:
    return tuple((k, f"{v:f}") for k, v in values.items())


def digest_result(r: partyscore.Result) -> Digest:
    """What must agree, numbers written with their exact digits (100.00 is not 100)."""
    return (
        r.subject,
        r.period,
        r.kind,
        _numbers(r.scores),
        tuple(r.bands.items()),
        _numbers(r.values),
        tuple(r.ranks.items()),
        tuple((o.id, None if o.amount is None else f"{o.amount:f}") for o in r.rewards),
        tuple((o.id, o.rules) for o in r.actions),
        r.warnings,
    )


def digest_res(r: Res) -> Digest:
    return (
        r.subject,
        r.period,
        r.kind,
        _numbers(r.scores),
        tuple(r.bands.items()),
        _numbers(r.values),
        tuple(r.ranks.items()),
        tuple((i, None if a is None else f"{a:f}") for i, a in r.rewards),
        tuple(baselines.taken(r.actions)),
        r.warnings,
    )


class Agreement:
    def __init__(self) -> None:
        self.failed = False

    def check(self, what: str, left: Iterable[Digest], right: Iterable[Digest]) -> None:
        """Compares in order (both sides are ordered by period, then subject), streaming, so
        that a million digests are never held at once."""
        same = total = shown = 0
        for count, (a, b) in enumerate(itertools.zip_longest(left, right), start=1):
            total = count
            if a == b:
                same += 1
            elif shown < 3:
                shown += 1
                print(f"    differs: {a}\n         vs: {b}")
        print(f"  {what} agree: {same} of {total}")
        if same != total:
            self.failed = True


# --------------------------------------------------------------------------- peer engine


class _Exact(ast.NodeTransformer):
    """Numeric literals as Decimals, as the scheme means them (0.7 is 7/10)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        if isinstance(node.value, int | float) and not isinstance(node.value, bool):
            segment = ast.get_source_segment(self.text, node) or repr(node.value)
            node.value = Decimal(segment)  # type: ignore[assignment]  # simpleeval returns it as is
        return node


def parse_exact(text: str) -> ast.expr:
    tree = ast.parse(text.strip(), mode="eval")
    exact = _Exact(text.strip()).visit(tree)
    assert isinstance(exact, ast.Expression)
    return exact.body


class PeerLadder:
    """The Chengzhuang ladder with every expression of the scheme evaluated by plain
    simpleeval, each parsed once; sums, bands, ranks and the run count in Python."""

    def __init__(self, model: models.Scheme) -> None:
        self.engine = SimpleEval(names={})
        self.texts: dict[str, str] = {}
        for score in model.scores:
            self.texts[score.id] = score.expr
        for reward in model.rewards:
            if isinstance(reward, models.Money):
                self.texts[reward.id] = reward.amount
        self.conditions: list[tuple[str, str]] = []
        self.escalation: models.Escalation | None = None
        for action in model.actions:
            self.texts[action.id] = action.when
            if isinstance(action, models.Escalation):
                self.escalation = action
                for index, step in enumerate(action.steps):
                    if step.when is not None:
                        self.texts[f"{action.id}.{index}"] = step.when
            else:
                self.conditions.append((action.id, action.action or action.id))
        self.trees = {name: parse_exact(text) for name, text in self.texts.items()}
        self.parameters: dict[str, Any] = {}
        self.by: dict[str, tuple[str, dict[str, Decimal]]] = {}
        for name, parameter in model.parameters.items():
            if parameter.by is not None:
                assert parameter.values is not None
                self.by[name] = (parameter.by, dict(parameter.values))
            else:
                self.parameters[name] = parameter.value

    def value(self, name: str, env: dict[str, Any]) -> Any:
        self.engine.names = env
        return self.engine.eval(self.texts[name], previously_parsed=self.trees[name])

    def __call__(self, records: Iterable[baselines.Record]) -> list[Res]:
        escalation = self.escalation
        assert escalation is not None
        results: list[Res] = []
        streaks: dict[str, tuple[int, int]] = {}
        grouped = baselines.by_quarter(records)
        for year, index in sorted(grouped):
            ordinal = year * 4 + index - 1
            envs = []
            for record in sorted(grouped[(year, index)], key=lambda r: str(r["subject"])):
                points = record["points"]
                env: dict[str, Any] = {**points, **record["attributes"], **self.parameters}
                env.setdefault("major_error", False)
                env.setdefault("inaction", "none")
                for name, (attribute, values) in self.by.items():
                    env[name] = values[env[attribute]]
                env["key"] = baselines.section(points, baselines.KEY_NAMES, baselines.KEY_CAP)
                env["basic"] = baselines.section(points, baselines.BASIC_NAMES, baselines.BASIC_CAP)
                env["innovation"] = baselines.section(
                    points, baselines.INNOVATION_NAMES, baselines.INNOVATION_CAP
                )
                env["total"] = self.value("total", env).quantize(baselines.CENT, ROUND_HALF_UP)
                env["step"] = baselines.step_band(env["total"])
                env["step_coefficient"] = baselines.STEP_COEFFICIENTS[env["step"]]
                env["coefficient"] = self.value("coefficient", env).quantize(
                    baselines.CENT, ROUND_HALF_UP
                )
                env["subject"] = record["subject"]
                envs.append(env)
            totals = [env["total"] for env in envs]
            worst = min(totals)
            for env, rank in zip(envs, baselines.competition_ranks(totals), strict=True):
                env["mine_rank"] = Decimal(rank)
                env["mine_rank_last"] = env["total"] == worst
                pay = self.value("ladder_pay", env).quantize(baselines.CENT, ROUND_HALF_UP)
                actions = []
                for rule, action in self.conditions[:3]:
                    if self.value(rule, env):
                        actions.append((action, rule))
                subject = env["subject"]
                holds = bool(self.value(escalation.id, env))
                previous = streaks.get(subject)
                run = previous[1] if previous is not None and previous[0] == ordinal - 1 else 0
                count = run + 1 if holds else 0
                streaks[subject] = (ordinal, count)
                if holds:
                    chosen = None
                    for step_index, step in enumerate(escalation.steps):
                        if step.at > count:
                            break
                        if step.when is not None and not self.value(
                            f"{escalation.id}.{step_index}", env
                        ):
                            continue
                        chosen = step.action
                    if chosen is not None:
                        actions.append((chosen, escalation.id))
                for rule, action in self.conditions[3:]:
                    if self.value(rule, env):
                        actions.append((action, rule))
                results.append(
                    Res(
                        subject,
                        f"{year:04d}-Q{index}",
                        "period",
                        {k: env[k] for k in ("key", "basic", "innovation", "total", "coefficient")},
                        {"step": env["step"]},
                        {"step_coefficient": env["step_coefficient"]},
                        {"mine_rank": rank},
                        [("ladder_pay", pay)],
                        actions,
                    )
                )
        return results


# --------------------------------------------------------------------------- JSON content


def _outcome(o: partyscore.Outcome) -> dict[str, Any]:
    data: dict[str, Any] = {"id": o.id, "rule": o.rule}
    if o.also:
        data["rules"] = list(o.rules)
    if o.amount is not None:
        data["amount"] = f"{o.amount:f}"
        data["currency"] = o.currency
    if o.blocked_by:
        data["blocked_by"] = o.blocked_by
    if o.step is not None:
        data["step"] = o.step
    data["because"] = o.because
    return data


def json_content(evaluation: partyscore.Evaluation) -> dict[str, Any]:
    """The fields of to_json's document from the public results, Decimals as text."""
    results = []
    for r in evaluation.results:
        results.append(
            {
                "subject": r.subject,
                "period": r.period,
                "kind": r.kind,
                "group": r.group,
                "scores": {k: f"{v:f}" for k, v in r.scores.items()},
                "band": next(iter(r.bands.values()), None),
                "bands": dict(r.bands),
                "values": {k: f"{v:f}" for k, v in r.values.items()},
                "rank": next(iter(r.ranks.values()), None),
                "ranks": dict(r.ranks),
                "rewards": [_outcome(o) for o in r.rewards],
                "withheld": [_outcome(o) for o in r.withheld],
                "actions": [_outcome(o) for o in r.actions],
                "explain": dict(r.explain),
                "source": r.source,
                "warnings": list(r.warnings),
            }
        )
    return {
        "scheme": evaluation.scheme,
        "version": evaluation.version,
        "results": results,
        "warnings": list(evaluation.warnings),
    }


# --------------------------------------------------------------------------- report


@dataclass
class Report:
    full: bool
    agreement: Agreement = dataclasses.field(default_factory=Agreement)
    figures: dict[str, dict[int, float]] = dataclasses.field(default_factory=dict)
    """Per measurement, per size: ratios, and seconds or bytes where a target needs them."""

    def note(self, name: str, size: int, value: float) -> None:
        self.figures.setdefault(name, {})[size] = value


def _target(name: str, value: float | None, limit: float, missing: str = "") -> bool:
    if value is None:
        print(f"TARGET {name}: not measured ({missing}) (target <={limit:g}x) NOT MET")
        return False
    met = value <= limit
    print(f"TARGET {name}: {value:.2f}x (target <={limit:g}x) {'met' if met else 'NOT MET'}")
    return met


def _worst(values: Mapping[int, float] | None) -> float | None:
    return max(values.values()) if values else None


# --------------------------------------------------------------------------- Chengzhuang


def _ladder_evaluate(
    report: Report,
    scheme: partyscore.CompiledScheme,
    peer: PeerLadder,
    skip: Skipper,
    records: list[dict[str, Any]],
) -> None:
    count = len(records)
    why = skip.why_skip("evaluate", count)
    if why:
        print(f"  evaluate: {why}")
        return
    ps, base = paired(
        lambda: partyscore.evaluate(scheme, records), lambda: baselines.ladder(records)
    )
    skip.done("evaluate", count, ps.seconds, ps.peak)
    print(row("partyscore.evaluate()", ps, count))
    print(row("baselines.ladder()", base, count))
    ratio = ps.seconds / base.seconds
    report.note("evaluate", count, ratio)
    print(f"  evaluate / ladder(): {ratio_text(ratio)}")
    # ladder() takes records already typed and checks nothing; evaluate() checks each one.
    checked = measure(lambda: check_records(scheme, records, "collect"))
    print(row("of which the record check", checked, count))
    rules = max(0.0, ps.seconds - checked.seconds)
    print(f"  evaluate() less its record check / ladder(): {ratio_text(rules / base.seconds)}")
    report.agreement.check(
        "evaluate vs ladder():",
        (digest_result(r) for r in ps.result.results),
        (digest_res(r) for r in base.result),
    )
    evaluation, evaluate_seconds = ps.result, ps.seconds
    del ps

    _ladder_json(report, skip, evaluation)
    del evaluation
    gc.collect()

    why = skip.why_skip("peer", count)
    if why:
        print(f"  simpleeval peer: {why}")
        return
    peered = measure(lambda: peer(records))
    skip.done("peer", count, peered.seconds, peered.peak)
    print(row("simpleeval peer (parsed once)", peered, count))
    ratio = evaluate_seconds / peered.seconds
    report.note("peer", count, ratio)
    print(f"  evaluate / simpleeval peer: {ratio_text(ratio)}")
    report.agreement.check(
        "simpleeval peer vs ladder():",
        (digest_res(r) for r in peered.result),
        (digest_res(r) for r in base.result),
    )


def _ladder_json(report: Report, skip: Skipper, evaluation: partyscore.Evaluation) -> None:
    count = len(evaluation.results)
    why = skip.why_skip("to_json", count)
    if why:
        print(f"  to_json: {why}")
        return
    content = json_content(evaluation)
    as_json, dumped = paired(
        lambda: partyscore.to_json(evaluation),
        lambda: json.dumps(content, indent=2, ensure_ascii=False),
    )
    skip.done("to_json", count, as_json.seconds, as_json.peak)
    print(row("partyscore.to_json()", as_json, count))
    print(row("json.dumps(same fields, indent=2)", dumped, count))
    ratio = as_json.seconds / dumped.seconds
    report.note("to_json", count, ratio)
    print(
        f"  to_json / json.dumps: {ratio_text(ratio)}  ({len(as_json.result) / MIB:.1f} "
        f"vs {len(dumped.result) / MIB:.1f} MiB of text)"
    )


def _ladder_check(
    report: Report,
    scheme: partyscore.CompiledScheme,
    skip: Skipper,
    records: list[dict[str, Any]],
    path: Path,
) -> None:
    count = len(records)
    why = skip.why_skip("check", count)
    if why:
        print(f"  record checking: {why}")
        return
    baselines.write_ladder_csv(records, path)
    read = measure(lambda: partyscore.read_records(path, scheme))
    texts = read.result
    # No public call only checks records. evaluate() with a bad record first and another last
    # checks every record (collecting problems) and raises RecordError without applying the
    # rules; two problems reported show that the check reached the last record.
    first, last = (
        dataclasses.replace(texts[-1], subject=name, points={**texts[-1].points, "key_01": "9"})
        for name in ("zz-bad-first", "zz-bad-last")
    )
    checking: list[partyscore.Record] = [first, *texts, last]
    read.result = []
    del texts

    def check() -> int:
        try:
            partyscore.evaluate(scheme, checking)
        except partyscore.RecordError as error:
            return len(error.diagnostics)
        return 0

    checked = measure(check)
    skip.done("check", count, read.seconds + checked.seconds, checked.peak)
    checking.clear()
    hand = measure(lambda: baselines.read_csv_checked(path))
    path.unlink()
    print(row("partyscore.read_records(csv)", read, count))
    print(row("evaluate() record check (+2 bad records)", checked, count))
    print(row("baselines.read_csv_checked(csv)", hand, count))
    ratio = (read.seconds + checked.seconds) / hand.seconds
    report.note("check", count, ratio)
    print(
        f"  read_records + check / read_csv_checked: {ratio_text(ratio)}  "
        f"(problems reported: {checked.result}, expected 2)"
    )
    if checked.result != 2:
        report.agreement.failed = True
    same = sum(1 for a, b in zip(hand.result, records, strict=False) if a == b)
    print(f"  read_csv_checked vs generated records agree: {same} of {count}")
    if same != count or len(hand.result) != count:
        report.agreement.failed = True


def bench_ladder(report: Report, sizes: Sequence[int], tmp: Path) -> None:
    scheme = partyscore.load_scheme(LADDER_SCHEME)
    peer = PeerLadder(scheme.model)
    skip = Skipper()
    print("== Chengzhuang ladder: schemes/chengzhuang-ladder.yaml ==")
    print("   N/40 branches x 40 consecutive quarters from 2016-Q1; typed records (Decimal)")
    for n in sizes:
        branches, quarters = baselines.ladder_shape(n)
        records = list(baselines.ladder_records(branches, quarters))
        print(f"-- {len(records):,} records ({branches:,} branches x {quarters} quarters)")
        _ladder_evaluate(report, scheme, peer, skip, records)
        gc.collect()
        _ladder_check(report, scheme, skip, records, tmp / f"ladder-{n}.csv")
        del records
        gc.collect()


# --------------------------------------------------------------------------- Yongxi


def _ranked_variant() -> partyscore.CompiledScheme:
    """The Yongxi scheme with only its sum, total and prize levels, the village ranking and
    the split rank prize: what ranking and prizes need, and nothing after them."""
    data = yaml.safe_load(YONGXI_SCHEME.read_text(encoding="utf-8"))
    for key in ("year_end", "actions", "parameters"):
        data.pop(key, None)
    data["rewards"] = [r for r in data["rewards"] if r["id"] == "rank_prize"]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return partyscore.load_scheme_text(text, file="yongxi-variant.yaml")


def _rank_and_prize(result: partyscore.Result) -> Digest:
    prize = result.reward("rank_prize")
    return (result.ranks["village_rank"], None if prize is None else prize.amount)


def _ranking_steps(
    scheme: partyscore.CompiledScheme, records: list[dict[str, Any]]
) -> Callable[[], Callable[[], None]]:
    """A setup that checks the records and runs the scheme's record-by-record steps
    (untimed), returning the work to time: the ranking and rank-prize steps as the engine
    runs them within a period, on every village of the quarter."""
    rows = check_records(scheme, records, "collect")
    period = rows[0].period

    def setup() -> Callable[[], None]:
        engine = Engine(scheme)
        values = [engine.values(r) for r in engine.order(list(rows))]
        with decimal.localcontext(ARITHMETIC):
            for step in engine.program.steps:
                if isinstance(step, Segment):
                    assert step.fn is not None
                    for v in values:
                        step.fn(v, period.ordinal, period.year)
        later = [s for s in engine.program.steps if not isinstance(s, Segment)]

        def work() -> None:
            with decimal.localcontext(ARITHMETIC):
                for step in later:
                    if isinstance(step, RankingRule):
                        engine.rank(step, values)
                    elif isinstance(step, RankPrizeRule):
                        engine.rank_prize(step, values)
                    else:
                        raise AssertionError(f"unexpected step {step!r}")

        return work

    return setup


def _best_of(setup: Callable[[], Callable[[], None]], budget: float, most: int = 9) -> float:
    """Best seconds of `work` over runs that fit in `budget`, each on a fresh `setup()`."""
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 3 or (runs < most and spent + best <= budget):
        work = setup()
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        work()
        took = time.perf_counter() - start
        gc.enable()
        best, spent, runs = min(best, took), spent + took, runs + 1
    return best


def _yongxi_rank(
    report: Report, ranked: partyscore.CompiledScheme, skip: Skipper, records: list[dict[str, Any]]
) -> None:
    n = len(records)
    why = skip.why_skip("rank", n)
    if why:
        print(f"  ranking + prizes: {why}")
        return
    whole = measure(lambda: partyscore.evaluate(ranked, records))
    steps = _best_of(_ranking_steps(ranked, records), RANK_BUDGET)
    skip.done("rank", n, whole.seconds, whole.peak)
    rows = sorted(records, key=lambda r: str(r["subject"]))
    _, totals, bands, _ = baselines.yongxi_period(rows)

    def by_hand() -> tuple[list[int], list[Decimal | None]]:
        ranks = baselines.competition_ranks(totals)
        return ranks, baselines.rank_prizes(ranks, bands)

    hand = measure(by_hand)
    print(row("evaluate(), 1 quarter, ranking + prize", whole, n, "village"))
    label = "engine ranking + rank prize steps"
    print(f"  {label:<42} {steps / n * 1e6:9.2f} us/village {n / steps:11,.0f} villages/s")
    print(row("sorted() competition ranks + prizes", hand, n, "village"))
    ratio = steps / hand.seconds
    report.note("rank", n, ratio)
    print(f"  ranking + prizes / sorted(): {ratio_text(ratio)}")
    ranks, prizes = hand.result
    report.agreement.check(
        "ranks and prizes:",
        (_rank_and_prize(r) for r in whole.result.results),
        zip(ranks, prizes, strict=True),
    )


def _yongxi_whole(
    report: Report,
    scheme: partyscore.CompiledScheme,
    skip: Skipper,
    n: int,
    records: list[dict[str, Any]],
) -> None:
    why = skip.why_skip("whole", n)
    if why:
        print(f"  whole evaluation: {why}")
        return
    ps, base = paired(
        lambda: partyscore.evaluate(scheme, records), lambda: baselines.red_flag(records)
    )
    skip.done("whole", n, ps.seconds, ps.peak)
    print(row("evaluate(), 4 quarters + year end", ps, n, "village"))
    print(row("baselines.red_flag()", base, n, "village"))
    ratio = ps.seconds / base.seconds
    report.note("whole", n, ratio)
    report.note("per_village", n, ps.seconds / n)
    print(f"  evaluate / red_flag(): {ratio_text(ratio)}")
    report.agreement.check(
        "evaluate vs red_flag():",
        (digest_result(r) for r in ps.result.results),
        (digest_res(r) for r in base.result),
    )


def bench_yongxi(report: Report, sizes: Sequence[int], whole_sizes: Sequence[int]) -> None:
    scheme = partyscore.load_scheme(YONGXI_SCHEME)
    ranked = _ranked_variant()
    skip = Skipper()
    print("== Yongxi red flag: schemes/yongxi-red-flag.yaml ==")
    print("   integer points, totals about 60..100: ties in groups of thousands at 10^5")
    for n in sizes:
        print(f"-- {n:,} villages")
        records = list(baselines.yongxi_records(n))
        _yongxi_rank(report, ranked, skip, records)
        del records
        gc.collect()
        if n not in whole_sizes:
            print("  whole evaluation (4 quarters): skipped in --quick; the full run measures it")
            continue
        records = list(baselines.yongxi_records(n, YEAR))
        _yongxi_whole(report, scheme, skip, n, records)
        del records
        gc.collect()


# --------------------------------------------------------------------------- CLI

_WRAPPER = """
import resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
print(code, wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def run_child(argv: Sequence[str]) -> tuple[int, float, int]:
    """Exit status, wall seconds and peak RSS in bytes of one fresh child process."""
    out = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *argv], capture_output=True, text=True, check=True
    )
    code, wall, rss = out.stdout.split()
    if int(code) != 0:
        sys.stderr.write(out.stderr)
    return int(code), float(wall), int(rss) * 1024


def bench_cli(report: Report, sizes: Sequence[int], tmp: Path) -> None:
    console = Path(sys.executable).parent / "partyscore"
    print("== CLI: partyscore evaluate schemes/chengzhuang-ladder.yaml FILE.csv --format csv ==")
    print("   baseline: python benchmarks/baselines.py FILE.csv OUT.csv (csv module, ladder())")
    last: tuple[int, float, int] | None = None
    for n in sizes:
        branches, quarters = baselines.ladder_shape(n)
        if last is not None and report.full:
            previous, seconds, rss = last
            if seconds > TOO_SLOW:
                print(f"-- {n:,} rows: skipped: too slow ({previous:,} took {seconds:.0f} s)")
                continue
            if rss * n / previous > 0.8 * available_memory():
                print(f"-- {n:,} rows: skipped: needs about {rss * n / previous / GIB:.1f} GiB")
                continue
        source = tmp / f"cli-{n}.csv"
        rows = baselines.write_ladder_csv(baselines.ladder_records(branches, quarters), source)
        print(f"-- {rows:,} rows ({source.stat().st_size / MIB:.1f} MiB of CSV)")
        out, base_out = tmp / f"cli-{n}-out.csv", tmp / f"cli-{n}-base.csv"
        code, wall, rss = run_child(
            [
                str(console),
                "evaluate",
                str(LADDER_SCHEME),
                str(source),
                "--format",
                "csv",
                "--output",
                str(out),
            ]
        )
        base_code, base_wall, base_rss = run_child(
            [
                sys.executable,
                str(Path(__file__).parent / "baselines.py"),
                str(source),
                str(base_out),
            ]
        )
        last = (rows, wall, rss)
        print(
            f"  {'partyscore evaluate (subprocess)':<44} {wall / rows * 1e6:10.2f} us/row    "
            f"{wall:8.2f} s   peak RSS {rss / MIB:8.1f} MiB  exit {code}"
        )
        print(
            f"  {'baselines.py (subprocess)':<44} {base_wall / rows * 1e6:10.2f} us/row    "
            f"{base_wall:8.2f} s   peak RSS {base_rss / MIB:8.1f} MiB  exit {base_code}"
        )
        ratio = wall / base_wall
        report.note("cli", rows, ratio)
        report.note("cli_rss", rows, float(rss))
        report.note("cli_row", rows, wall / rows)
        print(f"  CLI / baseline script: {ratio_text(ratio)}")
        same = code == 0 and base_code == 0 and filecmp.cmp(out, base_out, shallow=False)
        print(f"  output files identical: {'yes' if same else 'NO'}")
        if not same:
            report.agreement.failed = True
        for path in (source, out, base_out):
            path.unlink(missing_ok=True)


FIXED_BRANCHES = 1_250
"""Branches a quarter in the fixed-quarter memory runs (the 5x10^4-row file's quarter)."""


def bench_cli_memory(report: Report, sizes: Sequence[int], tmp: Path) -> None:
    """Peak RSS of the CLI on files that grow by quarters, each quarter the same size: a
    period must be held whole (a ranking reads every subject of it), so memory follows the
    largest period; what must not grow is the memory for more periods of that size."""
    console = Path(sys.executable).parent / "partyscore"
    print(f"== CLI memory: {FIXED_BRANCHES:,} branches in every quarter, more quarters ==")
    for n in sizes:
        quarters = max(1, n // FIXED_BRANCHES)
        source = tmp / f"cli-fixed-{n}.csv"
        records = baselines.ladder_records(FIXED_BRANCHES, quarters)
        rows = baselines.write_ladder_csv(records, source)
        out = tmp / f"cli-fixed-{n}-out.csv"
        argv = [str(console), "evaluate", str(LADDER_SCHEME), str(source)]
        code, wall, rss = run_child([*argv, "--format", "csv", "--output", str(out)])
        print(
            f"-- {rows:,} rows ({quarters} quarters): {wall:8.2f} s   peak RSS "
            f"{rss / MIB:8.1f} MiB  exit {code}"
        )
        if code != 0:
            report.agreement.failed = True
        report.note("cli_rss_fixed", rows, float(rss))
        for path in (source, out):
            path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- main


def targets(report: Report) -> None:
    r = report.figures
    quick = "the full run measures it"
    print("== targets ==")
    met = [
        _target("evaluate vs ladder() (worst size)", _worst(r.get("evaluate")), 2),
        _target("record checking vs read_csv_checked() (worst size)", _worst(r.get("check")), 2),
        _target("to_json vs json.dumps (worst size)", _worst(r.get("to_json")), 3),
        _target(
            "red-flag ranking+prizes at 10^5 vs sorted()", r.get("rank", {}).get(10**5), 2, quick
        ),
        _target("whole Yongxi vs red_flag() (worst size)", _worst(r.get("whole")), 2),
    ]
    per = r.get("per_village", {})
    flat = per[10**5] / per[10**3] if 10**5 in per and 10**3 in per else None
    small = (
        f"; 10^4 vs 10^3: {per[10**4] / per[10**3]:.2f}x" if 10**4 in per and 10**3 in per else ""
    )
    met.append(_target("Yongxi us/village 10^5 vs 10^3", flat, 1.5, quick + small))
    rss = r.get("cli_rss", {})
    grown = rss[2 * 10**5] / rss[5 * 10**4] if 2 * 10**5 in rss and 5 * 10**4 in rss else None
    fixed = r.get("cli_rss_fixed", {})
    growth = (
        fixed[2 * 10**5] / fixed[5 * 10**4] if 2 * 10**5 in fixed and 5 * 10**4 in fixed else None
    )
    larger = f"; with 4x larger quarters: {grown:.2f}x" if grown is not None else ""
    met.append(
        _target("CLI peak RSS 2x10^5 vs 5x10^4 rows (same quarters)", growth, 1.5, quick + larger)
    )
    at_million = rss[10**6] / GIB if 10**6 in rss else None
    met.append(_target("CLI peak RSS at 10^6 rows vs 1 GiB", at_million, 1, quick))
    per_row = r.get("cli_row", {})
    constant = per_row[10**6] / per_row[10**4] if 10**6 in per_row and 10**4 in per_row else None
    met.append(_target("CLI time per row 10^6 vs 10^4 rows", constant, 1.5, quick))
    met.append(_target("CLI vs baseline script (worst size)", _worst(r.get("cli")), 2))
    print(f"targets met: {sum(met)} of {len(met)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (under 3 min)")
    args = parser.parse_args(argv)
    full = not args.quick
    ladder_sizes = [10**3, 10**4, 10**5, 10**6] if full else [10**3, 10**4]
    cli_sizes = [10**4, 5 * 10**4, 2 * 10**5, 10**6] if full else [10**4, 5 * 10**4]
    report = Report(full)
    start = time.perf_counter()
    print(
        f"bench_core {'full' if full else 'quick'} run: partyscore {partyscore.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{available_memory() / GIB:.1f} GiB available"
    )
    with tempfile.TemporaryDirectory(prefix="bench-core-") as folder:
        tmp = Path(folder)
        yongxi_sizes = [10**3, 10**4, 10**5]
        sections: list[tuple[str, Callable[[], None]]] = [
            ("ladder", lambda: bench_ladder(report, ladder_sizes, tmp)),
            (
                "Yongxi",
                lambda: bench_yongxi(report, yongxi_sizes, yongxi_sizes[: 3 if full else 2]),
            ),
            ("CLI", lambda: bench_cli(report, cli_sizes, tmp)),
            ("CLI memory", lambda: bench_cli_memory(report, [5 * 10**4, 2 * 10**5], tmp)),
        ]
        for name, section in sections:
            began = time.perf_counter()
            section()
            print(f"   ({name} section: {time.perf_counter() - began:.0f} s)")
    targets(report)
    agreed = not report.agreement.failed
    print(f"results agree everywhere: {'yes' if agreed else 'NO'}")
    print(f"run time: {time.perf_counter() - start:.0f} s")
    return 0 if agreed else 1


if __name__ == "__main__":
    sys.exit(main())
