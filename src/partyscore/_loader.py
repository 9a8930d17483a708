"""YAML text to plain data plus the position of every key and value.

This is the only module that imports ``yaml``. It composes the node graph with PyYAML's safe
loader and converts nodes itself, so that:

- no tag can construct a Python object (every explicit tag except ``!!str`` is an error);
- scalars follow one small, documented schema instead of YAML 1.1's implicit typing:
  ``true``/``false`` are the only booleans (``no`` stays the string ``"no"``), ``1:30`` is a
  string, numbers with a leading zero (``070``) are errors, other numbers become ``int`` or
  exact ``Decimal`` (never ``float``), and ``.inf``/``.nan`` are errors;
- duplicate keys, aliases that expand too far and very deep nesting are errors;
- every problem carries a line, a column and the key path.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ._diagnostics import Diagnostic
from ._i18n import _

PathKey = tuple[str | int, ...]

MAX_NODES = 50_000
"""Most nodes a scheme document may expand to (aliases count every time they are used);
the largest shipped scheme has about 500. Record files pass their own limit."""
MAX_RECORD_NODES = 5_000_000
"""Most nodes a YAML records file may have."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences."""

_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_LEADING_ZERO = re.compile(r"([-+]?)0([0-9_]+)")
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


@dataclass(frozen=True)
class Span:
    """Where a scalar stands: first and last position (1-based) and its YAML style."""

    line: int
    column: int
    end_line: int
    end_column: int
    style: str | None


@dataclass
class Document:
    """Plain data from one YAML document, with 1-based (line, column) of each value and key."""

    data: Any
    file: str
    lines: list[str] = field(default_factory=list)
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    scalars: dict[PathKey, Span] = field(default_factory=dict)

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

    def text_position(self, path: PathKey, offset: int) -> tuple[int, int] | None:
        """The file position of character `offset` (0-based) of the string value at `path`.

        Follows plain, quoted and folded scalars across lines; None when the value is not a
        scalar or its text cannot be matched to the source (escapes, literal blocks).
        """
        span = self.scalars.get(path)
        if span is None or span.style == "|":
            return None
        if span.style in ("'", '"'):
            source = "\n".join(self.lines[span.line - 1 : span.end_line])
            if ("\\" if span.style == '"' else "''") in source:
                return None  # escapes: the text and the source differ in length
        pieces: list[tuple[int, int, str]] = []  # (line, column, text) of each source piece
        if span.style == ">":
            for number in range(span.line + 1, span.end_line + 1):
                raw = self.lines[number - 1] if number - 1 < len(self.lines) else ""
                if raw.strip():
                    indent = len(raw) - len(raw.lstrip())
                    pieces.append((number, indent + 1, raw.strip()))
        else:
            quote = 1 if span.style in ("'", '"') else 0
            for number in range(span.line, span.end_line + 1):
                raw = self.lines[number - 1] if number - 1 < len(self.lines) else ""
                start = span.column - 1 + quote if number == span.line else 0
                end = span.end_column - 1 - quote if number == span.end_line else len(raw)
                piece = raw[start:end]
                lead = len(piece) - len(piece.lstrip())
                if number != span.line:
                    start, piece = start + lead, piece.lstrip()
                if number != span.end_line:
                    piece = piece.rstrip()
                pieces.append((number, start + 1, piece))
        joined = 0
        for line, column, piece in pieces:
            if offset < joined + len(piece):
                return (line, column + offset - joined)
            joined += len(piece) + 1  # folded line breaks become one space
        return None


def label(data: Any, path: PathKey) -> str:
    """A readable key path: ``sections[key].items[key_01].max`` (list items by their id)."""
    text = ""
    for part in path:
        if isinstance(part, int):
            item = data[part] if isinstance(data, list) and part < len(data) else None
            ident = item.get("id") if isinstance(item, dict) else None
            text += f"[{ident}]" if isinstance(ident, str) else f"[{part}]"
            data = item
        else:
            text += f".{part}" if text else part
            data = data.get(part) if isinstance(data, dict) else None
    return text


class _Loader(yaml.SafeLoader):
    """The safe loader, remembering explicit tags and refusing to nest past MAX_DEPTH."""

    def __init__(self, stream: str, max_nodes: int) -> None:
        super().__init__(stream)
        self.max_nodes = max_nodes
        self.depth = 0
        self.composed = 0  # nodes built so far: a huge file is refused while it is read
        self.explicit: set[int] = set()  # ids of nodes whose tag was written in the file

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        self.composed += 1
        if self.composed > self.max_nodes:
            raise _TooLarge(event.start_mark)
        self.depth += 1
        try:
            # Collections count, scalars (keys included) do not; the root is level 0.
            collection = isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent)
            if collection and self.depth - 1 > MAX_DEPTH:
                raise _TooDeep(event.start_mark)
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if node is not None and getattr(event, "tag", None) not in (None, "!"):
            self.explicit.add(id(node))
        return node


class _Converter:
    def __init__(self, file: str, explicit: set[int], max_nodes: int) -> None:
        self.file = file
        self.max_nodes = max_nodes
        self.explicit = explicit
        self.problems: list[tuple[PathKey, Diagnostic]] = []
        self.values: dict[PathKey, tuple[int, int]] = {}
        self.keys: dict[PathKey, tuple[int, int]] = {}
        self.scalars: dict[PathKey, Span] = {}
        self.count = 0

    def problem(self, node: Node, path: PathKey, code: str, message: str) -> None:
        mark = node.start_mark
        self.problems.append(
            (path, Diagnostic(self.file, mark.line + 1, mark.column + 1, code, message))
        )

    def convert(self, node: Node, path: PathKey, depth: int) -> Any:
        self.count += 1
        if self.count > self.max_nodes:
            raise _TooLarge(node.start_mark)
        if depth > MAX_DEPTH and not isinstance(node, ScalarNode):
            raise _TooDeep(node.start_mark)
        self.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.explicit or node.tag not in _ALLOWED_COLLECTION_TAGS:
            self.problem(node, path, "yaml-tag", _tag_refused(node.tag))
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
                self.problem(key_node, path, "yaml-key", _("a mapping key must be a plain string"))
                continue
            if key_node.tag == _TAG + "merge":
                self.problem(key_node, path, "yaml-merge", _("merge keys ('<<') are not supported"))
                continue
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in first_seen:
                self.problem(
                    key_node,
                    (*path, key),
                    "duplicate-key",
                    _("duplicate key {key!r} (first defined on line {line})").format(
                        key=key, line=first_seen[key]
                    ),
                )
                continue
            first_seen[key] = line
            self.keys[(*path, key)] = (line, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, (*path, key), depth + 1)
        return result

    def scalar(self, node: ScalarNode, path: PathKey) -> Any:
        text: str = node.value
        start, end = node.start_mark, node.end_mark
        self.scalars[path] = Span(
            start.line + 1, start.column + 1, end.line + 1, end.column + 1, node.style
        )
        if id(node) in self.explicit:
            if node.tag == _TAG + "str":
                return text
            self.problem(node, path, "yaml-tag", _tag_refused(node.tag))
            return None
        if node.style is not None:
            return text
        if text in _NULL:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        if text in _NON_FINITE:
            message = _("{number!r} is not a finite number").format(number=text)
            self.problem(node, path, "non-finite-number", message)
            return None
        leading_zero = _LEADING_ZERO.fullmatch(text)
        if leading_zero:
            sign, digits = leading_zero.groups()
            self.problem(
                node,
                path,
                "ambiguous-number",
                _(
                    "{number!r} has a leading zero (octal in YAML 1.1); write {plain} or quote "
                    "it as a string"
                ).format(
                    number=text, plain=f"{sign if sign == '-' else ''}{digits.lstrip('0') or '0'}"
                ),
            )
            return None
        if _INT.fullmatch(text):
            # a long one stays a Decimal: int() refuses over 4,300 digits, the models over 10^12
            return int(text) if len(text) <= 20 else Decimal(text)
        if _DECIMAL.fullmatch(text):
            return Decimal(text)
        return text


class _TooLarge(Exception):
    def __init__(self, mark: Any) -> None:
        self.mark = mark


class _TooDeep(Exception):
    def __init__(self, mark: Any) -> None:
        self.mark = mark


def _short(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def _tag_refused(tag: str) -> str:
    return _("the tag {tag!r} is not allowed").format(tag=_short(tag))


def _at(file: str, mark: Any, code: str, message: str) -> Diagnostic:
    return Diagnostic(file, mark.line + 1, mark.column + 1, code, message)


def parse_yaml(
    text: str, file: str, *, max_nodes: int = MAX_NODES
) -> tuple[Document | None, list[Diagnostic]]:
    """Parse one YAML document; return it with its positions (or None) and the problems.

    A document comes back whenever the YAML could be parsed, even with problems in some
    values (those values are None), so that later stages can report their problems too.
    """
    try:
        loader = _Loader(text, max_nodes)  # the reader checks every character here
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        # TRANSLATORS: {character} is a character code, as in #x0007
        message = _("the character {character} is not allowed in YAML").format(
            character=f"#x{exc.character:04x}"
        )
        return None, [Diagnostic(file, line, column, "yaml-character", message)]
    try:
        node = loader.get_single_node()
    except _TooDeep as exc:
        message = _too_deep()
        return None, [_at(file, exc.mark, "yaml-too-deep", message)]
    except _TooLarge as exc:
        message = _("the document has more than {limit} nodes").format(limit=max_nodes)
        return None, [_at(file, exc.mark, "yaml-too-large", message)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        # PyYAML's own words (English), or partyscore's
        message = ": ".join(p for p in (exc.context, exc.problem) if p) or _("invalid YAML")
        if "expected a single document" in message:
            code = "yaml-multiple-documents"
            message = _("a file must hold exactly one YAML document")
        else:
            code = "yaml-syntax"
        return None, [Diagnostic(file, line, column, code, message)]
    except yaml.YAMLError as exc:
        return None, [Diagnostic(file, 0, 0, "yaml-syntax", str(exc))]
    finally:
        loader.dispose()
    if node is None:
        message = _("the file holds no YAML document")
        return None, [Diagnostic(file, 1, 1, "empty-document", message)]
    # Aliases may repeat what was read, but only by MAX_NODES more nodes, whatever the file's
    # own limit: a few anchors cannot expand into millions of values.
    converter = _Converter(file, loader.explicit, min(max_nodes, loader.composed + MAX_NODES))
    try:
        data = converter.convert(node, (), 0)
    except _TooLarge as exc:
        message = _("the document expands to more than {limit} nodes").format(
            limit=converter.max_nodes
        )
        return None, [_at(file, exc.mark, "yaml-too-large", message)]
    except _TooDeep as exc:
        message = _too_deep()
        return None, [_at(file, exc.mark, "yaml-too-deep", message)]
    problems = [
        Diagnostic(d.file, d.line, d.column, d.code, d.message, label(data, path), keys=path)
        for path, d in converter.problems
    ]
    document = Document(
        data, file, text.splitlines(), converter.values, converter.keys, converter.scalars
    )
    return document, problems


def _too_deep() -> str:
    return _("the document is nested more than {limit} levels deep").format(limit=MAX_DEPTH)


def read_text(
    path: str | Path, *, max_bytes: int, encoding: str = "utf-8", too_large: str = ""
) -> tuple[str | None, Diagnostic | None]:
    """The text of a scheme, test or records file, or None and the reason it is refused.

    Refuses what is not a regular file (a folder, a pipe or a device would block or mislead)
    and files over `max_bytes` before reading them; then decodes like `decode`.
    """
    name = str(path)
    try:
        refused = _refused(path, max_bytes, too_large)
        if refused is not None:
            return None, refused
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, Diagnostic(name, 0, 0, "unreadable", exc.strerror or str(exc))
    return decode(raw, name, encoding)


def _refused(path: str | Path, max_bytes: int, too_large: str) -> Diagnostic | None:
    """Why a file is not read at all: not a regular file (a folder, a pipe or a device would
    block or mislead), or over `max_bytes`; None when it may be read.

    Raises:
        OSError: when the file cannot be looked at.
    """
    name = str(path)
    if Path(path).exists() and not Path(path).is_file():
        return Diagnostic(name, 0, 0, "unreadable", _("not a regular file"))
    if Path(path).stat().st_size > max_bytes:
        message = _("the file is larger than {limit} bytes").format(limit=max_bytes) + too_large
        return Diagnostic(name, 0, 0, "file-too-large", message)
    return None


CHUNK = 1 << 20
"""Bytes read at a time by `read_lines`."""
_LINE_END = re.compile(r"\r\n|\r|\n")


def read_lines(
    path: str | Path, *, max_bytes: int, encoding: str = "utf-8", too_large: str = ""
) -> tuple[Iterator[str] | None, Diagnostic | None]:
    """The lines of a records file, with their endings, decoded a chunk at a time (split
    where a file opened with ``newline=""`` splits them), or None and why it is refused.

    Checks the file and its first bytes as `read_text` does; a byte sequence that is not
    valid in the encoding, found later, raises `DecodeError` with the diagnostic `decode`
    gives for the whole file.
    """
    name = str(path)
    utf8 = encoding.lower().replace("-", "").replace("_", "") == "utf8"
    try:
        refused = _refused(path, max_bytes, too_large)
        if refused is not None:
            return None, refused
        with open(path, "rb") as handle:
            head = handle.read(400)
        decoder = codecs.getincrementaldecoder("utf-8-sig" if utf8 else encoding)()
    except OSError as exc:
        return None, Diagnostic(name, 0, 0, "unreadable", exc.strerror or str(exc))
    except LookupError:
        return None, Diagnostic(name, 0, 0, "encoding", _unknown_encoding(encoding))
    if utf8 and (head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head)):
        _text, problem = decode(head, name, encoding)  # says it is UTF-16
        return None, problem
    return _lines(path, name, encoding, decoder), None


class DecodeError(Exception):
    """A records file turned out not to be in its encoding after reading had begun."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


def _lines(path: str | Path, name: str, encoding: str, decoder: Any) -> Iterator[str]:
    pending = ""
    first = True
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except (UnicodeError, LookupError):
                # Say what is wrong exactly as for the whole file (rare: read it again).
                _text, problem = decode(Path(path).read_bytes(), name, encoding)
                message = _("the file changed while it was read")
                changed = Diagnostic(name, 0, 0, "encoding", message)
                raise DecodeError(problem or changed) from None
            if first and text:
                text, first = text.lstrip("\ufeff"), False
            text = pending + text
            if chunk and text.endswith("\r"):
                text, pending = text[:-1], "\r"  # a \r\n may be split between two chunks
            else:
                pending = ""
            start = 0
            for end in _LINE_END.finditer(text):
                yield text[start : end.end()]
                start = end.end()
            pending = text[start:] + pending
            if not chunk:
                if pending:
                    yield pending
                return


def decode(raw: bytes, file: str, encoding: str = "utf-8") -> tuple[str | None, Diagnostic | None]:
    """Bytes of a scheme or records file to text; UTF-8 may start with a BOM.

    Returns the text, or None and a diagnostic that names the line and suggests the likely
    encoding (UTF-16, GB18030) instead of producing mojibake.
    """
    utf8 = encoding.lower().replace("-", "").replace("_", "") == "utf8"
    if utf8 and (raw.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(raw)):
        message = _("the file is UTF-16; save it as UTF-8 or pass --encoding utf-16")
        return None, Diagnostic(file, 0, 0, "encoding", message)
    try:
        text = raw.decode("utf-8-sig" if utf8 else encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        if utf8:
            from ._tables import detect_encoding

            found = detect_encoding(raw)[0]
            if found in ("gb18030", "big5"):
                # TRANSLATORS: {byte} is the offset of the first bad byte; {name} is the
                # encoding the file reads as (GB18030, BIG5), {encoding} its option value
                message = _(
                    "the file is not valid UTF-8 (byte {byte}); it reads as {name}: save it as "
                    "UTF-8, or pass --encoding {encoding}"
                ).format(byte=exc.start, name=found.upper(), encoding=found)
            else:
                # TRANSLATORS: {byte} is the offset of the first bad byte
                message = _(
                    "the file is not valid UTF-8 (byte {byte}); save it as UTF-8, or pass "
                    "--encoding with the file's encoding"
                ).format(byte=exc.start)
        else:
            # TRANSLATORS: {byte} is the offset of the first bad byte
            message = _("the file is not valid {encoding} (byte {byte})").format(
                encoding=encoding, byte=exc.start
            )
        return None, Diagnostic(file, line, 0, "encoding", message)
    except (LookupError, UnicodeError):  # an unknown name, or a codec that decodes nothing
        return None, Diagnostic(file, 0, 0, "encoding", _unknown_encoding(encoding))
    return text.lstrip("\ufeff"), None


def _unknown_encoding(encoding: str) -> str:
    return _("unknown encoding {encoding!r}").format(encoding=encoding)


def _looks_utf16(raw: bytes) -> bool:
    """UTF-16 without a BOM: many NUL bytes at alternating positions of ASCII text."""
    sample = raw[:400]
    return len(sample) >= 4 and sample.count(0) >= len(sample) // 3
