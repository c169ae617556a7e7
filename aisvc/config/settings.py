"""Stack config of the `ai-services:` namespace: each key declared once, then parsed.

Each key is one field of the frozen dataclasses below: its Python type (a
``Literal`` for fixed choices), its default, and ``about(...)`` metadata with the
rule and the help text (vocabulary in ``aisvc.config.fields``). From that one
declaration come the parser and its error messages (``aisvc.config.parse``), the
JSON Schema printed by ``aisvc schema`` and the README "Stack config" table
(``aisvc.config.schema``; a test keeps the README in sync).

Adding a key is a one-place change: add a field here, e.g.
``expires_after_days: int = field(default=90, metadata=about(value=Whole(1, 730), doc="..."))``
on ``SecretNames`` for ``secrets.expiresAfterDays``, or a new dataclass field on
``Settings`` for ``privateEndpoints`` / ``diagnostics``. Then run the README test
and paste the table row it prints. A rule across keys goes in ``checks=``.

All problems are collected and reported as one line that names the key, the
value and what is allowed, so a user fixes the stack file in one go: under
``pulumi up`` the program turns ``SettingsError`` into ``pulumi.RunError``; under
``aisvc plan`` it becomes ``aisvc.errors.InputError`` (exit 2). Config values
reach a Pulumi program as strings (objects and lists as JSON), so ``from_config``
takes exactly that: ``{"ai-services:kind": "OpenAI", ...}``.
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aisvc.config.azure_rules import PUBLIC_IPV4_OR_CIDR, public_ipv4_problem, tags_fit_key_vault_secrets
from aisvc.config.fields import DependentChoice, Finding, StringMap, Text, Whole, about
from aisvc.config.parse import Problems, SettingsError, namespace_values, read_settings
from aisvc.config.regions import AZURE_REGIONS
from aisvc.contract import (
    DATE_RE,
    DEFAULT_SECRET_NAMES,
    DNS_ZONE_ID_RE,
    GUID_RE,
    NAMESPACE,
    SECRET_NAME_RE,
    SUBDOMAIN_RE,
    SUBNET_ID_RE,
    VAULT_ID_RE,
    VAULT_NAME_RE,
    VNET_ID_RE,
    WORKSPACE_ID_RE,
    CredentialId,
    Kind,
    stack_dns_zones,
)

__all__ = [
    "Diagnostics", "KeyVaultSettings", "ModelDeployment", "NetworkAcls", "Principal", "PrivateEndpoints", "SecretNames",
    "Settings", "SettingsError",
    "from_config", "load", "namespace_values",
]

OnOff = Literal["Enabled", "Disabled"]
Sku = Literal["F0", "S", "S0", "S1", "S2", "S3", "S4", "C2", "C3", "C4", "D3"]
DeploymentSku = Literal[
    "Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged",
    "GlobalProvisionedManaged", "DataZoneProvisionedManaged", "GlobalBatch", "DataZoneBatch",
    "DeveloperTier",
]
PrincipalType = Literal["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"]
DeployerPrincipalType = Literal["auto", "User", "ServicePrincipal"]
Lock = Literal["CanNotDelete", "none"]

# What each kind can be bought as (F0 = free tier where the service offers one).
SKUS_BY_KIND: dict[Kind, tuple[Sku, ...]] = {
    "AIServices": ("S0",),
    "CognitiveServices": ("S0",),
    "OpenAI": ("S0",),
    "TextAnalytics": ("F0", "S", "S0", "S1", "S2", "S3", "S4"),
    "FormRecognizer": ("F0", "S0"),
    "ComputerVision": ("F0", "S1"),
    "SpeechServices": ("F0", "S0"),
    "ContentSafety": ("F0", "S0"),
    "TextTranslation": ("F0", "S1", "S2", "S3", "S4", "C2", "C3", "C4", "D3"),
}
# Kinds that host model deployments (Microsoft.CognitiveServices/accounts/deployments).
DEPLOYMENT_KINDS: tuple[Kind, ...] = ("AIServices", "OpenAI")


def _standard_tier(options: tuple[str, ...]) -> str:
    """The contract's default is S0; kinds sold without an S0 tier get their first paid tier."""
    return "S0" if "S0" in options or not options else options[1]


IPV4_OR_CIDR = Text(
    PUBLIC_IPV4_OR_CIDR,
    "a public IPv4 address or CIDR range (no host bits set) such as 203.0.113.7 or 203.0.113.0/24",
    label="IPv4 or CIDR", check=public_ipv4_problem,
)
MODEL_TEXT = re.compile(r"^\S{1,128}$")
SECRET_NAME = Text(SECRET_NAME_RE, "a Key Vault secret name: 1-127 letters, digits and hyphens")


def _calendar_day(value: str) -> str | None:
    """None for a real date; "" (the rule says it all) for text that is none, such as 2026-02-30."""
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return ""
    return None


DAY = Text(DATE_RE, "a date YYYY-MM-DD such as 2026-01-15", label="YYYY-MM-DD", check=_calendar_day)
SUBNET_ID = Text(SUBNET_ID_RE, "a subnet resource id /subscriptions/<id>/resourceGroups/<group>/providers/"
                               "Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>")
VNET_ID = Text(VNET_ID_RE, "a virtual network resource id /subscriptions/<id>/resourceGroups/<group>/providers/"
                           "Microsoft.Network/virtualNetworks/<vnet>")
DNS_ZONE_IDS = StringMap(max_items=4, name_max=63, value_max=512, name_forbids="<>%&\\?/")
WORKSPACE_ID = Text(WORKSPACE_ID_RE, "a Log Analytics workspace resource id /subscriptions/<id>/resourceGroups/"
                                     "<group>/providers/Microsoft.OperationalInsights/workspaces/<name>")


# --------------------------------------------------------------------------- rules across keys


def _deployments_fit_kind(value: Any, raw: Any, siblings: Mapping[str, Any]) -> Iterable[Finding]:
    kind = siblings.get("kind")
    if value and kind is not None and kind not in DEPLOYMENT_KINDS:
        yield "", f"{len(raw)} deployment(s)", f"model deployments need kind {' or '.join(DEPLOYMENT_KINDS)}, not {kind}"


def _unique_deployment_names(value: Any, raw: Any, siblings: Mapping[str, Any]) -> Iterable[Finding]:
    names = [deployment.name for deployment in value]
    for name in sorted({n for n in names if names.count(n) > 1}):
        yield "[].name", name, "deployment names must be unique"


def _existing_vault_alone(value: Any, raw: Any, siblings: Mapping[str, Any]) -> Iterable[Finding]:
    if isinstance(raw, dict) and "existingId" in raw:
        for other in sorted(set(raw) - {"existingId"}):
            yield f".{other}", raw[other], "leave it out: it has no effect with keyVault.existingId"


def _three_secret_names(value: Any, raw: Any, siblings: Mapping[str, Any]) -> Iterable[Finding]:
    names = [value.key1_name.lower(), value.key2_name.lower(), value.current_name.lower()]
    if len(set(names)) != len(names):
        yield "", raw, "key1Name, key2Name and currentName must be three different names"


def _own_names_on_shared_vault(value: Any, raw: Any, siblings: Mapping[str, Any]) -> Iterable[Finding]:
    """On a shared vault (keyVault.existingId) another stack with the default names would overwrite the keys."""
    vault = siblings.get("key_vault")
    if not isinstance(vault, KeyVaultSettings) or not vault.existing_id or siblings.get("disable_local_auth") is not False:
        return  # a vault of its own, or no key secrets at all
    defaults = SecretNames()
    left = [(label, name) for label, name, default in (
        ("key1Name", value.key1_name, defaults.key1_name), ("key2Name", value.key2_name, defaults.key2_name),
        ("currentName", value.current_name, defaults.current_name)) if name.lower() == default.lower()]
    if left:
        prefix = siblings.get("name_prefix")
        prefix = prefix if isinstance(prefix, str) else "<namePrefix>"
        yield "", [name for _, name in left], (
            f"{', '.join(label for label, _ in left)} left at the default with keyVault.existingId: another stack on"
            " the same vault would overwrite them; give this stack's secrets their own names, e.g. prefixed with the"
            f" stack ({prefix}-key1, {prefix}-key2, {prefix}-key)")


def _pinned_deployer_typed(value: Any, raw: Any, siblings: Mapping[str, Any]) -> Iterable[Finding]:
    if siblings.get("deployer_principal_type") == "auto":
        yield "", raw, ("set deployerPrincipalType to User or ServicePrincipal too: `auto` describes whoever runs"
                        " `pulumi up`, not the pinned principal")


def _zones_resolvable(value: Any, raw: Any, siblings: Mapping[str, Any]) -> Iterable[Finding]:
    """Every zone the endpoints need is given by id or can be created and linked to virtualNetworkId."""
    kind, vault = siblings.get("kind"), siblings.get("key_vault")
    if not isinstance(kind, str) or not isinstance(vault, KeyVaultSettings):
        return  # their own problems say enough
    needed = stack_dns_zones(kind, new_vault=vault.existing_id is None)
    for zone, zone_id in value.dns_zone_ids.items():
        match = DNS_ZONE_ID_RE.match(zone_id)
        if zone not in needed:
            yield f".dnsZoneIds.{zone}", zone_id, f"not a zone this stack uses; it needs {', '.join(needed)}"
        elif not match or match["zone"].lower() != zone:
            yield f".dnsZoneIds.{zone}", zone_id, f"the resource id of private DNS zone {zone}"
    if value.virtual_network_id is None:
        for zone in needed:
            if zone not in value.dns_zone_ids:
                yield ".dnsZoneIds", zone, (f"give the id of zone {zone} in dnsZoneIds, or virtualNetworkId so the "
                                            "stack creates the zone and links it")


# --------------------------------------------------------------------------- the declaration


@dataclass(frozen=True)
class NetworkAcls:
    default_action: Literal["Allow", "Deny"]
    bypass: Literal["None", "AzureServices"] = "AzureServices"
    ip_rules: tuple[str, ...] = field(default=(), metadata=about(value=IPV4_OR_CIDR))


@dataclass(frozen=True)
class ModelDeployment:
    name: str = field(metadata=about(value=Text(
        re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
        "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")))
    model_format: str = field(metadata=about("model.format", Text(MODEL_TEXT, "a model format such as OpenAI")))
    model_name: str = field(metadata=about("model.name", Text(MODEL_TEXT, "a model name such as gpt-4o-mini")))
    model_version: str | None = field(default=None, metadata=about(
        "model.version", Text(MODEL_TEXT, 'a quoted model version such as "2024-07-18"')))
    sku_name: DeploymentSku = field(default="Standard", metadata=about("sku.name"))
    capacity: int = field(default=1, metadata=about("sku.capacity", Whole(1, 100_000)))


@dataclass(frozen=True)
class KeyVaultSettings:
    name: str | None = field(default=None, metadata=about(value=Text(
        VAULT_NAME_RE, "3-24 letters, digits and single hyphens, starting with a letter, ending with a letter or digit")))
    existing_id: str | None = field(default=None, metadata=about(value=Text(
        VAULT_ID_RE,
        "a vault resource id /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>")))
    sku: Literal["standard", "premium"] = "standard"
    soft_delete_retention_in_days: int = field(default=90, metadata=about(value=Whole(7, 90)))
    enable_purge_protection: bool = True
    public_network_access: OnOff | None = None  # None: follow the account's setting
    network_acls: NetworkAcls | None = None  # None: follow the account's ACLs

    @property
    def existing(self) -> dict[str, str] | None:
        """subscription, group and name of ``existing_id``, or None for a new vault."""
        if not self.existing_id:
            return None
        match = VAULT_ID_RE.match(self.existing_id)
        assert match, "validated in from_config"
        return match.groupdict()


@dataclass(frozen=True)
class SecretNames:
    key1_name: str = field(default=DEFAULT_SECRET_NAMES["key1"], metadata=about(value=SECRET_NAME))
    key2_name: str = field(default=DEFAULT_SECRET_NAMES["key2"], metadata=about(value=SECRET_NAME))
    current_name: str = field(default=DEFAULT_SECRET_NAMES["current"], metadata=about(value=SECRET_NAME))
    active_key: CredentialId = "key1"
    rotated_at: str | None = field(default=None, metadata=about(value=DAY))  # None: the key secrets never expire
    expires_after_days: int = field(default=90, metadata=about(value=Whole(1, 730)))

    @property
    def expires_on(self) -> datetime.date | None:
        """The day the key secrets expire (rotatedAt + expiresAfterDays), or None without rotatedAt."""
        if self.rotated_at is None:
            return None
        return datetime.date.fromisoformat(self.rotated_at) + datetime.timedelta(days=self.expires_after_days)


@dataclass(frozen=True)
class Principal:
    principal_id: str = field(metadata=about(value=Text(GUID_RE, "an Entra object id (GUID)", label="GUID", normalize=str.lower)))
    principal_type: PrincipalType


@dataclass(frozen=True)
class PrivateEndpoints:
    subnet_id: str = field(metadata=about(value=SUBNET_ID))
    dns_zone_ids: Mapping[str, str] = field(default_factory=dict, metadata=about(value=DNS_ZONE_IDS))
    virtual_network_id: str | None = field(default=None, metadata=about(value=VNET_ID))


@dataclass(frozen=True)
class Diagnostics:
    workspace_id: str = field(metadata=about(value=WORKSPACE_ID))


@dataclass(frozen=True)
class Settings:
    name_prefix: str = field(metadata=about(value=Text(
        re.compile(r"^(?!.*--)[a-z][a-z0-9-]{0,14}[a-z0-9]$"),
        "2-16 lowercase letters, digits and single hyphens (no consecutive hyphens: vault names forbid them),"
        " starting with a letter, not ending with '-'")))
    location: str = field(metadata=about(
        value=Text(re.compile(r"^[a-z][a-z0-9]{1,39}$"), "an Azure region name such as swedencentral or eastus2",
                   known=AZURE_REGIONS),
        fallback="azure-native:location", default_doc="`azure-native:location`"))
    kind: Kind = "AIServices"
    sku: Sku = field(default="S0", metadata=about(
        value=DependentChoice("kind", SKUS_BY_KIND, _standard_tier),
        doc="what the kind sells: {allowed}", default_doc="`S0` (`S1` for kinds without `S0`)"))
    custom_sub_domain_name: str | None = field(default=None, metadata=about(  # None: derived (aisvc.config.naming)
        value=Text(SUBDOMAIN_RE, "2-63 letters, digits and '-' (one DNS label), starting with a letter or digit,"
                                 " not ending with '-'"),
        doc="{allowed}; globally unique, immutable", default_doc="`<namePrefix>-<suffix>`"))
    disable_local_auth: bool = field(default=False, metadata=about(
        doc="{allowed}; `true` = Entra ID only: no key secrets, no `listAccountKeys`"))
    public_network_access_given: OnOff | None = field(default=None, metadata=about(  # None: see public_network_access
        "publicNetworkAccess", default_doc="`Enabled`; `Disabled` with `privateEndpoints`"))
    network_acls: NetworkAcls | None = field(default=None, metadata=about(
        doc="{allowed}; applies to the account and (unless `keyVault.networkAcls`) the vault"))
    deployments: tuple[ModelDeployment, ...] = field(default=(), metadata=about(
        doc="{allowed} (kinds `AIServices`, `OpenAI`); created one after another",
        checks=(_deployments_fit_kind, _unique_deployment_names)))
    restore: bool = field(default=False, metadata=about(doc="{allowed}: recover a soft-deleted account of the same name"))
    key_vault: KeyVaultSettings = field(default_factory=KeyVaultSettings, metadata=about(
        doc="{allowed}; with `existingId` no other field, and the vault must be in the deploying subscription"
            " (the secrets are written through the provider's subscription) and use RBAC authorization",
        default_doc="new vault `kv-<prefix>-<suffix>`, RBAC, soft delete 90 days, purge protection on, network as the account",
        checks=(_existing_vault_alone,)))
    secrets: SecretNames = field(default_factory=SecretNames, metadata=about(
        doc="{allowed}; names of 1-127 letters, digits and hyphens, all different; with `keyVault.existingId` (and"
            " keys exported) not the default names: another stack on the vault would overwrite them",
        checks=(_three_secret_names, _own_names_on_shared_vault), check_default=True))
    secret_readers: tuple[Principal, ...] = field(default=(), metadata=about(
        doc="{allowed}: Key Vault Secrets User on the vault; on a shared `keyVault.existingId` vault on the"
            " `secrets.currentName` secret only"))
    service_users: tuple[Principal, ...] = field(default=(), metadata=about(
        doc="{allowed}: Cognitive Services User on the account (+ Cognitive Services OpenAI User for kind `OpenAI`)"))
    grant_deployer: bool = field(default=True, metadata=about(
        doc="{allowed}: the deploying principal gets both roles, so `aisvc check` can run"))
    deployer_principal_type: DeployerPrincipalType = field(default="auto", metadata=about(
        doc="{allowed} (addition). `auto`: `ServicePrincipal` when the provider signs in with a client id"
            " (`ARM_CLIENT_ID`, `AZURE_CLIENT_ID`, `azure-native:clientId`) or `ARM_USE_MSI`, else `User`"))
    deployer_principal_id: str | None = field(default=None, metadata=about(  # None: whoever runs `pulumi up`
        value=Text(GUID_RE, "an Entra object id (GUID)", label="GUID", normalize=str.lower),
        doc="{allowed} (addition): the principal that gets the deployer's grants whoever runs `pulumi up`, so a CI"
            " deploy after a laptop deploy changes nothing; needs `deployerPrincipalType` `User` or `ServicePrincipal`",
        default_doc="whoever runs `pulumi up`", checks=(_pinned_deployer_typed,)))
    lock: Lock = field(default="none", metadata=about(doc="{allowed}; `CanNotDelete` locks the account and a new vault"))
    tags: Mapping[str, str] = field(default_factory=dict, metadata=about(
        value=StringMap(max_items=50, name_max=512, value_max=256, name_forbids="<>%&\\?/",
                        reserved_prefixes=("microsoft", "azure", "windows")),
        doc="{allowed} on every resource; at most 12 while the keys are exported (a Key Vault secret takes 15, 3 of them rotation tags)",
        checks=(tags_fit_key_vault_secrets,)))
    resource_group_name: str | None = field(default=None, metadata=about(  # None: a new group
        value=Text(re.compile(r"^[-\w.()]{0,89}[-\w()]$"),
                   "an existing resource group name: 1-90 letters, digits, '_', '-', '.', '(', ')', not ending with '.'"),
        doc="{allowed}; deploy into it (addition)", default_doc="a new group `rg-<prefix>-<suffix>`"))
    private_endpoints: PrivateEndpoints | None = field(default=None, metadata=about(
        doc="{allowed}: private endpoints for the account (group `account`) and a new vault (group `vault`) in that"
            " subnet, with a DNS zone group holding every zone the kind answers on; a zone missing from `dnsZoneIds`"
            " is created and linked to `virtualNetworkId`; turns `publicNetworkAccess` off unless it is set",
        checks=(_zones_resolvable,)))
    diagnostics: Diagnostics | None = field(default=None, metadata=about(
        doc="{allowed}: diagnostic settings on the account and a new vault send all logs (`categoryGroup: allLogs`)"
            " and `AllMetrics` to that Log Analytics workspace"))

    @property
    def local_auth_enabled(self) -> bool:
        return not self.disable_local_auth

    @property
    def public_network_access(self) -> OnOff:
        """As set; unset it is Enabled, or Disabled when private endpoints serve the account."""
        if self.public_network_access_given is not None:
            return self.public_network_access_given
        return "Disabled" if self.private_endpoints else "Enabled"

    @property
    def public_access_turned_off_by_private_endpoints(self) -> bool:
        """True when `publicNetworkAccess` is Disabled only because `privateEndpoints` is set (the plan says so)."""
        return self.public_network_access_given is None and self.private_endpoints is not None

    @property
    def vault_public_network_access(self) -> OnOff:
        return self.key_vault.public_network_access or self.public_network_access

    @property
    def vault_network_acls(self) -> NetworkAcls | None:
        return self.key_vault.network_acls or self.network_acls


# --------------------------------------------------------------------------- entry points


def from_config(config: Mapping[str, Any]) -> Settings:
    """Parse and validate every ``ai-services:`` key (plus ``azure-native:location``).

    Raises SettingsError naming every bad key at once.
    """
    problems = Problems()
    settings = read_settings(Settings, config, NAMESPACE, problems)
    problems.raise_if_any()
    assert isinstance(settings, Settings)
    return settings


def runtime_config() -> dict[str, Any]:
    """Every config value the Pulumi engine handed this program (``ns:key`` -> str)."""
    from pulumi.runtime import config as runtime_config_module

    merged: dict[str, Any] = dict(runtime_config_module.get_config_env())
    merged.update(runtime_config_module.CONFIG.get())
    return merged


def load(source: Callable[[], Mapping[str, Any]] = runtime_config) -> Settings:
    """Settings of the running stack. Raises SettingsError."""
    return from_config(source())
