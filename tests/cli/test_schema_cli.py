"""`aisvc schema`: one JSON document on stdout, exit 0, the schema the declaration builds."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]

from aisvc.config.schema import stack_file_schema

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_python_m_aisvc_schema_prints_one_json_schema_and_exits_0(tmp_path: Path) -> None:
    # From an unrelated directory: the schema needs no project and no stack.
    result = subprocess.run([sys.executable, "-m", "aisvc", "schema"], cwd=tmp_path, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=60, env={"PYTHONPATH": str(REPO_ROOT), "PATH": ""})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)  # the whole stdout is one document
    assert result.stdout.endswith("}\n") and result.stdout.startswith("{")
    jsonschema.Draft202012Validator.check_schema(document)
    assert document == stack_file_schema()


def test_schema_help_says_what_it_prints() -> None:
    result = subprocess.run([sys.executable, "-m", "aisvc", "schema", "--help"], cwd=REPO_ROOT, capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 0
    assert "JSON Schema" in result.stdout
