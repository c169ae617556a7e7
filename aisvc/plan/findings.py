"""Which changes of a config change Azure refuses (error) or accept while something is lost (warning).

Each rule reads the two plans, the two validated settings and the steps
(aisvc.plan.changes) and yields findings with a stable id, the config key whose
change causes them and a message that says what to do. The Azure facts behind
each rule are in docs/plan-diff.md.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from aisvc.config.settings import Settings
from aisvc.contract import OutputName
from aisvc.plan.changes import Change
from aisvc.plan.model import Plan, PlannedResource

Severity = Literal["error", "warning"]
ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
LOCK = "azure-native:authorization:ManagementLockByScope"
GROUP = "azure-native:resources:ResourceGroup"


@dataclass(frozen=True)
class Finding:
    id: str
    severity: Severity
    config_key: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "severity": self.severity, "configKey": self.config_key, "message": self.message}

    def line(self) -> str:
        return f"{self.severity}: {self.id} ({self.config_key}): {self.message}"


# Config keys the rules attribute changes to, and how to read each from Settings.
KEYS: dict[str, Callable[[Settings], Any]] = {
    "namePrefix": lambda s: s.name_prefix,
    "resourceGroupName": lambda s: s.resource_group_name,
    "location": lambda s: s.location,
    "kind": lambda s: s.kind,
    "customSubDomainName": lambda s: s.custom_sub_domain_name,
    "disableLocalAuth": lambda s: s.disable_local_auth,
    "publicNetworkAccess": lambda s: s.public_network_access,
    "networkAcls": lambda s: s.network_acls,
    "keyVault.existingId": lambda s: s.key_vault.existing_id,
    "keyVault.name": lambda s: s.key_vault.name,
    "keyVault.publicNetworkAccess": lambda s: s.key_vault.public_network_access,
    "keyVault.networkAcls": lambda s: s.key_vault.network_acls,
    "secrets": lambda s: (s.secrets.key1_name, s.secrets.key2_name, s.secrets.current_name),
    "deployerPrincipalType": lambda s: s.deployer_principal_type,
    "grantDeployer": lambda s: s.grant_deployer,
    "privateEndpoints": lambda s: s.private_endpoints,
}


@dataclass(frozen=True)
class Context:
    base: Plan
    head: Plan
    old: Settings
    new: Settings
    changes: list[Change]

    def changed(self, *keys: str) -> str | None:
        """The first of ``keys`` whose value differs between the two settings."""
        return next((key for key in keys if KEYS[key](self.old) != KEYS[key](self.new)), None)

    def removed(self, type_: str | None = None) -> list[PlannedResource]:
        """Base resources that `pulumi up` deletes (a replace deletes the old one too)."""
        urns = {c.urn for c in self.changes if c.op in ("delete", "replace")}
        return [r for r in self.base.resources if r.urn in urns and (type_ is None or r.type == type_)]

    def account_cause(self) -> str | None:
        """Why the account is deleted, when it is."""
        if not self.removed(ACCOUNT):
            return None
        return self.changed("namePrefix", "resourceGroupName", "location") or "namePrefix"

    def vault_cause(self) -> str | None:
        if not self.removed(VAULT):
            return None
        return self.changed("keyVault.existingId", "keyVault.name", "namePrefix", "resourceGroupName", "location") \
            or "keyVault"

    def kept(self, resource: PlannedResource, *keys: str) -> bool:
        """Whether the head plan still has a resource of this type with the same ``keys`` inputs (it moved)."""
        return any(all(other.input(k) == resource.input(k) for k in keys) for other in self.head.of_type(resource.type))

    def cause(self, resource: PlannedResource) -> str:
        """The config key whose change deletes ``resource``: its container's when it only moves, else its own."""
        if resource.type == ROLE_ASSIGNMENT:
            if not self.kept(resource, "principalId", "roleDefinitionId"):
                return _grant_reason(resource) or "grants"
            scope = str(resource.input("scope"))
            if "/secrets/" in scope:  # a shared vault's grant follows the app-facing secret
                return self.changed("secrets", "keyVault.existingId") or "secrets"
            return (self.vault_cause() if "/vaults/" in scope else self.account_cause()) \
                or self.changed("deployerPrincipalType") or "grants"
        by_type: dict[str, Callable[[], str | None]] = {
            DEPLOYMENT: lambda: self.account_cause() if self.kept(resource, "deploymentName") else "deployments",
            ACCOUNT: self.account_cause,
            VAULT: self.vault_cause,
            SECRET: lambda: self.vault_cause() if self.kept(resource, "secretName") else
            self.changed("disableLocalAuth", "keyVault.existingId", "secrets"),
            GROUP: lambda: self.changed("resourceGroupName", "namePrefix"),
            LOCK: lambda: "lock",
        }
        return by_type.get(resource.type, lambda: None)() or self.changed(*KEYS) or "namePrefix"


def _grant_reason(resource: PlannedResource) -> str | None:
    """The config key a role assignment exists for: the program writes it into the description."""
    description = str(resource.input("description") or "")
    return description[description.rfind("(") + 1:-1] if description.endswith(")") else None


def _one(plan: Plan, type_: str) -> PlannedResource | None:
    return next(iter(plan.of_type(type_)), None)


def _same(old: PlannedResource, new: PlannedResource, *keys: str) -> bool:
    return all(old.input(key) == new.input(key) for key in keys)


def account_rules(ctx: Context) -> Iterator[Finding]:
    old, new = _one(ctx.base, ACCOUNT), _one(ctx.head, ACCOUNT)
    if old is None or new is None:
        return
    name = old.input("accountName")
    if not _same(old, new, "accountName", "resourceGroupName"):
        yield Finding("account-replaced", "warning", ctx.account_cause() or "namePrefix", (
            f"account {name} is deleted and {new.input('accountName')} created: a new endpoint "
            f"({ctx.head.outputs.get(OutputName.ENDPOINT)}) and new keys; apps must switch to them. The old account is "
            "soft-deleted and its name held for 48 h (restore it with `restore: true` or purge it to reuse the name)"))
        return
    if old.input("location") != new.input("location"):
        yield Finding("account-location-immutable", "error", "location", (
            f"Azure cannot move account {name} from {old.input('location')} to {new.input('location')}: keep the "
            "location, or choose a new namePrefix to create a second account there (new endpoint and keys)"))
    old_sub, new_sub = old.input("properties.customSubDomainName"), new.input("properties.customSubDomainName")
    if old_sub != new_sub:
        yield Finding("subdomain-immutable", "error", ctx.changed("customSubDomainName") or "customSubDomainName", (
            f"Azure refuses a new customSubDomainName for account {name} once it is set ({old_sub}); keep "
            f"{old_sub}, or choose a new namePrefix to create a new account answering on {new_sub}"))
    yield from _kind_change(old, new)


def _kind_change(old: PlannedResource, new: PlannedResource) -> Iterator[Finding]:
    before, after = old.input("kind"), new.input("kind")
    if before == after:
        return
    if (before, after) == ("OpenAI", "AIServices"):
        yield Finding("kind-upgrade", "warning", "kind", (
            f"account {old.input('accountName')} is upgraded in place from OpenAI to AIServices: the endpoint and "
            "keys stay, model deployments stay; the upgrade cannot be undone (going back to OpenAI needs a new account)"))
        return
    yield Finding("kind-immutable", "error", "kind", (
        f"Azure refuses changing account {old.input('accountName')} from kind {before} to {after} (only OpenAI -> "
        "AIServices is an in-place upgrade); keep the kind, or choose a new namePrefix to create a new account"))


def vault_rules(ctx: Context) -> Iterator[Finding]:
    old, new = _one(ctx.base, VAULT), _one(ctx.head, VAULT)
    if old is None:
        return
    name = old.input("vaultName")
    if new is None or not _same(old, new, "vaultName", "resourceGroupName"):
        retention = old.input("properties.softDeleteRetentionInDays")
        reserved = (f"with purge protection its name stays reserved for {retention} days and cannot be purged sooner"
                    if old.input("properties.enablePurgeProtection") else
                    f"its name stays reserved for {retention} days unless someone purges it")
        yield Finding("vault-replaced", "warning", ctx.vault_cause() or "keyVault", (
            f"vault {name} is deleted with every secret in it; it is soft-deleted and {reserved}. Apps reading "
            "keyVaultUri must switch to the new vault; copy any secret you added by hand before `pulumi up`"))
        return
    old_days, new_days = old.input("properties.softDeleteRetentionInDays"), new.input("properties.softDeleteRetentionInDays")
    if old_days != new_days:
        yield Finding("vault-retention-immutable", "error", "keyVault.softDeleteRetentionInDays", (
            f"Azure refuses changing softDeleteRetentionInDays of existing vault {name} ({old_days} -> {new_days}): "
            f"keep {old_days}"))
    if old.input("properties.enablePurgeProtection") and not new.input("properties.enablePurgeProtection"):
        yield Finding("purge-protection-irreversible", "error", "keyVault.enablePurgeProtection", (
            f"purge protection on vault {name} cannot be turned off once on: keep keyVault.enablePurgeProtection true"))
    if old.input("location") != new.input("location"):
        yield Finding("vault-location-immutable", "error", "location", (
            f"Azure cannot move vault {name} to {new.input('location')}: keep the location, or use a new keyVault.name"))


def _arm_path(resource: PlannedResource) -> str | None:
    """The resource's id below the subscription, lower case; None for what ARM locks do not cover."""
    group = f"/resourcegroups/{resource.input('resourceGroupName')}"
    account = f"{group}/providers/microsoft.cognitiveservices/accounts/{resource.input('accountName')}"
    paths: dict[str, Callable[[], str]] = {
        GROUP: lambda: group,
        ACCOUNT: lambda: account,
        DEPLOYMENT: lambda: f"{account}/deployments/{resource.input('deploymentName')}",
        VAULT: lambda: f"{group}/providers/microsoft.keyvault/vaults/{resource.input('vaultName')}",
        ROLE_ASSIGNMENT: lambda: (f"{_below_subscription(str(resource.input('scope')))}"
                                  f"/providers/microsoft.authorization/roleassignments/{resource.input('roleAssignmentName')}"),
    }  # secrets are deleted through the vault's data plane, which ARM locks do not cover
    path = paths.get(resource.type)
    return path().lower() if path else None


def _below_subscription(resource_id: str) -> str:
    parts = resource_id.split("/")
    return "/" + "/".join(parts[3:]) if resource_id.lower().startswith("/subscriptions/") else resource_id


def lock_rules(ctx: Context) -> Iterator[Finding]:
    """A CanNotDelete lock covers everything below its scope: a delete there fails with ScopeLocked."""
    removed_urns = {r.urn for r in ctx.removed()}
    locks = [(lock, _below_subscription(str(lock.input("scope"))).lower()) for lock in ctx.base.of_type(LOCK)]
    blocked: dict[str, tuple[list[str], set[str]]] = {}
    for resource in ctx.removed():
        path = _arm_path(resource)
        for lock, scope in locks:
            if path is None or not (path == scope or path.startswith(scope + "/")):
                continue
            # A lock deleted in the same update goes first only when it waits for this resource: its own
            # target (the scope it names) or anything it depends on. Nothing else orders the two deletions.
            if lock.urn in removed_urns and (path == scope or resource.urn in lock.dependencies):
                continue
            what, lock_names = blocked.setdefault(ctx.cause(resource), ([], set()))
            what.append(f"{resource.type.rsplit(':', 1)[-1]} {resource.name}")
            lock_names.add(str(lock.input("lockName")))
            break
    for key, (what, lock_names) in blocked.items():
        yield Finding("delete-under-lock", "error", key, (
            f"{len(what)} deletion(s) under the CanNotDelete lock {', '.join(sorted(lock_names))} fail with "
            f"ScopeLocked: {'; '.join(what)}. Set `lock: none` and run `pulumi up` first, then make this change, "
            "then set the lock again"))


def secret_rules(ctx: Context) -> Iterator[Finding]:
    """A key secret leaving the stack: retained in the vault (the program's key secrets), or deleted."""
    by_key: dict[tuple[str, bool], list[PlannedResource]] = {}
    for secret in ctx.removed(SECRET):
        by_key.setdefault((ctx.cause(secret), secret.retain_on_delete), []).append(secret)
    vault = _one(ctx.base, VAULT)
    reserved = ("they stay soft-deleted and their names reserved, under purge protection until the retention ends"
                if vault is None or vault.input("properties.enablePurgeProtection") else
                "they stay soft-deleted and their names reserved until purged")
    for (key, retained), secrets in by_key.items():
        names = ", ".join(sorted(str(s.input("secretName")) for s in secrets))
        where = secrets[0].input("vaultName")
        if retained:
            # retainOnDelete: Pulumi forgets them; nothing goes through the vault's data plane.
            yield Finding("secret-retained", "warning", key, (
                f"`pulumi up` stops managing secret(s) {names}: they stay in vault {where} with the key values they "
                "hold now (the stack never deletes key secrets through the data plane); delete them by hand when no "
                "app reads them (Key Vault Secrets Officer, from an allowed network), and do not reuse those names"))
        else:
            yield Finding("secret-deleted", "warning", key, (
                f"`pulumi up` deletes secret(s) {names} from vault {where} through the vault's data plane: the "
                "deployer needs a role with secret delete rights (Key Vault Secrets Officer; Secrets User is not "
                f"enough) and a path through the vault firewall; {reserved}: do not reuse those names"))


def key_export_rules(ctx: Context) -> Iterator[Finding]:
    before = (ctx.base.outputs.get(OutputName.KEY_VAULT_URI), ctx.base.outputs.get(OutputName.KEY_SECRET_NAME))
    after = (ctx.head.outputs.get(OutputName.KEY_VAULT_URI), ctx.head.outputs.get(OutputName.KEY_SECRET_NAME))
    if before[1] is None or before == after:
        return
    if after[1] is None:
        key = ctx.changed("disableLocalAuth") or "disableLocalAuth"
        yield Finding("key-export-removed", "warning", key, (
            f"the keySecretName output disappears: apps that read the key from {before[1]} in {before[0]} break, and "
            "with disableLocalAuth the account rejects every key at once. Move apps to Entra ID (serviceUsers) first"))
        return
    key = ctx.changed("keyVault.existingId", "keyVault.name", "secrets") or ctx.vault_cause() or "secrets"
    yield Finding("key-export-moved", "warning", key, (
        f"the key moves from {before[1]} in {before[0]} to {after[1]} in {after[0]}: apps reading the old "
        "keySecretName/keyVaultUri break until they read the new outputs"))


def deployer_rules(ctx: Context) -> Iterator[Finding]:
    def deployers(plan: Plan) -> set[str]:
        return {str(r.input("principalId")) for r in plan.of_type(ROLE_ASSIGNMENT) if _grant_reason(r) == "grantDeployer"}

    before, after = deployers(ctx.base), deployers(ctx.head)
    if not before or before == after:
        return
    if not after:
        yield Finding("deployer-grants-removed", "warning", ctx.changed("grantDeployer") or "grantDeployer", (
            "the deployer's role assignments are deleted: `aisvc check` after `pulumi up` can no longer read the key or "
            "call the account as the deployer; give the CI identity the roles another way (secretReaders, serviceUsers)"))
        return
    yield Finding("deployer-changed", "warning", ctx.changed("deployerPrincipalType", "grantDeployer") or "grantDeployer", (
        f"the deployer's role assignments move from {', '.join(sorted(before))} to {', '.join(sorted(after))}: the "
        "previous deployer's are deleted (ScopeLocked under a lock). Deploy from one identity, or list the other one "
        "under secretReaders/serviceUsers"))


_WHOLE_VAULT = re.compile(r"/providers/microsoft\.keyvault/vaults/[^/]+$", re.IGNORECASE)


def grant_scope_rules(ctx: Context) -> Iterator[Finding]:
    """On a shared vault Key Vault Secrets User is held on the app-facing secret only, not on a whole vault."""
    def holders(plan: Plan, on_secret: bool) -> set[str]:
        return {str(r.input("principalId")) for r in plan.of_type(ROLE_ASSIGNMENT)
                if ("/secrets/" in str(r.input("scope"))) == on_secret
                and (on_secret or _WHOLE_VAULT.search(str(r.input("scope"))))}

    moved = holders(ctx.base, on_secret=False) & holders(ctx.head, on_secret=True)
    if moved:
        yield Finding("grants-secret-scope", "warning", ctx.changed("keyVault.existingId") or "keyVault.existingId", (
            f"Key Vault Secrets User of {len(moved)} principal(s) moves from the whole vault to secret "
            f"{ctx.head.outputs.get(OutputName.KEY_SECRET_NAME)} of the shared vault: they read this stack's app-facing "
            "secret there and nothing else (not key1Name/key2Name, no other stack's); grant any other secret they "
            "read outside the stack"))


def network_rules(ctx: Context) -> Iterator[Finding]:
    if KEYS["privateEndpoints"](ctx.new) and not KEYS["privateEndpoints"](ctx.old):
        yield Finding("private-endpoints-on", "warning", "privateEndpoints", (
            "private endpoints are added: callers outside the virtual network (and CI runners) lose access once "
            "public access is off; check that every app resolves the privatelink DNS zones first"))
    for key, old, new in (("publicNetworkAccess", ctx.old.public_network_access, ctx.new.public_network_access),
                          ("keyVault.publicNetworkAccess", ctx.old.vault_public_network_access,
                           ctx.new.vault_public_network_access)):
        if old == "Enabled" and new == "Disabled":
            yield Finding("public-access-disabled", "warning", key, (
                "public network access is turned off: every caller outside a private endpoint, including CI runners "
                "running `aisvc check` and `aisvc rotate`, loses access"))
            return
    old_acls, new_acls = ctx.old.network_acls, ctx.new.network_acls
    if (old_acls is None or old_acls.default_action == "Allow") and new_acls is not None and \
            new_acls.default_action == "Deny":
        yield Finding("firewall-on", "warning", "networkAcls", (
            "networkAcls.defaultAction becomes Deny: callers outside ipRules (including GitHub-hosted runners "
            "running `aisvc check`) lose access to the endpoint and the vault's data plane"))


def deployment_rules(ctx: Context) -> Iterator[Finding]:
    if ctx.account_cause():
        return  # the whole account goes: account-replaced says so
    gone = sorted(str(r.input("deploymentName")) for r in ctx.removed(DEPLOYMENT)
                  if not any(d.input("deploymentName") == r.input("deploymentName") for d in ctx.head.of_type(DEPLOYMENT)))
    if gone:
        yield Finding("deployment-removed", "warning", "deployments", (
            f"model deployment(s) {', '.join(gone)} are deleted: apps calling them get 404 DeploymentNotFound; "
            "move them to another deployment first"))


RULES: tuple[Callable[[Context], Iterator[Finding]], ...] = (
    account_rules, vault_rules, lock_rules, secret_rules, key_export_rules, deployer_rules, grant_scope_rules,
    network_rules, deployment_rules,
)


def find_all(base: Plan, head: Plan, old: Settings, new: Settings, changes: list[Change]) -> list[Finding]:
    """Every finding, errors first, in a stable order."""
    ctx = Context(base, head, old, new, changes)
    found = [finding for rule in RULES for finding in rule(ctx)]
    return sorted(found, key=lambda f: f.severity != "error")
