"""The progress line: on stderr while records are read and evaluated, only when stderr is a
terminal (here a pseudo-terminal), never in what is written."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEME = str(ROOT / "schemes" / "chengzhuang-ladder.yaml")
EXAMPLE = str(ROOT / "examples" / "chengzhuang-ladder.csv")
COMMAND = [sys.executable, "-m", "partyscore.cli", "evaluate", SCHEME, EXAMPLE, "--format", "csv"]

pytest.importorskip("tqdm")


def _on_terminal(args: list[str], env: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Run with stderr on a pseudo-terminal 100 columns wide; its status and what it showed."""
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    process = subprocess.Popen(
        args, stderr=secondary, stdout=subprocess.DEVNULL, env={**os.environ, **(env or {})}
    )
    os.close(secondary)
    shown = b""
    while True:
        try:
            data = os.read(main, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        shown += data
    os.close(main)
    return process.wait(), shown


def test_a_terminal_sees_records_counted_and_periods_evaluated(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    status, shown = _on_terminal([*COMMAND, "--output", str(out)])
    assert status == 0
    text = shown.decode("utf-8")
    assert "reading chengzhuang-ladder.csv" in text
    # The example holds 12 branches in each of four quarters: 48 records in all.
    assert "48 records" in text
    for quarter in ("2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"):
        assert f"{quarter} evaluated" in text
    # The line is cleared at the end; the results file is what a run without it writes.
    plain = subprocess.run(COMMAND, capture_output=True, check=True)
    assert out.read_bytes() == plain.stdout
    assert b"\r" not in plain.stderr
    assert b"records" not in plain.stderr


def test_the_progress_line_can_be_turned_off(tmp_path: Path) -> None:
    status, shown = _on_terminal(
        [*COMMAND, "--output", str(tmp_path / "r.csv")], {"PARTYSCORE_PROGRESS": "off"}
    )
    assert status == 0
    assert b"records" not in shown
    assert b"\r" not in shown.replace(b"\r\n", b"\n")
