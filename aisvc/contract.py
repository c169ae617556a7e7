"""The values the program, the components, the policy pack and the CLI share.

This module is the single home of every name, tag, role and pattern that more
than one part of the toolkit relies on (docs/contract.md is the public page).
It imports nothing but the standard library, so anything may import it: the
Pulumi program and components, the policy pack, and every `aisvc` command.
"""
from __future__ import annotations

import calendar
import datetime
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal, get_args

NAMESPACE: Final = "ai-services"  # the stack config namespace and the Pulumi project name
COMPONENT_PACKAGE: Final = "ai-services"  # type tokens are ai-services:<module>:<Name>


class OutputName(StrEnum):
    """The stack outputs apps and `aisvc` read (docs/contract.md, "Stack outputs")."""

    ENDPOINT = "endpoint"
    ACCOUNT_NAME = "accountName"
    ACCOUNT_ID = "accountId"
    RESOURCE_GROUP_NAME = "resourceGroupName"
    LOCATION = "location"
    KIND = "kind"
    CUSTOM_SUB_DOMAIN_NAME = "customSubDomainName"
    LOCAL_AUTH_ENABLED = "localAuthEnabled"
    KEY_VAULT_NAME = "keyVaultName"
    KEY_VAULT_URI = "keyVaultUri"
    KEY_SECRET_NAME = "keySecretName"
    KEY_SECRET_NAMES = "keySecretNames"
    ACTIVE_KEY = "activeKey"
    PRINCIPAL_ID = "principalId"
    # Added with private endpoints / ACLs: where the data plane can be reached from (aisvc check, rotate).
    PUBLIC_NETWORK_ACCESS = "publicNetworkAccess"
    PRIVATE_ENDPOINT_SUBNET_ID = "privateEndpointSubnetId"
    NETWORK_ACL_IP_RULES = "networkAclIpRules"


# The account's two keys, as `secrets.activeKey` and the CredentialId tag name them.
CredentialId = Literal["key1", "key2"]
KEY_IDS: Final[tuple[CredentialId, CredentialId]] = ("key1", "key2")
# Tag on the app-facing secret saying which key it holds; rotation reads it back.
CREDENTIAL_ID_TAG: Final = "CredentialId"
# The config path `aisvc rotate` switches (activeKey lives inside the `secrets` object).
ACTIVE_KEY_CONFIG: Final = f"{NAMESPACE}:secrets.activeKey"
# Written with ACTIVE_KEY_CONFIG: the day (UTC, YYYY-MM-DD) the key secrets' expiry counts from.
ROTATED_AT_CONFIG: Final = f"{NAMESPACE}:secrets.rotatedAt"
DEFAULT_SECRET_NAMES: Final = {"key1": "ai-services-key1", "key2": "ai-services-key2", "current": "ai-services-key"}

# How Pulumi prints a secret value (plan output, `pulumi stack output`, preview JSON).
SECRET_PLACEHOLDER: Final = "[secret]"


def other_key(key: CredentialId) -> CredentialId:
    return "key2" if key == "key1" else "key1"


# --- kinds and their data-plane key header -------------------------------------------------

Kind = Literal[
    "AIServices", "CognitiveServices", "OpenAI", "TextAnalytics", "FormRecognizer",
    "ComputerVision", "SpeechServices", "ContentSafety", "TextTranslation",
]
KINDS: Final[tuple[str, ...]] = get_args(Kind)
DEFAULT_KEY_HEADER: Final = "Ocp-Apim-Subscription-Key"
_KEY_HEADER_BY_KIND: Final = {"OpenAI": "api-key"}


def key_header(kind: str) -> str:
    """The header a data-plane call carries the account key in."""
    return _KEY_HEADER_BY_KIND.get(kind, DEFAULT_KEY_HEADER)


# --- Microsoft's dual-credential rotation pattern and Key Vault's limits --------------------

# Tags on the app-facing secret beside CREDENTIAL_ID_TAG ("Rotation of a secret for resources with
# two sets of credentials": the account the key belongs to, and how long a key stays valid).
PROVIDER_ADDRESS_TAG: Final = "ProviderAddress"
VALIDITY_PERIOD_DAYS_TAG: Final = "ValidityPeriodDays"
ROTATION_TAGS: Final = (CREDENTIAL_ID_TAG, PROVIDER_ADDRESS_TAG, VALIDITY_PERIOD_DAYS_TAG)
KEY_VAULT_MAX_TAGS: Final = 15  # per secret (and per vault object)
# `aisvc check` warns when the app-facing secret expires within this many days.
EXPIRY_WARNING_DAYS: Final = 14


def secret_expiry(rotated_at: str, expires_after_days: int) -> int:
    """Key Vault's `attributes.expires` (seconds since 1970-01-01 UTC): midnight UTC, rotatedAt + the days.

    Computed from the config alone (no clock read), so the same stack gives the same plan every run.
    """
    day = datetime.date.fromisoformat(rotated_at) + datetime.timedelta(days=expires_after_days)
    return calendar.timegm(day.timetuple())


# --- private DNS zones: where each kind (and the vault) answers behind a private endpoint ----

VAULT_DNS_ZONE: Final = "privatelink.vaultcore.azure.net"
_COGNITIVE_ZONE: Final = "privatelink.cognitiveservices.azure.com"
_DNS_ZONES_BY_KIND: Final[dict[str, tuple[str, ...]]] = {
    "AIServices": (_COGNITIVE_ZONE, "privatelink.openai.azure.com", "privatelink.services.ai.azure.com"),
    "OpenAI": ("privatelink.openai.azure.com",),
}
# Private endpoint group ids (the sub-resource each endpoint connects to).
ACCOUNT_PE_GROUP: Final = "account"
VAULT_PE_GROUP: Final = "vault"


def account_dns_zones(kind: str) -> tuple[str, ...]:
    """Every private DNS zone an account of ``kind`` answers on (an AIServices account answers on three)."""
    return _DNS_ZONES_BY_KIND.get(kind, (_COGNITIVE_ZONE,))


def stack_dns_zones(kind: str, new_vault: bool) -> tuple[str, ...]:
    """The zones a stack's private endpoints need: the account's, and the vault's when the stack creates it."""
    return account_dns_zones(kind) + ((VAULT_DNS_ZONE,) if new_vault else ())


# --- built-in roles the stack grants, and the only ones the policy pack allows --------------

KEY_VAULT_SECRETS_USER: Final = "4633458b-17de-408a-b874-0445c86b69e6"
COGNITIVE_SERVICES_USER: Final = "a97b65f3-24c7-4388-baec-2e87135dc908"
COGNITIVE_SERVICES_OPENAI_USER: Final = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
ROLE_NAMES: Final = {
    KEY_VAULT_SECRETS_USER: "Key Vault Secrets User",
    COGNITIVE_SERVICES_USER: "Cognitive Services User",
    COGNITIVE_SERVICES_OPENAI_USER: "Cognitive Services OpenAI User",
}
# Short forms used in Pulumi resource names (URNs must stay stable across releases).
ROLE_SLUGS: Final = {
    KEY_VAULT_SECRETS_USER: "kv-secrets-user",
    COGNITIVE_SERVICES_USER: "cog-user",
    COGNITIVE_SERVICES_OPENAI_USER: "cog-openai-user",
}
_ROLE_NAMESPACE: Final = uuid.NAMESPACE_URL


# Where a grant goes: the vault, one secret in it (the stack's app-facing secret), or the account.
GrantScope = Literal["vault", "secret", "account"]
# A principal to grant roles to: (object id, principal type).
Principal = tuple[str, str]


@dataclass(frozen=True)
class RoleGrant:
    """One role for one principal on the vault (or its app-facing secret) or the account, and the config key asking."""

    scope: GrantScope
    role: str  # role definition GUID
    principal_id: str  # lowercase object id
    principal_type: str
    reason: str  # secretReaders | serviceUsers | grantDeployer


def account_roles(kind: str) -> tuple[str, ...]:
    """The roles a caller of the account needs: OpenAI's data plane also wants its own role."""
    if kind == "OpenAI":
        return (COGNITIVE_SERVICES_USER, COGNITIVE_SERVICES_OPENAI_USER)
    return (COGNITIVE_SERVICES_USER,)


def vault_grant_scope(shared_vault: bool, keys_exported: bool) -> GrantScope | None:
    """Where Key Vault Secrets User goes: the whole vault when the stack owns it.

    On a shared vault (keyVault.existingId) only the stack's app-facing secret, the one secret readers,
    the check and rotate read: stacks sharing the vault then never hold the same assignment (no 409
    RoleAssignmentExists, no destroy taking another stack's access) and read no other stack's keys.
    A shared vault without exported keys holds nothing of the stack: no grant there (None).
    """
    if not shared_vault:
        return "vault"
    return "secret" if keys_exported else None


def role_grants(kind: str, secret_readers: Iterable[Principal] = (), service_users: Iterable[Principal] = (),
                deployer: Principal | None = None, vault_scope: GrantScope | None = "vault") -> list[RoleGrant]:
    """Every grant the stack makes, de-duplicated, in a stable order.

    Secret readers get Key Vault Secrets User at ``vault_scope`` (see vault_grant_scope), service
    users the account roles, and the deployer both (so the post-deploy check can run). The
    program's components and `aisvc preflight` both decide by this one rule.
    """
    wanted = [RoleGrant(vault_scope, KEY_VAULT_SECRETS_USER, pid.lower(), ptype, "secretReaders")
              for pid, ptype in secret_readers] if vault_scope else []
    wanted += [RoleGrant("account", role, pid.lower(), ptype, "serviceUsers")
               for pid, ptype in service_users for role in account_roles(kind)]
    if deployer is not None:
        pid, ptype = deployer
        if vault_scope:
            wanted.append(RoleGrant(vault_scope, KEY_VAULT_SECRETS_USER, pid.lower(), ptype, "grantDeployer"))
        wanted += [RoleGrant("account", role, pid.lower(), ptype, "grantDeployer") for role in account_roles(kind)]
    unique: dict[tuple[str, str, str], RoleGrant] = {}
    for grant in wanted:
        unique.setdefault((grant.scope, grant.role, grant.principal_id), grant)
    return list(unique.values())


def role_definition_id(subscription_id: str, role_guid: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}"


def role_assignment_name(scope: str, role_guid: str, principal_id: str) -> str:
    """Deterministic assignment GUID of scope + role + principal, like Bicep's guid()."""
    return str(uuid.uuid5(_ROLE_NAMESPACE, f"{scope.lower()}|{role_guid.lower()}|{principal_id.lower()}"))


# --- resource ids --------------------------------------------------------------------------

def resource_group_id(subscription_id: str, group: str) -> str:
    return f"/subscriptions/{subscription_id}/resourceGroups/{group}"


def account_id(subscription_id: str, group: str, account: str) -> str:
    return f"{resource_group_id(subscription_id, group)}/providers/Microsoft.CognitiveServices/accounts/{account}"


def vault_id(subscription_id: str, group: str, vault: str) -> str:
    return f"{resource_group_id(subscription_id, group)}/providers/Microsoft.KeyVault/vaults/{vault}"


def secret_scope(vault_resource_id: str, secret_name: str) -> str:
    """The ARM id of one vault secret: the scope of a secret-level role assignment (Key Vault RBAC)."""
    return f"{vault_resource_id}/secrets/{secret_name}"


# --- patterns ------------------------------------------------------------------------------

# One DNS label: 2-63 characters.
SUBDOMAIN_RE: Final = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])$")
SECRET_NAME_RE: Final = re.compile(r"^[0-9a-zA-Z-]{1,127}$")
VAULT_NAME_RE: Final = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{1,22}[A-Za-z0-9]$")
GUID_RE: Final = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
ACCOUNT_ID_RE: Final = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.CognitiveServices/accounts/[^/]+$",
    re.IGNORECASE,
)
VAULT_ID_RE: Final = re.compile(
    r"^/subscriptions/(?P<subscription>[0-9a-fA-F-]{36})/resourceGroups/(?P<group>[-\w.()]{1,90})"
    r"/providers/Microsoft\.KeyVault/vaults/(?P<name>[A-Za-z0-9-]{3,24})$",
    re.IGNORECASE,
)

SUBNET_ID_RE: Final = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/(?P<vnet>[^/]+)"
    r"/subnets/(?P<subnet>[^/]+)$",
    re.IGNORECASE,
)
VNET_ID_RE: Final = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+$", re.IGNORECASE)
DNS_ZONE_ID_RE: Final = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/privateDnsZones/(?P<zone>[^/]+)$",
    re.IGNORECASE,
)
WORKSPACE_ID_RE: Final = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.OperationalInsights/workspaces/[^/]+$",
    re.IGNORECASE,
)
DATE_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# --- environment shared by the commands ----------------------------------------------------

# Key Vault emulators only: do not check the challenge's resource against the vault host.
NO_VERIFY_CHALLENGE_ENV: Final = "AISVC_NO_VERIFY_CHALLENGE_RESOURCE"
ARM_ENDPOINT_ENV: Final = "AISVC_ARM_ENDPOINT"
ARM_SCOPE_ENV: Final = "AISVC_ARM_SCOPE"
DEFAULT_ARM_ENDPOINT: Final = "https://management.azure.com"
PROJECT_DIR_ENV: Final = "AISVC_PROJECT_DIR"
