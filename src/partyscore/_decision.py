"""The decision record: what a set of results was computed from, so that anyone can
compute it again and compare.

Every JSON, workbook and report output of ``partyscore evaluate`` carries one: the
partyscore version, the scheme (id, version, path and the SHA-256 of its canonical form,
`CompiledScheme.digest`), the SHA-256 of every input file and of the history and overrides
files read, and the options that change what is written. It holds no clock and nothing
random, so the same inputs give the same bytes; ``partyscore verify`` reads it back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._diagnostics import Diagnostic, PartyscoreError
from ._i18n import _

__all__ = ["OPTIONS", "DecisionRecord", "DecisionRecordError", "FileDigest", "file_digest"]

KEY = "decision_record"
"""The key of the record in a JSON output."""
OPTIONS: Mapping[str, Any] = {
    "encoding": "auto",
    "sheet": None,
    "skip_rows": None,
    "ignore_columns": [],
    "history_start": None,
    "lang": "en",
}
"""The options of a run that change its output, with the value each has when not given."""


def file_digest(path: str | Path) -> str:
    """The SHA-256 (hex) of a file's bytes.

    Raises:
        OSError: when the file cannot be read.
    """
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass(frozen=True)
class FileDigest:
    """A file as a run read it: its path as given, and the SHA-256 of its bytes."""

    path: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "sha256": self.sha256}


@dataclass(frozen=True)
class DecisionRecord:
    """Everything a set of results was computed from (see the module's documentation)."""

    partyscore: str
    scheme_id: str
    scheme_version: int
    scheme: FileDigest
    """The scheme's path and its canonical digest (`CompiledScheme.digest`)."""
    inputs: tuple[FileDigest, ...]
    history_in: FileDigest | None = None
    overrides: FileDigest | None = None
    options: Mapping[str, Any] = field(default_factory=lambda: dict(OPTIONS))

    def to_dict(self) -> dict[str, Any]:
        """The record as written into a JSON output (key order fixed)."""
        return {
            "partyscore": self.partyscore,
            "scheme": {
                "id": self.scheme_id,
                "version": self.scheme_version,
                **self.scheme.to_dict(),
            },
            "inputs": [i.to_dict() for i in self.inputs],
            "history_in": self.history_in.to_dict() if self.history_in else None,
            "overrides": self.overrides.to_dict() if self.overrides else None,
            "options": {k: self.options.get(k, v) for k, v in OPTIONS.items()},
        }

    def rows(self) -> list[tuple[str, str]]:
        """The record as (field, value) lines, for a workbook sheet or a printed page."""
        lines = [
            ("partyscore", self.partyscore),
            (_("scheme"), f"{self.scheme_id} v{self.scheme_version} ({self.scheme.path})"),
            (_("scheme SHA-256"), self.scheme.sha256),
        ]
        for i in self.inputs:
            lines.append((_("input {path}").format(path=i.path), i.sha256))
        if self.history_in:
            path = self.history_in.path
            lines.append((_("history {path}").format(path=path), self.history_in.sha256))
        if self.overrides:
            path = self.overrides.path
            lines.append((_("overrides {path}").format(path=path), self.overrides.sha256))
        for key, default in OPTIONS.items():
            value = self.options.get(key, default)
            if value != default:
                shown = ", ".join(value) if isinstance(value, list) else str(value)
                lines.append((f"--{key.replace('_', '-')}", shown))
        return lines

    @classmethod
    def from_dict(cls, data: Any, file: str) -> DecisionRecord:
        """The record of a JSON output read back, every field checked.

        Raises:
            DecisionRecordError: when `data` is not a record as `to_dict` writes it: a
                field missing, of another type, an option not recorded or missing, no input.
        """
        try:
            scheme = data["scheme"]
            options = dict(data["options"])
            if set(options) != set(OPTIONS) or not _options_fit(options):
                raise ValueError(options)
            version = scheme["version"]
            if not isinstance(version, int) or isinstance(version, bool):
                raise ValueError(version)
            inputs = tuple(_digest(i) for i in data["inputs"])
            if not inputs or not isinstance(data["partyscore"], str):
                raise ValueError(inputs)
            if not isinstance(scheme["id"], str):
                raise ValueError(scheme)
            return cls(
                partyscore=data["partyscore"],
                scheme_id=scheme["id"],
                scheme_version=version,
                scheme=_digest(scheme),
                inputs=inputs,
                history_in=_digest(data["history_in"]) if data["history_in"] else None,
                overrides=_digest(data["overrides"]) if data["overrides"] else None,
                options=options,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            message = _("the decision record is damaged: it is not as partyscore writes it")
            raise DecisionRecordError(
                [Diagnostic(file, 0, 0, "bad-decision-record", message, KEY)]
            ) from None


def _options_fit(options: Mapping[str, Any]) -> bool:
    """Whether each recorded option has a value the command line can give."""
    from ._i18n import LANGS

    skip_rows = options["skip_rows"]
    sheet = options["sheet"]
    columns = options["ignore_columns"]
    return (
        isinstance(options["encoding"], str)
        and (sheet is None or isinstance(sheet, str))
        and (
            skip_rows is None
            or (isinstance(skip_rows, int) and not isinstance(skip_rows, bool) and skip_rows >= 0)
        )
        and isinstance(columns, list)
        and all(isinstance(c, str) for c in columns)
        and (options["history_start"] is None or isinstance(options["history_start"], str))
        and options["lang"] in LANGS
    )


def _digest(data: Mapping[str, Any]) -> FileDigest:
    path, sha = data["path"], data["sha256"]
    if not isinstance(path, str) or not isinstance(sha, str) or len(sha) != 64:
        raise ValueError(sha)
    return FileDigest(path, sha)


def record_of(
    scheme_id: str,
    scheme_version: int,
    scheme_path: str,
    scheme_digest: str,
    inputs: Sequence[FileDigest],
    *,
    history_in: FileDigest | None = None,
    overrides: FileDigest | None = None,
    options: Mapping[str, Any] | None = None,
) -> DecisionRecord:
    """A record of this partyscore's version for a run of these files and options."""
    from . import __version__

    return DecisionRecord(
        __version__,
        scheme_id,
        scheme_version,
        FileDigest(scheme_path, scheme_digest),
        tuple(inputs),
        history_in,
        overrides,
        {k: (options or {}).get(k, v) for k, v in OPTIONS.items()},
    )


class DecisionRecordError(PartyscoreError):
    """A results file whose decision record is missing or damaged."""
