"""Least-privilege role assignments on the vault and the account.

- Key Vault Secrets User on the vault: ``secretReaders`` (and the deployer).
- Cognitive Services User on the account: ``serviceUsers`` (and the deployer);
  for kind OpenAI also Cognitive Services OpenAI User.
- The deployer (``grantDeployer``) gets both, so the post-deploy check can run.

Assignment names are deterministic GUIDs of scope + role + principal (like
Bicep's ``guid()``), so re-running ``pulumi up`` never replaces them and a second
assignment of the same role to the same principal is impossible.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import pulumi
from pulumi_azure_native import authorization

from aisvc.config.settings import Settings
from aisvc.contract import (
    COGNITIVE_SERVICES_OPENAI_USER,
    COGNITIVE_SERVICES_USER,
    KEY_VAULT_SECRETS_USER,
    ROLE_SLUGS,
    role_assignment_name,
    role_definition_id,
)

Target = Literal["vault", "account"]


@dataclass(frozen=True)
class Grant:
    """One role for one principal on the vault or the account."""

    target: Target
    role: str  # role definition GUID
    principal_id: str
    principal_type: str
    reason: str


# Environment variables that make the azure-native provider sign in as an application.
SERVICE_PRINCIPAL_ENV = ("ARM_CLIENT_ID", "AZURE_CLIENT_ID")


def deployer_principal_type(configured: str, env: Mapping[str, str], provider_client_id: str | None) -> str:
    """User or ServicePrincipal: who runs `pulumi up`.

    It must be right: the SDK would otherwise send ARM's default ``User`` and a
    service principal's assignment fails with UnmatchedPrincipalType. ``auto``:
    a service principal / managed identity when the provider is configured with
    a client id (ARM_CLIENT_ID, AZURE_CLIENT_ID, azure-native:clientId) or
    ARM_USE_MSI, else a user signed in with `az login`.
    """
    if configured != "auto":
        return configured
    if provider_client_id or any(env.get(name) for name in SERVICE_PRINCIPAL_ENV):
        return "ServicePrincipal"
    return "ServicePrincipal" if env.get("ARM_USE_MSI", "").lower() == "true" else "User"


def grants_for(settings: Settings, deployer_object_id: str | None, deployer_type: str = "User") -> list[Grant]:
    """Every grant the stack config asks for, de-duplicated, in a stable order."""
    account_roles = [COGNITIVE_SERVICES_USER]
    if settings.kind == "OpenAI":
        account_roles.append(COGNITIVE_SERVICES_OPENAI_USER)
    grants: list[Grant] = []
    for reader in settings.secret_readers:
        grants.append(Grant("vault", KEY_VAULT_SECRETS_USER, reader.principal_id, reader.principal_type, "secretReaders"))
    for user in settings.service_users:
        grants += [Grant("account", role, user.principal_id, user.principal_type, "serviceUsers") for role in account_roles]
    if settings.grant_deployer and deployer_object_id:
        deployer = deployer_object_id.lower()
        grants.append(Grant("vault", KEY_VAULT_SECRETS_USER, deployer, deployer_type, "grantDeployer"))
        grants += [Grant("account", role, deployer, deployer_type, "grantDeployer") for role in account_roles]
    return _unique(grants)


def _unique(grants: Iterable[Grant]) -> list[Grant]:
    seen: set[tuple[str, str, str]] = set()
    unique: list[Grant] = []
    for grant in grants:
        key = (grant.target, grant.role, grant.principal_id)
        if key not in seen:
            seen.add(key)
            unique.append(grant)
    return unique


@dataclass(frozen=True)
class RoleAssignmentsArgs:
    subscription_id: str
    grants: tuple[Grant, ...]
    # Outputs carry the dependency (an assignment waits for its scope only);
    # the plain-text ids name the assignments deterministically.
    vault_id: pulumi.Input[str]
    vault_id_text: str
    account_id: pulumi.Input[str]
    account_id_text: str


class RoleAssignments(pulumi.ComponentResource):
    """``ai-services:role_assignments:RoleAssignments``."""

    TYPE = "ai-services:role_assignments:RoleAssignments"

    assignments: list[authorization.RoleAssignment]

    def __init__(self, name: str, args: RoleAssignmentsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.assignments = [self._assign(name, grant, args) for grant in args.grants]
        self.register_outputs({"count": len(self.assignments)})

    def _assign(self, name: str, grant: Grant, args: RoleAssignmentsArgs) -> authorization.RoleAssignment:
        scope, scope_text = (
            (args.vault_id, args.vault_id_text) if grant.target == "vault" else (args.account_id, args.account_id_text)
        )
        return authorization.RoleAssignment(
            f"{name}-{grant.target}-{ROLE_SLUGS[grant.role]}-{grant.principal_id}",
            role_assignment_name=role_assignment_name(scope_text, grant.role, grant.principal_id),
            scope=scope,
            role_definition_id=role_definition_id(args.subscription_id, grant.role),
            principal_id=grant.principal_id,
            principal_type=grant.principal_type,
            description=f"ai-services toolkit ({grant.reason})",
            opts=pulumi.ResourceOptions(parent=self),
        )
