"""docs/roles/*.json and docs/cicd.md agree with what `aisvc preflight`'s `permissions` check asks for.

Preflight's own matcher (`allowed`, Azure's wildcard rules) judges the custom roles:
the deployer role allows every action preflight requires of `pulumi up` for the
shipped prod stack with every option on, the preview role allows none of its
writes, and every action a role adds beyond preflight's list is one the table
in docs/cicd.md names, for a job preflight does not cover.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from aisvc.preflight.checks.access import LOCKS_ROLE, allowed, needed_actions
from aisvc.preflight.target import Target, load_target

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "docs" / "roles"
CICD = (ROOT / "docs" / "cicd.md").read_text()
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
# Actions the roles carry that preflight's `permissions` check does not ask for, and why.
BEYOND_PREFLIGHT = {
    "*/read": "preflight's own reads, pulumi's reads and polling (Reader)",
    "Microsoft.CognitiveServices/checkDomainAvailability/action": "preflight's subdomain check (a POST)",
    "Microsoft.CognitiveServices/accounts/regenerateKey/action": "aisvc rotate",
    "Microsoft.CognitiveServices/accounts/delete": "updates that replace the account; destroy",
    "Microsoft.CognitiveServices/accounts/deployments/delete": "updates that remove a deployment; destroy",
    "Microsoft.Authorization/roleAssignments/delete": "updates that remove a grant; destroy",
    "Microsoft.Authorization/locks/delete": "updates that remove the lock; destroy",
    "Microsoft.KeyVault/vaults/delete": "destroy",
    "Microsoft.Resources/subscriptions/resourceGroups/delete": "destroy of a group the stack made",
}


def role(name: str) -> dict[str, Any]:
    return json.loads((ROLES / f"{name}.json").read_text())


def permissions(*names: str) -> list[dict[str, Any]]:
    return [{"actions": role(name)["Actions"], "notActions": role(name)["NotActions"]} for name in names]


@pytest.fixture(scope="module")
def prod() -> Target:
    target = load_target("prod", ROOT, {"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION})
    settings = target.settings
    # The shipped prod stack turns every option on that asks for an action.
    assert settings.deployments and settings.local_auth_enabled and settings.lock != "none" and target.new_vault
    assert settings.grant_deployer or settings.secret_readers or settings.service_users
    return target


def required(target: Target) -> set[str]:
    return {need.action for need in needed_actions(target, group_exists=False)}


@pytest.mark.parametrize("name", ["deployer", "preview", "destroy"])
def test_roles_are_valid_custom_role_definitions(name: str) -> None:
    definition = role(name)
    assert set(definition) == {"Name", "IsCustom", "Description", "Actions", "NotActions", "DataActions",
                               "NotDataActions", "AssignableScopes"}
    assert definition["IsCustom"] is True and definition["Name"].startswith("ai-services ")
    assert len(set(definition["Actions"])) == len(definition["Actions"])
    for action in definition["Actions"] + definition["DataActions"]:
        assert action == "*/read" or re.fullmatch(r"Microsoft\.\w+(/[\w*]+)+", action), action
    assert all(re.fullmatch(r"/subscriptions/[0-9a-f-]{36}", scope) for scope in definition["AssignableScopes"])


def test_the_deployer_role_allows_everything_preflight_requires_of_pulumi_up(prod: Target) -> None:
    granted = permissions("deployer")
    assert all(allowed(action, granted) for action in required(prod)), [
        action for action in required(prod) if not allowed(action, granted)]


def test_every_action_beyond_preflight_s_list_is_accounted_for(prod: Target) -> None:
    for name in ("deployer", "preview", "destroy"):
        for action in role(name)["Actions"]:
            assert action in required(prod) or action in BEYOND_PREFLIGHT, (name, action)


def test_the_preview_role_may_list_keys_but_write_nothing(prod: Target) -> None:
    granted = permissions("preview")
    writes = {action for action in required(prod) if not action.endswith("/listKeys/action")}
    assert allowed("Microsoft.CognitiveServices/accounts/listKeys/action", granted)
    assert not [action for action in writes if allowed(action, granted)]
    assert not allowed("Microsoft.CognitiveServices/accounts/regenerateKey/action", granted)


def test_the_cicd_table_names_every_action_of_the_roles() -> None:
    spelled = CICD.replace("…/accounts/", "Microsoft.CognitiveServices/accounts/")
    for name in ("deployer", "preview", "destroy"):
        for action in role(name)["Actions"] + role(name)["DataActions"]:
            short = action.replace("Microsoft.CognitiveServices/accounts/deployments/", "…/deployments/")
            last = "…/" + action.rsplit("/", 2)[-2] + "/" + action.rsplit("/", 1)[-1]
            assert any(form in spelled for form in (action, short, last)), (name, action)


def test_docs_and_preflight_name_the_same_built_in_role_for_locks() -> None:
    # Contributor cannot write locks; preflight tells users to grant these roles, and so does the table.
    assert set(re.split(r", | or ", LOCKS_ROLE)) == {"User Access Administrator", "Owner"}
    lock_row = next(line for line in CICD.splitlines() if "`lock: CanNotDelete`" in line and line.startswith("|"))
    assert "User Access Administrator" in lock_row and "Owner" in lock_row
    assert "Microsoft.Authorization/locks/write" in lock_row
