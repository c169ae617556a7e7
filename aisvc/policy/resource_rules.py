"""Rules over one resource: vaults, accounts, secrets, role assignments."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from aisvc.contract import GUID_RE, SUBDOMAIN_RE
from aisvc.policy.specs import (
    ACCOUNT,
    ALLOWED_ROLES,
    BROAD_SCOPE_RE,
    PRIVILEGED_ROLES,
    PURGE_PROTECTION,
    PURGE_PROTECTION_NONPROD,
    ROLE_ASSIGNMENT,
    SECRET,
    SECRET_EXPIRY,
    VAULT,
    RuleContext,
    violation,
)
from aisvc.policy.views import ResourceView, Violation, is_unknown


def _violation(policy: str, view: ResourceView, message: str) -> Violation:
    return violation(policy, view.urn, message)


def _known(value: Any) -> bool:
    return not is_unknown(value)



def keyvault_rbac_authorization(view: ResourceView, ctx: RuleContext) -> Iterator[Violation]:
    rbac = view.get("properties.enableRbacAuthorization")
    if _known(rbac) and rbac is not True:
        state = "is not set (the API default may be access policies)" if rbac is None else "is false"
        yield _violation("keyvault-rbac-authorization", view,
                         f"Key Vault '{view.label}': properties.enableRbacAuthorization {state}; "
                         "set it to true so access goes through Azure RBAC role assignments only.")


def keyvault_soft_delete(view: ResourceView, ctx: RuleContext) -> Iterator[Violation]:
    if view.get("properties.enableSoftDelete") is False:
        yield _violation("keyvault-soft-delete", view,
                         f"Key Vault '{view.label}': properties.enableSoftDelete is false; "
                         "soft delete must stay on so a deleted key can be recovered.")
    days = view.get("properties.softDeleteRetentionInDays")
    if days is not None and _known(days) and not (isinstance(days, (int, float)) and 7 <= days <= 90):
        yield _violation("keyvault-soft-delete", view,
                         f"Key Vault '{view.label}': properties.softDeleteRetentionInDays is {days!r}; "
                         "Azure allows 7-90 days.")


def keyvault_purge_protection(view: ResourceView, ctx: RuleContext) -> Iterator[Violation]:
    purge = view.get("properties.enablePurgeProtection")
    if not _known(purge) or purge is True:
        return
    policy = PURGE_PROTECTION if ctx.is_prod else PURGE_PROTECTION_NONPROD
    yield _violation(policy, view,
                     f"Key Vault '{view.label}' of stack '{ctx.stack_name}': purge protection is off, "
                     "so a deleted vault and its keys can be purged at once; set "
                     "keyVault.enablePurgeProtection: true (it cannot be turned off again).")


def cognitiveservices_custom_subdomain(view: ResourceView, ctx: RuleContext) -> Iterator[Violation]:
    subdomain = view.get("properties.customSubDomainName")
    if not _known(subdomain):
        return
    if not isinstance(subdomain, str) or not subdomain:
        yield _violation("cognitiveservices-custom-subdomain", view,
                         f"Account '{view.label}' has no properties.customSubDomainName; Entra ID auth "
                         "only works on https://<subdomain>.cognitiveservices.azure.com/.")
    elif not SUBDOMAIN_RE.match(subdomain):
        yield _violation("cognitiveservices-custom-subdomain", view,
                         f"Account '{view.label}': customSubDomainName {subdomain!r} must be 2-64 letters, "
                         "digits or '-', not starting or ending with '-'.")


def keyvault_secret_value_secret(view: ResourceView, ctx: RuleContext) -> Iterator[Violation]:
    if view.get("properties.value") is None:
        return
    if view.is_secret("properties.value") is False:
        yield _violation("keyvault-secret-value-secret", view,
                         f"Key Vault secret '{view.label}': properties.value is not a Pulumi secret; wrap it "
                         "in pulumi.Output.secret so state and previews never hold it in plaintext.")
    outputs = view.additional_secret_outputs
    if outputs is not None and "properties" not in outputs:
        yield _violation("keyvault-secret-value-secret", view,
                         f"Key Vault secret '{view.label}': resource option additional_secret_outputs lacks "
                         "'properties', so the provider's copy of the value would be stored unencrypted.")


def keyvault_secret_expiry(view: ResourceView, ctx: RuleContext) -> Iterator[Violation]:
    if view.get("properties.attributes.expires") is None:  # UNKNOWN (preview) is not None: not reported
        yield _violation(SECRET_EXPIRY, view,
                         f"Key Vault secret '{view.label}' has no expiry date (properties.attributes.expires); "
                         "set secrets.rotatedAt (aisvc rotate writes it) so it expires secrets.expiresAfterDays "
                         "later.")


def _opens_public_network(view: ResourceView) -> bool | None:
    access = view.get("properties.publicNetworkAccess")
    acls = view.get("properties.networkAcls")
    if not _known(access) or not _known(acls):
        return None
    if isinstance(access, str) and access.lower() == "disabled":
        return False
    default_action = acls.get("defaultAction") if isinstance(acls, Mapping) else None
    if not _known(default_action):
        return None
    return not (isinstance(default_action, str) and default_action.lower() == "deny")


def public_network_without_acls(view: ResourceView, ctx: RuleContext) -> Iterator[Violation]:
    if _opens_public_network(view):
        kind = "Account" if view.type == ACCOUNT else "Key Vault"
        yield _violation("public-network-without-acls", view,
                         f"{kind} '{view.label}' accepts traffic from any public address: set "
                         "publicNetworkAccess: Disabled, or networkAcls with defaultAction: Deny and ipRules.")


def _role_guid(role_definition_id: Any) -> str | None:
    if not isinstance(role_definition_id, str):
        return None
    guid = role_definition_id.rstrip("/").rsplit("/", 1)[-1]
    return guid.lower() if GUID_RE.match(guid) else None


def role_assignment_least_privilege(view: ResourceView, ctx: RuleContext) -> Iterator[Violation]:
    role_id = view.get("roleDefinitionId")
    if not _known(role_id):
        return
    guid = _role_guid(role_id)
    if guid is not None and guid in ctx.allowed_roles:
        return
    allowed = ", ".join(ALLOWED_ROLES.values())
    if guid in PRIVILEGED_ROLES:
        reason = f"grants {PRIVILEGED_ROLES[guid]}, a privileged role"
    elif guid is None:
        reason = f"has roleDefinitionId {role_id!r}, which does not end in a role GUID"
    else:
        reason = (f"grants role {guid}, which is not on the allow-list (add it to the policy config "
                  "allowedRoleDefinitionIds if it is intended)")
    yield _violation("role-assignment-least-privilege", view,
                     f"Role assignment '{view.label}' {reason}; the toolkit needs only {allowed}.")


def role_assignment_narrow_scope(view: ResourceView, ctx: RuleContext) -> Iterator[Violation]:
    scope = view.get("scope")
    if isinstance(scope, str) and BROAD_SCOPE_RE.match(scope):
        yield _violation("role-assignment-narrow-scope", view,
                         f"Role assignment '{view.label}' is scoped to {scope!r}; scope it to the Key Vault "
                         "or the account so the principal reaches nothing else.")


Rule = Callable[[ResourceView, RuleContext], Iterable[Violation]]
# The rules of each resource type, in report order; a rule only ever sees its own types.
RESOURCE_RULES: dict[str, tuple[Rule, ...]] = {
    VAULT: (keyvault_rbac_authorization, keyvault_soft_delete, keyvault_purge_protection,
            public_network_without_acls),
    ACCOUNT: (cognitiveservices_custom_subdomain, public_network_without_acls),
    SECRET: (keyvault_secret_value_secret, keyvault_secret_expiry),
    ROLE_ASSIGNMENT: (role_assignment_least_privilege, role_assignment_narrow_scope),
}


def check_resource(view: ResourceView, ctx: RuleContext) -> list[Violation]:
    return [violation for rule in RESOURCE_RULES.get(view.type, ()) for violation in rule(view, ctx)]


