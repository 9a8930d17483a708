"""Positions and key paths for problems found in a YAML file after it was parsed.

Shared by scheme files and scheme test files: `Locator` turns a path into a diagnostic with
file, line, column and a readable key path, and `pydantic_diagnostics` turns a Pydantic
`ValidationError` into such diagnostics, with a "did you mean" from the keys that the model
allows at that place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, get_args

from pydantic import ValidationError

from . import models as m
from ._diagnostics import Diagnostic, Severity
from ._expr import suggest
from ._i18n import _
from ._loader import Document, PathKey, label


class Locator:
    """Turns a model path into a file position and a readable key path.

    `labels` writes the key path (the default names list items by their ``id``).
    """

    def __init__(
        self,
        file: str,
        document: Document | None,
        labels: Callable[[Any, PathKey], str] = label,
    ) -> None:
        self.file = file
        self.document = document
        self.labels = labels

    def raw_path(self, loc: Sequence[str | int]) -> PathKey:
        """Keep only the parts of a Pydantic `loc` that exist in the raw data."""
        data = self.document.data if self.document else None
        path: list[str | int] = []
        for part in loc:
            if isinstance(data, dict) and isinstance(part, str):
                key = part if part in data else part.replace("_", "-")
                if key not in data:
                    continue  # a union member or discriminator tag, not a key
                data = data[key]
                path.append(key)
            elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
                data = data[part]
                path.append(part)
            elif isinstance(data, dict | list):
                continue
            else:
                path.append(part)
                break
        return tuple(path)

    def label(self, path: PathKey) -> str:
        return self.labels(self.document.data if self.document else None, path)

    def diag(
        self,
        path: PathKey,
        code: str,
        message: str,
        *,
        key: bool = False,
        offset: int = 0,
        severity: Severity = "error",
        missing: str | None = None,
        about: str | None = None,
    ) -> Diagnostic:
        """A diagnostic at `path`; `offset` (1-based) points inside a string value; `missing`
        names a key missing from the mapping at `path`."""
        line, column = (0, 0)
        if self.document is not None:
            line, column = self.document.position(path, key=key)
            inside = self.document.text_position(path, offset - 1) if offset else None
            if inside is not None:
                line, column = inside
        keys = path if missing is None else (*path, missing)
        return Diagnostic(
            self.file, line, column, code, message, self.label(path), severity, keys, about=about
        )


def pydantic_diagnostics(
    error: ValidationError, locator: Locator, root: type[m.Model]
) -> list[Diagnostic]:
    """One diagnostic per problem of `error`, raised by validating the model `root`."""
    seen: set[PathKey] = set()
    result = []
    for err in error.errors(include_url=False):
        loc = tuple(err["loc"])
        path = locator.raw_path(loc)
        kind = err["type"]
        if kind == "missing":
            name = str(loc[-1])
            message = _("missing required key {key!r}").format(key=name)
            result.append(locator.diag(path, "missing-key", message, missing=name))
            continue
        if kind == "extra_forbidden":
            name = str(loc[-1])
            hint = suggest(name, keys_at(root, loc))
            message = _("unknown key {key!r}").format(key=name) + hint
            result.append(locator.diag(path, "unknown-key", message, key=True))
            continue
        if path in seen:
            continue  # one message per place: a union reports each member's complaint
        seen.add(path)
        if kind == "union_tag_not_found":
            tags = err.get("ctx", {}).get("expected_tags")
            if tags:
                # TRANSLATORS: {kinds} lists the kinds allowed, as in 'honour', 'money'
                message = _("missing 'kind': one of {kinds}").format(kinds=tags)
            else:
                message = _("missing 'kind'")
        elif kind == "union_tag_invalid":
            ctx = err.get("ctx", {})
            # TRANSLATORS: {kinds} lists the kinds allowed, as in 'honour', 'money'
            message = _("unknown kind {kind!r}: expected one of {kinds}").format(
                kind=ctx.get("tag"), kinds=ctx.get("expected_tags")
            )
        else:
            message = err["msg"].removeprefix("Value error, ")
            if kind.startswith("literal_error") and isinstance(err.get("input"), str):
                expected = str(err.get("ctx", {}).get("expected", ""))
                options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
                message += suggest(err["input"], options)
            elif kind in ("bool_type", "string_type", "int_type") and "input" in err:
                # TRANSLATORS: {problem} is Pydantic's own message, in English
                message = _("{problem}, got {value!r}").format(problem=message, value=err["input"])
            elif kind in ("model_type", "dict_type", "list_type"):
                # Pydantic names its classes here; say what the file should hold instead.
                if kind == "list_type":
                    message = _("expected a list, got {value!r}")
                else:
                    message = _("expected a mapping, got {value!r}")
                message = message.format(value=err.get("input"))
        result.append(locator.diag(path, kind.replace("_", "-"), message))
    return result


def _models_in(annotation: Any) -> list[type[m.Model]]:
    """The models an annotation can hold (through unions, lists and dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, m.Model):
        return [annotation]
    return [found for arg in get_args(annotation) for found in _models_in(arg)]


def keys_at(root: type[m.Model], loc: Sequence[str | int]) -> list[str]:
    """The keys allowed in the mapping that holds the last part of a Pydantic `loc`, in a
    document whose top level is the model `root`."""
    candidates: list[type[m.Model]] = [root]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        tagged = [
            c
            for c in candidates
            if c.model_fields.get("kind") is not None
            and part in get_args(c.model_fields["kind"].annotation)
        ]
        if tagged:  # a discriminator tag in the location: keep that member only
            candidates = tagged
            continue
        fields = [c.model_fields[part] for c in candidates if part in c.model_fields]
        if not fields:  # a dict key (an attribute or parameter name)
            continue
        candidates = [found for f in fields for found in _models_in(f.annotation)]
    return sorted({info.alias or name for c in candidates for name, info in c.model_fields.items()})
