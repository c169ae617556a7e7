"""The stack-file JSON Schema: valid, complete, and as strict as the parser where a schema can be."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from aisvc.config.fields import declared, key_tree
from aisvc.config.schema import ecma_pattern, stack_file_schema
from aisvc.config.settings import KeyVaultSettings, Settings, from_config
from aisvc.contract import VAULT_ID_RE
from aisvc.services.project import config_text
from tests.config.test_settings import _DROP, BAD_CONFIGS

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = stack_file_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
BASE = {"ai-services:namePrefix": "demo", "azure-native:location": "westeurope"}

# Rules across keys, or finer than a pattern: only the parser knows them.
PARSER_ONLY = {
    "ai-services:networkAcls.ipRules[0]:CIDR",  # host bits set
    "ai-services:deployments:kind AIServices or OpenAI",
    "ai-services:keyVault.sku:no effect with keyVault.existingId",
    "ai-services:secrets:three different names",
    "ai-services:secrets:another stack on the same vault would overwrite them",
    "ai-services:networkAcls.ipRules[0]:10.0.0.0/8 is private",  # a range that only overlaps a private block
    "ai-services:tags:at most 12 tags while the keys are exported",
    "ai-services:tags.credentialid:CredentialId is the toolkit's own tag",
    "ai-services:tags.env:case-insensitive in Azure: the same as Env",
    "ai-services:location:not one Azure knows",  # the schema refuses it; listed so the id stays unique below
}


def stack(**config: Any) -> dict[str, Any]:
    return {"config": {**BASE, **config}}


def errors(document: Any) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(document)]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_the_shipped_stacks_are_valid(name: str) -> None:
    document = yaml.safe_load((REPO_ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())
    assert errors(document) == []


def test_every_declared_key_is_a_property_with_its_nested_keys() -> None:
    config = SCHEMA["properties"]["config"]
    assert [k for k in config["properties"] if k.startswith("ai-services:")] == [
        f"ai-services:{key.key}" for key in declared(Settings)]
    vault = SCHEMA["$defs"]["keyVault"]["anyOf"][0]
    assert list(vault["properties"]) == [key.key for key in declared(KeyVaultSettings)]
    assert vault["additionalProperties"] is False
    deployment = SCHEMA["$defs"]["deployments"]["anyOf"][0]["items"]
    deployments = next(key for key in declared(Settings) if key.key == "deployments")
    assert list(deployment["properties"]) == list(key_tree(deployments.item)) == ["name", "model", "sku"]
    assert deployment["properties"]["model"]["required"] == ["format", "name"]
    assert SCHEMA["$defs"]["kind"]["default"] == "AIServices"
    assert "description" in SCHEMA["$defs"]["customSubDomainName"]


def test_a_full_config_is_valid_for_both_the_schema_and_the_parser() -> None:
    full = {
        "ai-services:kind": "OpenAI", "ai-services:sku": "S0", "ai-services:customSubDomainName": "demo-openai",
        "ai-services:disableLocalAuth": "true", "ai-services:publicNetworkAccess": "Disabled",
        "ai-services:networkAcls": {"defaultAction": "Deny", "bypass": "None", "ipRules": ["203.0.113.7"]},
        "ai-services:deployments": [{"name": "chat", "model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "1"},
                                     "sku": {"name": "GlobalStandard", "capacity": "5"}}],
        "ai-services:restore": False, "ai-services:keyVault": {"name": "kv-demo", "softDeleteRetentionInDays": 7,
                                                               "networkAcls": {"defaultAction": "Allow"}},
        "ai-services:secrets": {"activeKey": "key2"}, "ai-services:grantDeployer": True,
        "ai-services:secretReaders": [{"principalId": "11111111-1111-4111-8111-111111111111", "principalType": "Group"}],
        "ai-services:deployerPrincipalType": "User", "ai-services:lock": "CanNotDelete",
        "ai-services:tags": {"team": "ml"}, "ai-services:resourceGroupName": "rg-shared",
    }
    assert errors(stack(**full)) == []
    settings = from_config({key: config_text(value) for key, value in {**BASE, **full}.items()})
    assert settings.deployments[0].model_version == "1" and settings.deployments[0].capacity == 5


SCHEMA_CASES = [case for case in BAD_CONFIGS if f"{case[1]}:{case[2]}" not in PARSER_ONLY]


def test_the_parser_only_cases_are_still_parser_cases() -> None:
    assert len(BAD_CONFIGS) - len(SCHEMA_CASES) == len(PARSER_ONLY)


@pytest.mark.parametrize(("overrides", "key", "allowed"), SCHEMA_CASES, ids=[c[1] + ":" + c[2] for c in SCHEMA_CASES])
def test_the_schema_rejects_what_the_parser_rejects(overrides: dict[str, Any], key: str, allowed: str) -> None:
    config = dict(BASE)
    for name, value in overrides.items():
        if value is _DROP:
            config.pop(f"ai-services:{name}")
        else:
            config[f"ai-services:{name}"] = value
    assert errors({"config": config}), f"the schema accepts {overrides}"


def test_the_sku_must_be_one_the_kind_sells() -> None:
    assert errors(stack(**{"ai-services:sku": "F0"}))  # the default kind AIServices sells S0 only
    assert errors(stack(**{"ai-services:kind": "ComputerVision", "ai-services:sku": "S0"}))
    assert errors(stack(**{"ai-services:kind": "ComputerVision", "ai-services:sku": "S1"})) == []


def test_the_subdomain_is_one_dns_label_of_at_most_63_characters() -> None:
    assert errors(stack(**{"ai-services:customSubDomainName": "a" * 63})) == []
    assert errors(stack(**{"ai-services:customSubDomainName": "a" * 64}))


def test_location_may_come_from_either_namespace_but_must_be_somewhere() -> None:
    assert errors({"config": {"ai-services:namePrefix": "demo", "ai-services:location": "eastus2"}}) == []
    assert errors({"config": {"ai-services:namePrefix": "demo"}})
    assert errors({"config": {"azure-native:location": "eastus2"}})  # namePrefix is required


def test_secure_values_other_namespaces_and_other_spellings_are_allowed() -> None:
    secure = {"secure": "v1:AAAA"}
    assert errors(stack(**{
        "ai-services:tags": secure,  # a whole value, as `pulumi config set --secret`
        "ai-services:keyVault": {"name": secure},  # one leaf, as `--secret --path`
        "ai-services:networkAcls": {"defaultAction": "Deny", "ipRules": [secure]},
        "azure-native:subscriptionId": "whatever", "azure-native:clientSecret": secure,
        "grantDeployer": "false",  # bare key: the project's own namespace
        "ai-services:config:lock": "none",  # the legacy spelling the parser reads too
    })) == []
    assert errors(stack(**{"ai-services:kind": {"secure": 1}}))
    assert errors(stack(**{"ai-services:keyVault": {"name": {"secure": "x", "extra": 1}}}))
    assert errors(stack(grantdeployer="false"))  # a bare key must be a known one


def test_patterns_are_ecma_262_and_match_like_the_python_ones() -> None:
    text = str(SCHEMA)
    assert "(?P<" not in text
    pattern = re.compile(ecma_pattern(VAULT_ID_RE))
    vault = "/subscriptions/00000000-0000-0000-0000-00000000000a/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-a"
    for candidate in (vault, vault.upper().replace("KV-A", "kv-a"), vault.lower(), vault + "/x", "kv-a"):
        assert bool(pattern.match(candidate)) == bool(VAULT_ID_RE.match(candidate)), candidate
