"""What the components take besides plain strings: fixed choices as enums, nested inputs as TypedDicts.

These classes are also the component package's schema: the SDK's component provider
host reads their annotations at run time (so no ``from __future__ import annotations``
in any component module), turns every TypedDict into an object type and every enum
into an enum type, and takes each field's docstring as its description. TypedDicts,
not dataclasses, because the host hands a component its args as a dict.

An annotation without ``pulumi.Input`` means *plain*: the value must be known when
the component is registered, because it names a Pulumi resource (a URN), decides
whether a child exists, or shapes a list of children.
"""
from enum import StrEnum
from typing import NotRequired, TypedDict

import pulumi

from aisvc.contract import KEY_IDS, KINDS

# Members come from aisvc.contract, the one home of these values (mypy cannot see dynamic members).
Kind = StrEnum("Kind", [(kind, kind) for kind in KINDS])  # type: ignore[misc]
Kind.__doc__ = "The kind of Azure AI services account."
CredentialKey = StrEnum("CredentialKey", [(key, key) for key in KEY_IDS])  # type: ignore[misc]
CredentialKey.__doc__ = "One of the account's two keys."


class PublicNetworkAccess(StrEnum):
    """Whether the public endpoint answers at all (network ACLs still apply when it does)."""

    ENABLED = "Enabled"
    DISABLED = "Disabled"


class DefaultAction(StrEnum):
    """What happens to traffic no rule matches."""

    ALLOW = "Allow"
    DENY = "Deny"


class Bypass(StrEnum):
    """Trusted Azure services that may pass the network rules."""

    AZURE_SERVICES = "AzureServices"
    NONE = "None"


class LockLevel(StrEnum):
    """A management lock on the account and a new vault, or none."""

    CAN_NOT_DELETE = "CanNotDelete"
    """Nobody can delete the resource until the lock is removed."""
    NONE = "none"
    """No lock."""


class VaultSku(StrEnum):
    """The Key Vault pricing tier."""

    STANDARD = "standard"
    PREMIUM = "premium"


class PrincipalType(StrEnum):
    """The kind of Entra ID principal a role is assigned to (ARM needs it right for service principals)."""

    USER = "User"
    GROUP = "Group"
    SERVICE_PRINCIPAL = "ServicePrincipal"
    FOREIGN_GROUP = "ForeignGroup"
    DEVICE = "Device"


class GrantTarget(StrEnum):
    """Where a role is assigned."""

    VAULT = "vault"
    SECRET = "secret"  # the app-facing secret in a shared vault
    ACCOUNT = "account"


class NetworkAclsArgs(TypedDict):
    """Network rules of the account or the vault."""

    default_action: pulumi.Input[DefaultAction]
    """Allow or Deny what no rule matches."""
    bypass: NotRequired[pulumi.Input[Bypass]]
    """Trusted Azure services that pass the rules. Default: AzureServices."""
    ip_rules: NotRequired[list[pulumi.Input[str]]]
    """IPv4 addresses or CIDR ranges that may connect."""


class ModelDeploymentArgs(TypedDict):
    """One model deployment on the account."""

    name: str
    """Deployment name; plain because it names the Pulumi resource."""
    model_format: pulumi.Input[str]
    """Model format, e.g. OpenAI."""
    model_name: pulumi.Input[str]
    """Model name, e.g. gpt-4o-mini."""
    model_version: NotRequired[pulumi.Input[str]]
    """Model version; the service's default version when left out."""
    sku_name: NotRequired[pulumi.Input[str]]
    """Deployment SKU, e.g. GlobalStandard. Default: Standard."""
    capacity: NotRequired[pulumi.Input[int]]
    """Capacity in the SKU's units. Default: 1."""


class SecretNamesArgs(TypedDict, total=False):
    """The Key Vault secrets the account keys are written to (two-key rotation)."""

    key1_name: pulumi.Input[str]
    """Secret holding key 1. Default: ai-services-key1."""
    key2_name: pulumi.Input[str]
    """Secret holding key 2. Default: ai-services-key2."""
    current_name: pulumi.Input[str]
    """Secret apps read: a copy of the active key, tagged CredentialId. Default: ai-services-key."""
    active_key: CredentialKey
    """Which key the current secret holds. Default: key1. Plain: it picks which key value is copied."""
    rotated_at: str
    """Day (YYYY-MM-DD, UTC) of the last rotation: the key secrets expire expires_after_days later and the current
    secret gets the rotation tags ProviderAddress and ValidityPeriodDays. Default: none (no expiry)."""
    expires_after_days: int
    """1-730 days after rotated_at. Default: 90."""


class PrincipalArgs(TypedDict):
    """An Entra ID principal that is granted roles."""

    principal_id: str
    """Object id (GUID); plain because it names the role assignment's Pulumi resource."""
    principal_type: PrincipalType
    """User, Group, ServicePrincipal, ForeignGroup or Device."""


class PrivateEndpointsArgs(TypedDict):
    """Private endpoints for the account and a new vault, with their private DNS zones."""

    subnet_id: pulumi.Input[str]
    """Subnet the endpoints get their private IPs in."""
    dns_zone_ids: NotRequired[dict[str, str]]
    """Zone name -> id of an existing private DNS zone; plain: a zone left out is created."""
    virtual_network_id: NotRequired[pulumi.Input[str]]
    """Virtual network the created zones are linked to; needed when a zone is left out of dns_zone_ids."""


class GrantArgs(TypedDict):
    """One role for one principal on the vault (or its app-facing secret) or the account."""

    target: GrantTarget
    """vault, secret or account."""
    role: str
    """Role definition GUID."""
    principal_id: str
    """Object id (GUID) of the principal."""
    principal_type: PrincipalType
    """The principal's type."""
    reason: str
    """Why the principal has the role; written into the assignment's description."""


DEFAULT_ACTIVE_KEY = CredentialKey(KEY_IDS[0])
DEFAULT_KIND = Kind("AIServices")
