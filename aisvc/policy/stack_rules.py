"""The stack rules: no key, or anything shaped or named like one, among the stack outputs; the production shape."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from aisvc.contract import SECRET_PLACEHOLDER
from aisvc.policy.production_rules import check_production
from aisvc.policy.specs import (
    CONTRACT_OUTPUTS,
    ROOT_STACK,
    SECRET,
    RuleContext,
    violation,
)
from aisvc.policy.views import ResourceView, SecretValue, Violation, is_unknown, unwrap

_CREDENTIAL_WORDS = frozenset({"key", "keys", "secret", "secrets", "password", "passwd", "pwd", "token", "tokens",
                               "credential", "credentials", "connectionstring"})
_WORD_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Azure AI services keys: 32 hex digits (classic) or 84 letters and digits (current format).
_KEY_SHAPE_RE = re.compile(r"^(?:[0-9a-fA-F]{32}|[A-Za-z0-9]{84})$")


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
    inner = unwrap(value)
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
                found.append(violation("no-key-in-stack-outputs", stack_urn,
                                       f"stack output '{path}' {problem}; keys are never exported, "
                                       "apps read them from Key Vault (keySecretName)."))
                break  # one finding per output is enough
    return found


def check_stack(resources: Iterable[ResourceView], outputs: Mapping[str, Any], ctx: RuleContext) -> list[Violation]:
    """The stack-scope rules: no key among the outputs, then the production shape."""
    views = list(resources)
    return no_key_in_stack_outputs(views, outputs, ctx) + check_production(views, ctx)


