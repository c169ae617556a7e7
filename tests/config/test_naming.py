"""Derived names: stable per subscription/project/stack, always within Azure's rules."""
from __future__ import annotations

import re

import pulumi
import pytest
from pulumi_azure_native import authorization

from aisvc.config.naming import derive_names, unique_suffix
from aisvc.config.settings import Settings, from_config
from aisvc.contract import SUBDOMAIN_RE, VAULT_NAME_RE, role_assignment_name
from aisvc.plan import FAKE_CLIENT
from tests.support.mock_engine import Engine

SUB = "00000000-0000-0000-0000-00000000000a"


def settings(**keys: str) -> Settings:
    return from_config({"ai-services:namePrefix": "demo", "ai-services:location": "westeurope",
                        **{f"ai-services:{k}": v for k, v in keys.items()}})


def test_suffix_is_stable_and_differs_per_stack_and_subscription() -> None:
    suffix = unique_suffix(SUB, "ai-services", "dev")
    assert suffix == unique_suffix(SUB.upper(), "ai-services", "dev")
    assert re.fullmatch(r"[a-z2-7]{13}", suffix)
    assert suffix != unique_suffix(SUB, "ai-services", "prod")
    assert suffix != unique_suffix("00000000-0000-0000-0000-00000000000b", "ai-services", "dev")


@pytest.mark.parametrize("prefix", ["ab", "demo", "a1234567890123-z", "abcdefghij-klmno", "abcdefghi-jklmno"])
def test_derived_names_respect_each_resource_rule(prefix: str) -> None:
    names = derive_names(settings(namePrefix=prefix), SUB, "ai-services", "a-rather-long-stack-name")
    assert 3 <= len(names.vault) <= 24 and VAULT_NAME_RE.match(names.vault) and "--" not in names.vault
    assert 2 <= len(names.account) <= 64 and names.account.startswith(prefix)
    assert SUBDOMAIN_RE.match(names.custom_sub_domain)
    assert names.resource_group.startswith(f"rg-{prefix}-") and len(names.resource_group) <= 90


def test_explicit_names_win() -> None:
    names = derive_names(settings(customSubDomainName="my-sub", resourceGroupName="shared-rg",
                                  keyVault='{"name": "kv-mine"}'), SUB, "p", "s")
    assert (names.custom_sub_domain, names.resource_group, names.vault) == ("my-sub", "shared-rg", "kv-mine")


def test_role_assignment_names_are_deterministic_guids() -> None:
    scope = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
    name = role_assignment_name(scope, "4633458b-17de-408a-b874-0445c86b69e6", "11111111-1111-4111-8111-111111111111")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", name)
    assert name == role_assignment_name(scope.upper(), "4633458B-17de-408a-b874-0445c86b69e6",
                                        "11111111-1111-4111-8111-111111111111")
    assert name != role_assignment_name(scope, "4633458b-17de-408a-b874-0445c86b69e6", "22222222-2222-4222-8222-222222222222")
    assert name != role_assignment_name(scope + "2", "4633458b-17de-408a-b874-0445c86b69e6", "11111111-1111-4111-8111-111111111111")


def test_synchronous_client_config_gives_plain_strings_under_mocks(engine: Engine) -> None:
    @pulumi.runtime.test
    def check() -> pulumi.Output[str]:
        client = authorization.get_client_config()
        assert isinstance(client.subscription_id, str) and client.subscription_id == FAKE_CLIENT["subscriptionId"]
        assert client.object_id == FAKE_CLIENT["objectId"] and client.tenant_id == FAKE_CLIENT["tenantId"]
        return pulumi.Output.from_input(client.subscription_id)

    check()
    assert engine.invoked == ["azure-native:authorization:getClientConfig"]
