"""YAML text to plain data plus the position of every key and value.

This is the only module that imports ``yaml``. It composes the node graph with PyYAML's safe
loader and converts nodes itself, so that:

- no tag can construct a Python object (every explicit tag except ``!!str`` is an error);
- scalars follow one small, documented schema instead of YAML 1.1's implicit typing:
  ``true``/``false`` are the only booleans (``no`` stays the string ``"no"``), ``1:30`` is a
  string, numbers with a leading zero (``070``) are errors, other numbers become ``int`` or
  exact ``Decimal`` (never ``float``), and ``.inf``/``.nan`` are errors;
- duplicate keys, aliases that expand too far and very deep nesting are errors;
- every problem carries a line and a column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._diagnostics import Diagnostic

PathKey = tuple[str | int, ...]

MAX_NODES = 200_000
"""Most nodes one document may expand to (aliases count every time they are used)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences."""

_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_DECIMAL = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_NON_FINITE = {
    ".inf",
    ".Inf",
    ".INF",
    "+.inf",
    "+.Inf",
    "+.INF",
    "-.inf",
    "-.Inf",
    "-.INF",
    ".nan",
    ".NaN",
    ".NAN",
}
_ALLOWED_COLLECTION_TAGS = {_TAG + "map", _TAG + "seq"}


@dataclass
class Document:
    """Plain data from one YAML document, with 1-based (line, column) of each value and key."""

    data: Any
    file: str
    lines: list[str] = field(default_factory=list)
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: PathKey, *, key: bool = False) -> tuple[int, int]:
        """Position of the value at `path` (or of its key), else of the nearest enclosing value."""
        table = self.keys if key else self.values
        while True:
            if path in table:
                return table[path]
            if key and path in self.values:
                return self.values[path]
            if not path:
                return (1, 1)
            path = path[:-1]


class _Converter:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Diagnostic] = []
        self.values: dict[PathKey, tuple[int, int]] = {}
        self.keys: dict[PathKey, tuple[int, int]] = {}
        self.count = 0
        self._resolver = yaml.SafeLoader("")

    def problem(self, node: Node, code: str, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Diagnostic(self.file, mark.line + 1, mark.column + 1, code, message))

    def convert(self, node: Node, path: PathKey, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooLarge(node)
        if depth > MAX_DEPTH:
            raise _TooDeep(node)
        self.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if node.tag not in _ALLOWED_COLLECTION_TAGS:
            self.problem(node, "yaml-tag", f"the tag {_short(node.tag)!r} is not allowed")
            return None
        if isinstance(node, SequenceNode):
            return [self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        return self.mapping(node, path, depth)

    def mapping(self, node: MappingNode, path: PathKey, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, "yaml-key", "a mapping key must be a plain string")
                continue
            if key_node.tag == _TAG + "merge":
                self.problem(key_node, "yaml-merge", "merge keys ('<<') are not supported")
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in first_seen:
                self.problem(
                    key_node,
                    "duplicate-key",
                    f"duplicate key {key!r} (first defined on line {first_seen[key]})",
                )
                continue
            first_seen[key] = line
            self.keys[(*path, key)] = (line, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, (*path, key), depth + 1)
        return result

    def scalar(self, node: ScalarNode) -> Any:
        text: str = node.value
        plain = node.style is None
        implicit = self._resolver.resolve(  # type: ignore[no-untyped-call]
            ScalarNode, text, (plain, not plain)
        )
        if node.tag != implicit:
            if node.tag == _TAG + "str":
                return text
            self.problem(node, "yaml-tag", f"the tag {_short(node.tag)!r} is not allowed")
            return None
        if not plain:
            return text
        if text in _NULL:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if text in _NON_FINITE:
            self.problem(node, "non-finite-number", f"{text!r} is not a finite number")
            return None
        if _LEADING_ZERO.fullmatch(text):
            self.problem(
                node,
                "ambiguous-number",
                f"{text!r} has a leading zero (octal in YAML 1.1); "
                f"write {text.lstrip('+-0') or '0'} or quote it as a string",
            )
            return None
        if _INT.fullmatch(text):
            return int(text)
        if _DECIMAL.fullmatch(text):
            return Decimal(text)
        return text


class _TooLarge(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


class _TooDeep(Exception):
    def __init__(self, node: Node) -> None:
        self.node = node


def _short(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def parse_yaml(text: str, file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one YAML document; return it with its positions, or None and the problems."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = ": ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if "expected a single document" in message:
            return None, [
                Diagnostic(
                    file,
                    line,
                    column,
                    "yaml-multiple-documents",
                    "a file must hold exactly one YAML document",
                )
            ]
        return None, [Diagnostic(file, line, column, "yaml-syntax", message)]
    except yaml.YAMLError as exc:
        return None, [Diagnostic(file, 0, 0, "yaml-syntax", str(exc))]
    except RecursionError:
        return None, [Diagnostic(file, 0, 0, "yaml-too-deep", "the YAML is nested too deeply")]
    if node is None:
        return None, [Diagnostic(file, 1, 1, "empty-document", "the file holds no YAML document")]
    converter = _Converter(file)
    try:
        data = converter.convert(node, (), 0)
    except _TooLarge as exc:
        converter.problem(
            exc.node, "yaml-too-large", f"the document expands to more than {MAX_NODES} nodes"
        )
        return None, converter.problems
    except _TooDeep as exc:
        converter.problem(
            exc.node, "yaml-too-deep", f"the document is nested more than {MAX_DEPTH} levels deep"
        )
        return None, converter.problems
    document = Document(data, file, text.splitlines(), converter.values, converter.keys)
    return document, converter.problems
