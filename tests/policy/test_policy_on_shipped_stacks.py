"""The toolkit's own example stacks keep the toolkit's own promises.

Runs the real Pulumi program through `aisvc plan --json` (mock engine, offline)
and evaluates the policy rules over that document, as `aisvc plan` and a
`pulumi preview --json` consumer would.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import aisvc.policy as rules

ROOT = Path(__file__).resolve().parents[2]


def plan(stack: str) -> dict:
    result = subprocess.run([sys.executable, "-m", "aisvc", "plan", "--stack", stack, "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_shipped_stack_has_no_mandatory_violation(stack: str) -> None:
    document = plan(stack)
    types = {step["newState"]["type"] for step in document["steps"]}
    assert {rules.ACCOUNT, rules.VAULT, rules.SECRET, rules.ROLE_ASSIGNMENT} <= types  # the rules had work to do
    found = rules.evaluate_preview(document, stack)
    assert not rules.has_mandatory(found), [v.line() for v in found]


def test_prod_stack_is_clean_even_of_advisories() -> None:
    assert rules.evaluate_preview(plan("prod"), "prod") == []
