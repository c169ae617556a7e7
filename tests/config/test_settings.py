"""Stack config validation: defaults of the contract, and one clear error per bad value."""
from __future__ import annotations

import json
from typing import Any

import pytest

from aisvc.config.settings import KeyVaultSettings, SecretNames, SettingsError, from_config

BASE = {"ai-services:namePrefix": "demo", "azure-native:location": "westeurope"}


def parse(**overrides: Any) -> Any:
    config = dict(BASE)
    for key, value in overrides.items():
        full = f"ai-services:{key}"
        if value is _DROP:
            config.pop(full, None)
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    return from_config(config)


_DROP = object()


def test_minimal_config_gets_the_contract_defaults() -> None:
    settings = parse()
    assert settings.name_prefix == "demo"
    assert settings.location == "westeurope"  # from azure-native:location
    assert (settings.kind, settings.sku) == ("AIServices", "S0")
    assert settings.custom_sub_domain_name is None
    assert settings.disable_local_auth is False and settings.local_auth_enabled is True
    assert settings.public_network_access == "Enabled"
    assert settings.network_acls is None and settings.deployments == ()
    assert settings.restore is False
    assert settings.key_vault == KeyVaultSettings(sku="standard", soft_delete_retention_in_days=90, enable_purge_protection=True)
    assert settings.secrets == SecretNames("ai-services-key1", "ai-services-key2", "ai-services-key", "key1")
    assert settings.grant_deployer is True
    assert settings.lock == "none" and dict(settings.tags) == {} and settings.resource_group_name is None


def test_full_config_is_parsed_into_typed_values() -> None:
    settings = parse(
        location="eastus2", kind="OpenAI", disableLocalAuth="true", publicNetworkAccess="Disabled",
        networkAcls={"defaultAction": "Deny", "ipRules": ["203.0.113.7", "198.51.100.0/24"]},
        deployments=[{"name": "chat", "model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
                      "sku": {"name": "GlobalStandard", "capacity": 5}}],
        keyVault={"softDeleteRetentionInDays": 7, "enablePurgeProtection": False, "sku": "premium",
                  "networkAcls": {"defaultAction": "Allow"}},
        secrets={"activeKey": "key2", "currentName": "app-key"},
        secretReaders=[{"principalId": "AAAAAAAA-1111-4111-8111-111111111111", "principalType": "Group"}],
        grantDeployer="false", lock="CanNotDelete", tags={"team": "ml"},
    )
    assert settings.location == "eastus2" and settings.kind == "OpenAI" and settings.disable_local_auth
    assert settings.network_acls and settings.network_acls.bypass == "AzureServices"  # default bypass
    assert settings.network_acls.ip_rules == ("203.0.113.7", "198.51.100.0/24")
    assert settings.deployments[0].capacity == 5 and settings.deployments[0].model_version == "2024-07-18"
    assert settings.key_vault.enable_purge_protection is False and settings.key_vault.sku == "premium"
    assert settings.vault_network_acls and settings.vault_network_acls.default_action == "Allow"  # vault's own
    assert settings.vault_public_network_access == "Disabled"  # follows the account
    assert settings.secrets.active_key == "key2" and settings.secrets.current_name == "app-key"
    assert settings.secret_readers[0].principal_id == "aaaaaaaa-1111-4111-8111-111111111111"
    assert settings.grant_deployer is False and settings.lock == "CanNotDelete"


def test_vault_follows_the_account_network_rules_unless_it_has_its_own() -> None:
    settings = parse(networkAcls={"defaultAction": "Deny", "bypass": "None", "ipRules": ["203.0.113.7"]})
    assert settings.vault_network_acls == settings.network_acls


def test_existing_vault_id_is_split_into_its_parts() -> None:
    vault_id = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/shared-rg/providers/Microsoft.KeyVault/vaults/kv-shared"
    existing = parse(keyVault={"existingId": vault_id}, secrets={"key1Name": "app-key1", "key2Name": "app-key2",
                                                                "currentName": "app-key"}).key_vault.existing
    assert existing == {"subscription": "00000000-0000-0000-0000-00000000000a", "group": "shared-rg", "name": "kv-shared"}


SHARED = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-shared"


def test_default_secret_names_on_a_shared_vault_are_named_with_an_example_of_the_stacks_own() -> None:
    with pytest.raises(SettingsError) as caught:
        parse(keyVault={"existingId": SHARED}, secrets={"key1Name": "demo-key1", "key2Name": "AI-SERVICES-KEY2"})
    assert caught.value.problems == [
        'ai-services:secrets = ["AI-SERVICES-KEY2", "ai-services-key"] is not valid: key2Name, currentName left at the'
        " default with keyVault.existingId: another stack on the same vault would overwrite them; give this stack's"
        " secrets their own names, e.g. prefixed with the stack (demo-key1, demo-key2, demo-key)"]


def test_default_secret_names_are_fine_with_a_vault_of_its_own_or_without_keys() -> None:
    assert parse().secrets.current_name == "ai-services-key"
    assert parse(keyVault={"existingId": SHARED}, disableLocalAuth=True).secrets.current_name == "ai-services-key"
    own = {"key1Name": "demo-key1", "key2Name": "demo-key2", "currentName": "demo-key"}
    assert parse(keyVault={"existingId": SHARED}, secrets=own).secrets.current_name == "demo-key"


def test_kinds_without_s0_default_to_their_standard_tier() -> None:
    assert parse(kind="ComputerVision").sku == "S1"
    assert parse(kind="FormRecognizer", sku="F0").sku == "F0"


BAD_CONFIGS: list[tuple[dict[str, Any], str, str]] = [
    # (overrides, the key the error must name, something about what is allowed)
    ({"nameprefix": "demo"}, "ai-services:nameprefix", "did you mean namePrefix"),
    ({"namePrefix": _DROP}, "ai-services:namePrefix", "required"),
    ({"namePrefix": "Demo"}, "ai-services:namePrefix", "lowercase"),
    ({"namePrefix": "a-very-long-prefix-x"}, "ai-services:namePrefix", "2-16"),
    ({"namePrefix": "ab--cd"}, "ai-services:namePrefix", "consecutive hyphens"),
    ({"location": "West Europe"}, "ai-services:location", "region name"),
    ({"kind": "OpenAi"}, "ai-services:kind", "did you mean OpenAI"),
    ({"sku": "S0", "kind": "ComputerVision"}, "ai-services:sku", "F0, S1"),
    ({"customSubDomainName": "ends-with-"}, "ai-services:customSubDomainName", "not ending with '-'"),
    ({"disableLocalAuth": "yes"}, "ai-services:disableLocalAuth", "true or false"),
    ({"publicNetworkAccess": "Off"}, "ai-services:publicNetworkAccess", "Enabled, Disabled"),
    ({"networkAcls": {"defaultAction": "Block"}}, "ai-services:networkAcls.defaultAction", "Allow, Deny"),
    ({"networkAcls": {"bypass": "None"}}, "ai-services:networkAcls.defaultAction", "required"),
    ({"networkAcls": {"defaultAction": "Deny", "ipRules": ["10.0.0.1/24"]}}, "ai-services:networkAcls.ipRules[0]", "CIDR"),
    ({"networkAcls": {"defaultAction": "Deny", "ipRules": ["2001:db8::1"]}}, "ai-services:networkAcls.ipRules[0]", "IPv4"),
    ({"networkAcls": "Deny"}, "ai-services:networkAcls", "a map"),
    ({"deployments": [{"name": "x", "model": {"format": "OpenAI", "name": "gpt"}}], "kind": "SpeechServices"},
     "ai-services:deployments", "kind AIServices or OpenAI"),
    ({"deployments": [{"name": "chat", "model": {"format": "OpenAI", "name": "gpt"}, "sku": {"name": "Premium"}}]},
     "ai-services:deployments[0].sku.name", "GlobalStandard"),
    ({"deployments": [{"name": "chat", "model": {"format": "OpenAI", "name": "gpt"}, "sku": {"capacity": 0}}]},
     "ai-services:deployments[0].sku.capacity", "1 to"),
    ({"deployments": [{"name": "chat", "model": {"name": "gpt"}}]}, "ai-services:deployments[0].model.format", "model format"),
    ({"restore": "maybe"}, "ai-services:restore", "true or false"),
    ({"keyVault": {"softDeleteRetentionInDays": 120}}, "ai-services:keyVault.softDeleteRetentionInDays", "7 to 90"),
    ({"keyVault": {"softDeleteRetentionInDays": "ninety"}}, "ai-services:keyVault.softDeleteRetentionInDays", "whole number"),
    ({"keyVault": {"sku": "Standard"}}, "ai-services:keyVault.sku", "did you mean standard"),
    ({"keyVault": {"name": "kv--double"}}, "ai-services:keyVault.name", "3-24"),
    ({"keyVault": {"existingId": "kv-shared"}}, "ai-services:keyVault.existingId", "resource id"),
    ({"keyVault": {"existingId": "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/"
                                 "Microsoft.KeyVault/vaults/kv-shared", "sku": "premium"}},
     "ai-services:keyVault.sku", "no effect with keyVault.existingId"),
    ({"keyVault": {"purgeProtection": True}}, "ai-services:keyVault.purgeProtection", "did you mean enablePurgeProtection"),
    ({"secrets": {"key1Name": "bad_name"}}, "ai-services:secrets.key1Name", "1-127 letters, digits and hyphens"),
    ({"secrets": {"activeKey": "key3"}}, "ai-services:secrets.activeKey", "key1, key2"),
    ({"secrets": {"key1Name": "same", "key2Name": "same"}}, "ai-services:secrets", "three different names"),
    ({"keyVault": {"existingId": "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/"
                                 "Microsoft.KeyVault/vaults/kv-shared"}},
     "ai-services:secrets", "another stack on the same vault would overwrite them"),
    ({"secretReaders": [{"principalId": "not-a-guid", "principalType": "User"}]},
     "ai-services:secretReaders[0].principalId", "GUID"),
    ({"serviceUsers": [{"principalId": "11111111-1111-4111-8111-111111111111", "principalType": "Robot"}]},
     "ai-services:serviceUsers[0].principalType", "ServicePrincipal"),
    ({"serviceUsers": {"principalId": "x"}}, "ai-services:serviceUsers", "a list"),
    ({"grantDeployer": "1"}, "ai-services:grantDeployer", "true or false"),
    ({"lock": "ReadOnly"}, "ai-services:lock", "CanNotDelete, none"),
    ({"tags": {"env": 3}}, "ai-services:tags.env", "a string"),
    ({"resourceGroupName": "ends-with-dot."}, "ai-services:resourceGroupName", "existing resource group"),
    # input Azure refuses (issue 10)
    ({"location": "swedncentral"}, "ai-services:location", "did you mean swedencentral"),
    ({"location": "moonbase1"}, "ai-services:location", "not one Azure knows"),
    ({"networkAcls": {"defaultAction": "Deny", "ipRules": ["10.0.0.0/8"]}}, "ai-services:networkAcls.ipRules[0]",
     "10.0.0.0/8 is private (RFC 1918); Azure IP rules take public addresses only"),
    ({"networkAcls": {"defaultAction": "Deny", "ipRules": ["203.0.113.7", "127.0.0.1"]}},
     "ai-services:networkAcls.ipRules[1]", "loopback"),
    ({"networkAcls": {"defaultAction": "Deny", "ipRules": ["172.20.0.0/16"]}}, "ai-services:networkAcls.ipRules[0]", "private"),
    ({"networkAcls": {"defaultAction": "Deny", "ipRules": ["100.64.0.1"]}}, "ai-services:networkAcls.ipRules[0]", "RFC 6598"),
    ({"networkAcls": {"defaultAction": "Deny", "ipRules": ["169.254.169.254"]}}, "ai-services:networkAcls.ipRules[0]", "link-local"),
    ({"networkAcls": {"defaultAction": "Deny", "ipRules": ["8.0.0.0/6"]}}, "ai-services:networkAcls.ipRules[0]",
     "10.0.0.0/8 is private"),  # a range that only overlaps a private block
    ({"keyVault": {"networkAcls": {"defaultAction": "Deny", "ipRules": ["192.168.1.10"]}}},
     "ai-services:keyVault.networkAcls.ipRules[0]", "192.168.0.0/16 is private"),
    ({"tags": {"microsoft.owner": "me"}}, "ai-services:tags.microsoft.owner", "Azure reserves names starting with microsoft"),
    ({"tags": {"AzureEnv": "dev"}}, "ai-services:tags.AzureEnv", "Azure reserves"),
    ({"tags": {"windows-team": "x"}}, "ai-services:tags.windows-team", "Azure reserves"),
    ({"tags": {f"t{i}": "x" for i in range(13)}}, "ai-services:tags", "at most 12 tags while the keys are exported"),
    ({"tags": {"credentialid": "key2"}}, "ai-services:tags.credentialid", "CredentialId is the toolkit's own tag"),
    ({"tags": {"Env": "dev", "env": "prod"}}, "ai-services:tags.env", "case-insensitive in Azure: the same as Env"),
    ({"deployments": [{"name": "chat", "model": {"format": "OpenAI", "name": "gpt", "version": 395}}]},
     "ai-services:deployments[0].model.version", "YAML read a number here, quote it in the stack file"),
    ({"deployments": [{"name": "chat", "model": {"format": "OpenAI", "name": "gpt", "version": 1.1}}]},
     "ai-services:deployments[0].model.version", "quote it"),
    ({"deployments": [{"name": "chat", "model": {"format": "OpenAI", "name": "gpt"}, "sku": {"capacity": "\u00b2"}}]},
     "ai-services:deployments[0].sku.capacity", "a whole number from 1"),
    ({"deployments": [{"name": "chat", "model": {"format": "OpenAI", "name": "gpt"}, "sku": {"capacity": "\u0663"}}]},
     "ai-services:deployments[0].sku.capacity", "a whole number from 1"),
    ({"keyVault": {"softDeleteRetentionInDays": "9" * 40}}, "ai-services:keyVault.softDeleteRetentionInDays", "whole number"),
]


@pytest.mark.parametrize(("overrides", "key", "allowed"), BAD_CONFIGS, ids=[c[1] + ":" + c[2] for c in BAD_CONFIGS])
def test_each_bad_value_is_one_clear_error_naming_key_and_rule(overrides: dict[str, Any], key: str, allowed: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse(**overrides)
    message = str(caught.value)
    assert "\n" not in message
    assert key in message, message
    assert allowed in message, message


def test_the_error_shows_the_offending_value() -> None:
    with pytest.raises(SettingsError, match=r"ai-services:kind = 'Speech' is not valid: one of AIServices"):
        parse(kind="Speech")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        parse(kind="Nope", lock="always", secrets={"activeKey": "key9"})
    assert [p.split(" ", 1)[0] for p in caught.value.problems] == [
        "ai-services:kind", "ai-services:lock", "ai-services:secrets.activeKey",
    ]


def test_location_is_required_somewhere() -> None:
    with pytest.raises(SettingsError, match="ai-services:location is required"):
        from_config({"ai-services:namePrefix": "demo"})


def test_other_namespaces_are_not_validated_and_legacy_keys_are_read() -> None:
    settings = from_config({"ai-services:config:namePrefix": "demo", "azure-native:location": "westeurope",
                            "azure-native:subscriptionId": "whatever"})
    assert settings.name_prefix == "demo"


def test_a_missing_required_key_is_reported_once() -> None:
    with pytest.raises(SettingsError) as caught:
        parse(networkAcls={"bypass": "None"})
    assert caught.value.problems == ["ai-services:networkAcls.defaultAction is required: Allow or Deny"]


def test_the_subdomain_is_one_dns_label_of_at_most_63_characters() -> None:
    assert parse(customSubDomainName="a" * 63).custom_sub_domain_name == "a" * 63
    with pytest.raises(SettingsError, match="ai-services:customSubDomainName = 'a{64}' is not valid: 2-63"):
        parse(customSubDomainName="a" * 64)


@pytest.mark.parametrize("typo", ["aiservices", "ai-service", "AI-Services", "ai_services", "ai-servces"])
def test_a_misspelled_namespace_is_named_with_the_key_meant(typo: str) -> None:
    with pytest.raises(SettingsError) as caught:
        from_config({**BASE, f"{typo}:kind": "OpenAI"})
    assert caught.value.problems == [f"{typo}:kind is not a known key (did you mean ai-services:kind?)"]


def test_other_namespaces_are_not_taken_for_typos() -> None:
    settings = from_config({**BASE, "azure-native:subscriptionId": "x", "azure:location": "x", "pulumi:tags": "{}",
                            "aws:region": "x", "ai:other": "x"})
    assert settings.name_prefix == "demo"


def test_public_and_documentation_ranges_are_accepted() -> None:
    rules = ["8.8.8.8", "20.0.0.0/8", "203.0.113.0/24", "198.51.100.7", "192.0.2.0/24"]
    settings = parse(networkAcls={"defaultAction": "Deny", "ipRules": rules})
    assert settings.network_acls is not None and settings.network_acls.ip_rules == tuple(rules)


def test_every_region_name_is_accepted_and_the_shipped_ones_are_known() -> None:
    from aisvc.config.regions import AZURE_REGIONS
    assert {"swedencentral", "eastus2", "westeurope", "usgovvirginia", "chinanorth3"} <= set(AZURE_REGIONS)
    assert len(set(AZURE_REGIONS)) == len(AZURE_REGIONS) and all(r == r.lower() for r in AZURE_REGIONS)
    assert parse(location="newzealandnorth").location == "newzealandnorth"


def test_tags_fit_a_key_vault_secret_or_50_without_secrets() -> None:
    twelve = {f"t{i}": "x" for i in range(12)}
    assert dict(parse(tags=twelve).tags) == twelve  # + the three rotation tags = 15 on the app-facing secret
    fifty = {f"t{i}": "x" for i in range(50)}
    assert len(parse(tags=fifty, disableLocalAuth="true").tags) == 50  # no key secrets without local auth
    with pytest.raises(SettingsError, match=r"ai-services:tags = '51 tags' is not valid: at most 50 tags"):
        parse(tags={f"t{i}": "x" for i in range(51)}, disableLocalAuth="true")


def test_a_model_version_must_be_a_string() -> None:
    deployment: dict[str, Any] = {"name": "chat", "model": {"format": "OpenAI", "name": "gpt", "version": "0613"}}
    assert parse(deployments=[deployment]).deployments[0].model_version == "0613"
    with pytest.raises(SettingsError) as caught:
        parse(deployments=[{**deployment, "model": {**deployment["model"], "version": 395}}])
    assert caught.value.problems == ["ai-services:deployments[0].model.version = 395 is not valid: a quoted model version"
                                     ' such as "2024-07-18": YAML read a number here, quote it in the stack file']
