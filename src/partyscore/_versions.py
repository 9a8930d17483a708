"""Versions of one scheme side by side: two files with the same scheme id must not apply
to the same day, and must not share a version number (``partyscore validate`` reports both).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from ._compile import MAX_SCHEME_BYTES, CompiledScheme
from ._diagnostics import Diagnostic
from ._i18n import _
from ._loader import parse_yaml, read_text

__all__ = ["version_problems"]


def _window(scheme: CompiledScheme) -> tuple[date, date | None]:
    effective = scheme.model.effective
    return effective.start, effective.end


def _shown(scheme: CompiledScheme) -> str:
    start, end = _window(scheme)
    if end is None:
        # TRANSLATORS: an open-ended effective window, as in "2024-01-01 on"
        return _("{start} on").format(start=start)
    # TRANSLATORS: an effective window; {end} is the first day it no longer applies
    return _("{start} to {end}").format(start=start, end=end)


def _at(scheme: CompiledScheme, key: str) -> tuple[int, int]:
    """Where `key` stands in the scheme's file (0, 0 when it cannot be read again)."""
    text, _problem = read_text(scheme.file, max_bytes=MAX_SCHEME_BYTES)
    if text is None:
        return 0, 0
    document, _problems = parse_yaml(text, scheme.file)
    return document.position((key,), key=True) if document is not None else (0, 0)


def version_problems(schemes: Sequence[CompiledScheme]) -> list[Diagnostic]:
    """Problems between versions of the same scheme id: a version number used twice, and
    effective windows that overlap (the end date is the first day a version no longer
    applies). Each is reported at the later file, naming the other."""
    by_id: dict[str, list[CompiledScheme]] = defaultdict(list)
    for scheme in schemes:
        by_id[scheme.id].append(scheme)
    problems: list[Diagnostic] = []
    for versions in by_id.values():
        ordered = sorted(versions, key=lambda s: (_window(s)[0], s.model.version, s.file))
        for index, later in enumerate(ordered):
            for earlier in ordered[:index]:
                if earlier.model.version == later.model.version:
                    line, column = _at(later, "version")
                    problems.append(
                        Diagnostic(
                            later.file,
                            line,
                            column,
                            "duplicate-version",
                            # TRANSLATORS: {file} is the other scheme file with this version
                            _("version {version} of {scheme!r} is also {file}").format(
                                version=later.model.version, scheme=later.id, file=earlier.file
                            ),
                            "version",
                            keys=("version",),
                        )
                    )
                end = _window(earlier)[1]
                if end is None or end > _window(later)[0]:
                    line, column = _at(later, "effective")
                    problems.append(
                        Diagnostic(
                            later.file,
                            line,
                            column,
                            "overlapping-versions",
                            # TRANSLATORS: {window} and {other_window} are date ranges,
                            # as in "2024-01-01 to 2025-01-01"
                            _(
                                "version {version} of {scheme!r} ({window}) overlaps version "
                                "{other_version} in {other_file} ({other_window}): a period "
                                "would be scored by both; end the earlier one where the later "
                                "starts"
                            ).format(
                                version=later.model.version,
                                scheme=later.id,
                                window=_shown(later),
                                other_version=earlier.model.version,
                                other_file=earlier.file,
                                other_window=_shown(earlier),
                            ),
                            "effective",
                            keys=("effective",),
                        )
                    )
    return problems
