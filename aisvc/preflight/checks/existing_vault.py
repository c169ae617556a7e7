"""`existing-vault`: `keyVault.existingId` names a vault in this subscription that exists and uses RBAC.

The stack grants Key Vault Secrets User on it and writes the key secrets with
RBAC; a vault on access policies ignores those grants.
"""
from __future__ import annotations

from aisvc.preflight.arm import dig, require
from aisvc.preflight.checks.context import Check, Context
from aisvc.preflight.report import CheckResult
from aisvc.preflight.target import K

ID = "existing-vault"
KEY = f"{K}keyVault.existingId"


def run(ctx: Context) -> CheckResult:
    target = ctx.target
    existing = target.settings.key_vault.existing
    if not existing:
        return CheckResult.passed(ID, "not used: the stack creates its own vault")
    if existing["subscription"].lower() != target.subscription_id:
        return CheckResult.failed(ID, KEY, (
            f"{KEY} names a vault in subscription {existing['subscription']}, but the stack deploys to "
            f"{target.subscription_id}: use a vault in {target.subscription_id}, or remove {KEY}"))
    vault = require(ctx.reads.read("vault"), 404)
    if vault.not_found:
        return CheckResult.failed(ID, KEY, f"{KEY}: vault {existing['name']} not found in resource group "
                                           f"{existing['group']}: fix the id, or remove {KEY} for a new vault")
    if dig(vault.body, "properties", "enableRbacAuthorization") is not True:
        return CheckResult.failed(ID, KEY, (
            f"vault {existing['name']} ({KEY}) uses access policies, not RBAC: turn RBAC on with `az keyvault update "
            f"--name {existing['name']} --enable-rbac-authorization true`, or name another vault"))
    return CheckResult.passed(ID, f"vault {existing['name']} exists and uses RBAC")


CHECK = Check(ID, run, lambda target: ["vault"] if target.settings.key_vault.existing_id
              and target.settings.key_vault.existing["subscription"].lower() == target.subscription_id else [])  # type: ignore[index]
