"""The JSON Schema of the scheme format, generated from the models, for editors and CI."""

from __future__ import annotations

import json
from typing import Any

from .models import Scheme

SCHEMA_FILE = "schema/partyscore.schema.json"
"""Where the repository keeps the generated schema (shipped schemes point at it)."""


def scheme_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) that every scheme file satisfies.

    It checks shape only: names, expressions, bands and references are checked by
    ``partyscore validate``, which a JSON Schema cannot express.
    """
    schema = Scheme.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "partyscore scheme",
        "description": "A scoring scheme for partyscore (format version 1). The shape only: "
        "run 'partyscore validate' for names, expressions, bands and references.",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def scheme_json_schema_text() -> str:
    """The schema as the text of ``schema/partyscore.schema.json``."""
    return json.dumps(scheme_json_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
