"""``partyscore verify``: a results file computed again from what its decision record
names, and every difference said.

`read_results` reads a JSON output and its record; `locate` finds the files the record
names (where they were, or beside the results file, or where the caller says they are
now); `changed_files` compares their digests with the record's; `differences` compares
the results of the file with those computed again, result by result and field by field.
The command line (``cli``) runs the evaluation and prints what these return.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._decision import KEY, DecisionRecord, DecisionRecordError, file_digest
from ._diagnostics import Diagnostic
from ._i18n import _

__all__ = ["Located", "changed_files", "differences", "locate", "read_results"]

MAX_RESULTS_BYTES = 1 << 30
"""Largest results file verified, in bytes."""


def _error(file: str, code: str, message: str, path: str = "") -> DecisionRecordError:
    return DecisionRecordError([Diagnostic(file, 0, 0, code, message, path)])


def _loads(text: str) -> Any:
    """JSON with every decimal number kept as its text (``94.00`` stays ``94.00``)."""
    return json.loads(text, parse_float=str)


def read_results(path: str) -> tuple[bytes, dict[str, Any], DecisionRecord]:
    """The bytes of a JSON results file, its content, and its decision record.

    Raises:
        DecisionRecordError: when the file cannot be read, is not JSON, or has no (or a
            damaged) decision record.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_RESULTS_BYTES + 1)
    except OSError as exc:
        raise _error(path, "unreadable", exc.strerror or str(exc)) from None
    if len(data) > MAX_RESULTS_BYTES:
        raise _error(path, "too-large", _("the file is larger than 1 GiB"))
    try:
        content = _loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise _error(path, "input-format", _("not a JSON file of results (not UTF-8)")) from None
    except json.JSONDecodeError as exc:
        problem = DecisionRecordError(
            [
                Diagnostic(
                    path,
                    exc.lineno,
                    exc.colno,
                    "input-format",
                    _("not a JSON file of results: {reason}").format(reason=exc.msg),
                )
            ]
        )
        raise problem from None
    if not isinstance(content, dict) or not isinstance(content.get("results"), list):
        raise _error(path, "input-format", _("not a JSON file of results of partyscore evaluate"))
    if KEY not in content:
        raise _error(
            path,
            "no-decision-record",
            _(
                "the file has no decision record: write it with 'partyscore evaluate "
                "--format json' (which records the scheme and inputs), then verify that"
            ),
            KEY,
        )
    return data, content, DecisionRecord.from_dict(content[KEY], path)


@dataclass(frozen=True)
class Located:
    """Where the files of a record are now: each path to read, with the name the record
    gives it (records are named as they were when the results were written)."""

    scheme: str
    inputs: tuple[tuple[str, str], ...]
    history_in: tuple[str, str] | None
    overrides: tuple[str, str] | None = None


def _found(recorded: str, beside: Path, given: str | None, what: str, results: str) -> str:
    if given is not None:
        return given
    candidates = [Path(recorded)]
    if not Path(recorded).is_absolute():
        candidates.append(beside / recorded)
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    raise _error(
        results,
        "file-not-found",
        _(
            "cannot find {what} {path} that the decision record names (looked where it was "
            "and beside the results file): give it again with {option}"
        ).format(what=what, path=recorded, option=_option_of(what)),
        KEY,
    )


def _option_of(what: str) -> str:
    options = {
        "scheme": "--scheme",
        "input": "--input",
        "history": "--history-in",
        "overrides": "--overrides",
    }
    return options.get(what, "")


def locate(
    record: DecisionRecord,
    results: str,
    *,
    scheme: str | None = None,
    inputs: Sequence[str] = (),
    history_in: str | None = None,
    overrides: str | None = None,
) -> Located:
    """The files of `record`: those given, else at the recorded path, else beside the
    results file.

    Raises:
        DecisionRecordError: a file that is not found, or a count of inputs that is not
            the record's.
    """
    beside = Path(results).parent
    if inputs and len(inputs) != len(record.inputs):
        raise _error(
            results,
            "input-count",
            _(
                "the decision record names {recorded} input file(s) and {given} were "
                "given with --input: give them all, in the recorded order"
            ).format(recorded=len(record.inputs), given=len(inputs)),
            KEY,
        )
    found_scheme = _found(record.scheme.path, beside, scheme, "scheme", results)
    found_inputs = tuple(
        (_found(i.path, beside, inputs[n] if inputs else None, "input", results), i.path)
        for n, i in enumerate(record.inputs)
    )
    for given, recorded_file, option in (
        (history_in, record.history_in, "--history-in"),
        (overrides, record.overrides, "--overrides"),
    ):
        if given is not None and recorded_file is None:
            raise _error(
                results,
                "file-not-found",
                _("{option} {path}: the decision record names no such file").format(
                    option=option, path=given
                ),
                KEY,
            )
    history = None
    if record.history_in is not None:
        recorded = record.history_in.path
        history = (_found(recorded, beside, history_in, "history", results), recorded)
    kept = None
    if record.overrides is not None:
        recorded = record.overrides.path
        kept = (_found(recorded, beside, overrides, "overrides", results), recorded)
    return Located(found_scheme, found_inputs, history, kept)


def changed_files(record: DecisionRecord, scheme_digest: str, located: Located) -> list[str]:
    """One line per file whose digest is not the record's, scheme first.

    Raises:
        OSError: when an input, history or overrides file cannot be read.
    """
    lines = []
    if scheme_digest != record.scheme.sha256:
        lines.append(_changed(_("scheme"), located.scheme, record.scheme.sha256, scheme_digest))
    pairs = zip(located.inputs, record.inputs, strict=True)
    files = [(_("input"), path, kept) for (path, _name), kept in pairs]
    for what, found, kept_file in (
        (_("history"), located.history_in, record.history_in),
        (_("overrides"), located.overrides, record.overrides),
    ):
        if found is not None and kept_file is not None:
            files.append((what, found[0], kept_file))
    for what, path, kept in files:
        now = file_digest(path)
        if now != kept.sha256:
            lines.append(_changed(what, path, kept.sha256, now))
    return lines


def _changed(what: str, path: str, recorded: str, now: str) -> str:
    return _("{what} {path} has changed: SHA-256 {recorded} recorded, {now} now").format(
        what=what, path=path, recorded=recorded, now=now
    )


def differences(kept: bytes, computed: bytes) -> list[str]:
    """Every difference between a results file and the results computed again: the
    partyscore version, each result only in one of them, each field of a result that
    differs (``上寨村 2024-Q1: scores.total: 94.00 in the file, 93.50 computed``), and the
    run's warnings. Empty when the two are the same byte for byte, or differ only in the
    digests of the decision record (said by `changed_files`); one line saying so when they
    differ in their bytes only."""
    if kept == computed:
        return []
    old, new = _loads(kept.decode("utf-8")), _loads(computed.decode("utf-8"))
    lines = []
    was, now = old.get(KEY, {}).get("partyscore"), new[KEY]["partyscore"]
    if was != now:
        lines.append(
            _("written by partyscore {was}, computed again by partyscore {now}").format(
                was=was, now=now
            )
        )
    for path, line in _field(KEY, old.get(KEY), new[KEY], ""):
        # digests are said by changed_files, the version above
        if not path.endswith(".sha256") and path != f"{KEY}.partyscore":
            lines.append(line)
    for key in ("scheme", "version"):
        lines.extend(line for _path, line in _field(key, old.get(key), new.get(key), ""))
    lines.extend(_results(old.get("results"), new["results"]))
    lines.extend(line for _path, line in _field("warnings", old.get("warnings"),
                                                new.get("warnings"), ""))  # fmt: skip
    record_differs = old.get(KEY) != new[KEY]  # a changed file, already said by changed_files
    if not lines and not record_differs:
        lines.append(differences_bytes_only())
    return lines


def differences_bytes_only() -> str:
    """What `differences` says of a file whose results are the same but whose bytes are not."""
    return _(
        "the results are the same, but the file is not byte for byte as partyscore writes "
        "them: it was changed after it was written"
    )


def _key(result: Any) -> tuple[str, str, str]:
    if not isinstance(result, Mapping):
        return ("?", "?", "?")
    return (str(result.get("subject")), str(result.get("period")), str(result.get("kind")))


def _results(old: Any, new: list[Any]) -> Iterator[str]:
    olds = old if isinstance(old, list) else []
    kept = {_key(r): r for r in olds}
    computed = {_key(r): r for r in new}
    seen: set[tuple[str, str, str]] = set()
    for r in olds:
        key = _key(r)
        if key in seen:
            yield _("{where}: more than once in the file").format(where=" ".join(key[:2]))
        seen.add(key)
    for key in [*kept, *(k for k in computed if k not in kept)]:
        subject, period, kind = key
        where = f"{subject} {period}" + ("" if kind == "period" else f" ({kind})")
        if key not in computed:
            yield _("{where}: in the file, not computed").format(where=where)
        elif key not in kept:
            yield _("{where}: computed, not in the file").format(where=where)
        else:
            yield from _result(kept[key], computed[key], where)


_SHORTHANDS = ("band", "rank")
"""Fields that repeat another (the first banding's band, the first ranking's rank)."""


def _result(old: Mapping[str, Any], new: Mapping[str, Any], where: str) -> list[str]:
    """The fields of one result that differ; its explanations (and the ``because`` of its
    outcomes) only when nothing else differs, since they follow from the values."""
    values: list[str] = []
    reasons: list[str] = []
    for name in dict.fromkeys([*old, *new]):
        if name in _SHORTHANDS:
            continue
        for path, line in _field(name, old.get(name), new.get(name), where):
            wordy = path.startswith("explain.") or path.endswith(".because")
            (reasons if wordy else values).append(line)
    return values or reasons


def _by_id(value: Any) -> Any:
    """A list of outcomes (or overrides) as a mapping by id (by rule and outcome), so that
    differences are named by what they are about."""
    if not isinstance(value, list) or not value or not all(isinstance(v, Mapping) for v in value):
        return value
    if all("id" in v for v in value):
        return {f"[{v['id']}]": v for v in value}
    if all("outcome" in v and "rule" in v for v in value):
        return {f"[{v['rule']}:{v['outcome']}]": v for v in value}
    return value


def _field(name: str, old: Any, new: Any, where: str) -> Iterator[tuple[str, str]]:
    """(field path, line) for each leaf of `name` that differs."""
    if old == new:
        return
    old, new = _by_id(old), _by_id(new)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in dict.fromkeys([*old, *new]):
            joiner = "" if key.startswith("[") else "."
            yield from _field(f"{name}{joiner}{key}", old.get(key), new.get(key), where)
        return
    prefix = f"{where}: " if where else ""
    shown = (_shown(old), _shown(new))
    if shown[0] == shown[1]:  # alike as text (2 and "2"): as JSON
        shown = (json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False))
    line = _("{prefix}{name}: {old} in the file, {new} computed").format(
        prefix=prefix, name=name, old=shown[0], new=shown[1]
    )
    yield name, line


def _shown(value: Any) -> str:
    if value is None:
        return _("none")
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
