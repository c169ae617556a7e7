"""Least-privilege role assignments on the vault and the account.

- Key Vault Secrets User on the vault: secret readers (and the deployer). On a
  shared vault (keyVault.existingId) on the stack's app-facing secret only, so
  stacks sharing the vault never make the same assignment (aisvc.contract.vault_grant_scope).
- Cognitive Services User on the account: service users (and the deployer);
  for kind OpenAI also Cognitive Services OpenAI User.
- The deployer gets both, so the post-deploy check can run.

Assignment names are deterministic GUIDs of scope + role + principal (like
Bicep's ``guid()``), so re-running ``pulumi up`` never replaces them and a second
assignment of the same role to the same principal is impossible. The scope is the
vault's, secret's or account's id Output, the input the assignment waits for anyway,
so the name adds no dependency.
"""
from collections.abc import Sequence
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import authorization

from aisvc.contract import ROLE_SLUGS, GrantScope, Principal, role_assignment_name, role_definition_id, role_grants
from components.inputs import GrantArgs, GrantTarget, Kind, PrincipalArgs, PrincipalType


def grants_for(
    kind: Kind | str, secret_readers: Sequence[PrincipalArgs] = (), service_users: Sequence[PrincipalArgs] = (),
    deployer: PrincipalArgs | None = None, vault_scope: GrantScope | None = "vault",
) -> list[GrantArgs]:
    """Every grant these principals need (aisvc.contract.role_grants), as component args."""
    grants = role_grants(str(kind), [_principal(p) for p in secret_readers], [_principal(p) for p in service_users],
                         _principal(deployer) if deployer else None, vault_scope)
    return [GrantArgs(target=GrantTarget(grant.scope), role=grant.role, principal_id=grant.principal_id,
                      principal_type=PrincipalType(grant.principal_type), reason=grant.reason) for grant in grants]


def _principal(principal: PrincipalArgs) -> Principal:
    return principal["principal_id"], str(principal["principal_type"])


class RoleAssignmentsArgs(TypedDict):
    """The grants and the scopes they apply to."""

    subscription_id: str
    """Subscription of the role definition ids."""
    grants: list[GrantArgs]
    """One assignment each; plain because each names a Pulumi resource."""
    vault_id: pulumi.Input[str]
    """The vault's resource id (vault grants wait for the vault only)."""
    account_id: pulumi.Input[str]
    """The account's resource id (account grants wait for the account only)."""
    secret_id: NotRequired[pulumi.Input[str]]
    """The app-facing secret's resource id, for secret grants: an Output of the secret, so they wait for it."""


class RoleAssignments(pulumi.ComponentResource):
    """Role assignments on the vault and the account."""

    TYPE = "ai-services:role_assignments:RoleAssignments"

    count: pulumi.Output[int]
    """How many assignments were made."""

    def __init__(self, name: str, args: RoleAssignmentsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self.assignments = [self._assign(name, grant, args) for grant in args["grants"]]
        # By scope: the lock on that scope must depend on them (components/locks.py).
        self.by_target: dict[GrantTarget, list[authorization.RoleAssignment]] = {target: [] for target in GrantTarget}
        for grant, assignment in zip(args["grants"], self.assignments, strict=True):
            self.by_target[GrantTarget(grant["target"])].append(assignment)
        self.count = pulumi.Output.from_input(len(self.assignments))
        self.register_outputs({"count": self.count})

    def _assign(self, name: str, grant: GrantArgs, args: RoleAssignmentsArgs) -> authorization.RoleAssignment:
        target, role, principal = GrantTarget(grant["target"]), grant["role"], grant["principal_id"]
        scope = pulumi.Output.from_input(_scope_id(target, args))
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


def _scope_id(target: GrantTarget, args: RoleAssignmentsArgs) -> pulumi.Input[str]:
    if target == GrantTarget.SECRET:
        if "secret_id" not in args:
            raise ValueError("RoleAssignments: secret grants need secret_id (the app-facing secret's resource id)")
        return args["secret_id"]
    return args["vault_id"] if target == GrantTarget.VAULT else args["account_id"]
