"""A compliant stack as the engine would see it, to break one promise at a time."""
from __future__ import annotations

import copy
from typing import Any

import aisvc.policy as rules

SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/rg-aisvc-dev"
VAULT_ID = f"{RG}/providers/Microsoft.KeyVault/vaults/kv-aisvc-dev"
ACCOUNT_ID = f"{RG}/providers/Microsoft.CognitiveServices/accounts/aisvc-dev"
KEY1 = "0123456789abcdef0123456789abcdef"
KEY2 = "fedcba9876543210fedcba9876543210"
EXPIRES = 1776211200  # 2026-04-15T00:00:00Z: secrets.rotatedAt 2026-01-15 + 90 days


def urn(type_: str, name: str, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::ai-services::ai-services:keyVault:KeyVault${type_}::{name}"


def role_id(guid: str) -> str:
    return f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def vault(**properties: Any) -> rules.ResourceView:
    props: dict[str, Any] = {
        "enableRbacAuthorization": True, "enableSoftDelete": True, "softDeleteRetentionInDays": 90,
        "enablePurgeProtection": True, "publicNetworkAccess": "Enabled",
        "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [{"value": "203.0.113.7"}]},
        "sku": {"family": "A", "name": "standard"}, "tenantId": "11111111-1111-1111-1111-111111111111",
    }
    props.update(properties)
    props = {key: value for key, value in props.items() if value is not _DROP}
    return rules.ResourceView(rules.VAULT, urn(rules.VAULT, "kv"),
                              {"vaultName": "kv-aisvc-dev", "resourceGroupName": "rg-aisvc-dev", "properties": props},
                              name="kv")


def account(**properties: Any) -> rules.ResourceView:
    props: dict[str, Any] = {
        "customSubDomainName": "aisvc-dev-1a2b3c", "disableLocalAuth": False, "publicNetworkAccess": "Disabled",
    }
    props.update(properties)
    props = {key: value for key, value in props.items() if value is not _DROP}
    return rules.ResourceView(rules.ACCOUNT, urn(rules.ACCOUNT, "account"),
                              {"accountName": "aisvc-dev", "resourceGroupName": "rg-aisvc-dev", "kind": "AIServices",
                               "properties": props, "identity": {"type": "SystemAssigned"}},
                              name="account")


def secret(name: str = "key1", value: Any = KEY1, *, secret_paths: frozenset[str] | None = frozenset({"properties.value"}),
           additional: tuple[str, ...] | None = ("properties",), expires: Any = EXPIRES) -> rules.ResourceView:
    properties: dict[str, Any] = {"value": value}
    if expires is not _DROP:
        properties["attributes"] = {"expires": expires}
    props = {"vaultName": "kv-aisvc-dev", "secretName": f"ai-services-{name}", "properties": properties,
             "tags": {"CredentialId": "key1"}}
    return rules.ResourceView(rules.SECRET, urn(rules.SECRET, name), props, name=name,
                              secret_paths=secret_paths, additional_secret_outputs=additional)


def assignment(guid: str = rules.KEY_VAULT_SECRETS_USER, scope: str = VAULT_ID,
               name: str = "reader") -> rules.ResourceView:
    props = {"roleDefinitionId": role_id(guid), "principalId": "22222222-2222-2222-2222-222222222222",
             "principalType": "ServicePrincipal", "scope": scope}
    return rules.ResourceView(rules.ROLE_ASSIGNMENT, urn(rules.ROLE_ASSIGNMENT, name), props, name=name)


def private_endpoint(target_id: Any = ACCOUNT_ID, name: str = "pe-account") -> rules.ResourceView:
    """An azure-native private endpoint serving ``target_id`` (UNKNOWN during preview)."""
    group = "vault" if isinstance(target_id, str) and "/vaults/" in target_id else "account"
    props = {"resourceGroupName": "rg-aisvc-dev", "subnet": {"id": f"{RG}/providers/Microsoft.Network/virtualNetworks"
                                                                     "/vnet/subnets/snet-pe"},
             "privateLinkServiceConnections": [{"name": name, "privateLinkServiceId": target_id, "groupIds": [group]}]}
    return rules.ResourceView(rules.PRIVATE_ENDPOINT, urn(rules.PRIVATE_ENDPOINT, name), props, name=name)


WORKSPACE_ID = f"{SUB}/resourceGroups/rg-ops/providers/Microsoft.OperationalInsights/workspaces/log-ai-services"


def diagnostic_setting(target_id: Any = ACCOUNT_ID, name: str = "diag-account") -> rules.ResourceView:
    """An azure-native diagnostic setting of ``target_id`` (its resourceUri) sending everything to Log Analytics."""
    props = {"name": "to-log-analytics", "resourceUri": target_id, "workspaceId": WORKSPACE_ID,
             "logs": [{"categoryGroup": "allLogs", "enabled": True}],
             "metrics": [{"category": "AllMetrics", "enabled": True}]}
    return rules.ResourceView(rules.DIAGNOSTIC_SETTING, urn(rules.DIAGNOSTIC_SETTING, name), props, name=name)


def production_shape() -> list[rules.ResourceView]:
    """What the production shape adds around account() and vault(): the account's endpoint, both settings."""
    return [private_endpoint(ACCOUNT_ID), diagnostic_setting(ACCOUNT_ID),
            diagnostic_setting(VAULT_ID, "diag-vault")]


def stack_root() -> rules.ResourceView:
    return rules.ResourceView(rules.ROOT_STACK, "urn:pulumi:dev::ai-services::pulumi:pulumi:Stack::ai-services-dev", {})


def compliant_resources() -> list[rules.ResourceView]:
    return [stack_root(), vault(), account(), secret("key1", KEY1), secret("key2", KEY2), secret("current", KEY1),
            assignment(), assignment(rules.COGNITIVE_SERVICES_USER, ACCOUNT_ID, "user"),
            assignment(rules.COGNITIVE_SERVICES_OPENAI_USER, ACCOUNT_ID, "openai-user"), *production_shape()]


CONTRACT_OUTPUTS: dict[str, Any] = {
    "endpoint": "https://aisvc-dev-1a2b3c.cognitiveservices.azure.com/",
    "accountName": "aisvc-dev", "accountId": ACCOUNT_ID, "resourceGroupName": "rg-aisvc-dev",
    "location": "westeurope", "kind": "AIServices", "customSubDomainName": "aisvc-dev-1a2b3c",
    "localAuthEnabled": True, "keyVaultName": "kv-aisvc-dev", "keyVaultUri": "https://kv-aisvc-dev.vault.azure.net/",
    "keySecretName": "ai-services-key", "keySecretNames": {"key1": "ai-services-key1", "key2": "ai-services-key2"},
    "activeKey": "key1", "principalId": "33333333-3333-3333-3333-333333333333",
}


def outputs(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(CONTRACT_OUTPUTS)
    result.update(changes)
    return result


_DROP = object()
DROP: Any = _DROP  # pass as a property value to leave the property out
