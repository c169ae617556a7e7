"""privateEndpoints, diagnostics, secrets.rotatedAt / expiresAfterDays and the Key Vault tag limit (issue 11)."""
from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from aisvc.config.settings import Settings, SettingsError, from_config

BASE = {"ai-services:namePrefix": "demo", "azure-native:location": "westeurope"}
NET = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/net-rg/providers/Microsoft.Network"
SUBNET = f"{NET}/virtualNetworks/hub/subnets/endpoints"
VNET = f"{NET}/virtualNetworks/hub"
WORKSPACE = ("/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/ops-rg/providers/"
             "Microsoft.OperationalInsights/workspaces/logs")


def zone_id(zone: str) -> str:
    return f"{NET}/privateDnsZones/{zone}"


def parse(**overrides: Any) -> Settings:
    config = dict(BASE)
    config.update({f"ai-services:{key}": value if isinstance(value, str) else json.dumps(value)
                   for key, value in overrides.items()})
    return from_config(config)


def problems(**overrides: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        parse(**overrides)
    return str(caught.value)


def test_private_endpoints_turn_public_access_off_unless_it_is_set() -> None:
    private = parse(privateEndpoints={"subnetId": SUBNET, "virtualNetworkId": VNET})
    assert private.public_network_access == "Disabled"
    assert private.vault_public_network_access == "Disabled"
    assert private.public_access_turned_off_by_private_endpoints
    explicit = parse(privateEndpoints={"subnetId": SUBNET, "virtualNetworkId": VNET}, publicNetworkAccess="Enabled")
    assert explicit.public_network_access == "Enabled"
    assert not explicit.public_access_turned_off_by_private_endpoints
    assert parse().public_network_access == "Enabled" and not parse().public_access_turned_off_by_private_endpoints


def test_private_endpoints_and_diagnostics_are_parsed() -> None:
    settings = parse(privateEndpoints={"subnetId": SUBNET, "dnsZoneIds": {
        zone: zone_id(zone) for zone in ("privatelink.cognitiveservices.azure.com", "privatelink.openai.azure.com",
                                         "privatelink.services.ai.azure.com", "privatelink.vaultcore.azure.net")}},
        diagnostics={"workspaceId": WORKSPACE})
    assert settings.private_endpoints is not None and settings.private_endpoints.subnet_id == SUBNET
    assert settings.private_endpoints.virtual_network_id is None
    assert len(settings.private_endpoints.dns_zone_ids) == 4
    assert settings.diagnostics is not None and settings.diagnostics.workspace_id == WORKSPACE


def test_a_zone_neither_given_nor_creatable_is_an_error_naming_the_zone() -> None:
    text = problems(kind="OpenAI", privateEndpoints={"subnetId": SUBNET, "dnsZoneIds": {
        "privatelink.openai.azure.com": zone_id("privatelink.openai.azure.com")}})
    assert "ai-services:privateEndpoints.dnsZoneIds = 'privatelink.vaultcore.azure.net' is not valid" in text
    assert "virtualNetworkId" in text and "privatelink.openai.azure.com'" not in text


def test_an_existing_vault_needs_no_vault_zone() -> None:
    vault = ("/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/shared/providers/"
             "Microsoft.KeyVault/vaults/kv-shared")
    own = {"key1Name": "app-key1", "key2Name": "app-key2", "currentName": "app-key"}  # a shared vault needs them
    settings = parse(kind="TextAnalytics", keyVault={"existingId": vault}, secrets=own, privateEndpoints={
        "subnetId": SUBNET, "dnsZoneIds": {"privatelink.cognitiveservices.azure.com":
                                           zone_id("privatelink.cognitiveservices.azure.com")}})
    assert settings.private_endpoints is not None


@pytest.mark.parametrize(("zones", "expected"), [
    ({"privatelink.blob.core.windows.net": zone_id("privatelink.blob.core.windows.net")}, "not a zone this stack uses"),
    ({"privatelink.openai.azure.com": zone_id("privatelink.vaultcore.azure.net")}, "the resource id of private DNS zone"),
])
def test_wrong_zone_entries_are_named(zones: dict[str, str], expected: str) -> None:
    text = problems(privateEndpoints={"subnetId": SUBNET, "virtualNetworkId": VNET, "dnsZoneIds": zones})
    assert f"ai-services:privateEndpoints.dnsZoneIds.{next(iter(zones))}" in text and expected in text


@pytest.mark.parametrize(("key", "value", "named"), [
    ("privateEndpoints", {"subnetId": VNET}, "privateEndpoints.subnetId ="),
    ("privateEndpoints", {"virtualNetworkId": VNET}, "privateEndpoints.subnetId is required"),
    ("diagnostics", {"workspaceId": VNET}, "diagnostics.workspaceId ="),
    ("secrets", {"rotatedAt": "2026-02-30"}, "secrets.rotatedAt ="),
    ("secrets", {"rotatedAt": "15.01.2026"}, "secrets.rotatedAt ="),
    ("secrets", {"expiresAfterDays": 0}, "secrets.expiresAfterDays ="),
    ("secrets", {"expiresAfterDays": 731}, "secrets.expiresAfterDays ="),
])
def test_bad_values_name_the_key(key: str, value: dict[str, Any], named: str) -> None:
    assert f"ai-services:{named}" in problems(**{key: value})


def test_expiry_counts_from_rotated_at() -> None:
    assert parse().secrets.expires_on is None  # no rotation yet: no expiry
    assert parse().secrets.expires_after_days == 90
    settings = parse(secrets={"rotatedAt": "2026-01-15", "expiresAfterDays": 30})
    assert settings.secrets.expires_on == datetime.date(2026, 2, 14)


def test_tags_beyond_what_a_key_secret_holds_are_refused_offline_naming_the_key() -> None:
    twelve = {f"t{i}": "x" for i in range(12)}
    assert len(parse(tags=twelve).tags) == 12  # 12 + CredentialId, ProviderAddress, ValidityPeriodDays = 15
    text = problems(tags={**twelve, "t12": "x"})
    assert text.startswith("invalid stack config: ai-services:tags = '13 tags' is not valid: at most 12 tags")
    assert "CredentialId, ProviderAddress, ValidityPeriodDays" in text
    assert len(parse(tags={**twelve, "t12": "x"}, disableLocalAuth="true").tags) == 13  # no key secrets at all
