"""The JSON Schema of scheme files: the committed copy is current, every shipped scheme points
an editor at it, and third-party validators (check-jsonschema, the jsonschema library) accept
every shipped scheme and reject broken ones, naming the offending key.

check-jsonschema reads YAML 1.2 with ruamel.yaml: dates stay strings, ``0.7`` is a float and
``no`` is a string. partyscore reads ``0.7`` as an exact Decimal; the schema accepts both.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from partyscore import SchemeError, load_scheme_text
from partyscore._loader import parse_yaml
from partyscore._schema import SCHEMA_FILE, scheme_json_schema, scheme_json_schema_text

ROOT = Path(__file__).parent.parent
SCHEMA = ROOT / SCHEMA_FILE
SHIPPED = sorted(
    path for path in (ROOT / "schemes").glob("*.yaml") if not path.name.endswith(".test.yaml")
)
EDITOR_LINE = "# yaml-language-server: $schema=../schema/partyscore.schema.json"
BASE = ROOT / "schemes" / "nanping-activity-day.yaml"  # the smallest shipped scheme


def check_jsonschema(*files: Path) -> tuple[int, str]:
    """Run the real check-jsonschema on `files`; its exit status and everything it printed."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--color",
            "never",
            "--schemafile",
            str(SCHEMA),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def variant(replacements: list[tuple[str, str]]) -> str:
    """BASE with each `old` replaced once by `new`; every `old` must be there exactly once."""
    text = BASE.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def test_there_are_shipped_schemes():
    assert len(SHIPPED) >= 8


# --------------------------------------------------------------------------- the committed copy


def test_committed_schema_is_current():
    if SCHEMA.read_text(encoding="utf-8") != scheme_json_schema_text():
        pytest.fail(
            f"{SCHEMA_FILE} is stale: the models changed since it was generated. Regenerate "
            f"it with `partyscore schema --output {SCHEMA_FILE}` and commit the result."
        )


def test_schema_is_a_valid_draft_2020_12_schema():
    schema = scheme_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


# --------------------------------------------------------------------------- the editor line


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_shipped_scheme_points_editors_at_the_schema(path: Path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == EDITOR_LINE, f"{path.name} must start with the line {EDITOR_LINE!r}"
    target = first.split("$schema=", 1)[1]
    assert (path.parent / target).resolve() == SCHEMA.resolve()


# --------------------------------------------------------------------------- check-jsonschema


def test_check_jsonschema_accepts_every_shipped_scheme():
    status, output = check_jsonschema(*SHIPPED)
    assert status == 0, output
    assert "ok -- validation done" in output


def _drop_effective(text: str) -> str:
    start = text.index("\neffective:\n") + 1
    end = text.index("\nrounding:", start) + 1
    return text[:start] + text[end:]


BROKEN: list[tuple[str, Callable[[], str], str]] = [
    (
        "unknown-key",
        lambda: variant([("period: month\n", "period: month\ncolour: red\n")]),
        "broken.yaml::$: Additional properties are not allowed ('colour' was unexpected)",
    ),
    (
        "string-for-integer",
        lambda: variant([("{places: 2, mode: half_up}", "{places: two, mode: half_up}")]),
        "broken.yaml::$.rounding.places: 'two' is not of type 'integer'",
    ),
    (
        "string-for-number",
        lambda: variant([("    value: 100\n", "    value: a hundred\n")]),
        "broken.yaml::$.parameters.attendance_target.value: 'a hundred' is not valid under "
        "any of the given schemas",
    ),
    (
        "wrong-period",
        lambda: variant([("period: month\n", "period: weekly\n")]),
        "broken.yaml::$.period: 'weekly' is not one of "
        "['month', 'bimonth', 'quarter', 'half', 'year']",
    ),
    (
        "missing-required-key",
        lambda: _drop_effective(BASE.read_text(encoding="utf-8")),
        "broken.yaml::$: 'effective' is a required property",
    ),
]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_check_jsonschema_rejects_a_broken_scheme_naming_the_key(
    make: Callable[[], str], expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    text = make()
    broken = tmp_path / "broken.yaml"
    broken.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # so that check-jsonschema names the file as given
    status, output = check_jsonschema(Path("broken.yaml"))
    assert status == 1, output
    assert expected in [line.strip() for line in output.splitlines()], output
    with pytest.raises(SchemeError):  # partyscore rejects it too
        load_scheme_text(text, file="broken.yaml")


def test_check_jsonschema_reads_yaml_as_partyscore_does_where_it_matters(tmp_path: Path):
    # Values whose YAML type depends on the reader: ruamel.yaml makes 99.5 and 1e2 floats
    # (partyscore: exact Decimals) and keeps `yes`/`no` and dates as strings (a YAML 1.1
    # reader would make booleans and date objects of them).
    text = variant(
        [
            ("    value: 100\n", "    value: 99.5\n"),
            ("    max: 100\n", "    max: 1e2\n"),
            (
                "  attributes:\n",
                "  attributes:\n    online:\n      type: enum\n      values: [yes, no]\n"
                "      default: no\n",
            ),
            ("  start: 2015-01-01\n", "  start: 2015-01-01\n  end: 2099-12-31\n"),
        ]
    )
    scheme = load_scheme_text(text, file="hazards.yaml")
    assert scheme.model.subject.attributes["online"].values == ["yes", "no"]
    path = tmp_path / "hazards.yaml"
    path.write_text(text, encoding="utf-8")
    status, output = check_jsonschema(path)
    assert status == 0, output


# --------------------------------------------------------------------------- jsonschema library


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    draft = jsonschema.Draft202012Validator
    return draft(schema, format_checker=draft.FORMAT_CHECKER)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_jsonschema_library_accepts_shipped_scheme(path: Path):
    # Read as partyscore reads it: exact Decimals (which jsonschema counts as numbers), dates
    # and `no` as strings.
    document, problems = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    assert problems == []
    assert document is not None
    errors = [
        f"{error.json_path}: {error.message}" for error in _validator().iter_errors(document.data)
    ]
    assert errors == []
