"""AiServices used on its own from Python, its aliases, and day-2 changes of the program."""
from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime import settings as runtime_settings

from aisvc.contract import COGNITIVE_SERVICES_USER, KEY_VAULT_SECRETS_USER, OutputName, role_assignment_name
from aisvc.plan import FAKE_KEYS
from components import (
    AiServices,
    AiServicesArgs,
    Kind,
    LockLevel,
    ModelDeploymentArgs,
    PrincipalArgs,
    PrincipalType,
    SecretNamesArgs,
    VaultSettingsArgs,
)
from tests.components.graph_snapshot import PRINCIPAL_A, PRINCIPAL_B, snapshot
from tests.support.mock_engine import Engine, resolve

SUB = "00000000-0000-4000-8000-000000000000"
AI_TYPE = "ai-services:index:AiServices"
STANDALONE = AiServicesArgs(
    subscription_id=SUB, tenant_id="tenant", resource_group_name="app-rg", location="westeurope",
    account_name="acct-ai", key_vault=VaultSettingsArgs(name="kv-acct-ai"), kind=Kind("OpenAI"),
    disable_local_auth=False, lock=LockLevel.CAN_NOT_DELETE,
    deployments=[ModelDeploymentArgs(name="chat", model_format="OpenAI", model_name="gpt-4o-mini")],
    secrets=SecretNamesArgs(current_name="app-key"),
    service_users=[PrincipalArgs(principal_id=PRINCIPAL_B.upper(), principal_type=PrincipalType.GROUP)],
)


def build(engine: Engine, args: AiServicesArgs) -> tuple[AiServices, dict[str, tuple[Any, bool]]]:
    """AiServices("ai", args) in a program of its own; returns it and its resolved (value, secret) outputs."""
    built: list[AiServices] = []
    resolved: dict[str, tuple[Any, bool]] = {}

    async def collect(ai: AiServices) -> None:
        for name, value in ai.outputs().items():
            resolved[name] = await resolve(value)
        if ai.key_export:
            for key, value in ai.key_export.key_values.items():
                resolved[f"secret:{key}"] = await resolve(value)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        built.append(AiServices("ai", args))
        return pulumi.Output.from_input(collect(built[0]))

    program()
    return built[0], resolved


def test_standalone_children_are_parented_to_the_component(engine: Engine) -> None:
    build(engine, STANDALONE)
    [ai] = engine.of_type(AI_TYPE)
    assert ai.parent and ai.parent.endswith("::pulumi:pulumi:Stack::ai-services-dev")
    pieces = {r.type: r for r in engine.resources if r.parent == ai.urn}
    assert set(pieces) == {"ai-services:key_vault:KeyVault", "ai-services:account:AiServicesAccount",
                           "ai-services:key_export:KeyExport", "ai-services:role_assignments:RoleAssignments"}
    piece_urns = {r.urn for r in pieces.values()}
    custom = [r for r in engine.resources if r.custom]
    assert custom and all(r.parent in piece_urns for r in custom)
    assert {r.type.rsplit(":", 1)[-1] for r in custom} == {
        "Vault", "ManagementLockByScope", "Account", "Deployment", "Secret", "RoleAssignment"}


def test_standalone_outputs_resolve_and_keys_stay_secret(engine: Engine) -> None:
    _, outputs = build(engine, STANDALONE)
    values = {name: value for name, (value, _) in outputs.items()}
    # Without private endpoints or network rules there is no subnet or IP range to report.
    network_only = {OutputName.PRIVATE_ENDPOINT_SUBNET_ID, OutputName.NETWORK_ACL_IP_RULES}
    assert set(values) == {str(n) for n in OutputName} - network_only | {"secret:key1", "secret:key2"}
    assert values["publicNetworkAccess"] == "Enabled"
    assert values["endpoint"] == "https://acct-ai.openai.azure.com/"  # kind OpenAI: Azure reports the openai host
    assert (values["accountName"], values["customSubDomainName"], values["kind"]) == ("acct-ai", "acct-ai", "OpenAI")
    assert values["keyVaultName"] == "kv-acct-ai" and values["keyVaultUri"] == "https://kv-acct-ai.vault.azure.net/"
    assert (values["keySecretName"], values["activeKey"], values["localAuthEnabled"]) == ("app-key", "key1", True)
    assert values["keySecretNames"] == {"key1": "ai-services-key1", "key2": "ai-services-key2"}
    assert {name: secret for name, (_, secret) in outputs.items() if secret} == {"secret:key1": True, "secret:key2": True}
    assert sorted(values[f"secret:{key}"] for key in ("key1", "key2")) == sorted(FAKE_KEYS.values())
    public = {name: value for name, value in values.items() if not name.startswith("secret:")}
    assert not any(key in repr(public) for key in FAKE_KEYS.values())
    for secret in engine.of_type("azure-native:keyvault:Secret"):
        assert secret.secret_paths == ("properties.value",)


def test_standalone_grants_lowercase_principals_and_add_the_openai_role(engine: Engine) -> None:
    build(engine, STANDALONE)
    roles = engine.of_type("azure-native:authorization:RoleAssignment")
    assert sorted(r.input("roleDefinitionId").rsplit("/", 1)[-1] for r in roles) == sorted(
        [COGNITIVE_SERVICES_USER, "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd"])
    for role in roles:
        assert role.input("principalId") == PRINCIPAL_B and role.input("principalType") == "Group"
        assert role.input("roleAssignmentName") == role_assignment_name(
            role.input("scope"), role.input("roleDefinitionId").rsplit("/", 1)[-1], PRINCIPAL_B)


def test_entra_only_by_default_lists_and_stores_no_key(engine: Engine) -> None:
    args = AiServicesArgs(subscription_id=SUB, tenant_id="tenant", resource_group_name="rg", location="westeurope",
                          account_name="acct-ai", key_vault=VaultSettingsArgs(name="kv-acct-ai"))
    ai, outputs = build(engine, args)
    assert engine.one("azure-native:cognitiveservices:Account").input("properties.disableLocalAuth") is True
    assert ai.key_export is None and engine.of_type("azure-native:keyvault:Secret") == []
    assert "azure-native:cognitiveservices:listAccountKeys" not in engine.invoked
    assert "keySecretName" not in outputs and outputs["localAuthEnabled"] == (False, False)
    assert engine.of_type("azure-native:authorization:RoleAssignment") == []  # nobody was named


def test_reparented_pieces_alias_their_urns_under_the_stack(engine: Engine) -> None:
    """Existing stacks had the pieces under the stack: each carries that URN as an alias."""
    urns: dict[str, str] = {}

    async def collect(ai: AiServices) -> None:
        for piece in (ai.vault, ai.account, ai.key_export, ai.role_assignments):
            assert piece is not None
            [alias] = piece._aliases
            urns[piece._type] = await pulumi.Output.from_input(alias).future() or ""

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        ai = engine.run_program({"ai-services:serviceUsers": [{"principalId": PRINCIPAL_A, "principalType": "User"}]})["ai"]
        return pulumi.Output.from_input(collect(ai))

    program()
    assert urns == {token: f"urn:pulumi:dev::ai-services::{token}::unit" for token in (
        "ai-services:key_vault:KeyVault", "ai-services:account:AiServicesAccount",
        "ai-services:key_export:KeyExport", "ai-services:role_assignments:RoleAssignments")}


# --------------------------------------------------------------------------- day 2


def run_again(engine: Engine, config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Run the program on a fresh mock stack; returns the graph by key (stable across runs)."""
    engine.monitor.registrations.clear()
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(engine.monitor.mocks, project="ai-services", stack="dev", preview=False, monitor=engine.monitor)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        engine.run_program(config)
        return pulumi.Output.from_input(None)

    program()
    return {entry["key"]: entry for entry in snapshot(engine.resources)}


def test_day_two_adding_a_service_user_only_adds_its_role(engine: Engine) -> None:
    before = run_again(engine, {})
    after = run_again(engine, {"ai-services:serviceUsers": [{"principalId": PRINCIPAL_B, "principalType": "Group"}]})
    added = set(after) - set(before)
    assert set(before) - set(after) == set()
    assert [key.rsplit("::", 1)[-1] for key in added] == [f"unit-account-cog-user-{PRINCIPAL_B}"]
    assert all(after[key] == before[key] for key in before)  # nothing else changes, not even an input
    [role] = [after[key] for key in added]
    assert role["inputs"]["principalType"] == "Group" and role["inputs"]["description"].endswith("(serviceUsers)")


def test_day_two_turning_local_auth_off_removes_the_key_export_only(engine: Engine) -> None:
    before = run_again(engine, {})
    after = run_again(engine, {"ai-services:disableLocalAuth": True})
    removed = sorted(key.split("::")[0].rsplit("$", 1)[-1] for key in set(before) - set(after))
    assert removed == ["ai-services:key_export:KeyExport", *["azure-native:keyvault:Secret"] * 3]
    assert set(after) <= set(before)
    changed = sorted(key for key in after if after[key] != before[key])
    assert [key.rsplit("$", 1)[-1] for key in changed] == ["azure-native:cognitiveservices:Account::unit"]
    account = next(after[key] for key in changed)
    assert account["inputs"]["properties"]["disableLocalAuth"] is True
    assert before[changed[0]]["inputs"]["properties"]["disableLocalAuth"] is False
    assert KEY_VAULT_SECRETS_USER in str(after)  # the deployer still reads secrets of the vault
