"""Today's graphs, recorded: what the program registers for a few stack configs, independent of URNs.

Each resource is keyed by its *qualified type chain* (the types from the stack down to the resource,
as the real engine spells a URN) and its name. ``old_chain`` applies the aliases a registration
carries, the way the engine does, so a graph that re-parents components can be compared with the
recorded one: equal chains mean existing stacks see no replacement on the next `pulumi up`.

Refresh the recording only for an intended graph change:
``AISVC_RECORD_GRAPHS=1 .venv/bin/python -m pytest tests/components/test_graph_stability.py``.
"""
from __future__ import annotations

import json
from collections.abc import Set
from pathlib import Path
from typing import Any

from aisvc.plan import PlannedResource

RECORDING = Path(__file__).with_name("graphs_before_ai_services.json")
PRINCIPAL_A = "11111111-1111-4111-8111-111111111111"
PRINCIPAL_B = "22222222-2222-4222-8222-222222222222"
# In the deploying (simulated) subscription: the program refuses a vault in another one (issue 10, item 13).
EXISTING_VAULT = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/shared-rg"
                  "/providers/Microsoft.KeyVault/vaults/kv-shared")

# Stack configs that together reach every branch of the program (on top of the engine's BASE_CONFIG).
SCENARIOS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "hardened": {
        "ai-services:networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": ["203.0.113.0/24"]},
        "ai-services:deployments": [
            {"name": "one", "model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
             "sku": {"name": "GlobalStandard", "capacity": 10}},
            {"name": "two", "model": {"format": "OpenAI", "name": "gpt-4o"}},
        ],
        "ai-services:secretReaders": [{"principalId": PRINCIPAL_A, "principalType": "ServicePrincipal"}],
        "ai-services:serviceUsers": [{"principalId": PRINCIPAL_B, "principalType": "Group"}],
        "ai-services:secrets": {"activeKey": "key2", "currentName": "app-key"},
        "ai-services:keyVault": {"softDeleteRetentionInDays": 30, "enablePurgeProtection": False,
                                 "publicNetworkAccess": "Disabled", "sku": "premium"},
        "ai-services:lock": "CanNotDelete", "ai-services:restore": True, "ai-services:tags": {"env": "prod"},
    },
    "openai-existing": {
        "ai-services:kind": "OpenAI",
        "ai-services:resourceGroupName": "app-rg",
        "ai-services:keyVault": {"existingId": EXISTING_VAULT},
        # A shared vault needs the stack's own secret names; its grants are on the app-facing secret.
        "ai-services:secrets": {"key1Name": "openai-key1", "key2Name": "openai-key2", "currentName": "openai-key"},
        "ai-services:serviceUsers": [{"principalId": PRINCIPAL_B, "principalType": "User"}],
        "ai-services:customSubDomainName": "my-openai",
    },
    "entra-only": {"ai-services:disableLocalAuth": True, "ai-services:grantDeployer": False,
                   "ai-services:publicNetworkAccess": "Disabled", "ai-services:lock": "CanNotDelete"},
}


def chain_of(resource: PlannedResource, by_urn: dict[str, PlannedResource]) -> list[str]:
    """The types from the stack's first child down to ``resource``."""
    chain = [resource.type]
    parent = by_urn.get(resource.parent or "")
    while parent is not None:
        chain.insert(0, parent.type)
        parent = by_urn.get(parent.parent or "")
    return chain


def old_chain(resource: PlannedResource, by_urn: dict[str, PlannedResource], no_parent_alias: Set[str]) -> list[str]:
    """The chain the resource had before, if its aliases say it used to be a child of the stack."""
    if resource.urn in no_parent_alias:
        return [resource.type]
    parent = by_urn.get(resource.parent or "")
    if parent is None:
        return [resource.type]
    return [*old_chain(parent, by_urn, no_parent_alias), resource.type]


def snapshot(resources: list[PlannedResource], no_parent_alias: Set[str] = frozenset()) -> list[dict[str, Any]]:
    """Every registration as {key, inputs, secrets, dependencies}, keys and dependencies as old chains."""
    by_urn = {r.urn: r for r in resources}

    def key(resource: PlannedResource) -> str:
        return "$".join(old_chain(resource, by_urn, no_parent_alias)) + "::" + resource.name

    return sorted(({
        "key": key(r),
        "inputs": r.inputs,
        "secretPaths": list(r.secret_paths),
        "additionalSecretOutputs": list(r.additional_secret_outputs),
        "dependencies": sorted(key(by_urn[d]) for d in r.dependencies if d in by_urn),
    } for r in resources), key=lambda entry: entry["key"])


def recorded() -> dict[str, list[dict[str, Any]]]:
    graphs: dict[str, list[dict[str, Any]]] = json.loads(RECORDING.read_text())
    return graphs


def record(graphs: dict[str, list[dict[str, Any]]]) -> None:
    RECORDING.write_text(json.dumps(graphs, indent=1, sort_keys=True) + "\n")
