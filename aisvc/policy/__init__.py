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

from collections.abc import Iterable, Mapping
from typing import Any

from aisvc.contract import COGNITIVE_SERVICES_OPENAI_USER, COGNITIVE_SERVICES_USER, KEY_VAULT_SECRETS_USER
from aisvc.policy.resource_rules import RESOURCE_RULES, check_resource
from aisvc.policy.specs import (
    ACCOUNT,
    ALLOWED_ROLES,
    DIAGNOSTIC_SETTING,
    DIAGNOSTIC_SETTINGS,
    DIAGNOSTIC_SETTINGS_NONPROD,
    PRIVATE_ENDPOINT,
    PRIVATE_NETWORK,
    PRIVATE_NETWORK_NONPROD,
    PROD_JUDGED,
    PURGE_PROTECTION,
    PURGE_PROTECTION_NONPROD,
    ROLE_ASSIGNMENT,
    ROOT_STACK,
    SECRET,
    SECRET_EXPIRY,
    SPEC_BY_NAME,
    SPECS,
    VAULT,
    PolicySpec,
    RuleContext,
)
from aisvc.policy.stack_rules import check_stack
from aisvc.policy.views import (
    ADVISORY,
    MANDATORY,
    UNKNOWN,
    ResourceView,
    SecretValue,
    Violation,
    is_unknown,
    view_from_step,
)

__all__ = [
    "ACCOUNT", "ADVISORY", "ALLOWED_ROLES", "COGNITIVE_SERVICES_OPENAI_USER", "COGNITIVE_SERVICES_USER",
    "DIAGNOSTIC_SETTING", "DIAGNOSTIC_SETTINGS", "DIAGNOSTIC_SETTINGS_NONPROD", "KEY_VAULT_SECRETS_USER", "MANDATORY",
    "PRIVATE_ENDPOINT", "PRIVATE_NETWORK", "PRIVATE_NETWORK_NONPROD", "PROD_JUDGED", "PURGE_PROTECTION",
    "PURGE_PROTECTION_NONPROD", "RESOURCE_RULES", "ROLE_ASSIGNMENT", "ROOT_STACK", "SECRET", "SECRET_EXPIRY", "SPECS",
    "SPEC_BY_NAME", "UNKNOWN", "VAULT", "PolicySpec", "ResourceView", "RuleContext", "SecretValue", "Violation",
    "check_resource", "check_stack", "evaluate", "evaluate_preview", "has_mandatory", "is_unknown", "view_from_step",
]


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


def evaluate_preview(document: Mapping[str, Any], stack: str,
                     *, config: Mapping[str, Mapping[str, Any]] | None = None) -> list[Violation]:
    """evaluate() over a `pulumi preview --json`-shaped document ({"steps": [...], "outputs": {...}})."""
    steps = [step for step in document.get("steps", []) if step.get("op") != "delete"]
    return evaluate([view_from_step(step) for step in steps], document.get("outputs") or {}, stack, config=config)


def has_mandatory(violations: Iterable[Violation]) -> bool:
    return any(violation.level == MANDATORY for violation in violations)

