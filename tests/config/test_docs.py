"""The README "Stack config" table is the one the declaration renders."""
from __future__ import annotations

import difflib
from pathlib import Path

from aisvc.config.docs import config_table
from aisvc.config.fields import declared
from aisvc.config.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
HEADER = "| key | type / allowed | default |"


def readme_table() -> str:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER, lines.index("## Stack config"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end]) + "\n"


def test_the_readme_config_table_is_generated_from_the_declaration() -> None:
    expected, actual = config_table(), readme_table()
    diff = "".join(difflib.unified_diff(actual.splitlines(True), expected.splitlines(True), "README.md", "config_table()"))
    assert actual == expected, f"README.md 'Stack config' table drifted from aisvc/config/settings.py:\n{diff}"


def test_the_table_has_one_row_per_key_with_a_default() -> None:
    rows = config_table().splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{key.key}`" for key in declared(Settings)]
    assert all(row.count(" | ") == 2 and not row.endswith("|  |") for row in rows)
    assert "| `namePrefix` | " in rows[0] and rows[0].endswith(" | required |")
