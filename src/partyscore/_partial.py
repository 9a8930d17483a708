"""The well-formed part of a scheme whose shape is wrong, so that its meaning can still be
checked in the same run.

When a scheme file fails validation, each shape problem is cut out of a copy of the
document at the smallest part that holds it: an optional note (a label, a source sentence)
is dropped, a list entry (an item, a score, a reward) or a named entry (an attribute, a
parameter) is removed, and a broken top-level note (title, source, id, version) is given a
placeholder. What remains is validated and compiled; its meaning problems are reported with
the places they have in the file as written.

Nothing of the cut parts is guessed: a name that only a removed part defines is not known,
and a problem that only says so (an unknown name, reward, banding, band or ranking), or
that concerns the list a part was removed from, is not reported, since the problem already
reported about that part is its cause. When a problem cannot be cut out (the period, the
rounding, a whole list of the wrong type), no meaning check runs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ._diagnostics import Diagnostic
from ._loader import PathKey

__all__ = ["WellFormed", "well_formed"]

NOTES = frozenset({"label", "source", "assumed", "description", "quote", "lines", "sample"})
"""Optional notes of a rule or part: dropped, not the part, when they are malformed."""
PLACEHOLDERS: dict[str, Any] = {
    "partyscore": 1,
    "id": "scheme",
    "version": 1,
    "title": {"zh-Hant": "方案", "en": "scheme"},
    "description": None,
    "source": {"document": "-"},
    "effective": {"start": "2000-01-01"},
}
"""Top-level notes that no rule reads, given a valid value when the file's is broken."""
NAMED = (("subject", "attributes"), ("parameters",))
"""Mappings whose keys are names: an entry that is wrong is removed with its name."""
ROUNDS = 4
"""Most rounds of cutting: a cut can let a check run that found nothing before."""


@dataclass(frozen=True)
class WellFormed:
    """A copy of the document without its malformed parts."""

    data: dict[str, Any]
    removed: tuple[PathKey, ...]
    """The parts cut out, as key paths in the file as written."""
    names: frozenset[str]
    """Every name (id or key) that a removed part defined."""
    survivors: dict[PathKey, list[int]]
    """For each list that lost entries, the original indexes of those that remain."""

    def original(self, keys: Sequence[str | int]) -> PathKey:
        """A key path into the well-formed copy, as a key path into the file as written."""
        out: list[str | int] = []
        for part in keys:
            kept = self.survivors.get(tuple(out))
            if isinstance(part, int) and kept is not None and 0 <= part < len(kept):
                part = kept[part]
            out.append(part)
        return tuple(out)

    def hides(self, diagnostic: Diagnostic, keys: PathKey) -> bool:
        """Whether a meaning problem (at `keys`, in the file as written) may only repeat a
        shape problem: it names a removed part, or it is about the list a part left."""
        if diagnostic.about is not None and diagnostic.about in self.names:
            return True
        for cut in self.removed:
            owner = cut[:-2] if isinstance(cut[-1], int) else cut[:-1]
            if keys in (owner, cut[:-1]):
                return True
        return False


def well_formed(data: Any, shape: Sequence[PathKey], again: Any) -> WellFormed | None:
    """The document without the parts that hold the shape problems at `shape` (key paths);
    `again(data)` validates a copy and gives the key paths of the problems left. None when a
    problem cannot be cut out, or the copy still fails after `ROUNDS` rounds."""
    if not isinstance(data, dict):
        return None
    current: dict[str, Any] = copy.deepcopy(data)
    removed: list[PathKey] = []
    names: set[str] = set()
    survivors: dict[PathKey, list[int]] = {}
    problems = list(shape)
    for _ in range(ROUNDS):
        view = WellFormed(current, tuple(removed), frozenset(names), survivors)
        cuts: list[PathKey] = []
        for keys in problems:
            cut = _cut(current, tuple(keys))
            if cut is None:
                return None
            cuts.append(cut)
        for cut in _deepest_first(cuts):
            original = view.original(cut)
            if len(cut) > 1:  # a top-level note defines no name
                names.update(_names(_at(current, cut), cut))
            _remove(current, cut)
            removed.append(original)
            if isinstance(cut[-1], int):
                assert isinstance(original[-1], int)
                owner = view.original(cut[:-1])
                kept = survivors.setdefault(owner, list(range(len(_at(data, owner)))))
                kept.remove(original[-1])
        problems = list(again(current))
        if not problems:
            return WellFormed(current, tuple(removed), frozenset(names), survivors)
    return None


def _cut(data: dict[str, Any], keys: PathKey) -> PathKey | None:
    """The smallest part of `data` that holds a problem at `keys`, or None."""
    if not keys or not isinstance(keys[0], str):
        return None
    top = keys[0]
    if top in PLACEHOLDERS and len(keys) >= 1:
        return (top,)
    for named in NAMED:
        if keys[: len(named)] == named and len(keys) > len(named):
            return keys[: len(named) + 1]
    # The last list entry on the path, or an optional note below it.
    node: Any = data
    best: PathKey | None = None
    for depth, part in enumerate(keys):
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            best = keys[: depth + 1]
        elif isinstance(node, dict) and part in node:
            if part in NOTES and best is not None:
                return keys[: depth + 1]
        else:
            break
        node = node[part]
    return best


def _deepest_first(cuts: list[PathKey]) -> list[PathKey]:
    """Distinct cuts, none inside another, in an order that keeps later paths valid: deeper
    first, and within one list the higher index first."""
    unique = sorted(set(cuts), key=len)
    kept: list[PathKey] = []
    for cut in unique:
        if not any(cut[: len(k)] == k for k in kept):
            kept.append(cut)
    return sorted(kept, key=lambda c: (-len(c), tuple(_order(p) for p in c)))


def _order(part: str | int) -> tuple[int, Any]:
    return (0, -part) if isinstance(part, int) else (1, part)


def _at(data: Any, keys: Sequence[str | int]) -> Any:
    for part in keys:
        data = data[part]
    return data


def _remove(data: dict[str, Any], cut: PathKey) -> None:
    parent = _at(data, cut[:-1])
    if len(cut) == 1 and cut[0] in PLACEHOLDERS:
        if PLACEHOLDERS[cut[0]] is None:
            parent.pop(cut[0], None)
        else:
            parent[cut[0]] = copy.deepcopy(PLACEHOLDERS[cut[0]])
    else:
        del parent[cut[-1]]


def _names(part: Any, cut: PathKey) -> Iterator[str]:
    """The names a removed part defined: its key in a mapping of names, every id in it, the
    fields of a banding, and the size and last-place names of a ranking."""
    if isinstance(cut[-1], str) and any(cut[:-1] == named for named in NAMED):
        yield cut[-1]
    stack = [part]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            name = node.get("id")
            if isinstance(name, str):
                yield name
                if cut[0] == "rankings":
                    yield from (f"{name}_size", f"{name}_last")
            fields = node.get("fields")
            if isinstance(fields, list):
                yield from (f for f in fields if isinstance(f, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
