"""The pulumi-policy pack, driven through pulumi-policy's own analyzer code (no Pulumi CLI).

pulumi-policy's ``PolicyPack(...)`` starts a gRPC server and blocks; the engine
then calls ``Analyze``/``AnalyzeStack`` on it. These tests build the same
servicer the constructor serves and send it real protobuf requests, so the
adapter is exercised exactly as `pulumi preview --policy-pack policy` would.
"""
from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy import policy as policy_sdk

import aisvc.policy as rules
import policy.__main__ as pack
from tests.support.policy_factories import ACCOUNT_ID, EXPIRES, KEY1, VAULT_ID, WORKSPACE_ID, role_id

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
ROOT_URN = "urn:pulumi:prod::ai-services::pulumi:pulumi:Stack::ai-services-prod"


def secret(value: Any) -> dict[str, Any]:
    """A value as the engine sends a Pulumi secret over gRPC."""
    return {**SECRET_SIG, "value": value}


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(values)
    return result


def servicer(config: dict[str, dict[str, Any]] | None = None) -> Any:
    analyzer = policy_sdk._PolicyAnalyzerServicer(  # what PolicyPack serves
        pack.PACK_NAME, "0.1.0", pack.build_policies(), pulumi_policy.EnforcementLevel.ADVISORY)
    request = proto.ConfigureAnalyzerRequest()
    for name, properties in (config or {}).items():
        # The CLI sends each configured policy's level too: its own unless the config file overrides it.
        level = proto.MANDATORY if rules.SPEC_BY_NAME[name].level == rules.MANDATORY else proto.ADVISORY
        request.policyConfig[name].CopyFrom(proto.PolicyConfig(enforcementLevel=level, properties=struct(properties)))
    analyzer.Configure(request, None)
    return analyzer


def analyze(type_: str, name: str, properties: dict[str, Any], *, secret_outputs: tuple[str, ...] = (),
            config: dict[str, dict[str, Any]] | None = None) -> list[Any]:
    request = proto.AnalyzeRequest(
        type=type_, urn=f"urn:pulumi:prod::ai-services::{type_}::{name}", name=name,
        properties=struct(properties),
        options=proto.AnalyzerResourceOptions(additionalSecretOutputs=list(secret_outputs)),
    )
    return list(servicer(config).Analyze(request, None).diagnostics)


def analyze_stack(resources: list[tuple[str, str, dict[str, Any]]],
                  config: dict[str, dict[str, Any]] | None = None) -> list[Any]:
    request = proto.AnalyzeStackRequest(resources=[
        proto.AnalyzerResource(type=type_, urn=urn, name=urn.rsplit("::", 1)[-1], properties=struct(props))
        for type_, urn, props in resources
    ])
    return list(servicer(config).AnalyzeStack(request, None).diagnostics)


def names_and_levels(diagnostics: list[Any]) -> list[tuple[str, int]]:
    return [(d.policyName, d.enforcementLevel) for d in diagnostics]


@pytest.fixture(autouse=True)
def stack_is_prod(monkeypatch: pytest.MonkeyPatch) -> None:
    # Inside Pulumi, pulumi.get_stack() comes from PULUMI_STACK; here we pin it.
    monkeypatch.setattr(pack.pulumi, "get_stack", lambda: "prod")


def test_one_pulumi_policy_per_rule_spec_with_its_level() -> None:
    policies = pack.build_policies()
    assert [p.name for p in policies] == [spec.name for spec in rules.SPECS]
    for built, spec in zip(policies, rules.SPECS, strict=True):
        expected_class = pulumi_policy.StackValidationPolicy if spec.scope == "stack" \
            else pulumi_policy.ResourceValidationPolicy
        assert isinstance(built, expected_class)
        assert built.enforcement_level is not None and built.enforcement_level.value == spec.level


def test_policy_pack_constructor_serves_and_returns_when_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    # The constructor starts a gRPC server on 127.0.0.1:0, prints its port and sleeps
    # until interrupted; make the sleep raise so it stops the server and returns.
    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt
    monkeypatch.setattr(policy_sdk.time, "sleep", interrupted)
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    assert isinstance(pack.build_pack(), pulumi_policy.PolicyPack)
    stdout.flush()
    port = stdout.buffer.getvalue().decode().strip()
    assert port.isdigit() and int(port) > 0


def test_pack_module_runs_from_its_own_directory_with_the_installed_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pulumi runs the pack with policy/ on sys.path and no parent package.
    pack_dir = Path(pack.__file__).parent
    monkeypatch.syspath_prepend(str(pack_dir))
    monkeypatch.delitem(sys.modules, "rules", raising=False)
    spec = importlib.util.spec_from_file_location("pack_as_pulumi_runs_it", pack_dir / "__main__.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # The rules come from the installed aisvc package, the same code `aisvc plan` runs.
    assert module.rules.__name__ == "aisvc.policy"
    assert len(module.build_policies()) == len(rules.SPECS)


def test_analyzer_info_lists_every_policy_with_level_and_config_schema() -> None:
    info = servicer().GetAnalyzerInfo(None, None)
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert levels["keyvault-purge-protection"] == proto.MANDATORY
    assert levels["keyvault-purge-protection-nonprod"] == proto.ADVISORY
    schema = {p.name: p.configSchema for p in info.policies}
    assert "prodStacks" in schema["keyvault-purge-protection"].properties
    assert "allowedRoleDefinitionIds" in schema["role-assignment-least-privilege"].properties
    for name in ("private-network", "private-network-nonprod", "diagnostic-settings", "diagnostic-settings-nonprod"):
        assert {"prodStacks", "stack"} <= set(schema[name].properties), name
    assert levels["private-network"] == levels["diagnostic-settings"] == proto.MANDATORY
    assert levels["private-network-nonprod"] == levels["diagnostic-settings-nonprod"] == proto.ADVISORY
    assert levels["keyvault-secret-expiry"] == proto.ADVISORY


def test_vault_violations_reach_the_engine_with_their_levels() -> None:
    diagnostics = analyze(rules.VAULT, "kv", {"properties": {"enableRbacAuthorization": False,
                                                             "publicNetworkAccess": "Enabled"}})
    assert sorted(names_and_levels(diagnostics)) == [
        ("keyvault-purge-protection", proto.MANDATORY),
        ("keyvault-rbac-authorization", proto.MANDATORY),
        ("public-network-without-acls", proto.ADVISORY),
    ]


def test_stack_name_from_policy_config_overrides_the_current_stack() -> None:
    config = {"keyvault-purge-protection": {"stack": "dev"}, "keyvault-purge-protection-nonprod": {"stack": "dev"}}
    diagnostics = analyze(rules.VAULT, "kv", {"properties": {"enableRbacAuthorization": True,
                                                             "publicNetworkAccess": "Disabled"}}, config=config)
    assert names_and_levels(diagnostics) == [("keyvault-purge-protection-nonprod", proto.ADVISORY)]


def test_unknown_values_during_preview_neither_fail_nor_report() -> None:
    diagnostics = analyze(rules.VAULT, "kv", {"properties": {
        "enableRbacAuthorization": UNKNOWN_BOOL, "enablePurgeProtection": UNKNOWN_BOOL,
        "publicNetworkAccess": UNKNOWN_STRING}})
    assert diagnostics == []  # not even pulumi-policy's "can't run policy during preview"


def test_secret_value_is_judged_by_additional_secret_outputs_and_never_echoed() -> None:
    props = {"vaultName": "kv", "properties": {"value": secret(KEY1), "attributes": {"expires": EXPIRES}}}
    assert analyze(rules.SECRET, "key1", props, secret_outputs=("properties",)) == []
    diagnostics = analyze(rules.SECRET, "key1", props)
    assert names_and_levels(diagnostics) == [("keyvault-secret-value-secret", proto.MANDATORY)]
    assert KEY1 not in diagnostics[0].message


def test_privileged_role_assignment_is_blocked() -> None:
    owner = role_id("8e3af657-a8ff-443c-a75c-2fe8c4bcb635")
    diagnostics = analyze(rules.ROLE_ASSIGNMENT, "deployer", {"roleDefinitionId": owner, "scope": VAULT_ID,
                                                              "principalId": "p", "principalType": "User"})
    assert names_and_levels(diagnostics) == [("role-assignment-least-privilege", proto.MANDATORY)]
    assert "Owner" in diagnostics[0].message


def test_stack_outputs_come_from_the_root_stack_resource() -> None:
    secret_urn = "urn:pulumi:prod::ai-services::azure-native:keyvault:Secret::current"
    diagnostics = analyze_stack([
        (rules.ROOT_STACK, ROOT_URN, {"endpoint": "https://x.cognitiveservices.azure.com/",
                                      "appSettings": {"AI_KEY": secret(KEY1)}}),
        (rules.SECRET, secret_urn, {"properties": {"value": secret(KEY1)}}),
    ])
    assert names_and_levels(diagnostics) == [("no-key-in-stack-outputs", proto.MANDATORY)]
    assert diagnostics[0].urn == ROOT_URN
    assert "appSettings.AI_KEY" in diagnostics[0].message and KEY1 not in diagnostics[0].message


def test_contract_outputs_and_unknown_preview_outputs_pass_stack_policy() -> None:
    outputs = {"endpoint": UNKNOWN_STRING, "keySecretName": "ai-services-key", "activeKey": "key1",
               "keySecretNames": {"key1": "ai-services-key1", "key2": "ai-services-key2"}}
    assert analyze_stack([(rules.ROOT_STACK, ROOT_URN, outputs)]) == []


# --- the production shape (issue 11): stack policies over every resource's outputs ----------

def urn_of(type_: str, name: str) -> str:
    return f"urn:pulumi:prod::ai-services::{type_}::{name}"


def account_outputs(resource_id: str = ACCOUNT_ID, **properties: Any) -> tuple[str, str, dict[str, Any]]:
    """The account as a stack policy sees it: its outputs, `id` included, no input names."""
    props = {"id": resource_id, "name": resource_id.rsplit("/", 1)[-1], "kind": "AIServices",
             "properties": {"customSubDomainName": "aisvc-prod-1a2b", "publicNetworkAccess": "Disabled",
                            **properties}}
    return rules.ACCOUNT, urn_of(rules.ACCOUNT, "account"), props


def endpoint_outputs(target: str) -> tuple[str, str, dict[str, Any]]:
    connection = {"name": "pe", "privateLinkServiceId": target, "groupIds": ["account"]}
    return rules.PRIVATE_ENDPOINT, urn_of(rules.PRIVATE_ENDPOINT, "pe"), {"privateLinkServiceConnections": [connection]}


def setting_outputs(setting_id: str) -> tuple[str, str, dict[str, Any]]:
    # azure-native returns the setting's id, not its resourceUri input.
    return rules.DIAGNOSTIC_SETTING, urn_of(rules.DIAGNOSTIC_SETTING, "diag"), {
        "id": setting_id, "name": "to-log-analytics", "workspaceId": WORKSPACE_ID}


def test_closed_account_without_endpoint_or_setting_fails_the_prod_stack() -> None:
    diagnostics = analyze_stack([account_outputs()])
    assert names_and_levels(diagnostics) == [("private-network", proto.MANDATORY),
                                             ("diagnostic-settings", proto.MANDATORY)]
    assert all(d.urn == urn_of(rules.ACCOUNT, "account") for d in diagnostics)


def test_account_with_its_endpoint_and_setting_passes() -> None:
    setting_id = f"{ACCOUNT_ID}/providers/Microsoft.Insights/diagnosticSettings/to-log-analytics"
    assert analyze_stack([account_outputs(), endpoint_outputs(ACCOUNT_ID), setting_outputs(setting_id)]) == []


def test_new_stack_policies_report_nothing_on_preview_unknowns() -> None:
    # A new account at preview: its id, the endpoint's target and the setting's id are all unknown.
    account = account_outputs(UNKNOWN_STRING)
    assert analyze_stack([account, endpoint_outputs(UNKNOWN_STRING), setting_outputs(UNKNOWN_STRING)]) == []
    open_unknown = account_outputs(publicNetworkAccess=UNKNOWN_STRING, networkAcls=UNKNOWN_STRING)
    assert names_and_levels(analyze_stack([open_unknown])) == [("diagnostic-settings", proto.MANDATORY)]


def test_new_pairs_read_stack_and_prod_stacks_from_their_own_config() -> None:
    config = {"private-network-nonprod": {"stack": "dev"}, "diagnostic-settings-nonprod": {"stack": "dev"},
              "private-network": {"stack": "dev"}, "diagnostic-settings": {"stack": "dev"}}
    assert names_and_levels(analyze_stack([account_outputs()], config)) == [
        ("private-network-nonprod", proto.ADVISORY), ("diagnostic-settings-nonprod", proto.ADVISORY)]
    live = {name: {"stack": "live", "prodStacks": ["live"]} for name in config}
    assert names_and_levels(analyze_stack([account_outputs()], live)) == [
        ("private-network", proto.MANDATORY), ("diagnostic-settings", proto.MANDATORY)]


def test_secret_without_expiry_is_an_advisory_resource_finding() -> None:
    props = {"vaultName": "kv", "properties": {"value": secret(KEY1)}}
    diagnostics = analyze(rules.SECRET, "key1", props, secret_outputs=("properties",))
    assert names_and_levels(diagnostics) == [("keyvault-secret-expiry", proto.ADVISORY)]
    assert KEY1 not in diagnostics[0].message
    unknown = {"vaultName": "kv", "properties": {"value": secret(KEY1), "attributes": {"expires": UNKNOWN_STRING}}}
    assert analyze(rules.SECRET, "key1", unknown, secret_outputs=("properties",)) == []
