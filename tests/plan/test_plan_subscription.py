"""`aisvc plan --subscription ID`: the names and ids `pulumi up` will use there, the same ones preflight checks."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from aisvc.contract import KEY_VAULT_SECRETS_USER
from aisvc.plan import FAKE_CLIENT, Plan, build_plan
from aisvc.preflight import load_target
from aisvc.preflight.grants import planned_assignments

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBSCRIPTION = "5b0f3c1e-8d2a-4c6b-9e7f-1a2b3c4d5e6f"


@pytest.fixture(scope="module")
def prod_plan() -> Plan:
    return build_plan("prod", REPO_ROOT, subscription=SUBSCRIPTION)


def test_names_and_ids_follow_the_subscription(prod_plan: Plan) -> None:
    simulated = build_plan("prod", REPO_ROOT)
    assert prod_plan.outputs["accountName"] != simulated.outputs["accountName"]
    assert prod_plan.outputs["accountId"].startswith(f"/subscriptions/{SUBSCRIPTION}/resourceGroups/")
    assert FAKE_CLIENT["subscriptionId"] not in json.dumps(prod_plan.to_preview_json())


def test_plan_names_are_the_ones_preflight_checks(prod_plan: Plan) -> None:
    target = load_target("prod", REPO_ROOT, {"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION})
    assert prod_plan.outputs["accountName"] == target.names.account
    assert prod_plan.outputs["accountId"] == target.account_id
    assert prod_plan.outputs["customSubDomainName"] == target.names.custom_sub_domain
    assert prod_plan.outputs["keyVaultName"] == target.names.vault
    [vault] = prod_plan.of_type("azure-native:keyvault:Vault")
    assert vault.input("resourceGroupName") == target.names.resource_group


def test_role_assignments_are_the_ones_preflight_looks_for(prod_plan: Plan) -> None:
    """Same scope, role, principal and assignment name (the deployer is the simulated client's object id)."""
    target = load_target("prod", REPO_ROOT, {"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION})
    planned = {(a.scope.lower(), a.role, a.principal_id, a.name)
               for a in planned_assignments(target, FAKE_CLIENT["objectId"])}
    in_plan = {(r.input("scope").lower(), r.input("roleDefinitionId").rsplit("/", 1)[-1], r.input("principalId"),
                r.input("roleAssignmentName"))
               for r in prod_plan.of_type("azure-native:authorization:RoleAssignment")}
    assert planned == in_plan and len(planned) >= 3


Assignment = tuple[str, str, str, str]


def _assignments_both_ways(project_dir: Path, stack: str) -> tuple[set[Assignment], set[Assignment]]:
    """(preflight's planned assignments, the program's) as (scope, role, principal, name)."""
    plan = build_plan(stack, project_dir, subscription=SUBSCRIPTION)
    target = load_target(stack, project_dir, {"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION})
    planned = {(a.scope.lower(), a.role, a.principal_id, a.name)
               for a in planned_assignments(target, FAKE_CLIENT["objectId"])}
    in_plan = {(str(r.input("scope")).lower(), str(r.input("roleDefinitionId")).rsplit("/", 1)[-1],
                str(r.input("principalId")), str(r.input("roleAssignmentName")))
               for r in plan.of_type("azure-native:authorization:RoleAssignment")}
    return planned, in_plan


@pytest.mark.parametrize("keys", [True, False])
def test_on_a_shared_vault_preflight_looks_for_the_programs_secret_scope_grants(tmp_path: Path, keys: bool) -> None:
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(REPO_ROOT / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "stacks").mkdir()
    vault = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/shared/providers/Microsoft.KeyVault/vaults/kv-shared"
    config = {"azure-native:location": "swedencentral", "ai-services:namePrefix": "appa",
              "ai-services:keyVault": {"existingId": vault}, "ai-services:disableLocalAuth": not keys,
              "ai-services:secrets": {"key1Name": "appa-key1", "key2Name": "appa-key2", "currentName": "appa-key"},
              "ai-services:secretReaders": [{"principalId": "11111111-1111-4111-8111-111111111111",
                                             "principalType": "ServicePrincipal"}]}
    (tmp_path / "stacks" / "Pulumi.a.yaml").write_text(yaml.safe_dump({"config": config}))
    planned, in_plan = _assignments_both_ways(tmp_path, "a")
    assert planned == in_plan
    vault_side = {scope for scope, role, _, _ in planned if role == KEY_VAULT_SECRETS_USER}
    assert vault_side == ({f"{vault}/secrets/appa-key".lower()} if keys else set())


def test_cli_option_and_bad_ids() -> None:
    ok = subprocess.run([sys.executable, "-m", "aisvc", "plan", "--stack", "dev", "--json", "--subscription",
                         SUBSCRIPTION], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["outputs"]["accountId"].startswith(f"/subscriptions/{SUBSCRIPTION}/")
    bad = subprocess.run([sys.executable, "-m", "aisvc", "plan", "--stack", "dev", "--subscription", "nope"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "not a subscription id" in bad.stderr
