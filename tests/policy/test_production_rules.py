"""The production shape's promises (issue 11), broken one at a time on an otherwise compliant stack.

private-network and diagnostic-settings relate an account or vault to another
resource (its private endpoint, its diagnostic setting); keyvault-secret-expiry
judges each secret alone.
"""
from __future__ import annotations

import json

import pytest

import aisvc.policy as rules
from tests.support.policy_factories import (
    ACCOUNT_ID,
    DROP,
    KEY1,
    RG,
    VAULT_ID,
    account,
    compliant_resources,
    diagnostic_setting,
    outputs,
    private_endpoint,
    secret,
    vault,
)

OTHER_ACCOUNT_ID = f"{RG}/providers/Microsoft.CognitiveServices/accounts/someone-else"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's wire sentinel
CLOSED = {"publicNetworkAccess": "Disabled", "networkAcls": DROP}
PROD_LEVELS = [("prod", rules.MANDATORY, ""), ("production", rules.MANDATORY, ""),
               ("dev", rules.ADVISORY, "-nonprod"), ("prod-eu-test", rules.ADVISORY, "-nonprod")]


def run(*resources: rules.ResourceView, stack: str = "dev", config: dict | None = None) -> list[rules.Violation]:
    return rules.evaluate(list(resources), {}, stack, config=config)


def found(violations: list[rules.Violation]) -> list[tuple[str, str, str]]:
    """(policy, level, resource name) of each violation."""
    return [(v.policy, v.level, v.urn.rsplit("::", 1)[-1]) for v in violations]


def as_outputs(view: rules.ResourceView, resource_id: object) -> rules.ResourceView:
    """The pack's stack-policy view: outputs carry `id` and `name`, not the input names."""
    props = {key: value for key, value in view.props.items() if key not in ("accountName", "vaultName",
                                                                              "resourceGroupName", "resourceUri")}
    return rules.ResourceView(view.type, view.urn, {**props, "id": resource_id}, name=view.name)


def test_compliant_stack_passes_every_new_rule_in_prod_and_dev() -> None:
    for stack in ("prod", "dev"):
        assert run(*compliant_resources(), stack=stack) == []
    assert rules.evaluate(compliant_resources(), outputs(), "prod") == []


def test_new_policies_are_specified_with_their_levels_and_scopes() -> None:
    specs = {spec.name: (spec.level, spec.scope) for spec in rules.SPECS}
    assert specs["private-network"] == (rules.MANDATORY, "stack")
    assert specs["private-network-nonprod"] == (rules.ADVISORY, "stack")
    assert specs["diagnostic-settings"] == (rules.MANDATORY, "stack")
    assert specs["diagnostic-settings-nonprod"] == (rules.ADVISORY, "stack")
    assert specs["keyvault-secret-expiry"] == (rules.ADVISORY, "resource")


# --- private-network --------------------------------------------------------

@pytest.mark.parametrize("stack,level,suffix", PROD_LEVELS)
def test_open_account_and_vault_break_private_network_mandatory_only_in_prod(stack: str, level: str,
                                                                             suffix: str) -> None:
    resources = [account(publicNetworkAccess="Enabled"), vault(networkAcls={"defaultAction": "Allow"}),
                 diagnostic_setting(ACCOUNT_ID), diagnostic_setting(VAULT_ID, "diag-vault")]
    network = [v for v in run(*resources, stack=stack) if v.policy.startswith("private-network")]
    assert found(network) == [(f"private-network{suffix}", level, "account"), (f"private-network{suffix}", level, "kv")]
    assert "accepts public traffic without deny-by-default network ACLs" in network[0].message
    assert f"of stack '{stack}'" in network[0].message and "privateEndpoints" in network[0].message


def test_deny_by_default_acls_pass_whatever_public_access_says() -> None:
    deny = {"defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24"}]}
    for access in ("Enabled", DROP, "Disabled"):
        views = [account(publicNetworkAccess=access, networkAcls=deny), vault(publicNetworkAccess=access),
                 diagnostic_setting(ACCOUNT_ID), diagnostic_setting(VAULT_ID, "diag-vault")]
        assert run(*views, stack="prod") == [], access
    # Case as Azure returns it on read.
    assert run(vault(networkAcls={"defaultAction": "deny"}), diagnostic_setting(VAULT_ID), stack="prod") == []


def test_closed_account_and_vault_pass_with_their_own_private_endpoints() -> None:
    views = [account(), vault(**CLOSED), private_endpoint(ACCOUNT_ID), private_endpoint(VAULT_ID, "pe-vault"),
             diagnostic_setting(ACCOUNT_ID), diagnostic_setting(VAULT_ID, "diag-vault")]
    assert run(*views, stack="prod") == []


def test_closed_resource_without_its_endpoint_is_flagged_as_unreachable() -> None:
    # The only endpoint serves another account: this one has none.
    violations = run(account(), private_endpoint(OTHER_ACCOUNT_ID), diagnostic_setting(ACCOUNT_ID), stack="prod")
    assert found(violations) == [("private-network", rules.MANDATORY, "account")]
    assert "public network access disabled but no private endpoint" in violations[0].message
    # The account's endpoint does not serve the vault.
    violations = run(vault(**CLOSED), private_endpoint(ACCOUNT_ID), diagnostic_setting(VAULT_ID), stack="prod")
    assert found(violations) == [("private-network", rules.MANDATORY, "kv")]


def test_private_endpoint_does_not_excuse_an_open_public_network() -> None:
    views = [account(publicNetworkAccess="Enabled"), private_endpoint(ACCOUNT_ID), diagnostic_setting(ACCOUNT_ID)]
    assert [v.policy for v in run(*views, stack="prod")] == ["public-network-without-acls", "private-network"]


def test_endpoint_is_matched_by_id_in_the_packs_output_shape_case_insensitively() -> None:
    closed = as_outputs(account(), ACCOUNT_ID)
    assert run(closed, private_endpoint(ACCOUNT_ID.lower()), diagnostic_setting(ACCOUNT_ID), stack="prod") == []
    other = as_outputs(account(), OTHER_ACCOUNT_ID)
    assert found(run(other, private_endpoint(ACCOUNT_ID), diagnostic_setting(OTHER_ACCOUNT_ID), stack="prod")) == [
        ("private-network", rules.MANDATORY, "account")]


@pytest.mark.parametrize("case", ["endpoint target", "acls", "default action", "public access", "account names"])
def test_private_network_reports_nothing_on_unknown_values(case: str) -> None:
    target: object = rules.UNKNOWN if case == "endpoint target" else OTHER_ACCOUNT_ID
    props: dict[str, object] = {
        "acls": {"networkAcls": rules.UNKNOWN}, "default action": {"networkAcls": {"defaultAction": UNKNOWN_STRING}},
        "public access": {"publicNetworkAccess": UNKNOWN_STRING},
    }.get(case, {})
    view = account(**props)
    if case == "account names":  # preview: the account's generated name is not known yet
        view = rules.ResourceView(view.type, view.urn, {**view.props, "accountName": rules.UNKNOWN}, name=view.name)
    network = [v for v in run(view, private_endpoint(target), diagnostic_setting(rules.UNKNOWN), stack="prod")
               if v.policy.startswith("private-network")]
    assert network == []


def test_endpoint_with_unknown_connections_reports_nothing_but_no_endpoint_at_all_does() -> None:
    unknown = rules.ResourceView(rules.PRIVATE_ENDPOINT, "urn:x::pe", {"privateLinkServiceConnections": rules.UNKNOWN})
    assert run(account(), unknown, diagnostic_setting(ACCOUNT_ID), stack="prod") == []
    # Even at preview, a closed account in a stack without any private endpoint is knowably unreachable.
    assert [v.policy for v in run(account(), diagnostic_setting(ACCOUNT_ID), stack="prod")] == ["private-network"]


# --- diagnostic-settings ----------------------------------------------------

@pytest.mark.parametrize("stack,level,suffix", PROD_LEVELS)
def test_account_and_vault_without_diagnostic_settings(stack: str, level: str, suffix: str) -> None:
    violations = run(account(), vault(), private_endpoint(ACCOUNT_ID), stack=stack)
    policy = f"diagnostic-settings{suffix}"
    assert found(violations) == [(policy, level, "account"), (policy, level, "kv")]
    assert "diagnostics.workspaceId" in violations[0].message and f"stack '{stack}'" in violations[0].message


def test_each_resource_needs_its_own_setting() -> None:
    base = [account(), vault(), private_endpoint(ACCOUNT_ID)]
    assert found(run(*base, diagnostic_setting(VAULT_ID), stack="prod")) == [
        ("diagnostic-settings", rules.MANDATORY, "account")]
    assert found(run(*base, diagnostic_setting(ACCOUNT_ID), diagnostic_setting(OTHER_ACCOUNT_ID), stack="prod")) == [
        ("diagnostic-settings", rules.MANDATORY, "kv")]
    assert run(*base, diagnostic_setting(ACCOUNT_ID.upper()), diagnostic_setting(VAULT_ID), stack="prod") == []


def test_setting_is_matched_by_its_own_id_when_resource_uri_is_not_among_its_props() -> None:
    # azure-native does not return resourceUri as an output; the setting's id is <resource id>/providers/....
    setting = rules.ResourceView(rules.DIAGNOSTIC_SETTING, "urn:x::diag", {
        "name": "to-log-analytics",
        "id": f"{ACCOUNT_ID}/providers/microsoft.insights/diagnosticSettings/to-log-analytics"})
    assert run(as_outputs(account(), ACCOUNT_ID), setting, private_endpoint(ACCOUNT_ID), stack="prod") == []
    other = as_outputs(account(), OTHER_ACCOUNT_ID)
    assert [v.policy for v in run(other, setting, private_endpoint(OTHER_ACCOUNT_ID), stack="prod")] == [
        "diagnostic-settings"]


@pytest.mark.parametrize("setting_props", [{"resourceUri": rules.UNKNOWN}, {"resourceUri": UNKNOWN_STRING},
                                           {"id": rules.UNKNOWN}])
def test_diagnostic_settings_report_nothing_on_unknown_targets(setting_props: dict) -> None:
    setting = rules.ResourceView(rules.DIAGNOSTIC_SETTING, "urn:x::diag", setting_props)
    assert run(account(), vault(), private_endpoint(ACCOUNT_ID), setting, stack="prod") == []


def test_an_existing_vault_is_not_judged() -> None:
    # Without a keyvault:Vault in the graph (keyVault.existing), only the account is judged.
    assert run(account(), private_endpoint(ACCOUNT_ID), diagnostic_setting(ACCOUNT_ID), stack="prod") == []


# --- prod or not, from the new policies' own config ------------------------

@pytest.mark.parametrize("policy", ["private-network", "private-network-nonprod", "diagnostic-settings",
                                    "diagnostic-settings-nonprod"])
def test_prod_stacks_and_stack_come_from_each_new_policys_config(policy: str) -> None:
    bare = [account(publicNetworkAccess="Enabled", networkAcls={"defaultAction": "Deny"})]
    live = {policy: {"prodStacks": ["live"]}}
    assert found(run(*bare, stack="live", config=live)) == [("diagnostic-settings", rules.MANDATORY, "account")]
    assert found(run(*bare, stack="prod", config=live)) == [
        ("diagnostic-settings-nonprod", rules.ADVISORY, "account")]
    renamed = {policy: {"stack": "acme/ai-services/prod"}}
    assert found(run(*bare, stack="ci-123", config=renamed)) == [("diagnostic-settings", rules.MANDATORY, "account")]


# --- keyvault-secret-expiry ---------------------------------------------------

@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_secret_without_expiry_is_advisory_everywhere_and_never_shows_the_value(stack: str) -> None:
    violations = run(secret(expires=DROP), stack=stack)
    assert found(violations) == [("keyvault-secret-expiry", rules.ADVISORY, "key1")]
    assert "secrets.rotatedAt" in violations[0].message
    assert KEY1 not in json.dumps(violations[0].to_dict())


def test_secret_with_expiry_or_unknown_expiry_passes() -> None:
    assert run(secret()) == []
    assert run(secret(expires=rules.UNKNOWN)) == []
    assert run(secret(expires=UNKNOWN_STRING)) == []
    unknown_attributes = secret(expires=DROP)
    props = {**unknown_attributes.props, "properties": {"value": KEY1, "attributes": rules.UNKNOWN}}
    assert run(rules.ResourceView(rules.SECRET, unknown_attributes.urn, props, secret_paths=frozenset({"properties"}),
                                  additional_secret_outputs=("properties",))) == []
