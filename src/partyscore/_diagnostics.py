"""Problems as data: one `Diagnostic` type, rendered in one place, and the errors carrying it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in a scheme file or in input records.

    `path` is the key path inside the document as people read it
    (``sections[key].items[key_01].max``) or, for records, the field name. `keys` is the same
    place as data: the keys and list indexes from the document's top
    (``("sections", 0, "items", 0, "max")``; for a missing key, the key that is missing).
    `line` and `column` are 1-based; 0 means unknown. For a record, `line` is its row and
    `subject` its subject id, once read. `about` is the name an unknown-name problem of a
    scheme is about.
    """

    file: str
    line: int
    column: int
    code: str
    message: str
    path: str = ""
    severity: Severity = "error"
    keys: tuple[str | int, ...] = field(default=(), compare=False, repr=False)
    subject: str | None = field(default=None, compare=False, repr=False)
    about: str | None = field(default=None, compare=False, repr=False)
    """For a scheme, the name an unknown-name or unknown-reference problem is about."""

    def to_dict(self) -> dict[str, str | int]:
        """The documented fields, as ``validate --format json`` prints them."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "severity": self.severity,
        }

    def render(self) -> str:
        """Render as ``file:line:column: path: message [code]``, the one format used everywhere."""
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}" if self.column else f":{self.line}"
        subject = f"{self.path}: " if self.path else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{subject}{self.message} [{self.code}]"


class PartyscoreError(Exception):
    """Base class of every error partyscore raises on bad input."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__(self.render())

    def __reduce__(self) -> tuple[Any, ...]:
        # raised in a worker process and re-raised where the results are asked for
        return (type(self), (self.diagnostics,))

    def render(self) -> str:
        """All problems, one rendered line each."""
        return "\n".join(d.render() for d in self.diagnostics)


class SchemeError(PartyscoreError):
    """A scheme file (YAML, model or expressions) is invalid; carries every problem found."""


class RecordError(PartyscoreError):
    """Input records are invalid; carries every problem found (or the first, if stopping early)."""


class EvaluationError(PartyscoreError):
    """A valid scheme failed on valid records (e.g. a score outside its declared range)."""


class PartyscoreWarning(UserWarning):
    """A warning of an evaluation that has no result row of its own (``2025: year-end rules
    not applied: ...``), issued by the columnar path where `Evaluation.warnings` would
    hold it."""


def sort_diagnostics(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """File order, then line, column and code, so output is stable."""
    return sorted(diagnostics, key=lambda d: (d.file, d.line, d.column, d.code, d.message))
