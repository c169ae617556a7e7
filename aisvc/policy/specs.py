"""The pack's policies, the roles and scopes they judge by, and per-policy config."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aisvc.contract import ROLE_NAMES, OutputName
from aisvc.policy.views import ADVISORY, MANDATORY, Violation

ACCOUNT = "azure-native:cognitiveservices:Account"
VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ROOT_STACK = "pulumi:pulumi:Stack"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"


@dataclass(frozen=True)
class PolicySpec:
    name: str
    level: str
    scope: str  # "resource" or "stack"
    description: str


PURGE_PROTECTION = "keyvault-purge-protection"
PURGE_PROTECTION_NONPROD = "keyvault-purge-protection-nonprod"
# The production shape (issue 11): rules in aisvc.policy.production_rules.
PRIVATE_NETWORK = "private-network"
PRIVATE_NETWORK_NONPROD = "private-network-nonprod"
DIAGNOSTIC_SETTINGS = "diagnostic-settings"
DIAGNOSTIC_SETTINGS_NONPROD = "diagnostic-settings-nonprod"
SECRET_EXPIRY = "keyvault-secret-expiry"
# Policies judged by whether the stack is production: each may carry `prodStacks` and `stack` config.
PROD_JUDGED: tuple[str, ...] = (PURGE_PROTECTION, PURGE_PROTECTION_NONPROD, PRIVATE_NETWORK, PRIVATE_NETWORK_NONPROD,
                                DIAGNOSTIC_SETTINGS, DIAGNOSTIC_SETTINGS_NONPROD)

SPECS: tuple[PolicySpec, ...] = (
    PolicySpec("keyvault-rbac-authorization", MANDATORY, "resource",
               "Key Vaults use Azure RBAC authorization (enableRbacAuthorization: true), not access policies."),
    PolicySpec("keyvault-soft-delete", MANDATORY, "resource",
               "Key Vaults keep soft delete on, with a retention of 7-90 days."),
    PolicySpec(PURGE_PROTECTION, MANDATORY, "resource",
               "Key Vaults of production stacks have purge protection on."),
    PolicySpec(PURGE_PROTECTION_NONPROD, ADVISORY, "resource",
               "Key Vaults of non-production stacks should have purge protection on."),
    PolicySpec("cognitiveservices-custom-subdomain", MANDATORY, "resource",
               "Every Cognitive Services account has a custom subdomain (Entra ID auth needs it)."),
    PolicySpec("keyvault-secret-value-secret", MANDATORY, "resource",
               "Key Vault secret values are Pulumi secrets, never plaintext in state."),
    PolicySpec("public-network-without-acls", ADVISORY, "resource",
               "Accounts and vaults open to the public network should restrict it with network ACLs."),
    PolicySpec("role-assignment-least-privilege", MANDATORY, "resource",
               "Role assignments grant only the toolkit's least-privilege built-in roles."),
    PolicySpec("role-assignment-narrow-scope", ADVISORY, "resource",
               "Role assignments are scoped to the vault or account, not a subscription or resource group."),
    PolicySpec("no-key-in-stack-outputs", MANDATORY, "stack",
               "No key or other secret is exported as a stack output."),
    PolicySpec(PRIVATE_NETWORK, MANDATORY, "stack",
               "Accounts and vaults of production stacks use private endpoints or deny-by-default network ACLs."),
    PolicySpec(PRIVATE_NETWORK_NONPROD, ADVISORY, "stack",
               "Accounts and vaults of non-production stacks should use private endpoints or deny-by-default ACLs."),
    PolicySpec(DIAGNOSTIC_SETTINGS, MANDATORY, "stack",
               "Accounts and vaults of production stacks have a diagnostic setting (logs to Log Analytics)."),
    PolicySpec(DIAGNOSTIC_SETTINGS_NONPROD, ADVISORY, "stack",
               "Accounts and vaults of non-production stacks should have a diagnostic setting."),
    PolicySpec(SECRET_EXPIRY, ADVISORY, "resource",
               "Key Vault secrets carry an expiry date (properties.attributes.expires)."),
)
SPEC_BY_NAME: dict[str, PolicySpec] = {spec.name: spec for spec in SPECS}

# Built-in roles the toolkit assigns: the only ones a role assignment may carry.
ALLOWED_ROLES: dict[str, str] = dict(ROLE_NAMES)
# Built-in roles that are too broad for this toolkit, named in the message.
PRIVILEGED_ROLES: dict[str, str] = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "f25e0fa2-a7c8-4377-a976-54943a77a395": "Key Vault Contributor",
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": "Key Vault Crypto Officer",
    "a4417e6f-fecd-4de8-b567-7b0420556985": "Key Vault Certificates Officer",
    "25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68": "Cognitive Services Contributor",
    "a001fd3d-188f-4b5d-821b-7da978bf7442": "Cognitive Services OpenAI Contributor",
}

DEFAULT_PROD_STACKS: tuple[str, ...] = ("prod", "production")
BROAD_SCOPE_RE = re.compile(
    r"^/(?:subscriptions/[^/]+(?:/resourceGroups/[^/]+)?|providers/Microsoft\.Management/managementGroups/[^/]+)?/?$",
    re.IGNORECASE,
)

# Stack outputs of the contract: their names are fine even though some contain "key".
CONTRACT_OUTPUTS = frozenset(OutputName)


@dataclass(frozen=True)
class RuleContext:
    """The stack being checked plus per-policy config ({policy name: {key: value}})."""

    stack: str
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def setting(self, key: str, default: Any, *policies: str) -> Any:
        for policy in policies:
            value = self.config.get(policy, {}).get(key)
            if value is not None:
                return value
        return default

    @property
    def stack_name(self) -> str:
        configured = self.setting("stack", None, *PROD_JUDGED)
        # Fully qualified names (org/project/stack) count by their last part.
        return str(configured or self.stack).rsplit("/", 1)[-1]

    @property
    def is_prod(self) -> bool:
        prod = self.setting("prodStacks", DEFAULT_PROD_STACKS, *PROD_JUDGED)
        return self.stack_name.lower() in {str(name).lower() for name in prod}

    @property
    def allowed_roles(self) -> frozenset[str]:
        extra = self.setting("allowedRoleDefinitionIds", (), "role-assignment-least-privilege")
        return frozenset(ALLOWED_ROLES) | {str(role).rsplit("/", 1)[-1].lower() for role in extra}


def violation(policy: str, urn: str, message: str) -> Violation:
    """A violation of ``policy`` at the level its spec declares (SPECS is the one place a level is set)."""
    return Violation(policy, SPEC_BY_NAME[policy].level, urn, message)
