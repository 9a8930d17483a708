"""The opening keys every small scheme written inside a test shares."""

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
