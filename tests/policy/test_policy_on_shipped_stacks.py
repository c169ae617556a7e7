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


def found(violations: list[rules.Violation]) -> list[tuple[str, str]]:
    return sorted((v.policy, v.urn.rsplit("::", 1)[-1]) for v in violations)


@pytest.mark.parametrize("stack", ["dev", "prod", "prod-private"])
def test_shipped_stack_has_no_mandatory_violation(stack: str) -> None:
    document = plan(stack)  # `aisvc plan` exits 0: no mandatory violation
    types = {step["newState"]["type"] for step in document["steps"]}
    assert {rules.ACCOUNT, rules.VAULT, rules.SECRET, rules.ROLE_ASSIGNMENT} <= types  # the rules had work to do
    violations = rules.evaluate_preview(document, stack)
    assert not rules.has_mandatory(violations), [v.line() for v in violations]
    assert document["policyViolations"] == [v.to_dict() for v in violations]  # the plan judged the same


def test_prod_private_stack_is_clean_even_of_advisories() -> None:
    document = plan("prod-private")
    types = {step["newState"]["type"] for step in document["steps"]}
    assert {rules.PRIVATE_ENDPOINT, rules.DIAGNOSTIC_SETTING} <= types  # the production shape had work to do
    assert rules.evaluate_preview(document, "prod-private") == []
    assert rules.evaluate_preview(document, "prod") == []  # judged as production too


def test_prod_stack_is_clean_but_for_the_expiry_of_its_secrets() -> None:
    # prod denies by default with ACLs and sends diagnostics; it sets no secrets.rotatedAt, so its
    # key secrets have no expiry date until the first `aisvc rotate`: advisory only.
    document = plan("prod")
    found_in_prod = rules.evaluate_preview(document, "prod")
    assert {v.level for v in found_in_prod} == {rules.ADVISORY}
    assert found(found_in_prod) == [("keyvault-secret-expiry", f"aisvc-prod-{name}") for name in ("current", "key1", "key2")]


def test_dev_stack_gets_the_production_shape_as_advice() -> None:
    found_in_dev = rules.evaluate_preview(plan("dev"), "dev")
    assert {v.level for v in found_in_dev} == {rules.ADVISORY}
    judged_twice = ("public-network-without-acls", "private-network-nonprod", "diagnostic-settings-nonprod")
    assert found(found_in_dev) == sorted(
        [(policy, "aisvc-dev") for policy in judged_twice for _ in ("account", "vault")]
        + [("keyvault-secret-expiry", f"aisvc-dev-{name}") for name in ("current", "key1", "key2")])
