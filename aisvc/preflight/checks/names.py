"""The globally unique or soft-deleted names: `subdomain`, `deleted-account`, `vault-name`.

Each tells the stack's own resources (an update: fine) from someone else's or
a soft-deleted one (`pulumi up` fails after minutes, with other resources created).
"""
from __future__ import annotations

from aisvc.preflight.arm import dig, require
from aisvc.preflight.checks.context import Check, Context
from aisvc.preflight.report import CheckResult
from aisvc.preflight.target import K, Target


def _day(timestamp: object) -> str:
    return str(timestamp)[:10] if timestamp else "an unknown date"


# --- subdomain ----------------------------------------------------------------------------

def subdomain(ctx: Context) -> CheckResult:
    name = ctx.target.names.custom_sub_domain
    answer = require(ctx.reads.read("domain"))
    if dig(answer.body, "isSubdomainAvailable") is True:
        return CheckResult.passed("subdomain", f"{name} is available")
    account = require(ctx.reads.read("account"), 404)
    held = str(dig(account.body, "properties", "customSubDomainName") or "")
    if account.ok and held.lower() == name.lower():
        return CheckResult.passed("subdomain", f"{name} is held by this stack's account {ctx.target.names.account}")
    reason = dig(answer.body, "reason") or "not available"
    return CheckResult.failed("subdomain", f"{K}customSubDomainName", (
        f"custom subdomain {name!r} is taken ({reason}); pulumi up would fail with CustomDomainInUse: set "
        f"{K}customSubDomainName to another globally unique name (2-63 letters, digits and '-')"))


# --- deleted-account ----------------------------------------------------------------------

def deleted_account(ctx: Context) -> CheckResult:
    target, names = ctx.target, ctx.target.names
    account = require(ctx.reads.read("account"), 404)
    if account.ok:
        return CheckResult.passed("deleted-account", f"account {names.account} exists: pulumi up updates it")
    deleted = require(ctx.reads.read("deleted-account"), 404)
    restore = target.settings.restore
    if deleted.ok and not restore:
        purge = _day(dig(deleted.body, "properties", "scheduledPurgeDate"))
        return CheckResult.failed("deleted-account", f"{K}restore", (
            f"account {names.account} was deleted on {_day(dig(deleted.body, 'properties', 'deletionDate'))} and "
            f"stays soft-deleted until {purge} (pulumi up: FlagMustBeSetForRestore): set {K}restore: true for one "
            f"pulumi up to recover it, or purge it: az cognitiveservices account purge --location {target.location} "
            f"--resource-group {names.resource_group} --name {names.account}"))
    if not deleted.ok and restore:
        return CheckResult.failed("deleted-account", f"{K}restore", (
            f"{K}restore is true but no soft-deleted account {names.account} exists in {target.location} / "
            f"{names.resource_group} (pulumi up: CanNotRestoreANonExistingResource): set {K}restore: false"))
    if deleted.ok:
        return CheckResult.passed("deleted-account", f"restore: true recovers the soft-deleted {names.account}")
    return CheckResult.passed("deleted-account", f"no soft-deleted account named {names.account}")


# --- vault-name ---------------------------------------------------------------------------

def vault_name(ctx: Context) -> CheckResult:
    target, name = ctx.target, ctx.target.names.vault
    if not target.new_vault:
        return CheckResult.passed("vault-name", f"not used: {K}keyVault.existingId names the vault")
    vault = require(ctx.reads.read("vault"), 404)
    if vault.ok:
        return CheckResult.passed("vault-name", f"vault {name} exists in this stack's group: pulumi up updates it")
    deleted = require(ctx.reads.read("deleted-vault"), 404)
    if deleted.ok:
        return _soft_deleted_vault(target, deleted.body)
    available = require(ctx.reads.read("vault-name"))
    if dig(available.body, "nameAvailable") is False:
        reason = ": ".join(str(part) for part in (dig(available.body, "reason"), dig(available.body, "message"))
                           if part)
        return CheckResult.failed("vault-name", f"{K}keyVault.name", (
            f"vault name {name!r} is taken ({reason or 'not available'}): set {K}keyVault.name to another "
            "globally unique name (3-24 letters, digits and single '-')"))
    return CheckResult.passed("vault-name", f"{name} is available")


def _soft_deleted_vault(target: Target, body: object) -> CheckResult:
    name = target.names.vault
    purge = _day(dig(body, "properties", "scheduledPurgeDate"))
    deleted_on = _day(dig(body, "properties", "deletionDate"))
    if dig(body, "properties", "purgeProtectionEnabled") is True:
        way_out = (f"it is under purge protection, so the name is free on {purge} at the earliest: set "
                   f"{K}keyVault.name to a new name, or wait until {purge}")
    else:
        way_out = (f"set {K}keyVault.name to a new name, or purge it: az keyvault purge --name {name} "
                   f"--location {target.location}")
    return CheckResult.failed("vault-name", f"{K}keyVault.name", (
        f"vault name {name!r} is held by a vault deleted on {deleted_on} and kept until {purge} "
        f"(pulumi up: ConflictError, a vault with the same name already exists in deleted state): {way_out}"))


SUBDOMAIN = Check("subdomain", subdomain, lambda target: ["domain", "account"])
DELETED_ACCOUNT = Check("deleted-account", deleted_account, lambda target: ["account", "deleted-account"])
VAULT_NAME = Check("vault-name", vault_name,
                   lambda target: ["vault", "deleted-vault", "vault-name"] if target.new_vault else [])
