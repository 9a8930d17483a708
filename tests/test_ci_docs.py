"""docs/ci.md shows what the tools really accept and print: its GitHub Actions job and
pre-commit configuration are valid, and its sample output is what partyscore prints.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from partyscore import SchemeError, load_scheme_text

ROOT = Path(__file__).parent.parent
CI = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
YAML_BLOCKS: list[str] = re.findall(r"```yaml\n(.*?)```", CI, re.S)


def block(start: str) -> str:
    """The one YAML example of docs/ci.md whose text starts with `start`."""
    (found,) = [text for text in YAML_BLOCKS if text.startswith(start)]
    return found


def run(*args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout + done.stderr


def test_github_actions_job_is_a_valid_workflow(tmp_path: Path):
    workflow = tmp_path / "schemes.yml"
    workflow.write_text(block("name: schemes\n"), encoding="utf-8")
    status, output = run(
        "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)
    )
    assert status == 0, output
    assert "partyscore validate --strict schemes" in workflow.read_text(encoding="utf-8")


def test_pre_commit_configuration_is_valid(tmp_path: Path):
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(block("repos:\n"), encoding="utf-8")
    status, output = run("pre_commit", "validate-config", str(config))
    assert status == 0, output
    assert output == ""  # not even a warning


def test_editor_line_is_the_one_shipped_schemes_start_with():
    first = (ROOT / "schemes" / "yongxi-red-flag.yaml").read_text(encoding="utf-8").split("\n")[0]
    assert block("# yaml-language-server").strip() == first


def test_sample_hook_output_is_what_partyscore_prints():
    good = (ROOT / "schemes" / "nanping-activity-day.yaml").read_text(encoding="utf-8")
    broken = good.replace("< attendance_target *", "< attendance_targte *")
    with pytest.raises(SchemeError) as caught:
        load_scheme_text(broken, file="broken.yaml")
    (error,) = [d for d in caught.value.diagnostics if d.severity == "error"]
    assert error.render() in CI.splitlines()
