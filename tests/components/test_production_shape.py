"""Private endpoints, DNS zones, diagnostic settings and expiring key secrets under the mock engine (issue 11)."""
from __future__ import annotations

import calendar
import datetime
from typing import Any

import pulumi
import pytest

from aisvc.contract import KINDS, OutputName, account_dns_zones
from aisvc.plan import PlannedResource
from tests.support.mock_engine import Engine, resolve, stack_outputs

NET = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/net-rg/providers/Microsoft.Network"
SUBNET = f"{NET}/virtualNetworks/hub/subnets/endpoints"
VNET = f"{NET}/virtualNetworks/hub"
WORKSPACE = ("/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/ops-rg/providers/"
             "Microsoft.OperationalInsights/workspaces/logs")
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
DIAGNOSTIC = "azure-native:monitor:DiagnosticSetting"
SECRET = "azure-native:keyvault:Secret"
PRIVATE = {"ai-services:privateEndpoints": {"subnetId": SUBNET, "virtualNetworkId": VNET}}


def run(engine: Engine, config: dict[str, Any]) -> dict[str, Any]:
    exported: dict[str, Any] = {}

    async def collect() -> None:
        for name, value in stack_outputs().items():
            exported[name] = (await resolve(value))[0]

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        engine.run_program(config)
        return pulumi.Output.from_input(collect())

    program()
    return exported


def endpoint_for(engine: Engine, group: str) -> PlannedResource:
    [found] = [r for r in engine.of_type(ENDPOINT) if r.input("privateLinkServiceConnections")[0]["groupIds"] == [group]]
    return found


def zone_group_of(engine: Engine, endpoint: PlannedResource) -> PlannedResource:
    [found] = [r for r in engine.of_type(ZONE_GROUP) if r.parent == endpoint.parent]
    return found


def zone_names(engine: Engine, group: PlannedResource) -> list[str]:
    zones_by_id = {f"{z.input('privateZoneName')}-id": z.input("privateZoneName") for z in engine.of_type(ZONE)}
    return [zones_by_id.get(c["privateDnsZoneId"], c["privateDnsZoneId"].rsplit("/", 1)[-1])
            for c in group.input("privateDnsZoneConfigs")]


def urn_of(engine: Engine, type_: str) -> str:
    return engine.one(type_).urn


@pytest.mark.parametrize("kind", KINDS)
def test_the_account_endpoint_holds_every_zone_its_kind_answers_on(engine: Engine, kind: str) -> None:
    run(engine, {**PRIVATE, "ai-services:kind": kind})
    account = endpoint_for(engine, "account")
    expected = {"AIServices": ["privatelink.cognitiveservices.azure.com", "privatelink.openai.azure.com",
                               "privatelink.services.ai.azure.com"],
                "OpenAI": ["privatelink.openai.azure.com"]}.get(kind, ["privatelink.cognitiveservices.azure.com"])
    assert list(account_dns_zones(kind)) == expected
    assert zone_names(engine, zone_group_of(engine, account)) == expected
    vault = endpoint_for(engine, "vault")
    assert zone_names(engine, zone_group_of(engine, vault)) == ["privatelink.vaultcore.azure.net"]
    # Every zone is created once and linked to the virtual network, never registering VMs.
    assert sorted(z.input("privateZoneName") for z in engine.of_type(ZONE)) == sorted(
        expected + ["privatelink.vaultcore.azure.net"])
    assert all(z.input("location") == "global" for z in engine.of_type(ZONE))
    links = engine.of_type(LINK)
    assert len(links) == len(expected) + 1
    assert all(link.input("virtualNetwork") == {"id": VNET} and link.input("registrationEnabled") is False
               for link in links)


def test_endpoints_sit_in_the_subnet_and_wait_for_what_they_serve(engine: Engine) -> None:
    run(engine, {**PRIVATE, "ai-services:deployments": [
        {"name": "chat", "model": {"format": "OpenAI", "name": "gpt-4o-mini"}}]})
    account, vault = endpoint_for(engine, "account"), endpoint_for(engine, "vault")
    account_id = "/providers/Microsoft.CognitiveServices/accounts/"
    assert account_id in account.input("privateLinkServiceConnections")[0]["privateLinkServiceId"]
    assert "/providers/Microsoft.KeyVault/vaults/" in vault.input("privateLinkServiceConnections")[0]["privateLinkServiceId"]
    # (the SDK's SubnetArgs adds its two policy defaults; ARM takes the subnet by id)
    assert account.input("subnet.id") == SUBNET and vault.input("subnet.id") == SUBNET
    assert account.input("privateEndpointName").startswith("pe-unit-")
    # The account's endpoint waits for the account and its model deployments (both are writes on the account).
    assert urn_of(engine, "azure-native:cognitiveservices:Account") in account.dependencies
    assert urn_of(engine, "azure-native:cognitiveservices:Deployment") in account.dependencies
    assert urn_of(engine, "azure-native:keyvault:Vault") in vault.dependencies
    assert urn_of(engine, "azure-native:keyvault:Vault") not in account.dependencies
    # A zone group names its endpoint and waits for the links, so names resolve once it exists.
    group = zone_group_of(engine, account)
    assert group.input("privateEndpointName") == account.input("privateEndpointName")
    assert {link.urn for link in engine.of_type(LINK) if link.parent == account.parent} <= set(group.dependencies)


def test_the_lock_waits_for_the_endpoints_not_the_other_way(engine: Engine) -> None:
    # destroy deletes the lock first, then the endpoints (their connections are children of the account)
    run(engine, {**PRIVATE, "ai-services:lock": "CanNotDelete"})
    locks = engine.of_type("azure-native:authorization:ManagementLockByScope")
    endpoints = [endpoint_for(engine, "account"), endpoint_for(engine, "vault")]
    assert len(locks) == 2
    for endpoint in endpoints:
        assert not {lock.urn for lock in locks} & set(endpoint.dependencies)
    for lock in locks:
        assert {endpoint.urn for endpoint in endpoints} <= set(lock.dependencies)


def test_private_endpoints_turn_public_access_off_and_say_where_to_run(engine: Engine) -> None:
    outputs = run(engine, PRIVATE)
    assert engine.one("azure-native:cognitiveservices:Account").input("properties.publicNetworkAccess") == "Disabled"
    assert engine.one("azure-native:keyvault:Vault").input("properties.publicNetworkAccess") == "Disabled"
    assert outputs[OutputName.PUBLIC_NETWORK_ACCESS] == "Disabled"
    assert outputs[OutputName.PRIVATE_ENDPOINT_SUBNET_ID] == SUBNET


def test_public_access_stays_as_set_explicitly(engine: Engine) -> None:
    run(engine, {**PRIVATE, "ai-services:publicNetworkAccess": "Enabled"})
    assert engine.one("azure-native:cognitiveservices:Account").input("properties.publicNetworkAccess") == "Enabled"


def test_zones_given_by_id_are_used_and_nothing_is_created(engine: Engine) -> None:
    zones = {zone: f"{NET}/privateDnsZones/{zone}" for zone in ("privatelink.openai.azure.com",
                                                                 "privatelink.vaultcore.azure.net")}
    run(engine, {"ai-services:kind": "OpenAI", "ai-services:privateEndpoints": {"subnetId": SUBNET, "dnsZoneIds": zones}})
    assert not engine.of_type(ZONE) and not engine.of_type(LINK)
    configs = zone_group_of(engine, endpoint_for(engine, "account")).input("privateDnsZoneConfigs")
    assert configs == [{"name": "privatelink-openai-azure-com", "privateDnsZoneId": zones["privatelink.openai.azure.com"]}]


# A shared vault needs the stack's own secret names.
SHARED_VAULT_SECRETS = {"key1Name": "app-key1", "key2Name": "app-key2", "currentName": "app-key"}


def test_an_existing_vault_gets_no_endpoint_and_no_diagnostic_setting(engine: Engine) -> None:
    # In the deploying (simulated) subscription: a vault elsewhere is refused before anything is registered.
    vault = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/shared/providers/"
             "Microsoft.KeyVault/vaults/kv-shared")
    run(engine, {**PRIVATE, "ai-services:keyVault": {"existingId": vault}, "ai-services:secrets": SHARED_VAULT_SECRETS,
                 "ai-services:diagnostics": {"workspaceId": WORKSPACE}})
    assert [r.input("privateLinkServiceConnections")[0]["groupIds"] for r in engine.of_type(ENDPOINT)] == [["account"]]
    assert len(engine.of_type(DIAGNOSTIC)) == 1


def test_diagnostic_settings_send_all_logs_and_metrics_of_account_and_vault(engine: Engine) -> None:
    run(engine, {"ai-services:diagnostics": {"workspaceId": WORKSPACE}})
    settings = {r.input("resourceUri").split("/providers/")[1].split("/")[0]: r for r in engine.of_type(DIAGNOSTIC)}
    assert set(settings) == {"Microsoft.CognitiveServices", "Microsoft.KeyVault"}
    for setting in settings.values():
        assert setting.input("workspaceId") == WORKSPACE
        assert setting.input("logs") == [{"categoryGroup": "allLogs", "enabled": True}]
        assert setting.input("metrics") == [{"category": "AllMetrics", "enabled": True}]
    assert urn_of(engine, "azure-native:cognitiveservices:Account") in settings["Microsoft.CognitiveServices"].dependencies
    assert urn_of(engine, "azure-native:keyvault:Vault") in settings["Microsoft.KeyVault"].dependencies


def test_nothing_new_appears_without_the_new_keys(engine: Engine) -> None:
    outputs = run(engine, {})
    assert not [r for r in engine.resources if r.type in (ENDPOINT, ZONE_GROUP, ZONE, LINK, DIAGNOSTIC)]
    assert OutputName.PRIVATE_ENDPOINT_SUBNET_ID not in outputs and OutputName.NETWORK_ACL_IP_RULES not in outputs
    for secret in engine.of_type(SECRET):
        assert secret.input("properties.attributes") is None
        assert set(secret.input("tags") or {}) <= {"CredentialId"}


def test_key_secrets_expire_rotated_at_plus_the_days_and_carry_the_rotation_tags(engine: Engine) -> None:
    run(engine, {"ai-services:secrets": {"rotatedAt": "2026-01-15", "expiresAfterDays": 30, "activeKey": "key2"},
                 "ai-services:tags": {"env": "prod"}})
    expected = calendar.timegm(datetime.date(2026, 2, 14).timetuple())
    assert expected == 1771027200
    secrets = {s.input("secretName"): s for s in engine.of_type(SECRET)}
    assert {name: s.input("properties.attributes") for name, s in secrets.items()} == {
        name: {"expires": expected} for name in ("ai-services-key1", "ai-services-key2", "ai-services-key")}
    account_id = engine.one("azure-native:cognitiveservices:Account")
    current = secrets["ai-services-key"]
    assert current.input("tags")["CredentialId"] == "key2"
    assert current.input("tags")["ValidityPeriodDays"] == "30"
    assert current.input("tags")["ProviderAddress"].endswith("/providers/Microsoft.CognitiveServices/accounts/"
                                                             + account_id.input("accountName"))
    assert current.input("tags")["env"] == "prod"
    assert secrets["ai-services-key1"].input("tags") == {"env": "prod"}  # the pattern tags the app-facing secret
    assert current.input("properties.value") == "[secret]"


def test_network_acl_ranges_are_an_output(engine: Engine) -> None:
    outputs = run(engine, {"ai-services:networkAcls": {"defaultAction": "Deny", "ipRules": ["203.0.113.0/24"]}})
    assert outputs[OutputName.NETWORK_ACL_IP_RULES] == ["203.0.113.0/24"]
    assert outputs[OutputName.PUBLIC_NETWORK_ACCESS] == "Enabled"
