"""The production shape (issue 11): private or deny-by-default networks, and diagnostic settings.

Stack-scope rules, because they relate resources to each other: an account or vault
to the private endpoint that serves it (``privateLinkServiceConnections[].privateLinkServiceId``)
or to its diagnostic setting (``resourceUri``). Mandatory on production stacks,
advisory elsewhere (RuleContext.is_prod).

A relation is judged by resource id. Offline (`aisvc plan`, inputs) a resource's id
is not among its props, so it is recognised by its names instead (``accountName`` or
``vaultName`` and ``resourceGroupName``); in the pack (outputs) by ``id``. During
preview the ids a setting or endpoint points at are unknown: then nothing is reported.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from aisvc.policy.specs import (
    ACCOUNT,
    DIAGNOSTIC_SETTING,
    DIAGNOSTIC_SETTINGS,
    DIAGNOSTIC_SETTINGS_NONPROD,
    PRIVATE_ENDPOINT,
    PRIVATE_NETWORK,
    PRIVATE_NETWORK_NONPROD,
    VAULT,
    RuleContext,
    violation,
)
from aisvc.policy.views import UNKNOWN, ResourceView, Violation, is_unknown

# ARM id segment and name input of each judged type.
_ARM_TYPE = {ACCOUNT: "Microsoft.CognitiveServices/accounts", VAULT: "Microsoft.KeyVault/vaults"}
_NAME_INPUT = {ACCOUNT: "accountName", VAULT: "vaultName"}
_KIND = {ACCOUNT: "Account", VAULT: "Key Vault"}
# A diagnostic setting's own id is its target's id plus this suffix (when resourceUri is not among its props).
_SETTING_SUFFIX_RE = re.compile(r"/providers/microsoft\.insights/diagnosticsettings/[^/]+/?$", re.IGNORECASE)


def _violation(policy: str, view: ResourceView, message: str) -> Violation:
    return violation(policy, view.urn, message)


def _judged(views: Iterable[ResourceView]) -> Iterator[ResourceView]:
    return (view for view in views if view.type in _ARM_TYPE)


def _identity(view: ResourceView) -> tuple[str, bool] | None:
    """(lower-case id, whether it is the full id or only its tail from the resource group on); None if unknown."""
    resource_id = view.get("id")
    if isinstance(resource_id, str) and resource_id.startswith("/"):
        return resource_id.rstrip("/").lower(), True
    name = view.get(_NAME_INPUT[view.type])
    if name is None:
        name = view.get("name")
    group = view.get("resourceGroupName")
    if not (isinstance(name, str) and name and isinstance(group, str) and group):
        return None
    return f"/resourcegroups/{group}/providers/{_ARM_TYPE[view.type]}/{name}".lower(), False


def _points_at(target: str, identity: tuple[str, bool]) -> bool:
    target = target.rstrip("/").lower()
    resource_id, full = identity
    return target == resource_id if full else target.endswith(resource_id)


def _served(view: ResourceView, targets: list[Any]) -> bool | None:
    """Whether one of ``targets`` (ids, or UNKNOWN) is ``view``; None when that cannot be told yet."""
    identity = _identity(view)
    known = [target for target in targets if isinstance(target, str)]
    if identity is not None and any(_points_at(target, identity) for target in known):
        return True
    if not targets:
        return False
    return None if identity is None or len(known) < len(targets) else False


def _endpoint_targets(views: Iterable[ResourceView]) -> list[Any]:
    targets: list[Any] = []
    for endpoint in (view for view in views if view.type == PRIVATE_ENDPOINT):
        connections = endpoint.get("privateLinkServiceConnections")
        if not isinstance(connections, list):
            targets.append(UNKNOWN if is_unknown(connections) else None)
            continue
        for connection in connections:
            target = connection.get("privateLinkServiceId") if isinstance(connection, dict) else None
            targets.append(UNKNOWN if is_unknown(target) else target)
    return [target for target in targets if target is not None]


def _setting_targets(views: Iterable[ResourceView]) -> list[Any]:
    targets: list[Any] = []
    for setting in (view for view in views if view.type == DIAGNOSTIC_SETTING):
        target = setting.get("resourceUri")
        own_id = setting.get("id")
        if target is None and isinstance(own_id, str) and _SETTING_SUFFIX_RE.search(own_id):
            target = _SETTING_SUFFIX_RE.sub("", own_id)
        elif target is None and is_unknown(own_id):
            target = UNKNOWN
        if target is not None:
            targets.append(UNKNOWN if is_unknown(target) else target)
    return targets


def _network_problem(view: ResourceView, endpoints: list[Any]) -> str | None:
    action = view.get("properties.networkAcls.defaultAction")
    access = view.get("properties.publicNetworkAccess")
    if is_unknown(action) or (isinstance(action, str) and action.lower() == "deny") or is_unknown(access):
        return None
    if not (isinstance(access, str) and access.lower() == "disabled"):
        return "accepts public traffic without deny-by-default network ACLs"
    if _served(view, endpoints) is False:
        return "has public network access disabled but no private endpoint, so nothing can reach it"
    return None


def private_network(views: list[ResourceView], ctx: RuleContext) -> Iterator[Violation]:
    policy = PRIVATE_NETWORK if ctx.is_prod else PRIVATE_NETWORK_NONPROD
    endpoints = _endpoint_targets(views)
    for view in _judged(views):
        problem = _network_problem(view, endpoints)
        if problem:
            yield _violation(policy, view, f"{_KIND[view.type]} '{view.label}' of stack '{ctx.stack_name}' {problem}; "
                                           "set privateEndpoints (public access then defaults to Disabled), or "
                                           "networkAcls with defaultAction: Deny.")


def diagnostic_settings(views: list[ResourceView], ctx: RuleContext) -> Iterator[Violation]:
    policy = DIAGNOSTIC_SETTINGS if ctx.is_prod else DIAGNOSTIC_SETTINGS_NONPROD
    settings = _setting_targets(views)
    for view in _judged(views):
        if _served(view, settings) is False:
            yield _violation(policy, view, f"{_KIND[view.type]} '{view.label}' of stack '{ctx.stack_name}' has no "
                                           "diagnostic setting, so its logs and metrics are kept nowhere; set "
                                           "diagnostics.workspaceId (a Log Analytics workspace).")


def check_production(resources: Iterable[ResourceView], ctx: RuleContext) -> list[Violation]:
    views = list(resources)
    return [*private_network(views, ctx), *diagnostic_settings(views, ctx)]
