"""The package schema the SDK's component provider host infers from the component classes.

This is what `pulumi package add .../components` hands to TypeScript, Go, .NET and YAML
programs, so the tokens, property names, types, plainness and required lists are the
package's public interface.
"""
from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pulumi.provider.experimental as experimental
import pytest
from pulumi.provider.experimental.component import ComponentProvider

from aisvc.contract import COMPONENT_PACKAGE, KEY_IDS, KINDS, OutputName
from components import AiServices

TOKEN = "ai-services:index:AiServices"
REF = "#/types/ai-services:index:"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    provider = ComponentProvider([AiServices], COMPONENT_PACKAGE, None, "0.1.0")
    assert provider.schema
    document: dict[str, Any] = json.loads(provider.schema)
    return document


@pytest.fixture(scope="module")
def resource(schema: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = schema["resources"][TOKEN]
    return found


def type_of(schema: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = schema["types"][f"ai-services:index:{name}"]
    return found


def test_one_component_token_in_the_index_module(schema: dict[str, Any], resource: dict[str, Any]) -> None:
    assert (schema["name"], schema["version"]) == ("ai-services", "0.1.0")
    assert list(schema["resources"]) == [TOKEN] and AiServices.TYPE == TOKEN
    assert resource["isComponent"] is True
    assert resource["description"].startswith("An Azure AI services account")


def test_inputs_types_and_plainness(resource: dict[str, Any]) -> None:
    inputs = resource["inputProperties"]
    simple = {name: (prop.get("type"), prop.get("plain", False)) for name, prop in inputs.items() if "type" in prop}
    assert simple == {
        "subscriptionId": ("string", True), "tenantId": ("string", False), "resourceGroupName": ("string", False),
        "location": ("string", False), "accountName": ("string", True), "customSubDomainName": ("string", True),
        "sku": ("string", False), "disableLocalAuth": ("boolean", True), "restore": ("boolean", False),
        "deployments": ("array", True), "secretReaders": ("array", True), "serviceUsers": ("array", True),
        "tags": ("object", True), "diagnosticsWorkspaceId": ("string", False),
    }
    refs = {name: prop["$ref"].removeprefix(REF) for name, prop in inputs.items() if "$ref" in prop}
    assert refs == {
        "keyVault": "VaultSettingsArgs", "kind": "Kind", "publicNetworkAccess": "PublicNetworkAccess",
        "networkAcls": "NetworkAclsArgs", "secrets": "SecretNamesArgs", "deployer": "PrincipalArgs", "lock": "LockLevel",
        "privateEndpoints": "PrivateEndpointsArgs",
    }
    assert inputs["deployments"]["items"]["$ref"] == REF + "ModelDeploymentArgs"
    assert inputs["secretReaders"]["items"]["$ref"] == inputs["serviceUsers"]["items"]["$ref"] == REF + "PrincipalArgs"
    assert inputs["tags"]["additionalProperties"]["type"] == "string"
    assert "plain" not in inputs["publicNetworkAccess"]  # an Input: may come from another resource
    assert sorted(resource["requiredInputs"]) == [
        "accountName", "keyVault", "location", "resourceGroupName", "subscriptionId", "tenantId"]


def test_outputs_mirror_the_contract_stack_outputs_and_hold_no_key(resource: dict[str, Any]) -> None:
    outputs = resource["properties"]
    assert set(outputs) == {str(name) for name in OutputName}
    assert {name: prop.get("type") for name, prop in outputs.items()} == {
        **{name: "string" for name in outputs}, "localAuthEnabled": "boolean", "keySecretNames": "object",
        "networkAclIpRules": "array"}
    assert outputs["keySecretNames"]["additionalProperties"]["type"] == "string"
    assert outputs["networkAclIpRules"]["items"]["type"] == "string"
    # Present only with local auth, private endpoints or network rules; everything else is always there.
    assert set(outputs) - set(resource["required"]) == {
        "keySecretName", "keySecretNames", "privateEndpointSubnetId", "networkAclIpRules"}
    # No key is an output, so nothing needs `secret: true`; keys go straight into Key Vault.
    assert not any(prop.get("secret") for prop in outputs.values())


def test_nested_types(schema: dict[str, Any]) -> None:
    assert sorted(schema["types"]) == sorted(f"ai-services:index:{name}" for name in (
        "Bypass", "CredentialKey", "DefaultAction", "Kind", "LockLevel", "ModelDeploymentArgs", "NetworkAclsArgs",
        "PrincipalArgs", "PrincipalType", "PrivateEndpointsArgs", "PublicNetworkAccess", "SecretNamesArgs",
        "VaultSettingsArgs", "VaultSku"))
    principal = type_of(schema, "PrincipalArgs")
    assert principal["type"] == "object" and sorted(principal["required"]) == ["principalId", "principalType"]
    assert principal["properties"]["principalId"] == {**principal["properties"]["principalId"], "type": "string", "plain": True}
    deployment = type_of(schema, "ModelDeploymentArgs")
    assert sorted(deployment["required"]) == ["modelFormat", "modelName", "name"]
    assert deployment["properties"]["capacity"]["type"] == "integer"
    assert deployment["properties"]["name"].get("plain") is True and "plain" not in deployment["properties"]["modelName"]
    acls = type_of(schema, "NetworkAclsArgs")
    assert acls["required"] == ["defaultAction"] and acls["properties"]["ipRules"]["items"]["type"] == "string"
    vault = type_of(schema, "VaultSettingsArgs")
    assert "required" not in vault  # name or existingId: the component checks which
    assert vault["properties"]["softDeleteRetentionInDays"]["type"] == "integer"
    assert vault["properties"]["enablePurgeProtection"] == {**vault["properties"]["enablePurgeProtection"], "type": "boolean"}
    assert "required" not in type_of(schema, "SecretNamesArgs")


def values_of(schema: dict[str, Any], name: str) -> list[Any]:
    return [member["value"] for member in type_of(schema, name)["enum"]]


def test_fixed_choices_are_enums(schema: dict[str, Any]) -> None:
    assert values_of(schema, "Kind") == list(KINDS)
    assert values_of(schema, "CredentialKey") == list(KEY_IDS)
    assert values_of(schema, "LockLevel") == ["CanNotDelete", "none"]
    assert values_of(schema, "PublicNetworkAccess") == ["Enabled", "Disabled"]
    assert values_of(schema, "DefaultAction") == ["Allow", "Deny"]
    assert values_of(schema, "Bypass") == ["AzureServices", "None"]
    assert values_of(schema, "VaultSku") == ["standard", "premium"]
    assert values_of(schema, "PrincipalType") == ["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"]
    assert all(type_of(schema, name)["type"] == "string" for name in ("Kind", "LockLevel", "PrincipalType"))


def test_inputs_arrive_from_the_engine_as_the_component_reads_them() -> None:
    """The host maps camelCase engine inputs to the Args' Python names and enum values to enum members."""
    from components import Kind, LockLevel, PrincipalType

    provider = ComponentProvider([AiServices], COMPONENT_PACKAGE, None, "0.1.0")
    mapped = provider.map_inputs({
        "subscriptionId": "sub", "tenantId": "tenant", "resourceGroupName": "rg", "location": "westeurope",
        "accountName": "acct", "keyVault": {"name": "kv-acct"}, "kind": "OpenAI", "lock": "CanNotDelete",
        "deployer": {"principalId": "id", "principalType": "ServicePrincipal"},
        "deployments": [{"name": "d", "modelFormat": "OpenAI", "modelName": "gpt-4o-mini", "capacity": 5.0}],
    }, provider._component_defs["AiServices"])
    assert mapped["kind"] is Kind("OpenAI") and mapped["lock"] is LockLevel.CAN_NOT_DELETE
    assert mapped["deployer"] == {"principal_id": "id", "principal_type": PrincipalType.SERVICE_PRINCIPAL}
    assert mapped["deployments"] == [{"name": "d", "model_format": "OpenAI", "model_name": "gpt-4o-mini", "capacity": 5}]
    assert mapped["key_vault"] == {"name": "kv-acct"}


def test_plugin_entry_point_hosts_ai_services(monkeypatch: pytest.MonkeyPatch) -> None:
    """components/__main__.py hands exactly AiServices to the host, under the package name."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(experimental, "component_provider_host", lambda **kwargs: calls.append(kwargs))
    runpy.run_path(str(Path(__file__).resolve().parents[2] / "components" / "__main__.py"), run_name="__main__")
    assert [(c["name"], [cls.__name__ for cls in c["components"]]) for c in calls] == [("ai-services", ["AiServices"])]
    plugin = (Path(__file__).resolve().parents[2] / "components" / "PulumiPlugin.yaml").read_text()
    assert "name: python" in plugin and "virtualenv: ../.venv" in plugin
