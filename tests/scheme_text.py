"""Scheme text shared by tests: the opening keys of every small scheme written inside a
test, and the edits that give the university scheme its other reading of the penalty
ranges."""

from __future__ import annotations


def head(scheme_id: str, title: str, *, kind: str = "member", period: str = "quarter") -> str:
    """A scheme's top-level keys up to and including `subject.kind`, as YAML text: format 1,
    version 1, a two-language title, a source, the period, effective from 2020-01-01, and
    rounding to 2 places half up."""
    return f"""\
partyscore: 1
id: {scheme_id}
version: 1
title: {{zh-Hant: {title}, en: {title}}}
source: {{document: x}}
period: {period}
effective: {{start: 2020-01-01}}
rounding: {{places: 2, mode: half_up}}
subject:
  kind: {kind}
"""


# The university penalty ranges read downward, from each first number ("70-60分",
# "60-50分", "50分以下": (60, 70], (50, 60], [0, 50]): the edits of the scheme's text.
DOWNWARD = {
    # "70-60分", "60-50分", "50分以下" read from each first number: (60, 70], (50, 60], [0, 50]
    "      - id: neither\n        at_least: 70\n": "      - id: neither\n        above: 70\n",
    "      - id: penalty_60\n        at_least: 60\n        below: 70\n": (
        "      - id: penalty_60\n        above: 60\n        at_most: 70\n"
    ),
    "      - id: penalty_50\n        at_least: 50\n        below: 60\n": (
        "      - id: penalty_50\n        above: 50\n        at_most: 60\n"
    ),
    "      - id: penalty_below_50\n        at_least: 0\n        below: 50\n": (
        "      - id: penalty_below_50\n        at_least: 0\n        at_most: 50\n"
    ),
}
