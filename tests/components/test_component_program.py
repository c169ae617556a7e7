"""The real program under the Pulumi SDK mock engine: graph, secrets, roles, outputs."""
from __future__ import annotations

from typing import Any

import pulumi
import pytest

from aisvc.config.naming import unique_suffix
from aisvc.contract import (
    COGNITIVE_SERVICES_OPENAI_USER,
    COGNITIVE_SERVICES_USER,
    KEY_VAULT_SECRETS_USER,
    role_assignment_name,
)
from aisvc.plan import FAKE_CLIENT, FAKE_KEYS
from components import KeyExport, KeyExportArgs, SecretNamesArgs
from tests.support.mock_engine import Engine, resolve, stack_outputs

ACCOUNT = "azure-native:cognitiveservices:Account"
VAULT = "azure-native:keyvault:Vault"
SECRET = "azure-native:keyvault:Secret"
ROLE = "azure-native:authorization:RoleAssignment"
LOCK = "azure-native:authorization:ManagementLockByScope"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
GROUP = "azure-native:resources:ResourceGroup"
SUB = FAKE_CLIENT["subscriptionId"]
DEPLOYER = FAKE_CLIENT["objectId"]
SUFFIX = unique_suffix(SUB, "ai-services", "dev")
READER = "11111111-1111-4111-8111-111111111111"
USER = "22222222-2222-4222-8222-222222222222"
CONTRACT_OUTPUTS = {
    "endpoint", "accountName", "accountId", "resourceGroupName", "location", "kind", "customSubDomainName",
    "localAuthEnabled", "keyVaultName", "keyVaultUri", "keySecretName", "keySecretNames", "activeKey", "principalId",
    "publicNetworkAccess",  # added with private endpoints (issue 11); the subnet and ACL ranges only when configured
}


def run(engine: Engine, config: dict[str, Any] | None = None) -> dict[str, tuple[Any, bool]]:
    """Run the program; returns {output: (value, is_secret)} once every registration is done."""
    resolved: dict[str, tuple[Any, bool]] = {}

    async def collect() -> None:
        for name, value in stack_outputs().items():
            resolved[name] = await resolve(value)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        engine.run_program(config)
        return pulumi.Output.from_input(collect())

    program()
    return resolved


def _secret_value(properties: Any) -> str:
    # A secret output object comes back as a plain dict from the SDK's deserializer.
    return properties["value"] if isinstance(properties, dict) else properties.value


def values(outputs: dict[str, tuple[Any, bool]]) -> dict[str, Any]:
    return {name: value for name, (value, _) in outputs.items()}


# --------------------------------------------------------------------------- default (dev-like) stack


def test_default_stack_exports_every_contract_output_and_no_key(engine: Engine) -> None:
    outputs = run(engine)
    got = values(outputs)
    name = f"unit-{SUFFIX}"
    group = f"rg-unit-{SUFFIX}"
    assert set(got) == CONTRACT_OUTPUTS
    assert got["publicNetworkAccess"] == "Enabled"
    assert got["endpoint"] == f"https://{name}.cognitiveservices.azure.com/"
    assert got["accountName"] == name and got["customSubDomainName"] == name
    assert got["accountId"] == f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.CognitiveServices/accounts/{name}"
    assert got["resourceGroupName"] == group
    assert (got["location"], got["kind"], got["localAuthEnabled"], got["activeKey"]) == ("westeurope", "AIServices", True, "key1")
    vault = f"kv-unit-{SUFFIX[:9]}"
    assert got["keyVaultName"] == vault and got["keyVaultUri"] == f"https://{vault}.vault.azure.net/"
    assert got["keySecretName"] == "ai-services-key"
    assert got["keySecretNames"] == {"key1": "ai-services-key1", "key2": "ai-services-key2"}
    account_state = engine.monitor.resources[engine.one(ACCOUNT).urn].state  # what the fake Azure returned
    assert got["principalId"] == account_state["identity"]["principalId"] != DEPLOYER
    assert not any(secret for _, secret in outputs.values())
    assert not any(key in repr(got) for key in FAKE_KEYS.values())


def test_account_inputs_are_the_secure_defaults(engine: Engine) -> None:
    run(engine)
    account = engine.one(ACCOUNT)
    assert account.input("kind") == "AIServices" and account.input("sku.name") == "S0"
    assert account.input("accountName") == f"unit-{SUFFIX}"
    assert account.input("properties.customSubDomainName") == f"unit-{SUFFIX}"
    assert account.input("properties.disableLocalAuth") is False
    assert account.input("properties.publicNetworkAccess") == "Enabled"
    assert account.input("identity.type") == "SystemAssigned"
    assert account.input("properties.restore") is None  # only sent when asked
    assert account.input("properties.networkAcls") is None


def test_vault_inputs_are_the_secure_defaults(engine: Engine) -> None:
    run(engine)
    vault = engine.one(VAULT)
    assert vault.input("properties.enableRbacAuthorization") is True
    assert vault.input("properties.enableSoftDelete") is True
    assert vault.input("properties.softDeleteRetentionInDays") == 90
    assert vault.input("properties.enablePurgeProtection") is True
    assert vault.input("properties.tenantId") == FAKE_CLIENT["tenantId"]
    assert vault.input("properties.sku") == {"family": "A", "name": "standard"}
    assert vault.input("properties.enabledForTemplateDeployment") is False
    assert vault.input("properties.accessPolicies") is None


def test_every_resource_sits_under_a_component(engine: Engine) -> None:
    run(engine)
    components = {r.urn: r for r in engine.resources if not r.custom}
    parents = {c.type: components[c.parent].type if c.parent in components else c.parent for c in components.values()}
    stack = "urn:pulumi:dev::ai-services::pulumi:pulumi:Stack::ai-services-dev"
    assert parents == {
        "ai-services:resource_group:ResourceGroup": stack,
        "ai-services:index:AiServices": stack,
        "ai-services:account:AiServicesAccount": "ai-services:index:AiServices",
        "ai-services:key_vault:KeyVault": "ai-services:index:AiServices",
        "ai-services:key_export:KeyExport": "ai-services:index:AiServices",
        "ai-services:role_assignments:RoleAssignments": "ai-services:index:AiServices",
    }
    for resource in engine.resources:
        if resource.custom:
            assert resource.parent in components, f"{resource.urn} is not under a component"


def test_vault_and_account_are_independent_and_secrets_wait_for_both(engine: Engine) -> None:
    run(engine)
    account, vault, group = engine.one(ACCOUNT), engine.one(VAULT), engine.one(GROUP)
    assert account.urn not in vault.dependencies
    assert vault.urn not in account.dependencies
    assert group.urn in vault.dependencies and group.urn in account.dependencies
    secrets = engine.of_type(SECRET)
    assert len(secrets) == 3
    for secret in secrets:
        assert {account.urn, vault.urn} <= set(secret.dependencies)
    for role in engine.of_type(ROLE):  # each waits for its own scope only
        assert not (account.urn in role.dependencies and vault.urn in role.dependencies)


def test_key_values_and_secret_properties_are_secret(engine: Engine) -> None:
    seen: dict[str, bool] = {}

    async def check(export: KeyExport) -> None:
        for key, value in export.key_values.items():
            seen[f"value:{key}"] = (await resolve(value))[1]
        for secret in (export.key1, export.key2, export.current):
            properties, is_secret = await resolve(secret.properties)
            seen[f"properties:{secret._name}"] = is_secret
            assert _secret_value(properties) in FAKE_KEYS.values()  # the fake engine echoes the input

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        export = engine.run_program()["ai"].key_export
        return pulumi.Output.from_input(check(export))

    program()
    assert seen and all(seen.values()), seen
    assert len(seen) == 5
    for secret in engine.of_type(SECRET):
        assert secret.secret_paths == ("properties.value",)
        assert secret.input("properties.value") == "[secret]"
        assert secret.additional_secret_outputs == ("properties",)
    assert "azure-native:cognitiveservices:listAccountKeys" in engine.invoked


def test_current_secret_holds_the_active_key_and_is_tagged(engine: Engine) -> None:
    key_to_secret: dict[str, str] = {}

    async def check(export: KeyExport) -> None:
        for secret in (export.key1, export.key2, export.current):
            properties, _ = await resolve(secret.properties)
            key_to_secret[secret._name] = _secret_value(properties)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        export = engine.run_program({"ai-services:secrets": {"activeKey": "key2", "currentName": "app-key"}})["ai"].key_export
        return pulumi.Output.from_input(check(export))

    program()
    assert key_to_secret == {"unit-key1": FAKE_KEYS["key1"], "unit-key2": FAKE_KEYS["key2"], "unit-current": FAKE_KEYS["key2"]}
    current = next(s for s in engine.of_type(SECRET) if s.name == "unit-current")
    assert current.input("secretName") == "app-key"
    assert current.input("tags.CredentialId") == "key2"
    assert next(s for s in engine.of_type(SECRET) if s.name == "unit-key1").input("tags.CredentialId") is None


def test_key_export_component_alone_marks_keys_secret(engine: Engine) -> None:
    """The component on its own, with plain-string inputs, still never holds a key in clear."""
    flags: list[bool] = []

    async def check(export: KeyExport) -> None:
        for output in (*export.key_values.values(), export.current.properties):
            flags.append((await resolve(output))[1])

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        export = KeyExport("solo", KeyExportArgs(
            account_name="acct", account_resource_group_name="rg", vault_name="kv", vault_resource_group_name="rg",
            secrets=SecretNamesArgs(),
        ))
        return pulumi.Output.from_input(check(export))

    program()
    assert flags == [True, True, True]


# --------------------------------------------------------------------------- disableLocalAuth


def test_disable_local_auth_creates_no_secret_and_lists_no_keys(engine: Engine) -> None:
    got = values(run(engine, {"ai-services:disableLocalAuth": True}))
    assert engine.of_type(SECRET) == []
    assert "azure-native:cognitiveservices:listAccountKeys" not in engine.invoked
    assert not [r for r in engine.resources if r.type == "ai-services:key_export:KeyExport"]
    assert engine.one(ACCOUNT).input("properties.disableLocalAuth") is True
    assert got["localAuthEnabled"] is False
    assert "keySecretName" not in got and "keySecretNames" not in got
    assert set(got) == CONTRACT_OUTPUTS - {"keySecretName", "keySecretNames"}


# --------------------------------------------------------------------------- roles


def _roles(engine: Engine) -> dict[tuple[str, str], Any]:
    return {(r.input("principalId"), r.input("roleDefinitionId").rsplit("/", 1)[-1]): r for r in engine.of_type(ROLE)}


def test_role_assignments_scopes_ids_and_deterministic_names(engine: Engine) -> None:
    got = values(run(engine, {
        "ai-services:secretReaders": [{"principalId": READER, "principalType": "ServicePrincipal"}],
        "ai-services:serviceUsers": [{"principalId": USER, "principalType": "Group"}],
    }))
    roles = _roles(engine)
    vault_id = f"/subscriptions/{SUB}/resourceGroups/{got['resourceGroupName']}/providers/Microsoft.KeyVault/vaults/{got['keyVaultName']}"
    account_id = got["accountId"]
    expected = {
        (READER, KEY_VAULT_SECRETS_USER): (vault_id, "ServicePrincipal"),
        (USER, COGNITIVE_SERVICES_USER): (account_id, "Group"),
        (DEPLOYER, KEY_VAULT_SECRETS_USER): (vault_id, "User"),
        (DEPLOYER, COGNITIVE_SERVICES_USER): (account_id, "User"),
    }
    assert set(roles) == set(expected)
    for (principal, role), (scope, principal_type) in expected.items():
        assignment = roles[(principal, role)]
        assert assignment.input("scope") == scope
        assert assignment.input("principalType") == principal_type
        assert assignment.input("roleDefinitionId") == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role}"
        assert assignment.input("roleAssignmentName") == role_assignment_name(scope, role, principal)
    # Vault-scoped assignments wait for the vault only, account-scoped ones for the account only.
    vault_urn, account_urn = engine.one(VAULT).urn, engine.one(ACCOUNT).urn
    assert vault_urn in roles[(READER, KEY_VAULT_SECRETS_USER)].dependencies
    assert account_urn not in roles[(READER, KEY_VAULT_SECRETS_USER)].dependencies
    assert account_urn in roles[(USER, COGNITIVE_SERVICES_USER)].dependencies
    assert vault_urn not in roles[(USER, COGNITIVE_SERVICES_USER)].dependencies


def test_openai_kind_adds_the_openai_user_role(engine: Engine) -> None:
    run(engine, {"ai-services:kind": "OpenAI",
                 "ai-services:serviceUsers": [{"principalId": USER, "principalType": "User"}]})
    roles = _roles(engine)
    assert (USER, COGNITIVE_SERVICES_OPENAI_USER) in roles and (DEPLOYER, COGNITIVE_SERVICES_OPENAI_USER) in roles
    assert engine.one(ACCOUNT).input("kind") == "OpenAI"


@pytest.mark.parametrize(("env", "config", "expected"), [
    ({"ARM_CLIENT_ID": "app"}, {}, "ServicePrincipal"),
    ({"ARM_USE_MSI": "true"}, {}, "ServicePrincipal"),
    ({}, {"azure-native:clientId": "app"}, "ServicePrincipal"),
    ({"ARM_CLIENT_ID": "app"}, {"ai-services:deployerPrincipalType": "User"}, "User"),
])
def test_deployer_principal_type_matches_how_the_provider_signs_in(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], config: dict[str, str], expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    run(engine, config)
    deployer_roles = [r for r in engine.of_type(ROLE) if r.input("principalId") == DEPLOYER]
    assert len(deployer_roles) == 2
    assert {r.input("principalType") for r in deployer_roles} == {expected}


def test_no_deployer_grant_when_turned_off(engine: Engine) -> None:
    run(engine, {"ai-services:grantDeployer": False})
    assert engine.of_type(ROLE) == []
    assert not [r for r in engine.resources if r.type == "ai-services:role_assignments:RoleAssignments"]


def test_same_principal_in_two_lists_is_granted_once(engine: Engine) -> None:
    run(engine, {"ai-services:secretReaders": [{"principalId": DEPLOYER, "principalType": "User"}]})
    assert len([r for r in engine.of_type(ROLE) if r.input("principalId") == DEPLOYER]) == 2  # vault + account


# --------------------------------------------------------------------------- options


def test_hardened_options_reach_account_and_vault(engine: Engine) -> None:
    run(engine, {
        "ai-services:networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": ["203.0.113.0/24"]},
        "ai-services:lock": "CanNotDelete", "ai-services:restore": True, "ai-services:tags": {"env": "prod"},
        "ai-services:keyVault": {"softDeleteRetentionInDays": 30, "publicNetworkAccess": "Disabled"},
    })
    account, vault = engine.one(ACCOUNT), engine.one(VAULT)
    acls = {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24"}]}
    assert account.input("properties.networkAcls") == acls
    assert vault.input("properties.networkAcls") == acls
    assert account.input("properties.restore") is True
    assert vault.input("properties.softDeleteRetentionInDays") == 30
    assert vault.input("properties.publicNetworkAccess") == "Disabled"
    assert account.input("properties.publicNetworkAccess") == "Enabled"
    locks = {(lock.parent or "").rsplit("::", 2)[-2].split("$")[-1]: lock for lock in engine.of_type(LOCK)}
    assert set(locks) == {"ai-services:account:AiServicesAccount", "ai-services:key_vault:KeyVault"}
    assert all(lock.input("level") == "CanNotDelete" for lock in locks.values())
    assert locks["ai-services:account:AiServicesAccount"].input("scope").endswith(f"/accounts/unit-{SUFFIX}")
    assert account.input("tags") == {"env": "prod"} and vault.input("tags") == {"env": "prod"}


def test_purge_protection_off_is_left_out_not_sent_false(engine: Engine) -> None:
    run(engine, {"ai-services:keyVault": {"enablePurgeProtection": False}})
    assert engine.one(VAULT).input("properties.enablePurgeProtection") is None


def test_model_deployments_are_created_one_after_another(engine: Engine) -> None:
    deployment = {"model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
                  "sku": {"name": "GlobalStandard", "capacity": 10}}
    run(engine, {"ai-services:deployments": [{"name": "one", **deployment}, {"name": "two", **deployment},
                                             {"name": "three", **deployment}]})
    by_name = {d.input("deploymentName"): d for d in engine.of_type(DEPLOYMENT)}
    assert set(by_name) == {"one", "two", "three"}
    assert by_name["one"].urn not in by_name["three"].dependencies  # chained, not fanned in
    assert by_name["one"].urn in by_name["two"].dependencies
    assert by_name["two"].urn in by_name["three"].dependencies
    assert engine.one(ACCOUNT).urn in by_name["one"].dependencies
    assert by_name["one"].input("sku") == {"name": "GlobalStandard", "capacity": 10}
    assert by_name["one"].input("properties.model") == deployment["model"]
    assert by_name["two"].input("accountName") == f"unit-{SUFFIX}"


def test_existing_vault_and_resource_group_are_used_not_created(engine: Engine) -> None:
    vault_id = f"/subscriptions/{SUB}/resourceGroups/shared-rg/providers/Microsoft.KeyVault/vaults/kv-shared"
    got = values(run(engine, {"ai-services:keyVault": {"existingId": vault_id}, "ai-services:resourceGroupName": "app-rg",
                              "ai-services:secrets": {"key1Name": "app-key1", "key2Name": "app-key2",
                                                      "currentName": "app-key"}}))
    assert engine.of_type(VAULT) == [] and engine.of_type(GROUP) == []
    assert got["keyVaultName"] == "kv-shared" and got["keyVaultUri"] == "https://kv-shared.vault.azure.net/"
    assert got["resourceGroupName"] == "app-rg"
    assert engine.one(ACCOUNT).input("resourceGroupName") == "app-rg"
    for secret in engine.of_type(SECRET):
        assert (secret.input("vaultName"), secret.input("resourceGroupName")) == ("kv-shared", "shared-rg")
    vault_roles = [r for r in engine.of_type(ROLE) if r.input("roleDefinitionId").endswith(KEY_VAULT_SECRETS_USER)]
    assert [r.input("scope") for r in vault_roles] == [f"{vault_id}/secrets/app-key"]  # this stack's secret only


def test_same_stack_gets_the_same_names_every_run(engine: Engine) -> None:
    first = values(run(engine))
    engine.monitor.registrations.clear()
    from pulumi.runtime import settings as runtime_settings
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(engine.monitor.mocks, project="ai-services", stack="dev", preview=False, monitor=engine.monitor)
    second = values(run(engine))
    assert first == second


def test_bad_config_stops_the_program_with_a_clean_error_before_any_resource(engine: Engine) -> None:
    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        engine.run_program({"ai-services:kind": "Nope", "ai-services:lokation": "x"})
        return pulumi.Output.from_input(None)

    with pytest.raises(pulumi.RunError) as caught:
        program()
    assert "ai-services:kind = 'Nope'" in str(caught.value)
    assert "ai-services:lokation is not a known key (did you mean location?)" in str(caught.value)
    assert engine.resources == []
    assert engine.invoked == []  # not even getClientConfig: nothing happens before settings are valid
