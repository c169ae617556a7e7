"""The role assignments `pulumi up` would create, with the names it would give them.

Mirrors the stack's grant rules (components/role_assignments.py `grants_for`:
secretReaders and the deployer get Key Vault Secrets User on the vault,
serviceUsers and the deployer Cognitive Services User on the account, plus
Cognitive Services OpenAI User for kind OpenAI), without importing the Pulumi
SDK. tests/plan/test_plan_subscription.py holds the two to the same answer.
"""
from __future__ import annotations

from dataclasses import dataclass

from aisvc.contract import (
    COGNITIVE_SERVICES_OPENAI_USER,
    COGNITIVE_SERVICES_USER,
    KEY_VAULT_SECRETS_USER,
    role_assignment_name,
)
from aisvc.preflight.target import K, Target


@dataclass(frozen=True)
class PlannedAssignment:
    scope: str
    role: str  # role definition GUID
    principal_id: str
    config_key: str  # the key that asks for it
    name: str  # the assignment name (a GUID) the stack gives it


def planned_assignments(target: Target, deployer_object_id: str | None) -> list[PlannedAssignment]:
    settings = target.settings
    account_roles = [COGNITIVE_SERVICES_USER]
    if settings.kind == "OpenAI":
        account_roles.append(COGNITIVE_SERVICES_OPENAI_USER)
    wanted: list[tuple[str, str, str, str]] = []  # scope, role, principal, config key
    wanted += [(target.vault_id, KEY_VAULT_SECRETS_USER, reader.principal_id, f"{K}secretReaders")
               for reader in settings.secret_readers]
    wanted += [(target.account_id, role, user.principal_id, f"{K}serviceUsers")
               for user in settings.service_users for role in account_roles]
    if settings.grant_deployer and deployer_object_id:
        deployer = deployer_object_id.lower()
        wanted.append((target.vault_id, KEY_VAULT_SECRETS_USER, deployer, f"{K}grantDeployer"))
        wanted += [(target.account_id, role, deployer, f"{K}grantDeployer") for role in account_roles]
    planned: dict[tuple[str, str, str], PlannedAssignment] = {}
    for scope, role, principal, key in wanted:
        identity = (scope, role, principal)
        if identity not in planned:
            planned[identity] = PlannedAssignment(scope, role, principal, key,
                                                  role_assignment_name(scope, role, principal))
    return list(planned.values())
