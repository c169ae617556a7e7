"""Day 2 under the mock engine: what a second `pulumi up` (or `destroy`) of the shipped program does.

Each test runs the program on a base config and then on the changed one, and asserts
what the engine would be asked to do: the resource options that decide deletes and
updates (retainOnDelete, ignoreChanges, dependsOn) and the inputs sent on update.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings as runtime_settings

from aisvc.contract import KEY_VAULT_SECRETS_USER, role_assignment_name, vault_id
from aisvc.plan import FAKE_CLIENT, PlannedResource
from aisvc.plan.fake_azure import existing_vault_subscription
from tests.support.mock_engine import Engine, resolve, stack_outputs

ACCOUNT = "azure-native:cognitiveservices:Account"
SECRET = "azure-native:keyvault:Secret"
ROLE = "azure-native:authorization:RoleAssignment"
LOCK = "azure-native:authorization:ManagementLockByScope"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
READER = "11111111-1111-4111-8111-111111111111"
USER = "22222222-2222-4222-8222-222222222222"
GPT = {"name": "chat", "model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"}}


@dataclass
class Run:
    """One `pulumi up` of the program: what it registered and what it exported."""

    resources: list[PlannedResource]
    outputs: dict[str, Any]

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def urns(self, type_: str) -> set[str]:
        return {r.urn for r in self.of_type(type_)}

    def by_urn(self, urn: str) -> PlannedResource:
        return next(r for r in self.resources if r.urn == urn)


def up(engine: Engine, config: dict[str, Any] | None = None) -> Run:
    """Run the program once more on the same engine (a later `pulumi up` of the same stack)."""
    engine.monitor.registrations.clear()
    outputs: dict[str, Any] = {}

    async def collect() -> None:
        for name, value in stack_outputs().items():
            outputs[name] = (await resolve(value))[0]

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        engine.run_program(config)
        return pulumi.Output.from_input(collect())

    program()
    return Run(engine.resources, outputs)


# --------------------------------------------------------------------------- 11: endpoint as Azure reports it


def test_endpoint_is_the_one_azure_reports_for_the_kind(engine: Engine) -> None:
    ai = up(engine)
    openai = up(engine, {"ai-services:kind": "OpenAI"})
    subdomain = ai.outputs["customSubDomainName"]
    assert ai.outputs["endpoint"] == f"https://{subdomain}.cognitiveservices.azure.com/"
    assert openai.outputs["endpoint"] == f"https://{subdomain}.openai.azure.com/"


# --------------------------------------------------------------------------- 1: secrets are never deleted through the data plane


def test_key_secrets_are_retained_so_removing_them_needs_no_data_plane_delete(engine: Engine) -> None:
    base = up(engine, {"ai-services:lock": "CanNotDelete"})
    entra_only = up(engine, {"ai-services:lock": "CanNotDelete", "ai-services:disableLocalAuth": True})
    renamed = up(engine, {"ai-services:secrets": {"currentName": "app-key"}})
    assert len(base.of_type(SECRET)) == 3
    # Pulumi deletes what the next run no longer registers: with retainOnDelete that is only forgetting.
    assert all(secret.retain_on_delete for secret in base.of_type(SECRET))
    assert entra_only.of_type(SECRET) == []
    gone = base.urns(SECRET) - renamed.urns(SECRET)
    assert gone == set()  # a new name replaces the same resource (same URN); the old secret is retained
    assert all(secret.retain_on_delete for secret in renamed.of_type(SECRET))
    # Nothing else is retained: the account, vault and grants are really deleted by destroy.
    assert [r.type for r in base.resources if r.custom and r.retain_on_delete] == [SECRET] * 3


# --------------------------------------------------------------------------- 13: an existing vault in another subscription


def test_existing_vault_in_another_subscription_is_refused_before_any_resource(engine: Engine) -> None:
    foreign = ("/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/shared"
               "/providers/Microsoft.KeyVault/vaults/kv-shared")
    with pytest.raises(pulumi.RunError) as refused:
        up(engine, {"ai-services:keyVault": {"existingId": foreign}, "ai-services:secrets": own_secrets("unit")})
    message = str(refused.value)
    assert "\n" not in message and "keyVault.existingId" in message
    assert "99999999-9999-4999-8999-999999999999" in message and FAKE_CLIENT["subscriptionId"] in message
    assert engine.resources == []


SHARED_VAULT = (f"/subscriptions/{FAKE_CLIENT['subscriptionId']}/resourceGroups/shared/providers/Microsoft.KeyVault"
                "/vaults/kv-shared")


def own_secrets(prefix: str) -> dict[str, Any]:
    return {"key1Name": f"{prefix}-key1", "key2Name": f"{prefix}-key2", "currentName": f"{prefix}-key"}


def on_shared_vault(prefix: str = "unit", config: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stack on SHARED_VAULT with its own secret names (and ``config``)."""
    return {"ai-services:namePrefix": prefix, "ai-services:keyVault": {"existingId": SHARED_VAULT},
            "ai-services:secrets": own_secrets(prefix), **(config or {})}


def test_existing_vault_in_the_deploying_subscription_is_used(engine: Engine) -> None:
    run = up(engine, on_shared_vault())
    assert run.outputs["keyVaultName"] == "kv-shared"


def test_plan_simulates_the_existing_vaults_subscription() -> None:
    vault = "/subscriptions/99999999-9999-4999-8999-999999999999/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv-x"
    assert existing_vault_subscription({"ai-services:keyVault": json.dumps({"existingId": vault})}) == vault.split("/")[2]
    assert existing_vault_subscription({"ai-services:keyVault": "{bad"}) is None
    assert existing_vault_subscription({}) is None


# --------------------------------------------------------------------------- 2: locks go before their children


def _lock_on(run: Run, scope_type: str) -> PlannedResource:
    [lock] = [r for r in run.of_type(LOCK) if scope_type in str(r.input("scope"))]
    return lock


def test_each_lock_depends_on_every_deployment_and_grant_under_it(engine: Engine) -> None:
    run = up(engine, {
        "ai-services:lock": "CanNotDelete", "ai-services:deployments": [GPT, {**GPT, "name": "chat2"}],
        "ai-services:secretReaders": [{"principalId": READER, "principalType": "ServicePrincipal"}],
        "ai-services:serviceUsers": [{"principalId": USER, "principalType": "Group"}],
    })
    account_lock, vault_lock = _lock_on(run, "CognitiveServices"), _lock_on(run, "KeyVault")
    on_account = {r.urn for r in run.of_type(ROLE) if "CognitiveServices" in str(r.input("scope"))}
    on_vault = {r.urn for r in run.of_type(ROLE) if "KeyVault" in str(r.input("scope"))}
    assert len(on_account) == 2 and len(on_vault) == 2  # serviceUsers + deployer; secretReaders + deployer
    # Pulumi deletes dependents first: `destroy` removes each lock before anything it would block.
    assert run.urns(DEPLOYMENT) | on_account <= set(account_lock.dependencies)
    assert on_vault <= set(vault_lock.dependencies)


def test_lock_keeps_its_urn_and_removing_it_with_an_entry_is_one_up(engine: Engine) -> None:
    users = [{"principalId": USER, "principalType": "Group"}]
    base = up(engine, {"ai-services:lock": "CanNotDelete", "ai-services:serviceUsers": users})
    unlocked = up(engine, {"ai-services:lock": "none"})
    removed = base.urns(ROLE) - unlocked.urns(ROLE)
    assert len(removed) == 1 and unlocked.of_type(LOCK) == []
    # Both go in one `pulumi up`: the lock depends on the assignment, so the engine deletes the lock first.
    account_lock = _lock_on(base, "CognitiveServices")
    assert removed <= set(account_lock.dependencies)
    assert account_lock.urn.endswith("ai-services:account:AiServicesAccount$azure-native:authorization:"
                                     "ManagementLockByScope::unit-lock")


# --------------------------------------------------------------------------- 3: the deployer's grants do not follow the runner

CI = "33333333-3333-4333-8333-333333333333"
PINNED = {"ai-services:deployerPrincipalId": CI, "ai-services:deployerPrincipalType": "ServicePrincipal"}


def test_a_pinned_deployer_keeps_the_same_grants_whoever_runs_up(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    laptop = up(engine, PINNED)  # `az login` user: FAKE_CLIENT's objectId
    monkeypatch.setenv("AZURE_CLIENT_ID", "44444444-4444-4444-8444-444444444444")  # a CI service principal signs in
    ci = up(engine, PINNED)
    deployer_grants = [r for r in laptop.of_type(ROLE) if "grantDeployer" in str(r.input("description"))]
    assert deployer_grants and {r.input("principalId") for r in deployer_grants} == {CI}
    assert {r.input("principalType") for r in deployer_grants} == {"ServicePrincipal"}
    assert laptop.urns(ROLE) == ci.urns(ROLE)  # nothing created, nothing deleted
    assert {r.urn: r.inputs for r in laptop.of_type(ROLE)} == {r.urn: r.inputs for r in ci.of_type(ROLE)}


def test_without_a_pin_the_grants_follow_the_runner(engine: Engine) -> None:
    run = up(engine)
    assert FAKE_CLIENT["objectId"] in {r.input("principalId") for r in run.of_type(ROLE)}


def test_a_pin_with_an_automatic_type_is_refused_naming_the_key(engine: Engine) -> None:
    with pytest.raises(pulumi.RunError, match="deployerPrincipalId"):
        up(engine, {"ai-services:deployerPrincipalId": CI})
    assert engine.resources == []


# --------------------------------------------------------------------------- 8: restore only on the create


def test_restore_is_sent_when_the_stack_has_no_account_yet(engine: Engine) -> None:
    recreate = up(engine, {"ai-services:restore": True})  # new stack, or after destroy: no outputs
    assert recreate.of_type(ACCOUNT)[0].input("properties.restore") is True


def test_restore_is_not_sent_once_the_account_exists(engine: Engine) -> None:
    # The recovering `pulumi up` finished (its outputs are stored); restore is still in the stack file.
    engine.monitor.azure.stack_outputs = {"accountId": "/subscriptions/s/resourceGroups/g/providers/x/accounts/a"}
    update = up(engine, {"ai-services:restore": True, "ai-services:tags": {"env": "dev"}})
    assert update.of_type(ACCOUNT)[0].input("properties.restore") is None  # Azure refuses restore on an update


def test_restore_off_is_never_sent_and_reads_nothing(engine: Engine) -> None:
    run = up(engine)
    assert run.of_type(ACCOUNT)[0].input("properties.restore") is None
    assert not [r for r in run.resources if r.type == "pulumi:pulumi:StackReference"]


# --------------------------------------------------------------------------- 6: grants on a shared vault


def vault_grants(run: Run) -> list[PlannedResource]:
    return [r for r in run.of_type(ROLE) if str(r.input("roleDefinitionId")).endswith(KEY_VAULT_SECRETS_USER)]


def up_as(engine: Engine, stack: str, config: dict[str, Any]) -> Run:
    """`pulumi up` of another stack of the project (a fresh stack on the same mock engine)."""
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]
    pulumi.runtime.set_mocks(engine.monitor.mocks, project="ai-services", stack=stack, preview=False,
                             monitor=engine.monitor)
    return up(engine, config)


def test_on_a_shared_vault_readers_and_the_deployer_are_granted_the_stacks_own_secret(engine: Engine) -> None:
    run = up(engine, on_shared_vault(config={"ai-services:secretReaders": [
        {"principalId": READER, "principalType": "ServicePrincipal"}]}))
    scope = f"{SHARED_VAULT}/secrets/unit-key"
    grants = vault_grants(run)
    assert {(r.input("scope"), r.input("principalId")) for r in grants} == {
        (scope, READER), (scope, FAKE_CLIENT["objectId"])}
    for grant in grants:
        assert grant.input("roleAssignmentName") == role_assignment_name(scope, KEY_VAULT_SECRETS_USER,
                                                                         grant.input("principalId"))
        assert "-secret-kv-secrets-user-" in grant.name
    # ARM refuses an assignment on a secret that does not exist yet: each waits for the current secret.
    [current] = [s for s in run.of_type(SECRET) if s.input("secretName") == "unit-key"]
    assert all(current.urn in grant.dependencies for grant in grants)
    # Nothing at the vault itself, and the account grants are where they were.
    assert not [r for r in run.of_type(ROLE) if r.input("scope") == SHARED_VAULT]
    assert {r.input("scope") for r in run.of_type(ROLE)} - {scope} == {run.outputs["accountId"]}


def test_two_stacks_on_one_vault_never_make_the_same_assignment(engine: Engine) -> None:
    reader = {"ai-services:secretReaders": [{"principalId": READER, "principalType": "ServicePrincipal"}]}
    first = up_as(engine, "a", on_shared_vault("appa", reader))
    second = up_as(engine, "b", on_shared_vault("appb", reader))
    assert {r.input("scope") for r in vault_grants(first)} == {f"{SHARED_VAULT}/secrets/appa-key"}
    assert {r.input("scope") for r in vault_grants(second)} == {f"{SHARED_VAULT}/secrets/appb-key"}
    # Same principals, same role, same vault: different names, so no 409 and no destroy taking the other's.
    assert {r.input("principalId") for r in vault_grants(first)} == {r.input("principalId") for r in vault_grants(second)}
    names = [{str(r.input("roleAssignmentName")) for r in run.of_type(ROLE)} for run in (first, second)]
    assert names[0] and names[1] and not names[0] & names[1]
    secrets = [{str(r.input("secretName")) for r in run.of_type(SECRET)} for run in (first, second)]
    assert not secrets[0] & secrets[1]


def test_a_stack_with_its_own_vault_keeps_its_grants_on_the_vault(engine: Engine) -> None:
    run = up(engine, {"ai-services:secretReaders": [{"principalId": READER, "principalType": "ServicePrincipal"}]})
    [vault] = run.of_type("azure-native:keyvault:Vault")
    scope = vault_id(FAKE_CLIENT["subscriptionId"], vault.input("resourceGroupName"), vault.input("vaultName"))
    assert {(r.input("scope"), r.input("principalId")) for r in vault_grants(run)} == {
        (scope, READER), (scope, FAKE_CLIENT["objectId"])}
    assert all(vault.urn in r.dependencies and not set(r.dependencies) & run.urns(SECRET) for r in vault_grants(run))


def test_a_shared_vault_without_exported_keys_gets_no_grant(engine: Engine) -> None:
    run = up(engine, {"ai-services:keyVault": {"existingId": SHARED_VAULT}, "ai-services:disableLocalAuth": True,
                      "ai-services:secretReaders": [{"principalId": READER, "principalType": "ServicePrincipal"}]})
    assert run.of_type(SECRET) == [] and vault_grants(run) == []
    assert run.of_type(ROLE)  # the deployer's account roles stay


@pytest.mark.parametrize("secrets", [None, {"currentName": "app-key"}, {"key1Name": "a1", "key2Name": "a2"}])
def test_default_secret_names_on_a_shared_vault_are_refused_naming_the_key(
        engine: Engine, secrets: dict[str, str] | None) -> None:
    config: dict[str, Any] = {"ai-services:keyVault": {"existingId": SHARED_VAULT}}
    if secrets is not None:
        config["ai-services:secrets"] = secrets
    with pytest.raises(pulumi.RunError) as refused:
        up(engine, config)
    message = str(refused.value)
    assert "\n" not in message and "ai-services:secrets = " in message
    assert "another stack on the same vault would overwrite them" in message and "unit-key" in message
    assert engine.resources == []
