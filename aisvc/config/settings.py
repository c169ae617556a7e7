"""Stack config of the `ai-services:` namespace: typed, defaulted and validated.

Every key of the contract (docs/contract.md, "Stack config") is parsed here into
frozen dataclasses *before* any resource is registered. All problems are
collected and reported as one line that names the key, the value and what is
allowed, so a user fixes the stack file in one go:

- under ``pulumi up`` the program turns ``SettingsError`` into ``pulumi.RunError``
  (a clean message, no traceback);
- under ``aisvc plan`` it becomes ``aisvc.errors.InputError`` (exit 2).

Config values reach a Pulumi program as strings (objects and lists as JSON), so
``from_config`` takes exactly that: ``{"ai-services:kind": "OpenAI", ...}``.
"""
from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aisvc.contract import GUID_RE, KINDS, NAMESPACE, SECRET_NAME_RE, SUBDOMAIN_RE, VAULT_ID_RE, VAULT_NAME_RE

# What each kind can be bought as (F0 = free tier where the service offers one).
SKUS_BY_KIND: dict[str, tuple[str, ...]] = {
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
DEPLOYMENT_KINDS = ("AIServices", "OpenAI")
DEPLOYMENT_SKUS = (
    "Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged",
    "GlobalProvisionedManaged", "DataZoneProvisionedManaged", "GlobalBatch", "DataZoneBatch",
    "DeveloperTier",
)
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
ON_OFF = ("Enabled", "Disabled")

NAME_PREFIX_RE = re.compile(r"^[a-z][a-z0-9-]{0,14}[a-z0-9]$")
LOCATION_RE = re.compile(r"^[a-z][a-z0-9]{1,39}$")
RESOURCE_GROUP_RE = re.compile(r"^[-\w.()]{0,89}[-\w()]$")
DEPLOYMENT_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class SettingsError(ValueError):
    """One or more config problems; ``str()`` is a single line naming every one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid stack config: " + "; ".join(problems))


@dataclass(frozen=True)
class NetworkAcls:
    default_action: str  # Allow | Deny
    bypass: str  # AzureServices | None
    ip_rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelDeployment:
    name: str
    model_format: str
    model_name: str
    model_version: str | None
    sku_name: str
    capacity: int


@dataclass(frozen=True)
class KeyVaultSettings:
    name: str | None = None
    existing_id: str | None = None
    sku: str = "standard"
    soft_delete_retention_in_days: int = 90
    enable_purge_protection: bool = True
    public_network_access: str | None = None  # None: follow the account's setting
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
    key1_name: str = "ai-services-key1"
    key2_name: str = "ai-services-key2"
    current_name: str = "ai-services-key"
    active_key: str = "key1"  # key1 | key2


@dataclass(frozen=True)
class Principal:
    principal_id: str
    principal_type: str


@dataclass(frozen=True)
class Settings:
    name_prefix: str
    location: str
    kind: str = "AIServices"
    sku: str = "S0"
    custom_sub_domain_name: str | None = None  # None: derived (see aisvc.config.naming)
    disable_local_auth: bool = False
    public_network_access: str = "Enabled"
    network_acls: NetworkAcls | None = None
    deployments: tuple[ModelDeployment, ...] = ()
    restore: bool = False
    key_vault: KeyVaultSettings = field(default_factory=KeyVaultSettings)
    secrets: SecretNames = field(default_factory=SecretNames)
    secret_readers: tuple[Principal, ...] = ()
    service_users: tuple[Principal, ...] = ()
    grant_deployer: bool = True
    deployer_principal_type: str = "auto"  # addition: auto | User | ServicePrincipal
    lock: str = "none"  # CanNotDelete | none
    tags: Mapping[str, str] = field(default_factory=dict)
    resource_group_name: str | None = None  # addition: use this existing group

    @property
    def local_auth_enabled(self) -> bool:
        return not self.disable_local_auth

    @property
    def vault_public_network_access(self) -> str:
        return self.key_vault.public_network_access or self.public_network_access

    @property
    def vault_network_acls(self) -> NetworkAcls | None:
        return self.key_vault.network_acls or self.network_acls


# --------------------------------------------------------------------------- parsing helpers


class _Problems:
    """Collects problems; each parser returns None for a value it rejected."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, key: str, value: Any, allowed: str) -> None:
        self.items.append(f"{key} = {_show(value)} is not valid: {allowed}")


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _suggest(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == key.lower()]
    return f" (did you mean {close[0]}?)" if close else ""


def _unknown_keys(where: str, given: Mapping[str, Any], known: list[str], problems: _Problems) -> None:
    for key in given:
        if key not in known:
            hint = _suggest(key, known) or f" (known keys: {', '.join(known)})"
            problems.items.append(f"{where}{key} is not a known key{hint}")


def _string(key: str, value: Any, pattern: re.Pattern[str], rule: str, problems: _Problems) -> str | None:
    if not isinstance(value, str) or not pattern.match(value):
        problems.add(key, value, rule)
        return None
    return value


def _choice(key: str, value: Any, allowed: tuple[str, ...], problems: _Problems) -> str | None:
    if value not in allowed:
        hint = _suggest(value, list(allowed)) if isinstance(value, str) else ""
        problems.add(key, value, "one of " + ", ".join(allowed) + hint)
        return None
    return value


def _bool(key: str, value: Any, problems: _Problems) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    problems.add(key, value, "true or false")
    return None


def _int(key: str, value: Any, low: int, high: int, problems: _Problems) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(key, value, f"a whole number from {low} to {high}")
        return None
    return value


def _mapping(key: str, value: Any, problems: _Problems) -> dict[str, Any] | None:
    value = _json(value)
    if not isinstance(value, dict):
        problems.add(key, value, "a map (YAML object)")
        return None
    return value


def _list(key: str, value: Any, problems: _Problems) -> list[Any] | None:
    value = _json(value)
    if not isinstance(value, list):
        problems.add(key, value, "a list")
        return None
    return value


def _json(value: Any) -> Any:
    """Objects and lists reach a Pulumi program as JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


# --------------------------------------------------------------------------- per-key parsers


def _network_acls(key: str, raw: Any, problems: _Problems) -> NetworkAcls | None:
    value = _mapping(key, raw, problems)
    if value is None:
        return None
    _unknown_keys(f"{key}.", value, ["defaultAction", "bypass", "ipRules"], problems)
    if "defaultAction" in value:
        action = _choice(f"{key}.defaultAction", value["defaultAction"], ("Allow", "Deny"), problems)
    else:
        action = None
        problems.items.append(f"{key}.defaultAction is required: Allow or Deny")
    bypass = _choice(f"{key}.bypass", value.get("bypass", "AzureServices"), ("None", "AzureServices"), problems)
    rules = _list(f"{key}.ipRules", value.get("ipRules", []), problems) or []
    ip_rules = tuple(r for i, r in enumerate(rules) if _ip_rule(f"{key}.ipRules[{i}]", r, problems))
    if action is None or bypass is None or len(ip_rules) != len(rules):
        return None
    return NetworkAcls(default_action=action, bypass=bypass, ip_rules=ip_rules)


def _ip_rule(key: str, value: Any, problems: _Problems) -> bool:
    rule = "an IPv4 address or CIDR range (no host bits set) such as 203.0.113.7 or 203.0.113.0/24"
    try:
        network = ipaddress.ip_network(value, strict=True) if isinstance(value, str) else None
    except ValueError:
        network = None
    if network is None or network.version != 4:
        problems.add(key, value, rule)
        return False
    return True


def _principals(key: str, raw: Any, problems: _Problems) -> tuple[Principal, ...]:
    items = _list(key, raw, problems) or []
    principals: list[Principal] = []
    for i, item in enumerate(items):
        where = f"{key}[{i}]"
        entry = _mapping(where, item, problems)
        if entry is None:
            continue
        _unknown_keys(f"{where}.", entry, ["principalId", "principalType"], problems)
        pid = _string(f"{where}.principalId", entry.get("principalId"), GUID_RE,
                      "an Entra object id (GUID)", problems)
        ptype = _choice(f"{where}.principalType", entry.get("principalType"), PRINCIPAL_TYPES, problems)
        if pid and ptype:
            principals.append(Principal(principal_id=pid.lower(), principal_type=ptype))
    return tuple(principals)


def _deployments(key: str, raw: Any, kind: str | None, problems: _Problems) -> tuple[ModelDeployment, ...]:
    items = _list(key, raw, problems) or []
    if items and kind is not None and kind not in DEPLOYMENT_KINDS:
        problems.add(key, f"{len(items)} deployment(s)", f"model deployments need kind {' or '.join(DEPLOYMENT_KINDS)}, not {kind}")
        return ()
    result: list[ModelDeployment] = []
    for i, item in enumerate(items):
        deployment = _deployment(f"{key}[{i}]", item, problems)
        if deployment:
            result.append(deployment)
    names = [d.name for d in result]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.add(f"{key}[].name", name, "deployment names must be unique")
    return tuple(result)


def _deployment(where: str, item: Any, problems: _Problems) -> ModelDeployment | None:
    entry = _mapping(where, item, problems)
    if entry is None:
        return None
    _unknown_keys(f"{where}.", entry, ["name", "model", "sku"], problems)
    name = _string(f"{where}.name", entry.get("name"), DEPLOYMENT_NAME_RE,
                   "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", problems)
    model = _mapping(f"{where}.model", entry.get("model"), problems) or {}
    _unknown_keys(f"{where}.model.", model, ["format", "name", "version"], problems)
    text = re.compile(r"^\S{1,128}$")
    model_format = _string(f"{where}.model.format", model.get("format"), text, "a model format such as OpenAI", problems)
    model_name = _string(f"{where}.model.name", model.get("name"), text, "a model name such as gpt-4o-mini", problems)
    version = model.get("version")
    if version is not None:
        version = _string(f"{where}.model.version", str(version), text, "a model version such as 2024-07-18", problems)
    sku = _mapping(f"{where}.sku", entry.get("sku", {"name": "Standard", "capacity": 1}), problems) or {}
    _unknown_keys(f"{where}.sku.", sku, ["name", "capacity"], problems)
    sku_name = _choice(f"{where}.sku.name", sku.get("name", "Standard"), DEPLOYMENT_SKUS, problems)
    capacity = _int(f"{where}.sku.capacity", sku.get("capacity", 1), 1, 100_000, problems)
    if None in (name, model_format, model_name, sku_name, capacity) or (model.get("version") is not None and version is None):
        return None
    return ModelDeployment(name, model_format, model_name, version, sku_name, capacity)  # type: ignore[arg-type]


def _key_vault(key: str, raw: Any, problems: _Problems) -> KeyVaultSettings | None:
    value = _mapping(key, raw, problems)
    if value is None:
        return None
    known = ["name", "existingId", "sku", "softDeleteRetentionInDays", "enablePurgeProtection",
             "publicNetworkAccess", "networkAcls"]
    _unknown_keys(f"{key}.", value, known, problems)
    before = len(problems.items)
    existing_id = value.get("existingId")
    if existing_id is not None:
        _string(f"{key}.existingId", existing_id, VAULT_ID_RE,
                "a vault resource id /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>",
                problems)
        for other in sorted(set(value) - {"existingId"}):
            problems.add(f"{key}.{other}", value[other], "leave it out: it has no effect with keyVault.existingId")
    name = value.get("name")
    if name is not None:
        _string(f"{key}.name", name, VAULT_NAME_RE,
                "3-24 letters, digits and single hyphens, starting with a letter, ending with a letter or digit",
                problems)
    settings = KeyVaultSettings(
        name=name,
        existing_id=existing_id,
        sku=_choice(f"{key}.sku", value.get("sku", "standard"), ("standard", "premium"), problems) or "standard",
        soft_delete_retention_in_days=_int(
            f"{key}.softDeleteRetentionInDays", value.get("softDeleteRetentionInDays", 90), 7, 90, problems) or 90,
        enable_purge_protection=_bool(f"{key}.enablePurgeProtection", value.get("enablePurgeProtection", True), problems) is not False,
        public_network_access=(
            _choice(f"{key}.publicNetworkAccess", value["publicNetworkAccess"], ON_OFF, problems)
            if "publicNetworkAccess" in value else None
        ),
        network_acls=_network_acls(f"{key}.networkAcls", value["networkAcls"], problems) if "networkAcls" in value else None,
    )
    return settings if len(problems.items) == before else None


def _secrets(key: str, raw: Any, problems: _Problems) -> SecretNames | None:
    value = _mapping(key, raw, problems)
    if value is None:
        return None
    defaults = SecretNames()
    _unknown_keys(f"{key}.", value, ["key1Name", "key2Name", "currentName", "activeKey"], problems)
    rule = "a Key Vault secret name: 1-127 letters, digits and hyphens"
    names = {
        field_: _string(f"{key}.{field_}", value.get(field_, getattr(defaults, attr)), SECRET_NAME_RE, rule, problems)
        for field_, attr in (("key1Name", "key1_name"), ("key2Name", "key2_name"), ("currentName", "current_name"))
    }
    active = _choice(f"{key}.activeKey", value.get("activeKey", "key1"), ("key1", "key2"), problems)
    given = [n.lower() for n in names.values() if n]
    if len(set(given)) != len(given):
        problems.add(key, value, "key1Name, key2Name and currentName must be three different names")
        return None
    if None in names.values() or active is None:
        return None
    return SecretNames(names["key1Name"], names["key2Name"], names["currentName"], active)  # type: ignore[arg-type]


def _tags(key: str, raw: Any, problems: _Problems) -> dict[str, str]:
    value = _mapping(key, raw, problems)
    if value is None:
        return {}
    if len(value) > 50:
        problems.add(key, f"{len(value)} tags", "at most 50 tags")
    tags: dict[str, str] = {}
    for name, tag in value.items():
        if not isinstance(tag, str) or len(tag) > 256 or not 1 <= len(name) <= 512 or set(name) & set("<>%&\\?/"):
            problems.add(f"{key}.{name}", tag, "a string of at most 256 characters under a name of 1-512 characters without <>%&\\?/")
        else:
            tags[name] = tag
    return tags


# --------------------------------------------------------------------------- entry points

_KNOWN_KEYS = [
    "namePrefix", "location", "kind", "sku", "customSubDomainName", "disableLocalAuth",
    "publicNetworkAccess", "networkAcls", "deployments", "restore", "keyVault", "secrets",
    "secretReaders", "serviceUsers", "grantDeployer", "lock", "tags", "resourceGroupName",
    "deployerPrincipalType",
]


def known_keys() -> list[str]:
    return list(_KNOWN_KEYS)


def namespace_values(config: Mapping[str, Any], namespace: str = NAMESPACE) -> dict[str, Any]:
    """The keys of one namespace, without it: {"ai-services:kind": x} -> {"kind": x}.

    Accepts the legacy ``ns:config:key`` spelling too.
    """
    values: dict[str, Any] = {}
    for full_key, value in config.items():
        ns, _, key = full_key.partition(":")
        if ns == namespace and key:
            values[key.removeprefix("config:")] = value
    return values


def from_config(config: Mapping[str, Any]) -> Settings:
    """Parse and validate every ``ai-services:`` key (plus ``azure-native:location``).

    Raises SettingsError naming every bad key at once.
    """
    problems = _Problems()
    raw = namespace_values(config)
    _unknown_keys(f"{NAMESPACE}:", raw, _KNOWN_KEYS, problems)
    k = f"{NAMESPACE}:"

    prefix = raw.get("namePrefix")
    if prefix is None:
        problems.items.append(f"{k}namePrefix is required: 2-16 lowercase letters, digits and '-' (e.g. myapp)")
    else:
        _string(f"{k}namePrefix", prefix, NAME_PREFIX_RE,
                "2-16 lowercase letters, digits and single hyphens, starting with a letter, not ending with '-'",
                problems)
        if isinstance(prefix, str) and "--" in prefix:
            problems.add(f"{k}namePrefix", prefix, "no consecutive hyphens (vault names forbid them)")

    location = raw.get("location", config.get("azure-native:location"))
    if location is None:
        problems.items.append(f"{k}location is required (or set azure-native:location): an Azure region name such as swedencentral")
    else:
        _string(f"{k}location", location, LOCATION_RE, "an Azure region name such as swedencentral or eastus2", problems)

    kind = _choice(f"{k}kind", raw.get("kind", "AIServices"), KINDS, problems)
    sku = _sku(f"{k}sku", raw.get("sku"), kind, problems)
    subdomain = raw.get("customSubDomainName")
    if subdomain is not None:
        _string(f"{k}customSubDomainName", subdomain, SUBDOMAIN_RE,
                "2-63 letters, digits and '-' (one DNS label), starting with a letter or digit, not ending with '-'", problems)
    resource_group = raw.get("resourceGroupName")
    if resource_group is not None:
        _string(f"{k}resourceGroupName", resource_group, RESOURCE_GROUP_RE,
                "an existing resource group name: 1-90 letters, digits, '_', '-', '.', '(', ')', not ending with '.'",
                problems)
    lock = raw.get("lock", "none")
    _choice(f"{k}lock", lock, ("CanNotDelete", "none"), problems)

    settings = Settings(
        name_prefix=prefix or "",
        location=location or "",
        kind=kind or "AIServices",
        sku=sku or "S0",
        custom_sub_domain_name=subdomain,
        disable_local_auth=bool(_bool(f"{k}disableLocalAuth", raw.get("disableLocalAuth", False), problems)),
        public_network_access=_choice(f"{k}publicNetworkAccess", raw.get("publicNetworkAccess", "Enabled"), ON_OFF, problems) or "Enabled",
        network_acls=_network_acls(f"{k}networkAcls", raw["networkAcls"], problems) if "networkAcls" in raw else None,
        deployments=_deployments(f"{k}deployments", raw.get("deployments", []), kind, problems),
        restore=bool(_bool(f"{k}restore", raw.get("restore", False), problems)),
        key_vault=_key_vault(f"{k}keyVault", raw.get("keyVault", {}), problems) or KeyVaultSettings(),
        secrets=_secrets(f"{k}secrets", raw.get("secrets", {}), problems) or SecretNames(),
        secret_readers=_principals(f"{k}secretReaders", raw.get("secretReaders", []), problems),
        service_users=_principals(f"{k}serviceUsers", raw.get("serviceUsers", []), problems),
        grant_deployer=_bool(f"{k}grantDeployer", raw.get("grantDeployer", True), problems) is not False,
        deployer_principal_type=_choice(f"{k}deployerPrincipalType", raw.get("deployerPrincipalType", "auto"),
                                        ("auto", "User", "ServicePrincipal"), problems) or "auto",
        lock=lock,
        tags=_tags(f"{k}tags", raw.get("tags", {}), problems),
        resource_group_name=resource_group,
    )
    if problems.items:
        raise SettingsError(problems.items)
    return settings


def _sku(key: str, value: Any, kind: str | None, problems: _Problems) -> str | None:
    allowed = SKUS_BY_KIND.get(kind or "", ())
    if value is None:
        # The contract's default is S0; kinds sold without an S0 tier get their standard tier.
        return "S0" if "S0" in allowed or not allowed else allowed[1]
    if kind is None:
        return value if isinstance(value, str) else None
    return _choice(key, value, allowed, problems)


def runtime_config() -> dict[str, Any]:
    """Every config value the Pulumi engine handed this program (``ns:key`` -> str)."""
    from pulumi.runtime import config as runtime_config_module

    merged: dict[str, Any] = dict(runtime_config_module.get_config_env())
    merged.update(runtime_config_module.CONFIG.get())
    return merged


def load(source: Callable[[], Mapping[str, Any]] = runtime_config) -> Settings:
    """Settings of the running stack. Raises SettingsError."""
    return from_config(source())
