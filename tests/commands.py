"""Running the command line inside a test, and what the tests of the commands share."""

from __future__ import annotations

import pytest

from partyscore.cli import main

YONGXI_ITEMS = [
    "party_building", "poverty_relief", "family_planning", "stability", "work_safety",
    "civil_affairs", "resident_cadres", "sanitation", "finance_tax", "central_tasks",
]  # fmt: skip
"""The ten indicators of the Yongxi red flag, the item columns of its examples."""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The exit status, standard output and standard error of one command."""
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err
