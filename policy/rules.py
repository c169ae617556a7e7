"""The toolkit's promises as pure rules over a small view of each resource.

No Pulumi import here: the same functions run inside the pulumi-policy pack
(``policy/__main__.py``, during ``pulumi preview/up --policy-pack policy``) and
offline in ``aisvc plan`` through :func:`evaluate`.

Props use the engine's camelCase shape (``properties.enableRbacAuthorization``).
A value the engine does not know yet (preview) is :data:`UNKNOWN`; rules never
report on an unknown value. No message ever contains a property value that could
be a key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

MANDATORY = "mandatory"
ADVISORY = "advisory"

ACCOUNT = "azure-native:cognitiveservices:Account"
VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ROOT_STACK = "pulumi:pulumi:Stack"

# How `aisvc plan --json` and `pulumi preview --json` print a secret value.
SECRET_PLACEHOLDER = "[secret]"


class _Unknown:
    """A value that is only known after `pulumi up` (a computed output during preview)."""

    _instance: "_Unknown | None" = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

# The engine's wire sentinels for unknown values (pulumi_policy.proxy): a raw
# props dict taken from the gRPC request may still hold them.
_ENGINE_UNKNOWNS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58", "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})


@dataclass(frozen=True)
class SecretValue:
    """Marks a value the engine holds as a Pulumi secret (in props or stack outputs)."""

    value: Any = field(repr=False)

    def __repr__(self) -> str:
        return "SecretValue([secret])"


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in _ENGINE_UNKNOWNS)


def _unwrap(value: Any) -> Any:
    return value.value if isinstance(value, SecretValue) else value


@dataclass(frozen=True)
class ResourceView:
    """What a rule may look at: one resource as the engine would register it.

    ``secret_paths``: dotted input paths the engine holds as secrets
    (``properties.value``); ``None`` when the caller cannot tell (pulumi-policy's
    Python SDK strips the secret marker before a policy sees a value).
    ``additional_secret_outputs``: the resource option; ``None`` when unknown
    (the mock engine behind ``aisvc plan`` does not pass resource options).
    """

    type: str
    urn: str
    props: Mapping[str, Any]
    name: str = ""
    secret_paths: frozenset[str] | None = None
    additional_secret_outputs: tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        return self.name or self.urn.rsplit("::", 1)[-1]

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a dotted path; UNKNOWN stays UNKNOWN, secrets are unwrapped."""
        value: Any = self.props
        for part in path.split("."):
            value = _unwrap(value)
            if is_unknown(value):
                return UNKNOWN
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        value = _unwrap(value)
        return UNKNOWN if is_unknown(value) else value

    def is_secret(self, path: str) -> bool | None:
        """True/False when known, None when nobody told us."""
        if self._marked_secret(path):
            return True
        if self.secret_paths is None:
            return None
        parts = path.split(".")
        prefixes = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
        return bool(prefixes & self.secret_paths)

    def _marked_secret(self, path: str) -> bool:
        value: Any = self.props
        for part in path.split("."):
            if isinstance(value, SecretValue):
                return True
            if not isinstance(value, Mapping) or part not in value:
                return False
            value = value[part]
        return isinstance(value, SecretValue) or value == SECRET_PLACEHOLDER


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str  # MANDATORY or ADVISORY
    urn: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"policy": self.policy, "level": self.level, "urn": self.urn, "message": self.message}

    def line(self) -> str:
        return f"[{self.level}] {self.policy}: {self.message}"


@dataclass(frozen=True)
class PolicySpec:
    name: str
    level: str
    scope: str  # "resource" or "stack"
    description: str


PURGE_PROTECTION = "keyvault-purge-protection"
PURGE_PROTECTION_NONPROD = "keyvault-purge-protection-nonprod"

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
)
SPEC_BY_NAME: dict[str, PolicySpec] = {spec.name: spec for spec in SPECS}

# Built-in roles the toolkit assigns (azure-wire.md).
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
COGNITIVE_SERVICES_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"
COGNITIVE_SERVICES_OPENAI_USER = "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"
ALLOWED_ROLES: dict[str, str] = {
    KEY_VAULT_SECRETS_USER: "Key Vault Secrets User",
    COGNITIVE_SERVICES_USER: "Cognitive Services User",
    COGNITIVE_SERVICES_OPENAI_USER: "Cognitive Services OpenAI User",
}
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
SUBDOMAIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}[A-Za-z0-9]$")  # 2-64 chars (contract.md)
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
BROAD_SCOPE_RE = re.compile(
    r"^/(?:subscriptions/[^/]+(?:/resourceGroups/[^/]+)?|providers/Microsoft\.Management/managementGroups/[^/]+)?/?$",
    re.IGNORECASE,
)

# Stack outputs of the contract (contract.md §1): their names are fine even
# though some contain "key".
CONTRACT_OUTPUTS = frozenset({
    "endpoint", "accountName", "accountId", "resourceGroupName", "location", "kind",
    "customSubDomainName", "localAuthEnabled", "keyVaultName", "keyVaultUri",
    "keySecretName", "keySecretNames", "activeKey", "principalId",
})
_CREDENTIAL_WORDS = frozenset({"key", "keys", "secret", "secrets", "password", "passwd", "pwd", "token", "tokens",
                               "credential", "credentials", "connectionstring"})
_WORD_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Azure AI services keys: 32 hex digits (classic) or 84 letters and digits (current format).
_KEY_SHAPE_RE = re.compile(r"^(?:[0-9a-fA-F]{32}|[A-Za-z0-9]{84})$")


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
        configured = self.setting("stack", None, PURGE_PROTECTION, PURGE_PROTECTION_NONPROD)
        # Fully qualified names (org/project/stack) count by their last part.
        return str(configured or self.stack).rsplit("/", 1)[-1]

    @property
    def is_prod(self) -> bool:
        prod = self.setting("prodStacks", DEFAULT_PROD_STACKS, PURGE_PROTECTION, PURGE_PROTECTION_NONPROD)
        return self.stack_name.lower() in {str(name).lower() for name in prod}

    @property
    def allowed_roles(self) -> frozenset[str]:
        extra = self.setting("allowedRoleDefinitionIds", (), "role-assignment-least-privilege")
        return frozenset(ALLOWED_ROLES) | {str(role).rsplit("/", 1)[-1].lower() for role in extra}


def _violation(policy: str, view: ResourceView, message: str) -> Violation:
    return Violation(policy, SPEC_BY_NAME[policy].level, view.urn, message)


def _known(value: Any) -> bool:
    return not is_unknown(value)


# --- resource rules -------------------------------------------------------

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
    SECRET: (keyvault_secret_value_secret,),
    ROLE_ASSIGNMENT: (role_assignment_least_privilege, role_assignment_narrow_scope),
}


def check_resource(view: ResourceView, ctx: RuleContext) -> list[Violation]:
    return [violation for rule in RESOURCE_RULES.get(view.type, ()) for violation in rule(view, ctx)]


# --- stack rule -----------------------------------------------------------

def _known_key_values(resources: Iterable[ResourceView]) -> set[str]:
    """Key values the resources hold, to recognise them in outputs (never printed)."""
    values = set()
    for view in resources:
        if view.type == SECRET:
            value = view.get("properties.value")
            if isinstance(value, str) and len(value) >= 8 and value != SECRET_PLACEHOLDER:
                values.add(value)
    return values


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(dotted path, leaf or container) pairs, the container first."""
    yield path, value
    inner = _unwrap(value)
    if isinstance(inner, Mapping):
        for key, item in inner.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(inner, (list, tuple)):
        for index, item in enumerate(inner):
            yield from _walk(item, f"{path}[{index}]")


def _leaf_name(path: str) -> str:
    return re.split(r"[.\[]", path)[-1].rstrip("]")


def _named_like_credential(name: str) -> bool:
    """By its last word: primaryKey, key1, AI_KEY, adminPassword, connectionString; not monkey."""
    words = [word.lower() for word in _WORD_RE.findall(name) if not word.isdigit()]
    return bool(words) and (words[-1] in _CREDENTIAL_WORDS or "".join(words[-2:]) in _CREDENTIAL_WORDS)


def _output_problem(name: str, path: str, value: Any, key_values: set[str]) -> str | None:
    # The name is known even when the value is not (preview).
    if name not in CONTRACT_OUTPUTS and _named_like_credential(_leaf_name(path)):
        return "is named like a credential"
    if is_unknown(value):
        return None
    if isinstance(value, SecretValue) or value == SECRET_PLACEHOLDER:
        return "is a secret value"
    if isinstance(value, str) and value in key_values:
        return "holds the value of a Key Vault secret"
    if isinstance(value, str) and _KEY_SHAPE_RE.match(value):
        return "holds a value shaped like an Azure AI services key"
    return None


def no_key_in_stack_outputs(resources: Iterable[ResourceView], outputs: Mapping[str, Any],
                            ctx: RuleContext) -> list[Violation]:
    views = list(resources)
    stack_urn = next((view.urn for view in views if view.type == ROOT_STACK), "")
    key_values = _known_key_values(views)
    found = []
    for name in outputs:
        for path, value in _walk(outputs[name], name):
            problem = _output_problem(name, path, value, key_values)
            if problem:
                found.append(Violation("no-key-in-stack-outputs", MANDATORY, stack_urn,
                                       f"stack output '{path}' {problem}; keys are never exported, "
                                       "apps read them from Key Vault (keySecretName)."))
                break  # one finding per output is enough
    return found


def check_stack(resources: Iterable[ResourceView], outputs: Mapping[str, Any], ctx: RuleContext) -> list[Violation]:
    return no_key_in_stack_outputs(resources, outputs, ctx)


# --- entry points ---------------------------------------------------------

def evaluate(resources: Iterable[ResourceView], outputs: Mapping[str, Any], stack: str,
             *, config: Mapping[str, Mapping[str, Any]] | None = None) -> list[Violation]:
    """Every violation of the stack: resource rules in resource order, then the stack rule.

    ``config`` is the policy-pack config shape: ``{policy name: {key: value}}``
    (``prodStacks``, ``stack``, ``allowedRoleDefinitionIds``).
    """
    views = list(resources)
    ctx = RuleContext(stack=stack, config=config or {})
    found = [violation for view in views for violation in check_resource(view, ctx)]
    return found + check_stack(views, outputs, ctx)


def _secret_placeholder_paths(value: Any, path: str = "") -> Iterator[str]:
    if value == SECRET_PLACEHOLDER or isinstance(value, SecretValue):
        yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _secret_placeholder_paths(item, f"{path}.{key}" if path else str(key))


def view_from_step(step: Mapping[str, Any]) -> ResourceView:
    """A ResourceView from one step of `aisvc plan --json` / `pulumi preview --json`.

    Both print secret inputs as "[secret]", which is how secrecy is known here.
    """
    state = step.get("newState") or {}
    inputs = state.get("inputs") or {}
    urn = str(step.get("urn") or state.get("urn") or "")
    return ResourceView(type=str(state.get("type", "")), urn=urn, props=inputs,
                        secret_paths=frozenset(_secret_placeholder_paths(inputs)))


def evaluate_preview(document: Mapping[str, Any], stack: str,
                     *, config: Mapping[str, Mapping[str, Any]] | None = None) -> list[Violation]:
    """evaluate() over a `pulumi preview --json`-shaped document ({"steps": [...], "outputs": {...}})."""
    steps = [step for step in document.get("steps", []) if step.get("op") != "delete"]
    return evaluate([view_from_step(step) for step in steps], document.get("outputs") or {}, stack, config=config)


def has_mandatory(violations: Iterable[Violation]) -> bool:
    return any(violation.level == MANDATORY for violation in violations)
