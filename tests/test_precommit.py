"""The pre-commit hooks in .pre-commit-hooks.yaml: a valid manifest, the files each hook sees,
and `pre-commit try-repo` of this repository run for real against a scratch git repository.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
GOOD = ROOT / "schemes" / "nanping-activity-day.yaml"
MISSPELT = "attendance_targte"


def hooks() -> dict[str, dict[str, Any]]:
    return {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))}


def selects(hook: dict[str, Any], name: str) -> bool:
    """Whether pre-commit hands the file `name` to `hook` (by its files/exclude patterns)."""
    return bool(re.search(hook.get("files", ""), name)) and not re.search(
        hook.get("exclude", "^$"), name
    )


def test_manifest_is_valid():
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert set(hooks()) == {"partyscore-validate", "partyscore-test"}


@pytest.mark.parametrize(
    ("name", "validated", "tested"),
    [
        ("schemes/yongxi-red-flag.yaml", True, True),
        ("my-scheme.yml", True, True),
        ("schemes/yongxi-red-flag.test.yaml", False, True),
        (".pre-commit-config.yaml", False, True),
        ("README.md", False, False),
        ("examples/yongxi-red-flag.csv", False, False),
    ],
)
def test_hooks_run_on_schemes_and_scheme_tests(name: str, validated: bool, tested: bool):
    assert selects(hooks()["partyscore-validate"], name) is validated
    assert selects(hooks()["partyscore-test"], name) is tested


def test_validate_hook_gets_file_names_and_test_hook_runs_once():
    validate, test = hooks()["partyscore-validate"], hooks()["partyscore-test"]
    assert validate["entry"] == "partyscore validate"
    assert validate.get("pass_filenames", True) is True
    assert test["entry"] == "partyscore test"
    assert test["pass_filenames"] is False


# --------------------------------------------------------------------------- try-repo, for real

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "partyscore tests",
    "GIT_AUTHOR_EMAIL": "tests@partyscore.invalid",
    "GIT_COMMITTER_NAME": "partyscore tests",
    "GIT_COMMITTER_EMAIL": "tests@partyscore.invalid",
}


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def git(cwd: Path, env: dict[str, str], *args: str) -> None:
    done = run(["git", "-c", "commit.gpgsign=false", *args], cwd, env)
    assert done.returncode == 0, done.stdout + done.stderr


def commit_all(repo: Path, env: dict[str, str], message: str) -> None:
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", message)


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("git") is None, reason="pre-commit needs git, which is not installed"
)
def test_try_repo_validate_hook_names_the_broken_file_and_line(tmp_path: Path):
    # Git variables of an enclosing hook run (GIT_DIR, GIT_INDEX_FILE) would point git at the
    # wrong repository; PRE_COMMIT_HOME keeps pre-commit's store out of the user's home.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_IDENTITY, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))

    # try-repo needs the hook repository as a git repository: a snapshot of the working tree.
    hook_repo = tmp_path / "partyscore"
    shutil.copytree(
        ROOT,
        hook_repo,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "__pycache__",
            ".mypy_cache",
            ".ruff_cache",
            ".pytest_cache",
            ".hypothesis",
            "build",
            "dist",
            "*.egg-info",
        ),
    )
    git(hook_repo, env, "-c", "init.defaultBranch=main", "init", "-q")
    commit_all(hook_repo, env, "snapshot")

    project = tmp_path / "project"
    project.mkdir()
    good = GOOD.read_text(encoding="utf-8")
    broken = good.replace("< attendance_target *", f"< {MISSPELT} *")
    assert broken != good
    (project / "good.yaml").write_text(good, encoding="utf-8")
    (project / "broken.yaml").write_text(broken, encoding="utf-8")
    git(project, env, "-c", "init.defaultBranch=main", "init", "-q")
    commit_all(project, env, "two schemes")

    try_repo = [
        *(sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo)),
        *("partyscore-validate", "--all-files", "--color", "never"),
    ]
    failed = run(try_repo, project, env)
    output = failed.stdout + failed.stderr
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if MISSPELT in text)
    column = broken.splitlines()[line - 1].index(MISSPELT) + 1
    assert failed.returncode == 1, output
    assert "partyscore validate" in output
    assert "- hook id: partyscore-validate" in output
    assert (
        f"broken.yaml:{line}:{column}: actions[attendance_below_target].when: "
        f"unknown name '{MISSPELT}'; did you mean 'attendance_target'?"
    ) in output
    assert "1 of 2 scheme files valid" in output

    git(project, env, "rm", "-q", "broken.yaml")
    commit_all(project, env, "only the valid scheme")
    passed = run(try_repo, project, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
