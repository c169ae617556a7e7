"""A deterministic stand-in for Azure under the Pulumi SDK mock engine.

Every resource and invoke the program uses gets a stable answer: ids built
like ARM's, the account's endpoint (per kind, as Azure reports it) and identity, the vault URI, and fake keys
from listAccountKeys that are registered as secrets so no output can show them.
Names use a simulated subscription (``FAKE_CLIENT``) unless one is given.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from aisvc.contract import NAMESPACE, VAULT_ID_RE

FAKE_CLIENT = {
    "subscriptionId": "00000000-0000-0000-0000-000000000000",
    "tenantId": "00000000-0000-0000-0000-000000000001",
    "objectId": "00000000-0000-0000-0000-000000000002",  # the deploying principal
    "clientId": "00000000-0000-0000-0000-000000000003",
}
# What the fake listAccountKeys returns. They must never appear in any plan output.
FAKE_KEYS = {"key1": "planfakekey1" + "0" * 20, "key2": "planfakekey2" + "0" * 20}


# The domain Azure reports in an account's properties.endpoint, by kind (every other kind: the default).
_ENDPOINT_DOMAINS = {"OpenAI": "openai.azure.com"}
_DEFAULT_ENDPOINT_DOMAIN = "cognitiveservices.azure.com"


def _endpoint_domain(kind: Any) -> str:
    return _ENDPOINT_DOMAINS.get(str(kind), _DEFAULT_ENDPOINT_DOMAIN)


def _stable_guid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "aisvc-plan:" + "|".join(parts)))


def existing_vault_subscription(config: Mapping[str, str]) -> str | None:
    """The subscription of ``keyVault.existingId``: the one `pulumi up` must run in (the program refuses others)."""
    try:
        vault = json.loads(config.get(f"{NAMESPACE}:keyVault", "null"))
    except ValueError:
        return None  # the program reports the bad value
    match = VAULT_ID_RE.match(str(vault.get("existingId", ""))) if isinstance(vault, dict) else None
    return match["subscription"].lower() if match else None


class FakeAzure:
    """Deterministic answers for every resource and invoke the program uses."""

    def __init__(self, subscription: str | None = None) -> None:
        """`subscription`: the one `pulumi up` will use (names and ids follow it); None: the simulated one."""
        self.subscription = subscription or FAKE_CLIENT["subscriptionId"]
        self.client = {**FAKE_CLIENT, "subscriptionId": self.subscription}
        # What a StackReference to the stack itself reads: its outputs from the last `pulumi up`.
        self.stack_outputs: dict[str, Any] = {}

    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        if token == "azure-native:authorization:getClientConfig":
            return dict(self.client)
        if token == "azure-native:cognitiveservices:listAccountKeys":
            return dict(FAKE_KEYS)
        return {}

    def new_resource(self, type_: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if type_ == "pulumi:pulumi:StackReference":  # the stack's own last outputs (none: a new stack)
            return name, {"name": name, "outputs": dict(self.stack_outputs), "secretOutputNames": []}
        state = dict(inputs)
        physical = next((inputs[k] for k in _NAME_INPUTS.get(type_, ()) if inputs.get(k)), name)
        state["name"] = physical
        resource_id = self._id(type_, physical, inputs)
        if type_ == "azure-native:cognitiveservices:Account":
            subdomain = (inputs.get("properties") or {}).get("customSubDomainName") or physical
            state["identity"] = {**(inputs.get("identity") or {}), "principalId": _stable_guid(resource_id),
                                 "tenantId": FAKE_CLIENT["tenantId"]}
            state["properties"] = {**(inputs.get("properties") or {}),
                                   "endpoint": f"https://{subdomain}.{_endpoint_domain(inputs.get('kind'))}/"}
        elif type_ == "azure-native:keyvault:Vault":
            state["properties"] = {**(inputs.get("properties") or {}), "vaultUri": f"https://{physical}.vault.azure.net/"}
        return resource_id, state

    def _id(self, type_: str, physical: str, inputs: dict[str, Any]) -> str:
        group = f"/subscriptions/{self.subscription}/resourceGroups/{inputs.get('resourceGroupName', '')}"
        ids = {
            "azure-native:resources:ResourceGroup": lambda: group,
            "azure-native:cognitiveservices:Account": lambda: f"{group}/providers/Microsoft.CognitiveServices/accounts/{physical}",
            "azure-native:cognitiveservices:Deployment": lambda: (
                f"{group}/providers/Microsoft.CognitiveServices/accounts/{inputs.get('accountName')}/deployments/{physical}"),
            "azure-native:keyvault:Vault": lambda: f"{group}/providers/Microsoft.KeyVault/vaults/{physical}",
            "azure-native:keyvault:Secret": lambda: (
                f"{group}/providers/Microsoft.KeyVault/vaults/{inputs.get('vaultName')}/secrets/{physical}"),
            "azure-native:authorization:RoleAssignment": lambda: (
                f"{inputs.get('scope')}/providers/Microsoft.Authorization/roleAssignments/{physical}"),
            "azure-native:authorization:ManagementLockByScope": lambda: (
                f"{inputs.get('scope')}/providers/Microsoft.Authorization/locks/{physical}"),
            "azure-native:network:PrivateEndpoint": lambda: f"{group}/providers/Microsoft.Network/privateEndpoints/{physical}",
            "azure-native:privatedns:PrivateZone": lambda: f"{group}/providers/Microsoft.Network/privateDnsZones/{physical}",
            "azure-native:monitor:DiagnosticSetting": lambda: (
                f"{inputs.get('resourceUri')}/providers/Microsoft.Insights/diagnosticSettings/{physical}"),
        }
        return ids.get(type_, lambda: f"{physical}-id")()


_NAME_INPUTS = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName",),
    "azure-native:cognitiveservices:Account": ("accountName",),
    "azure-native:cognitiveservices:Deployment": ("deploymentName",),
    "azure-native:keyvault:Vault": ("vaultName",),
    "azure-native:keyvault:Secret": ("secretName",),
    "azure-native:authorization:RoleAssignment": ("roleAssignmentName",),
    "azure-native:authorization:ManagementLockByScope": ("lockName",),
    "azure-native:network:PrivateEndpoint": ("privateEndpointName",),
    "azure-native:privatedns:PrivateZone": ("privateZoneName",),
    "azure-native:privatedns:VirtualNetworkLink": ("virtualNetworkLinkName",),
    "azure-native:network:PrivateDnsZoneGroup": ("privateDnsZoneGroupName",),
    "azure-native:monitor:DiagnosticSetting": ("name",),
}


