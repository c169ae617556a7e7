"""`permissions` and `role-assignments`: what the signed-in principal may write, and grants already made by hand.

Permissions: an action is allowed when one entry of the caller's permissions
at the scope has a matching `actions` pattern and none of that same entry's
`notActions` matches (`*` matches any run of characters, case-insensitive).
The scope is the resource group, or the subscription when the group is new.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from aisvc.contract import ROLE_NAMES
from aisvc.preflight.arm import dig, require
from aisvc.preflight.checks.context import Check, Context
from aisvc.preflight.grants import planned_assignments, stack_vault_scope
from aisvc.preflight.report import CheckResult
from aisvc.preflight.target import K, Target

CONTRIBUTOR = "Contributor (or Owner)"
GRANTS_ROLE = "Role Based Access Control Administrator, User Access Administrator or Owner"
LOCKS_ROLE = "User Access Administrator or Owner"


@dataclass(frozen=True)
class Need:
    action: str
    role: str  # a built-in role that carries it
    config_key: str | None  # the config that asks for it (None: every stack)
    instead: str = ""  # the config change that makes it unnecessary


def needed_actions(target: Target, group_exists: bool) -> list[Need]:
    settings = target.settings
    needs = [Need("Microsoft.CognitiveServices/accounts/write", CONTRIBUTOR, None)]
    if not group_exists:
        needs.append(Need("Microsoft.Resources/subscriptions/resourceGroups/write", CONTRIBUTOR,
                          f"{K}resourceGroupName", f"or set {K}resourceGroupName to an existing group"))
    if settings.deployments:
        needs.append(Need("Microsoft.CognitiveServices/accounts/deployments/write", CONTRIBUTOR, f"{K}deployments"))
    if target.new_vault:
        needs.append(Need("Microsoft.KeyVault/vaults/write", CONTRIBUTOR, f"{K}keyVault.existingId"))
    if settings.local_auth_enabled:
        instead = f"or set {K}disableLocalAuth: true (no keys, Entra ID only)"
        needs += [Need("Microsoft.CognitiveServices/accounts/listKeys/action", CONTRIBUTOR, f"{K}disableLocalAuth",
                       instead),
                  Need("Microsoft.KeyVault/vaults/secrets/write", CONTRIBUTOR, f"{K}disableLocalAuth", instead)]
    if settings.secret_readers or settings.service_users or settings.grant_deployer:
        needs.append(Need("Microsoft.Authorization/roleAssignments/write", GRANTS_ROLE, _grants_key(target),
                          f"or set {K}grantDeployer: false and grant roles outside the stack"))
    if settings.lock != "none":
        needs.append(Need("Microsoft.Authorization/locks/write", LOCKS_ROLE, f"{K}lock", f"or set {K}lock: none"))
    return needs


def _grants_key(target: Target) -> str:
    settings = target.settings
    if settings.grant_deployer:
        return f"{K}grantDeployer"
    return f"{K}secretReaders" if settings.secret_readers else f"{K}serviceUsers"


@cache
def _pattern(action: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in action.split("*")), re.IGNORECASE)


def allowed(action: str, permissions: list[Any]) -> bool:
    for entry in permissions:
        actions, not_actions = dig(entry, "actions") or [], dig(entry, "notActions") or []
        if (any(_pattern(str(p)).fullmatch(action) for p in actions)
                and not any(_pattern(str(p)).fullmatch(action) for p in not_actions)):
            return True
    return False


def permissions(ctx: Context) -> CheckResult:
    target = ctx.target
    group = require(ctx.reads.read("group"), 404)
    if group.not_found and target.settings.resource_group_name:
        return CheckResult.failed("permissions", f"{K}resourceGroupName", (
            f"resource group {target.names.resource_group} ({K}resourceGroupName) does not exist in subscription "
            f"{target.subscription_id}: create it, or remove {K}resourceGroupName so the stack creates its own"))
    scope = target.group_id if group.ok else target.subscription_path
    granted = require(ctx.reads.read("permissions:group" if group.ok else "permissions:subscription")).body["value"]
    missing = [need for need in needed_actions(target, group.ok) if not allowed(need.action, granted)]
    if not missing:
        return CheckResult.passed("permissions", f"every action pulumi up needs is allowed at {scope}")
    who = f"the signed-in principal{f' ({ctx.deployer_object_id})' if ctx.deployer_object_id else ''}"
    return CheckResult.failed("permissions", missing[0].config_key, "; ".join(
        f"{who} lacks {need.action} at {scope} (pulumi up: AuthorizationFailed): grant it {need.role}"
        f"{' ' + need.instead if need.instead else ''}" for need in missing))


def permission_reads(target: Target) -> list[str]:
    return ["group", "permissions:group", "permissions:subscription"]


# --- role-assignments ---------------------------------------------------------------------

def role_assignments(ctx: Context) -> CheckResult:
    planned = planned_assignments(ctx.target, ctx.deployer_object_id)
    if not planned:
        return CheckResult.passed("role-assignments", "the stack grants no roles")
    problems: list[tuple[str, str]] = []
    for assignment in planned:
        existing = require(ctx.reads.read(f"assignments:{assignment.scope_kind}"), 404)
        for item in existing.body["value"] if existing.ok else []:
            if _same_grant(item, assignment.scope, assignment.role, assignment.principal_id) and \
                    str(dig(item, "name")).lower() != assignment.name:
                problems.append((assignment.config_key, _duplicate_message(assignment, item)))
    if problems:
        return CheckResult.failed("role-assignments", problems[0][0], "; ".join(message for _, message in problems))
    return CheckResult.passed("role-assignments", f"no conflicting assignment for the stack's {len(planned)} grant(s)")


def _same_grant(item: Any, scope: str, role: str, principal: str) -> bool:
    properties = dig(item, "properties") or {}
    return (str(properties.get("scope", "")).lower() == scope.lower()
            and str(properties.get("roleDefinitionId", "")).rsplit("/", 1)[-1].lower() == role.lower()
            and str(properties.get("principalId", "")).lower() == principal.lower())


def _duplicate_message(assignment: Any, item: Any) -> str:
    role = ROLE_NAMES.get(assignment.role, assignment.role)
    found = dig(item, "id")
    return (f"{role} for principal {assignment.principal_id} on {assignment.scope} already exists as {found} (made "
            f"outside the stack; pulumi up: RoleAssignmentExists, as the stack names it {assignment.name}). It cannot "
            "be imported: an assignment's name is fixed at create and the stack's differs. Remove it with "
            f"`az role assignment delete --ids {found}` right before pulumi up (which recreates it), or keep it and drop "
            f"this principal from {assignment.config_key}")


def assignment_reads(target: Target) -> list[str]:
    """The scopes the stack's grants go to (the vault's kind: vault_grant_scope)."""
    settings = target.settings
    if not (settings.secret_readers or settings.service_users or settings.grant_deployer):
        return []
    vault_scope = stack_vault_scope(target)
    return ["assignments:account", *([f"assignments:{vault_scope}"] if vault_scope else [])]


PERMISSIONS = Check("permissions", permissions, permission_reads)
ROLE_ASSIGNMENTS = Check("role-assignments", role_assignments, assignment_reads)
