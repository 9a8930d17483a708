"""Output files: written whole or not at all, never replacing what is not a regular file,
keeping modes, following symlinks; Ctrl-C and SIGTERM leave nothing behind."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from partyscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCHEME = str(ROOT / "schemes" / "chengzhuang-ladder.yaml")
EXAMPLE = str(ROOT / "examples" / "chengzhuang-ladder.csv")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def csv_of_example(capsys: pytest.CaptureFixture[str]) -> str:
    status, out, _ = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "csv")
    assert status == 0
    return out


def test_dash_is_standard_output(capsys: pytest.CaptureFixture[str]) -> None:
    expected = csv_of_example(capsys)
    status, out, _ = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "csv", "-o", "-")
    assert (status, out) == (0, expected)
    assert out.count("\n") == 49  # header and 48 results


def test_a_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "evaluate", SCHEME, EXAMPLE, "-o", str(tmp_path))
    assert (status, out) == (1, "")
    assert err == f"partyscore: cannot write {tmp_path}: it is a folder\n"
    assert list(tmp_path.iterdir()) == []


def test_a_symlink_writes_its_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = csv_of_example(capsys)
    target = tmp_path / "real.csv"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    status, _, _ = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "csv", "-o", str(link))
    assert status == 0
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "real.csv"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_umask_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], umask: int, mode: int
) -> None:
    target = tmp_path / "new.csv"
    old = os.umask(umask)
    try:
        status, _, _ = run(capsys, "evaluate", SCHEME, EXAMPLE, "-o", str(target))
    finally:
        os.umask(old)
    assert status == 0
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_an_existing_file_keeps_its_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "kept.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    status, _, _ = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "csv", "-o", str(target))
    assert status == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_text(encoding="utf-8").startswith("subject,period,kind,group,")


def test_a_fifo_is_written_not_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = csv_of_example(capsys)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []

    def read() -> None:
        with open(fifo, encoding="utf-8") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read)
    reader.start()
    status, _, _ = run(capsys, "evaluate", SCHEME, EXAMPLE, "--format", "csv", "-o", str(fifo))
    reader.join(timeout=30)
    assert status == 0
    assert received == [expected]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_a_device_is_written_not_replaced(capsys: pytest.CaptureFixture[str]) -> None:
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    status, out, _ = run(capsys, "evaluate", SCHEME, EXAMPLE, "-o", "/dev/null")
    assert (status, out) == (0, "")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_failed_write_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "evaluate", SCHEME, EXAMPLE, "-o", "/dev/full")
    assert (status, out) == (1, "")
    assert err == "partyscore: cannot write /dev/full: No space left on device\n"


# --------------------------------------------------------------------------- signals


def big_input(path: Path, quarters: int = 400) -> None:
    """The example's 12 branches over `quarters` quarters from 2016-Q1: a run of seconds."""
    lines = Path(EXAMPLE).read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], [line for line in lines[1:] if ",2024-Q1," in line]
    with open(path, "w", encoding="utf-8") as out:
        out.write(header + "\n")
        for n in range(quarters):
            label = f"{2016 + n // 4}-Q{n % 4 + 1}"
            for row in rows:
                out.write(row.replace(",2024-Q1,", f",{label},") + "\n")


@pytest.mark.parametrize(
    ("signum", "status", "message"),
    [
        (signal.SIGINT, 130, "partyscore: interrupted; nothing was written"),
        (signal.SIGTERM, 143, "partyscore: terminated; nothing was written"),
    ],
)
def test_a_signal_leaves_nothing_behind(
    tmp_path: Path, signum: int, status: int, message: str
) -> None:
    source = tmp_path / "in.csv"
    big_input(source)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "results.json"
    spills = tmp_path / "tmp"
    spills.mkdir()
    env = {**os.environ, "TMPDIR": str(spills)}
    process = subprocess.Popen(
        [sys.executable, "-m", "partyscore.cli", "evaluate", SCHEME, str(source),
         "--format", "json", "-o", str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not list(out_dir.iterdir()):  # the temporary file beside the target is there
        assert time.monotonic() < deadline, "no temporary file after 60 s"
        assert process.poll() is None, "the run ended before the signal"
        time.sleep(0.01)
    time.sleep(0.2)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out) == (status, "")
    assert err == message + "\n"
    assert list(out_dir.iterdir()) == []
    assert list(spills.iterdir()) == []


def test_bom_for_excel(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = csv_of_example(capsys)
    target = tmp_path / "excel.csv"
    args = ("evaluate", SCHEME, EXAMPLE, "--format", "csv", "--bom", "-o", str(target))
    assert run(capsys, *args)[0] == 0
    raw = target.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"  # U+FEFF in UTF-8
    assert raw[3:].decode("utf-8") == plain
    status, _, err = run(capsys, "evaluate", SCHEME, EXAMPLE, "--bom")
    assert (status, err) == (2, "partyscore: --bom goes with --format csv\n")


def test_dev_stdout_through_a_pipe_is_written(tmp_path: Path) -> None:
    # /dev/stdout of a process writing into a pipe links to pipe:[N], which has no path of
    # its own: it is opened by its name and written into.
    command = [sys.executable, "-m", "partyscore.cli", "evaluate", SCHEME, EXAMPLE,
               "--format", "csv", "--output", "/dev/stdout"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, check=False)
    plain = subprocess.run(command[:-2], capture_output=True, check=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == plain.stdout
    assert done.stdout.count(b"\n") == 49  # header and 48 results


def test_standard_output_in_its_own_encoding() -> None:
    # A console or redirection in GB18030 gets the table in GB18030, names intact.
    command = [sys.executable, "-m", "partyscore.cli", "evaluate", SCHEME, EXAMPLE]
    env = {**os.environ, "PYTHONIOENCODING": "gb18030"}
    done = subprocess.run(command, capture_output=True, check=True, env=env)
    text = done.stdout.decode("gb18030")
    assert "綜採一隊" in text
    assert "綜採一隊".encode() not in done.stdout  # not UTF-8 bytes
