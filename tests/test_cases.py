"""The hostile-input case suite: one YAML file per case in tests/cases/ (format: its README.md).

Each case names its input (a scheme, an expression, a records file or a command line) and what
partyscore must do with it: raise one of its own errors with a code and a location, or give a
value. A case marked `isolate: true` runs in a child process with a time and memory limit, so
that an input that would hang or exhaust memory cannot take the test run down with it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

import partyscore
from partyscore import (
    PartyscoreError,
    RecordError,
    SchemeError,
    evaluate,
    load_scheme,
    read_records,
)
from partyscore._expr import BOOL, NUMBER, Evaluator, ExprError, Type, compile_expr, enum
from partyscore.cli import main

ROOT = Path(__file__).parent.parent
CASES = Path(__file__).parent / "cases"
FEATURES = Path(__file__).parent / "data" / "features.yaml"

KINDS = ("scheme", "expression", "records", "cli")
KEYS = {
    "about", "kind", "xfail", "isolate", "memory_mb", "max_seconds", "input", "input_encoding",
    "sparse_size", "base", "replace", "scheme_replace", "records_format", "read_encoding",
    "names", "want", "values", "args", "existing_output", "inject", "expect", "expect_value",
    "no_file",
}  # fmt: skip
EXPECT_KEYS = {
    "error", "code", "line", "column", "path", "message", "count", "max_count", "codes",
    "exit", "stdout_has", "stderr_has", "stdout_lacks", "stderr_lacks", "plain_stdout",
    "output_unchanged", "output_csv", "no_leftovers",
}  # fmt: skip
INJECTIONS = ("render-fails", "write-fails-midway", "read-only-dir", "killed-mid-write", "fsync")
STANDARD_NAMES = {
    "daily": "number",
    "annual": "number",
    "total": "number",
    "key": "number",
    "vetoed": "bool",
    "stage": ["activist", "probationary", "full"],
}


# --------------------------------------------------------------------------- loading cases


@dataclass(frozen=True)
class Case:
    """One case file, read and checked; `data` is its mapping."""

    path: Path
    data: Mapping[str, Any]

    @property
    def kind(self) -> str:
        kind: str = self.data["kind"]
        return kind

    @property
    def expect(self) -> Mapping[str, Any]:
        expect: Mapping[str, Any] = self.data.get("expect") or {}
        return expect


def read_case(path: Path) -> Case:
    """Read a case file and check its shape, so that a misspelt key fails loudly."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    problems = []
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: a case is a mapping")
    problems += [f"unknown key {k!r}" for k in sorted(set(data) - KEYS)]
    if not isinstance(data.get("about"), str) or not data["about"].strip():
        problems.append("'about' must say what the case proves")
    if data.get("kind") not in KINDS:
        problems.append(f"'kind' must be one of {', '.join(KINDS)}")
    if ("expect" in data) == ("expect_value" in data) and data.get("kind") != "cli":
        problems.append("give exactly one of 'expect' and 'expect_value'")
    expect = data.get("expect") or {}
    if not isinstance(expect, dict):
        problems.append("'expect' is a mapping")
    else:
        problems += [f"unknown expect key {k!r}" for k in sorted(set(expect) - EXPECT_KEYS)]
    if data.get("inject") not in (None, *INJECTIONS):
        problems.append(f"'inject' must be one of {', '.join(INJECTIONS)}")
    if "base" in data and data["base"] != "features":
        problems.append("'base' can only be 'features' (tests/data/features.yaml)")
    if "input" in data and not isinstance(data["input"], str | list):
        problems.append("'input' is a string or a list of pieces")
    if problems:
        raise ValueError(f"{path.name}: " + "; ".join(problems))
    return Case(path, data)


def all_cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        case = read_case(path)
        marks = []
        if case.data.get("xfail"):
            marks.append(pytest.mark.xfail(strict=True, reason=str(case.data["xfail"])))
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


# --------------------------------------------------------------------------- building inputs


def joined(pieces: str | list[Any]) -> str:
    """A string, or pieces (strings, or ``{text, times}`` for long repeats) joined.

    In a repeated piece ``{n}`` stands for the repetition's number (0, 1, ...).
    """
    if isinstance(pieces, str):
        return pieces
    parts = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(piece)
        else:
            text, times = str(piece["text"]), int(piece.get("times", 1))
            if "{n}" in text:
                parts.append("".join(text.replace("{n}", str(n)) for n in range(times)))
            else:
                parts.append(text * times)
    return "".join(parts)


def assemble(pieces: str | list[Any], tmp: Path) -> str:
    """The input text, with ``{tmp}`` standing for the case's temporary folder."""
    return joined(pieces).replace("{tmp}", str(tmp))


def patched(text: str, replacements: Sequence[Mapping[str, Any]] | None) -> str:
    """`text` with each `old` replaced (once) by `new`; every `old` must be there."""
    for pair in replacements or ():
        old, new = str(pair["old"]), joined(pair["new"])
        assert old in text, f"replace: {old!r} is not in the text"
        text = text.replace(old, new, 1)
    return text


def write_input(case: Case, tmp: Path, name: str, text: str) -> Path:
    """Write `text` as the case says (encoding, sparse size) and return the file."""
    path = tmp / name
    encoding = str(case.data.get("input_encoding", "utf-8"))
    path.write_bytes(text.encode(encoding, errors="surrogatepass"))
    if "sparse_size" in case.data:
        with path.open("r+b") as handle:
            handle.truncate(int(case.data["sparse_size"]))  # zeros, without writing them
    return path


def scheme_file(case: Case, tmp: Path) -> Path:
    """The scheme of a records or cli case: features.yaml with `scheme_replace` applied."""
    text = patched(FEATURES.read_text(encoding="utf-8"), case.data.get("scheme_replace"))
    text = text.replace("{tmp}", str(tmp))
    path = tmp / "scheme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def records_file(case: Case, tmp: Path) -> Path:
    suffix = str(case.data.get("records_format", "csv"))
    return write_input(case, tmp, f"records.{suffix}", assemble(case.data.get("input", ""), tmp))


# --------------------------------------------------------------------------- checking outcomes


@contextlib.contextmanager
def timed(case: Case) -> Iterator[None]:
    """Fail when the body takes longer than the case's `max_seconds` (when given)."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    limit = case.data.get("max_seconds")
    if limit is not None:
        assert elapsed <= float(limit), f"took {elapsed:.2f} s, more than {limit} s"


def matches(expected: Any, actual: Any) -> bool:
    """A list of expected values accepts any of them (``code: [a, b]``); else they are equal."""
    if isinstance(expected, list):
        return actual in expected
    return bool(expected == actual)


def check_error(expect: Mapping[str, Any], error: BaseException) -> None:
    """The raised error against `expect`: its class, then its diagnostics."""
    want = expect.get("error")
    if want:
        assert matches(want, type(error).__name__), f"raised {type(error).__name__}: {error}"
    if isinstance(error, ExprError):
        found = [{"code": error.code, "column": error.column, "message": error.message}]
    elif isinstance(error, PartyscoreError):
        found = [
            {
                "code": d.code,
                "line": d.line,
                "column": d.column,
                "path": d.path,
                "message": d.message,
            }
            for d in error.diagnostics
        ]
    else:
        found = []
    rendered = "\n".join(str(f) for f in found) or repr(error)
    if "count" in expect:
        assert len(found) == expect["count"], f"{len(found)} diagnostics:\n{rendered[:3000]}"
    if "max_count" in expect:
        assert len(found) <= expect["max_count"], f"{len(found)} diagnostics"
    if "codes" in expect:
        assert [f["code"] for f in found] == expect["codes"], rendered[:3000]
    fields = {k: expect[k] for k in ("code", "line", "column", "path") if k in expect}
    message = expect.get("message")
    if fields or message is not None:
        assert any(
            all(matches(v, f.get(k)) for k, v in fields.items())
            and (message is None or str(message) in str(f.get("message", "")))
            for f in found
        ), f"no diagnostic with {fields} and message {message!r} in:\n{rendered[:3000]}"


def expect_error(case: Case, run: Callable[[], Any]) -> None:
    """Run `run`, which must raise the expected error within the case's time limit."""
    want = case.expect.get("error")
    raised: BaseException | None = None
    result = None
    with timed(case):
        try:
            result = run()
        except (PartyscoreError, ExprError, ArithmeticError) as exc:
            raised = exc
    if raised is None:
        pytest.fail(f"expected {want or 'an error'}, got {result!r}")
    if want is None:
        default = {"scheme": SchemeError, "expression": ExprError, "records": RecordError}
        assert isinstance(raised, default[case.kind]), f"raised {type(raised).__name__}: {raised}"
    check_error(case.expect, raised)


def plain(value: Any) -> Any:
    """A value as a case file writes it: Decimals and dates as text, containers element-wise."""
    if isinstance(value, Decimal | date):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def lookup(root: Any, dotted: str) -> Any:
    """``model.sections[0].items[1].max``: attributes, then mapping keys; [n] indexes."""
    value = root
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", dotted):
        if part.startswith("["):
            value = value[int(part[1:-1])]
        elif isinstance(value, Mapping):
            value = value[part]
        else:
            value = getattr(value, part)
    return value


def same(expected: Any, actual: Any) -> bool:
    """Equal values of the same type (so the string "no" is not the boolean False)."""
    actual = plain(actual)
    return type(expected) is type(actual) and bool(expected == actual)


# --------------------------------------------------------------------------- the four kinds


def run_scheme(case: Case, tmp: Path) -> None:
    if case.data.get("base") == "features":
        text = patched(FEATURES.read_text(encoding="utf-8"), case.data.get("replace"))
        text = text.replace("{tmp}", str(tmp))
    else:
        text = assemble(case.data.get("input", ""), tmp)
    path = write_input(case, tmp, "scheme.yaml", text)
    if "expect" in case.data:
        expect_error(case, lambda: load_scheme(path))
        return
    with timed(case):
        scheme = load_scheme(path)
    for dotted, want in case.data["expect_value"].items():
        got = lookup(scheme, dotted)
        assert same(want, got), f"{dotted}: expected {want!r}, got {plain(got)!r}"


def names_of(case: Case) -> dict[str, Type]:
    declared = case.data.get("names", STANDARD_NAMES)
    types: dict[str, Type] = {}
    for name, kind in declared.items():
        simple = {"number": NUMBER, "bool": BOOL}
        types[name] = enum(kind) if isinstance(kind, list) else simple[kind]
    return types


def run_expression(case: Case, tmp: Path) -> None:
    text = assemble(case.data.get("input", ""), tmp)
    names = names_of(case)
    want = {"number": NUMBER, "bool": BOOL}[str(case.data.get("want", "number"))]
    values = {
        name: Decimal(str(value)) if names[name] == NUMBER else value
        for name, value in (case.data.get("values") or {}).items()
    }

    def run() -> Any:
        compiled = compile_expr(text, names, want)
        return Evaluator()(compiled, values)

    if "expect" in case.data:
        expect_error(case, run)
        return
    with timed(case):
        result = run()
    want_value = case.data["expect_value"]
    assert same(want_value, result), f"expected {want_value!r}, got {result!r}"


def run_records(case: Case, tmp: Path) -> None:
    source = scheme_file(case, tmp)
    path = records_file(case, tmp)
    encoding = str(case.data.get("read_encoding", "utf-8"))

    def run() -> partyscore.Evaluation:
        scheme = load_scheme(source)
        return evaluate(scheme, read_records(path, scheme, encoding=encoding))

    if "expect" in case.data:
        expect_error(case, run)
        return
    with timed(case):
        evaluation = run()
    expected = case.data["expect_value"]
    for want in expected if isinstance(expected, list) else [expected]:
        check_result(evaluation, want)


def check_result(evaluation: partyscore.Evaluation, want: Mapping[str, Any]) -> None:
    """One expected result: found by subject and period, then each given field compared."""
    if "results" in want:
        assert len(evaluation.results) == want["results"], evaluation.results
        return
    kind = want.get("kind", "period")
    found = [
        r
        for r in evaluation.results
        if r.subject == want["subject"] and r.period == str(want["period"]) and r.kind == kind
    ]
    assert len(found) == 1, f"{len(found)} results for {want['subject']} {want['period']}"
    result = found[0]
    for field in ("scores", "bands", "values", "ranks"):
        for key, value in (want.get(field) or {}).items():
            got = getattr(result, field).get(key)
            assert same(value, got), f"{field}.{key}: expected {value!r}, got {plain(got)!r}"
    if "rewards" in want:
        got_rewards = {o.id: plain(o.amount) for o in result.rewards}
        assert got_rewards == want["rewards"], got_rewards
    for key, part in (want.get("explain") or {}).items():
        assert str(part) in result.explain.get(key, ""), result.explain.get(key)
    for key, part in (want.get("because") or {}).items():
        because = [o.because for o in result.rewards if o.id == key]
        assert because, f"no reward {key!r}"
        assert str(part) in because[0], because[0]


# --------------------------------------------------------------------------- the command line


class _Midway:
    """A file wrapper whose write stores half of the text, then fails (or kills the process)."""

    def __init__(self, handle: io.TextIOWrapper, kill: bool) -> None:
        self.handle = handle
        self.kill = kill

    def write(self, text: str) -> int:
        self.handle.write(text[: len(text) // 2])
        self.handle.flush()
        if self.kill:
            os.kill(os.getpid(), signal.SIGKILL)
        raise OSError(28, "No space left on device")

    def __enter__(self) -> _Midway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def run_cli(case: Case, tmp: Path) -> None:
    """Run ``partyscore ...`` in-process with the case's placeholders filled in."""
    work = tmp / "work"
    (work / "folder").mkdir(parents=True)
    output = work / "results.out"
    existing = case.data.get("existing_output")
    if existing is not None:
        output.write_text(str(existing), encoding="utf-8")
    before = set(work.iterdir()) - {output}
    places = {
        "scheme": str(scheme_file(case, tmp)),
        "input": str(records_file(case, tmp)),
        "output": str(output),
        "folder": str(work / "folder"),
    }
    argv = [str(a).format(**places) for a in case.data["args"]]
    inject = case.data.get("inject")
    if inject == "killed-mid-write":
        status, out, err = cli_killed(argv)
    else:
        status, out, err = cli_in_process(argv, inject, work)
    expect = case.expect
    assert "Traceback" not in out + err, err[-3000:]
    if "exit" in expect:
        assert status == expect["exit"], f"exit {status}\n{out[-2000:]}\n{err[-2000:]}"
    for part in expect.get("stdout_has", []):
        assert part in out, out[-3000:]
    for part in expect.get("stderr_has", []):
        assert part in err, err[-3000:]
    for part in expect.get("stdout_lacks", []):
        assert part not in out, out[-3000:]
    for part in expect.get("stderr_lacks", []):
        assert part not in err, err[-3000:]
    if expect.get("plain_stdout"):
        bad = sorted({c for c in out + err if unicodedata.category(c) == "Cc" and c != "\n"})
        assert not bad, f"control characters in the output: {bad}"
    if expect.get("output_unchanged"):
        assert output.read_text(encoding="utf-8") == existing
    if expect.get("no_leftovers"):
        left = set(work.iterdir()) - {output} - before
        assert not left, f"left behind: {sorted(p.name for p in left)}"
    for column, values in (expect.get("output_csv") or {}).items():
        rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
        assert [row[column] for row in rows] == values


def cli_in_process(argv: list[str], inject: str | None, work: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        if inject == "render-fails":
            def broken(*_: object, **__: object) -> str:
                raise RuntimeError("rendering failed")

            for name in ("csv_header", "csv_rows", "json_head", "result_json", "to_table"):
                stack.enter_context(mock.patch(f"partyscore.cli.{name}", broken))
        if inject == "write-fails-midway":
            real = os.fdopen

            def midway(fd: int, *args: Any, **kwargs: Any) -> _Midway:
                return _Midway(real(fd, *args, **kwargs), kill=False)

            stack.enter_context(mock.patch("partyscore.cli.os.fdopen", midway))
        if inject == "read-only-dir":
            work.chmod(0o555)
            stack.callback(work.chmod, 0o755)
            probe = work / ".probe"
            try:  # the superuser writes anyway: then refuse creating files there ourselves
                probe.write_text("")
                probe.unlink()
                denied = PermissionError(13, "Permission denied")
                stack.enter_context(
                    mock.patch("partyscore.cli.tempfile.mkstemp", side_effect=denied)
                )
            except PermissionError:
                pass
        if inject == "fsync":
            stack.enter_context(watch_fsync())
        try:
            status = main(argv)
        except RuntimeError as exc:  # the injected rendering failure may propagate as it is
            if str(exc) != "rendering failed":
                raise
            status = -1
    return status, out.getvalue(), err.getvalue()


_SYNCED: list[str] = []


@contextlib.contextmanager
def watch_fsync() -> Iterator[None]:
    """Record fsync calls and replacements, to check the data reaches the disk first."""
    _SYNCED.clear()
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: Any) -> None:
        _SYNCED.append("fsync")
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        _SYNCED.append("replace")
        real_replace(src, dst)

    with mock.patch("os.fsync", fsync), mock.patch("os.replace", replace):
        yield
    assert "replace" in _SYNCED, _SYNCED
    assert "fsync" in _SYNCED[: _SYNCED.index("replace")], f"no fsync before replace: {_SYNCED}"


def cli_killed(argv: list[str]) -> tuple[int, str, str]:
    """Run the command in a child process that is killed (SIGKILL) halfway through the write."""
    code = (
        "import os, sys\n"
        "import partyscore.cli as cli\n"
        "from tests.test_cases import _Midway\n"
        "real = os.fdopen\n"
        "cli.os.fdopen = lambda fd, *a, **k: _Midway(real(fd, *a, **k), kill=True)\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    return done.returncode, done.stdout, ""


# --------------------------------------------------------------------------- running a case

RUNNERS: dict[str, Callable[[Case, Path], None]] = {
    "scheme": run_scheme,
    "expression": run_expression,
    "records": run_records,
    "cli": run_cli,
}


def run_case(path: str | Path) -> None:
    """Run one case in this process."""
    case = read_case(Path(path))
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        RUNNERS[case.kind](case, tmp)
        no_file = case.data.get("no_file")
        if no_file:
            target = Path(str(no_file).replace("{tmp}", str(tmp)))
            assert not target.exists(), f"{target} was created: the input ran code"


def run_isolated(case: Case) -> None:
    """Run one case in a child process limited in time (`max_seconds` + 1 s) and memory."""
    seconds = float(case.data.get("max_seconds", 10)) + 1
    memory = int(case.data.get("memory_mb", 1024)) * 1024 * 1024

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    code = "import sys\nfrom tests.test_cases import run_case\nrun_case(sys.argv[1])"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(case.path)],
            capture_output=True,
            text=True,
            timeout=seconds,
            cwd=ROOT,
            preexec_fn=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        done = None
    if done is None:
        pytest.fail(f"still running after {seconds:.0f} s (stopped)")
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.parametrize("path", all_cases())
def test_case(path: Path) -> None:
    case = read_case(path)
    if case.data.get("isolate"):
        run_isolated(case)
    else:
        run_case(path)


def test_there_are_enough_cases() -> None:
    kinds = [read_case(p).kind for p in CASES.glob("*.yaml")]
    assert len(kinds) >= 50
    assert set(kinds) == set(KINDS)
