"""The role assignments `pulumi up` would create, with the names it would give them.

The grants come from the rule the program's components apply too
(aisvc.contract.role_grants), at the scope ids and with the names `pulumi up`
derives; tests/plan/test_plan_subscription.py holds the two to the same answer.
"""
from __future__ import annotations

from dataclasses import dataclass

from aisvc.contract import role_assignment_name, role_grants
from aisvc.preflight.target import K, Target


@dataclass(frozen=True)
class PlannedAssignment:
    scope: str
    role: str  # role definition GUID
    principal_id: str
    config_key: str  # the key that asks for it
    name: str  # the assignment name (a GUID) the stack gives it


def planned_assignments(target: Target, deployer_object_id: str | None) -> list[PlannedAssignment]:
    """The stack's grants (aisvc.contract.role_grants, the rule the components apply) at their scopes."""
    settings = target.settings
    scopes = {"vault": target.vault_id, "account": target.account_id}
    grants = role_grants(
        settings.kind,
        [(reader.principal_id, reader.principal_type) for reader in settings.secret_readers],
        [(user.principal_id, user.principal_type) for user in settings.service_users],
        (deployer_object_id, "deployer") if settings.grant_deployer and deployer_object_id else None,
    )
    return [PlannedAssignment(scopes[grant.scope], grant.role, grant.principal_id, f"{K}{grant.reason}",
                              role_assignment_name(scopes[grant.scope], grant.role, grant.principal_id))
            for grant in grants]
