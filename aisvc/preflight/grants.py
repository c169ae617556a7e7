"""The role assignments `pulumi up` would create, with the names it would give them.

The grants come from the rule the program's components apply too
(aisvc.contract.role_grants, at aisvc.contract.vault_grant_scope), at the scope
ids and with the names `pulumi up` derives; tests/plan/test_plan_subscription.py
holds the two to the same answer.
"""
from __future__ import annotations

from dataclasses import dataclass

from aisvc.contract import GrantScope, role_assignment_name, role_grants, secret_scope, vault_grant_scope
from aisvc.preflight.target import K, Target


@dataclass(frozen=True)
class PlannedAssignment:
    scope: str
    role: str  # role definition GUID
    principal_id: str
    config_key: str  # the key that asks for it
    name: str  # the assignment name (a GUID) the stack gives it
    scope_kind: GrantScope = "vault"


def scope_ids(target: Target) -> dict[GrantScope, str]:
    """The id of each kind of scope: the vault, the app-facing secret in it, the account."""
    return {"vault": target.vault_id, "secret": secret_scope(target.vault_id, target.settings.secrets.current_name),
            "account": target.account_id}


def stack_vault_scope(target: Target) -> GrantScope | None:
    """Where this stack's Key Vault Secrets User goes (see aisvc.contract.vault_grant_scope)."""
    return vault_grant_scope(not target.new_vault, target.settings.local_auth_enabled)


def planned_assignments(target: Target, deployer_object_id: str | None) -> list[PlannedAssignment]:
    """The stack's grants (aisvc.contract.role_grants, the rule the components apply) at their scopes."""
    settings = target.settings
    scopes = scope_ids(target)
    grants = role_grants(
        settings.kind,
        [(reader.principal_id, reader.principal_type) for reader in settings.secret_readers],
        [(user.principal_id, user.principal_type) for user in settings.service_users],
        (deployer_object_id, "deployer") if settings.grant_deployer and deployer_object_id else None,
        stack_vault_scope(target),
    )
    return [PlannedAssignment(scopes[grant.scope], grant.role, grant.principal_id, f"{K}{grant.reason}",
                              role_assignment_name(scopes[grant.scope], grant.role, grant.principal_id), grant.scope)
            for grant in grants]
