"""Mutation runs: would a scheme's tests notice if one deciding value were wrong?

A mutant is the scheme with one change of the kind a typing slip or a misreading makes: a
number one unit off in its last written digit (a band bound, a cap, an amount, a prize, a
parameter, a step's count, a rounding's places, a literal in an expression), a comparison
turned inclusive or exclusive (``<`` and ``<=``; a band's ``at_least`` and ``above``), an
arithmetic or logical operator swapped (``+`` and ``-``, ``*`` and ``/``, ``and`` and
``or``), a boolean literal flipped, or a rule option changed (ties, counting, rounding mode,
missing periods). Each mutant is compiled and linted like the scheme, then the scheme's
test cases are run against it. A mutant is *killed* when a case fails, when the scheme is
refused (the change makes it invalid) or when the linter finds a problem the scheme does
not have; otherwise it *survives*: no case pins that value.

Items' maxima and the declared ranges of scores and attributes are not mutated: they are
guarantees checked on every record (and item maxima against caps by the linter), not values
that decide an outcome.
"""

from __future__ import annotations

import copy
import io
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from .. import models as m
from .._compile import compile_scheme
from .._diagnostics import Diagnostic, SchemeError
from .._i18n import _
from .._loader import Document, label, parse_yaml
from ._format import SchemeTestFile
from ._run import run_case

__all__ = ["Mutant", "MutantResult", "MutationReport", "mutants", "run_mutations"]

PathKey = tuple[str | int, ...]

_EXPRESSION_KEYS = frozenset({"when", "expr", "amount", "count", "share"})
"""Keys whose string value may be an expression."""
_SWAPS: dict[str, tuple[str, ...]] = {
    "<": ("<=",),
    "<=": ("<",),
    ">": (">=",),
    ">=": (">",),
    "==": ("!=",),
    "!=": ("==",),
    "+": ("-",),
    "-": ("+",),
    "*": ("/",),
    "/": ("*",),
    "and": ("or",),
    "or": ("and",),
    "True": ("False",),
    "False": ("True",),
    "true": ("false",),
    "false": ("true",),
}
_OPTIONS: dict[str, dict[str, str]] = {
    "ties": {
        "competition": "dense",
        "dense": "competition",
        "include": "exclude",
        "exclude": "include",
        "shared": "split",
        "split": "shared",
    },
    "count": {"consecutive": "in_year", "in_year": "consecutive"},
    "mode": {
        "half_up": "half_even",
        "half_even": "half_up",
        "half_down": "half_up",
        "up": "down",
        "down": "up",
        "ceiling": "floor",
        "floor": "ceiling",
    },
    "share_rounding": {"ceiling": "floor", "floor": "ceiling", "half_up": "floor"},
    "missing": {"as_absent": "skip", "skip": "as_absent", "error": "as_absent"},
    "order": {"descending": "ascending", "ascending": "descending"},
}
_BOUND_SWAPS = {"at_least": "above", "above": "at_least", "below": "at_most", "at_most": "below"}


@dataclass(frozen=True)
class Mutant:
    """One change to a scheme: where (`line`, key `path`) and what (`change`)."""

    file: str
    line: int
    path: str
    change: str
    data: Any = field(default=None, repr=False, compare=False)
    """The scheme's data with the change made (as parsed from YAML)."""

    def render(self) -> str:
        """``file:line: path: change``."""
        return f"{self.file}:{self.line}: {self.path}: {self.change}"


Verdict = Literal["failed", "refused", "lint", "equivalent", "survived"]


@dataclass(frozen=True)
class MutantResult:
    """What became of a mutant: a case `failed`, the scheme was `refused`, the linter
    found a new problem (`lint`), the test file declares it `equivalent`, or it
    `survived`; `detail` names the case, the code or the reason."""

    mutant: Mutant
    verdict: Verdict
    detail: str = ""

    @property
    def killed(self) -> bool:
        """Whether something noticed the change."""
        return self.verdict in ("failed", "refused", "lint")


@dataclass(frozen=True)
class MutationReport:
    """A mutation run over one test file: each mutant's fate, and the declared equivalent
    mutants that are not (no such mutant, or a case notices it), as problems."""

    test_file: str
    scheme: str
    results: tuple[MutantResult, ...]
    stale: tuple[Diagnostic, ...] = ()

    @property
    def survivors(self) -> list[MutantResult]:
        return [r for r in self.results if r.verdict == "survived"]

    @property
    def ok(self) -> bool:
        """No mutant survived and every declared equivalent is one."""
        return not self.survivors and not self.stale

    def counts(self) -> dict[str, int]:
        """How many mutants met each fate."""
        found = dict.fromkeys(("failed", "refused", "lint", "equivalent", "survived"), 0)
        for result in self.results:
            found[result.verdict] += 1
        return found

    def render(self) -> str:
        """Each survivor as ``file:line: path: change [survived]``, each stale declaration,
        then one summary line."""
        lines = [f"{r.mutant.render()} [survived]" for r in self.survivors]
        lines += [d.render() for d in self.stale]
        c = self.counts()
        summary = _(
            "{total} mutants: {failed} fail a case, {refused} refused, {lint} flagged by lint, "
            "{equivalent} equivalent (declared), {survived} survived"
        ).format(total=len(self.results), **c)
        lines.append(f"{self.scheme}: {summary}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "test_file": self.test_file,
            "scheme": self.scheme,
            "counts": self.counts(),
            "survivors": [
                {
                    "file": r.mutant.file,
                    "line": r.mutant.line,
                    "path": r.mutant.path,
                    "change": r.mutant.change,
                }
                for r in self.survivors
            ],
            "stale_equivalents": [d.to_dict() for d in self.stale],
            "ok": self.ok,
        }


def mutants(path: str | Path) -> list[Mutant]:
    """Every mutant of the scheme file at `path`, in file order.

    Raises:
        SchemeError: when the file does not parse as YAML.
    """
    name = str(path)
    text = Path(path).read_text(encoding="utf-8")
    document, problems = parse_yaml(text, name)
    if document is None:
        raise SchemeError(problems)
    found = list(_walk(document, document.data, ()))
    return sorted(found, key=lambda mutant: mutant.line)


def run_mutations(tests: SchemeTestFile) -> MutationReport:
    """Run every case of a loaded test file against each mutant of its scheme."""
    original = tests.scheme
    known = {(d.code, d.path) for d in original.warnings}
    file = original.file
    results: list[MutantResult] = []
    seen: set[tuple[str, str]] = set()
    stale: list[Diagnostic] = []
    for mutant in mutants(file):
        result = _judge(tests, mutant, known)
        key = (mutant.path, mutant.change)
        declared = tests.equivalent.get(key)
        if declared is not None:
            seen.add(key)
            if result.killed:
                stale.append(
                    Diagnostic(
                        str(tests.path),
                        declared[1],
                        0,
                        "stale-equivalent",
                        # TRANSLATORS: {mutant} names a change to the scheme ("path: old ->
                        # new"); {fate} says what noticed it ("refused by validation [code]")
                        _(
                            "{mutant} is declared equivalent, but it is {fate}: remove the "
                            "declaration"
                        ).format(mutant=f"{mutant.path}: {mutant.change}", fate=_fate(result)),
                        "equivalent_mutants",
                    )
                )
            else:
                result = MutantResult(mutant, "equivalent", declared[0])
        results.append(result)
    for key, (_reason, line) in tests.equivalent.items():
        if key not in seen:
            stale.append(
                Diagnostic(
                    str(tests.path),
                    line,
                    0,
                    "stale-equivalent",
                    # TRANSLATORS: {mutant} names a change to the scheme ("path: old -> new")
                    _(
                        "{mutant} is declared equivalent, but the scheme has no such mutant "
                        "(run 'partyscore test --mutate' for their names)"
                    ).format(mutant=f"{key[0]}: {key[1]}"),
                    "equivalent_mutants",
                )
            )
    return MutationReport(str(tests.path), file, tuple(results), tuple(stale))


def _fate(result: MutantResult) -> str:
    if result.verdict == "failed":
        return _("noticed by the case {case!r}").format(case=result.detail)
    if result.verdict == "refused":
        return _("refused by validation [{code}]").format(code=result.detail)
    return _("flagged by lint [{code}]").format(code=result.detail)


def _judge(tests: SchemeTestFile, mutant: Mutant, known: set[tuple[str, str]]) -> MutantResult:
    try:
        model = m.Scheme.model_validate(mutant.data)
        compiled = compile_scheme(model, file=tests.scheme.file)
    except ValidationError as exc:
        return MutantResult(mutant, "refused", exc.errors(include_url=False)[0]["type"])
    except SchemeError as exc:
        return MutantResult(mutant, "refused", exc.diagnostics[0].code)
    new = sorted({(d.code, d.path) for d in compiled.warnings} - known)
    if new:
        return MutantResult(mutant, "lint", new[0][0])
    changed = replace(tests, scheme=compiled)
    for case in tests.cases:
        if not run_case(changed, case).passed:
            return MutantResult(mutant, "failed", case.name)
    return MutantResult(mutant, "survived")


# --------------------------------------------------------------------------- finding them


def _walk(document: Document, data: Any, path: PathKey) -> Iterator[Mutant]:
    if isinstance(data, dict):
        for key, value in data.items():
            here = (*path, key)
            if key in _BOUND_SWAPS and _is_number(value) and "bands" in path:
                yield _mutant(
                    document,
                    here,
                    f"{key}: {value} -> {_BOUND_SWAPS[key]}: {value}",
                    _rename(document.data, here, _BOUND_SWAPS[key]),
                )
            yield from _walk(document, value, here)
        return
    if isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(document, value, (*path, index))
        return
    if not path or _excluded(path):
        return
    key = path[-1]
    if isinstance(data, bool):
        return
    if _is_number(data):
        yield from _numbers(document, path, data)
    elif isinstance(data, str):
        options = _OPTIONS.get(str(key), {})
        if data in options:
            other = options[data]
            yield _mutant(document, path, f"{data} -> {other}", _set(document.data, path, other))
        elif key in _EXPRESSION_KEYS:
            yield from _expression(document, path, data)


def _excluded(path: PathKey) -> bool:
    """Values that are not outcome-deciding: format and version numbers, dates, labels and
    source text, items' maxima and declared ranges."""
    keys = [p for p in path if isinstance(p, str)]
    last = keys[-1]
    if len(path) == 1 and last in ("partyscore", "version"):
        return True
    if keys[0] in ("effective", "title", "description", "source"):
        return True
    if last in ("label", "source", "assumed", "reading", "zh-Hant", "zh-Hans", "en"):
        return True
    if "label" in keys or "source" in keys:
        return True
    if "items" in keys and last in ("max", "min"):
        return True
    if keys[0] == "subject":
        return True  # attributes: types, values and ranges of the records
    return keys[0] == "scores" and last in ("min", "max")


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | Decimal):
        return True
    if isinstance(value, str):
        try:
            Decimal(value.strip())
        except InvalidOperation:
            return False
        return value.strip() != "" and value.strip().lstrip("+-").replace(".", "", 1).isdigit()
    return False


def _unit(number: Decimal) -> Decimal:
    """One unit in the last written digit: 1 for 60, 0.1 for 0.7, 0.01 for "2100.00"."""
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(exponent)


def _numbers(document: Document, path: PathKey, value: Any) -> Iterator[Mutant]:
    number = Decimal(str(value).strip())
    unit = _unit(number)
    for step in (unit, -unit):
        changed = number + step
        new: Any = str(changed) if isinstance(value, str) else changed
        if isinstance(value, int):
            new = int(changed)
        yield _mutant(document, path, f"{value} -> {new}", _set(document.data, path, new))


def _expression(document: Document, path: PathKey, text: str) -> Iterator[Mutant]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    for token in tokens:
        begin = starts[token.start[0] - 1] + token.start[1]
        end = starts[token.end[0] - 1] + token.end[1]
        shown = token.string
        replacements: tuple[str, ...] = ()
        if token.type in (tokenize.OP, tokenize.NAME) and shown in _SWAPS:
            replacements = _SWAPS[shown]
        elif token.type == tokenize.NUMBER:
            try:
                number = Decimal(shown)
            except InvalidOperation:
                continue
            unit = _unit(number)
            replacements = (str(number + unit), str(number - unit))
        for other in replacements:
            changed = text[:begin] + other + text[end:]
            yield _mutant(
                document,
                path,
                f"{text} -> {changed}",
                _set(document.data, path, changed),
                offset=begin,
            )


def _mutant(
    document: Document, path: PathKey, change: str, data: Any, *, offset: int = 0
) -> Mutant:
    line = document.position(path)[0]
    if offset:
        inside = document.text_position(path, offset)
        if inside is not None:
            line = inside[0]
    return Mutant(document.file, line, label(document.data, path), change, data)


def _set(data: Any, path: PathKey, value: Any) -> Any:
    twin = copy.deepcopy(data)
    target = twin
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return twin


def _rename(data: Any, path: PathKey, key: str) -> Any:
    twin = copy.deepcopy(data)
    target = twin
    for part in path[:-1]:
        target = target[part]
    target[key] = target.pop(path[-1])
    return twin
