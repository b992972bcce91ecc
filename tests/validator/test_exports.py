"""The public surface is small, sorted and complete (STYLE lesson 11)."""

from __future__ import annotations

import validator


def test_all_is_sorted_and_matches_public_names() -> None:
    public = {name for name in vars(validator) if name.isidentifier() and not name.startswith("_")}
    modules = {
        "api",
        "messages",
        "report",
        "response",
        "spec",
        "types",
        "jsonschema_export",
        "cli",
        "strategies",
        "stability",
    }
    assert sorted(validator.__all__) == validator.__all__
    assert set(validator.__all__) == public - modules


def test_entry_points_exported() -> None:
    for name in (
        "check_headers",
        "is_valid_request",
        "iter_request_errors",
        "resolve_model_id",
        "validate_body",
        "validate_request",
        "validate_response",
        "ResponseReport",
        "json_schema",
    ):
        assert name in validator.__all__


def test_json_schema_is_the_export_function() -> None:
    from validator.jsonschema_export import json_schema

    assert validator.json_schema is json_schema


def test_importing_validator_does_not_import_hypothesis() -> None:
    import subprocess
    import sys

    code = (
        "import sys, validator; "
        "assert 'hypothesis' not in sys.modules and 'validator.strategies' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
