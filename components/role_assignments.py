"""Least-privilege role assignments on the vault and the account.

- Key Vault Secrets User on the vault: secret readers (and the deployer).
- Cognitive Services User on the account: service users (and the deployer);
  for kind OpenAI also Cognitive Services OpenAI User.
- The deployer gets both, so the post-deploy check can run.

Assignment names are deterministic GUIDs of scope + role + principal (like
Bicep's ``guid()``), so re-running ``pulumi up`` never replaces them and a second
assignment of the same role to the same principal is impossible. The scope is the
vault's or account's id Output, the input the assignment waits for anyway, so the
name adds no dependency.
"""
from collections.abc import Iterable, Sequence
from typing import TypedDict

import pulumi
from pulumi_azure_native import authorization

from aisvc.contract import (
    COGNITIVE_SERVICES_OPENAI_USER,
    COGNITIVE_SERVICES_USER,
    KEY_VAULT_SECRETS_USER,
    ROLE_SLUGS,
    role_assignment_name,
    role_definition_id,
)
from components.inputs import GrantArgs, GrantTarget, Kind, PrincipalArgs


def grants_for(
    kind: Kind | str, secret_readers: Sequence[PrincipalArgs] = (), service_users: Sequence[PrincipalArgs] = (),
    deployer: PrincipalArgs | None = None,
) -> list[GrantArgs]:
    """Every grant these principals need, de-duplicated, in a stable order (principal ids lowercased)."""
    account_roles = [COGNITIVE_SERVICES_USER]
    if str(kind) == "OpenAI":
        account_roles.append(COGNITIVE_SERVICES_OPENAI_USER)
    grants = [_grant(GrantTarget.VAULT, KEY_VAULT_SECRETS_USER, reader, "secretReaders") for reader in secret_readers]
    grants += [_grant(GrantTarget.ACCOUNT, role, user, "serviceUsers") for user in service_users for role in account_roles]
    if deployer:
        grants.append(_grant(GrantTarget.VAULT, KEY_VAULT_SECRETS_USER, deployer, "grantDeployer"))
        grants += [_grant(GrantTarget.ACCOUNT, role, deployer, "grantDeployer") for role in account_roles]
    return _unique(grants)


def _grant(target: GrantTarget, role: str, principal: PrincipalArgs, reason: str) -> GrantArgs:
    return GrantArgs(target=target, role=role, principal_id=principal["principal_id"].lower(),
                     principal_type=principal["principal_type"], reason=reason)


def _unique(grants: Iterable[GrantArgs]) -> list[GrantArgs]:
    seen: set[tuple[str, str, str]] = set()
    unique: list[GrantArgs] = []
    for grant in grants:
        key = (str(grant["target"]), grant["role"], grant["principal_id"])
        if key not in seen:
            seen.add(key)
            unique.append(grant)
    return unique


class RoleAssignmentsArgs(TypedDict):
    """The grants and the two scopes they apply to."""

    subscription_id: str
    """Subscription of the role definition ids."""
    grants: list[GrantArgs]
    """One assignment each; plain because each names a Pulumi resource."""
    vault_id: pulumi.Input[str]
    """The vault's resource id (vault grants wait for the vault only)."""
    account_id: pulumi.Input[str]
    """The account's resource id (account grants wait for the account only)."""


class RoleAssignments(pulumi.ComponentResource):
    """Role assignments on the vault and the account."""

    TYPE = "ai-services:role_assignments:RoleAssignments"

    count: pulumi.Output[int]
    """How many assignments were made."""

    def __init__(self, name: str, args: RoleAssignmentsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.assignments = [self._assign(name, grant, args) for grant in args["grants"]]
        self.count = pulumi.Output.from_input(len(self.assignments))
        self.register_outputs({"count": self.count})

    def _assign(self, name: str, grant: GrantArgs, args: RoleAssignmentsArgs) -> authorization.RoleAssignment:
        target, role, principal = GrantTarget(grant["target"]), grant["role"], grant["principal_id"]
        scope = pulumi.Output.from_input(args["vault_id"] if target == GrantTarget.VAULT else args["account_id"])
        return authorization.RoleAssignment(
            f"{name}-{target}-{ROLE_SLUGS[role]}-{principal}",
            role_assignment_name=scope.apply(lambda scope_id: role_assignment_name(scope_id, role, principal)),
            scope=scope,
            role_definition_id=role_definition_id(args["subscription_id"], role),
            principal_id=principal,
            principal_type=str(grant["principal_type"]),
            description=f"ai-services toolkit ({grant['reason']})",
            opts=pulumi.ResourceOptions(parent=self),
        )
