"""A deterministic stand-in for Azure under the Pulumi SDK mock engine.

Every resource and invoke the program uses gets a stable answer: ids built
like ARM's, the account's endpoint and identity, the vault URI, and fake keys
from listAccountKeys that are registered as secrets so no output can show them.
Names use a simulated subscription (``FAKE_CLIENT``) unless one is given.
"""
from __future__ import annotations

import uuid
from typing import Any

FAKE_CLIENT = {
    "subscriptionId": "00000000-0000-0000-0000-000000000000",
    "tenantId": "00000000-0000-0000-0000-000000000001",
    "objectId": "00000000-0000-0000-0000-000000000002",  # the deploying principal
    "clientId": "00000000-0000-0000-0000-000000000003",
}
# What the fake listAccountKeys returns. They must never appear in any plan output.
FAKE_KEYS = {"key1": "planfakekey1" + "0" * 20, "key2": "planfakekey2" + "0" * 20}


def _stable_guid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "aisvc-plan:" + "|".join(parts)))


class FakeAzure:
    """Deterministic answers for every resource and invoke the program uses."""

    def __init__(self, subscription: str | None = None) -> None:
        """`subscription`: the one `pulumi up` will use (names and ids follow it); None: the simulated one."""
        self.subscription = subscription or FAKE_CLIENT["subscriptionId"]
        self.client = {**FAKE_CLIENT, "subscriptionId": self.subscription}

    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        if token == "azure-native:authorization:getClientConfig":
            return dict(self.client)
        if token == "azure-native:cognitiveservices:listAccountKeys":
            return dict(FAKE_KEYS)
        return {}

    def new_resource(self, type_: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        state = dict(inputs)
        physical = next((inputs[k] for k in _NAME_INPUTS.get(type_, ()) if inputs.get(k)), name)
        state["name"] = physical
        resource_id = self._id(type_, physical, inputs)
        if type_ == "azure-native:cognitiveservices:Account":
            subdomain = (inputs.get("properties") or {}).get("customSubDomainName") or physical
            state["identity"] = {**(inputs.get("identity") or {}), "principalId": _stable_guid(resource_id),
                                 "tenantId": FAKE_CLIENT["tenantId"]}
            state["properties"] = {**(inputs.get("properties") or {}),
                                   "endpoint": f"https://{subdomain}.cognitiveservices.azure.com/"}
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


