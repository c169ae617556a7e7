"""Each promise of the policy pack, broken one at a time on an otherwise compliant stack."""
from __future__ import annotations

import json

import pytest

import aisvc.policy as rules
from tests.support.policy_factories import (
    ACCOUNT_ID,
    DROP,
    KEY1,
    RG,
    SUB,
    VAULT_ID,
    account,
    assignment,
    compliant_resources,
    outputs,
    production_shape,
    secret,
    stack_root,
    vault,
)


def policies(violations: list[rules.Violation]) -> list[str]:
    return [violation.policy for violation in violations]


def only(violations: list[rules.Violation]) -> rules.Violation:
    assert len(violations) == 1, [v.line() for v in violations]
    return violations[0]


def run(*resources: rules.ResourceView, stack: str = "dev", outs: dict | None = None,
        config: dict | None = None) -> list[rules.Violation]:
    return rules.evaluate(list(resources), outs if outs is not None else {}, stack, config=config)


def judge(*resources: rules.ResourceView, stack: str = "dev", config: dict | None = None) -> list[rules.Violation]:
    """run() with the production shape around: the account's private endpoint, both diagnostic settings."""
    return run(*resources, *production_shape(), stack=stack, config=config)


def test_compliant_stack_has_no_violation_in_prod_or_dev() -> None:
    for stack in ("dev", "prod"):
        assert run(*compliant_resources(), stack=stack, outs=outputs()) == []


def test_specs_have_unique_names_and_known_levels() -> None:
    names = [spec.name for spec in rules.SPECS]
    assert len(names) == len(set(names))
    assert {spec.level for spec in rules.SPECS} == {rules.MANDATORY, rules.ADVISORY}
    assert {spec.scope for spec in rules.SPECS} == {"resource", "stack"}


def test_every_resource_rule_belongs_to_a_policy_and_other_types_are_not_judged() -> None:
    # Props that would break every resource rule, on a type the pack does not govern.
    bad = {"properties": {"enableRbacAuthorization": False, "enableSoftDelete": False, "enablePurgeProtection": False,
                          "publicNetworkAccess": "Enabled", "value": KEY1}, "roleDefinitionId": "Owner", "scope": SUB}
    known: frozenset[str] = frozenset()  # nothing in `bad` is a Pulumi secret
    assert run(rules.ResourceView("azure-native:storage:StorageAccount", "urn:x::st", bad, secret_paths=known)) == []
    # The same props on each governed type do trip that type's rules.
    for kind in rules.RESOURCE_RULES:
        assert run(rules.ResourceView(kind, "urn:x::r", bad, secret_paths=known), stack="prod"), kind


# --- Key Vault -------------------------------------------------------------

@pytest.mark.parametrize("rbac", [False, DROP])
def test_vault_without_rbac_authorization_is_mandatory(rbac: object) -> None:
    violation = only(judge(vault(enableRbacAuthorization=rbac)))
    assert (violation.policy, violation.level) == ("keyvault-rbac-authorization", rules.MANDATORY)
    assert violation.urn.endswith("::kv") and "'kv'" in violation.message


def test_vault_with_soft_delete_off_or_retention_out_of_range() -> None:
    assert policies(judge(vault(enableSoftDelete=False))) == ["keyvault-soft-delete"]
    for days in (3, 91, "90"):
        assert policies(judge(vault(softDeleteRetentionInDays=days))) == ["keyvault-soft-delete"], days
    # Absent means Azure's default (on, 90 days).
    assert judge(vault(enableSoftDelete=DROP, softDeleteRetentionInDays=DROP)) == []


@pytest.mark.parametrize("stack,policy,level", [
    ("prod", "keyvault-purge-protection", rules.MANDATORY),
    ("production", "keyvault-purge-protection", rules.MANDATORY),
    ("acme/ai-services/prod", "keyvault-purge-protection", rules.MANDATORY),
    ("dev", "keyvault-purge-protection-nonprod", rules.ADVISORY),
    ("prod-eu-test", "keyvault-purge-protection-nonprod", rules.ADVISORY),
])
def test_purge_protection_is_mandatory_only_for_prod_stacks(stack: str, policy: str, level: str) -> None:
    violation = only(judge(vault(enablePurgeProtection=False), stack=stack))
    assert (violation.policy, violation.level) == (policy, level)


def test_prod_stacks_and_stack_name_come_from_policy_config() -> None:
    live = {"keyvault-purge-protection": {"prodStacks": ["live"]}}
    assert only(judge(vault(enablePurgeProtection=DROP), stack="live", config=live)).level == rules.MANDATORY
    assert only(judge(vault(enablePurgeProtection=DROP), stack="prod", config=live)).level == rules.ADVISORY
    renamed = {"keyvault-purge-protection-nonprod": {"stack": "prod"}}
    assert only(judge(vault(enablePurgeProtection=False), stack="ci-123", config=renamed)).level == rules.MANDATORY


def test_unknown_values_are_never_reported() -> None:
    unknown_string = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's wire sentinel
    assert judge(vault(enableRbacAuthorization=rules.UNKNOWN, enablePurgeProtection=unknown_string,
                     networkAcls=rules.UNKNOWN), stack="prod") == []
    assert judge(account(customSubDomainName=rules.UNKNOWN)) == []
    assert run(assignment().__class__(rules.ROLE_ASSIGNMENT, "urn:x", {"roleDefinitionId": rules.UNKNOWN,
                                                                       "scope": rules.UNKNOWN})) == []


# --- AI services account --------------------------------------------------

@pytest.mark.parametrize("subdomain", [DROP, "", None, "-bad", "bad-", "a" * 64, "has_underscore", "a"])
def test_account_needs_a_valid_custom_subdomain(subdomain: object) -> None:
    violation = only(judge(account(customSubDomainName=subdomain)))
    assert (violation.policy, violation.level) == ("cognitiveservices-custom-subdomain", rules.MANDATORY)


@pytest.mark.parametrize("subdomain", ["ab", "aisvc-dev-1a2b3c", "A1", "a" * 63])
def test_valid_subdomains_pass(subdomain: str) -> None:
    assert judge(account(customSubDomainName=subdomain)) == []


def test_public_network_without_acls_is_advisory_for_accounts_and_vaults() -> None:
    # An open account or vault also breaks private-network(-nonprod), listed after the resource rule.
    open_account = account(publicNetworkAccess="Enabled")
    found = judge(open_account)
    assert policies(found) == ["public-network-without-acls", "private-network-nonprod"]
    violation = found[0]
    assert (violation.policy, violation.level) == ("public-network-without-acls", rules.ADVISORY)
    found = judge(account(publicNetworkAccess=DROP, networkAcls={"defaultAction": "Allow"}))
    assert [(v.policy, v.level) for v in found] == [("public-network-without-acls", rules.ADVISORY),
                                                    ("private-network-nonprod", rules.ADVISORY)]
    assert policies(judge(vault(networkAcls=DROP))) == ["public-network-without-acls", "private-network-nonprod"]
    # Restricted by ACLs, or closed: fine (a closed vault without a private endpoint is unreachable: see below).
    assert judge(account(publicNetworkAccess="Enabled", networkAcls={"defaultAction": "Deny", "ipRules": []})) == []
    assert policies(judge(vault(publicNetworkAccess="Disabled", networkAcls=DROP))) == ["private-network-nonprod"]


# --- Key Vault secrets ------------------------------------------------------

def test_plaintext_secret_value_is_mandatory_violation_without_leaking_the_value() -> None:
    violation = only(run(secret(secret_paths=frozenset())))
    assert (violation.policy, violation.level) == ("keyvault-secret-value-secret", rules.MANDATORY)
    assert KEY1 not in violation.message and KEY1 not in json.dumps(violation.to_dict())


def test_secret_marked_by_parent_path_or_marker_or_placeholder_passes() -> None:
    assert run(secret(secret_paths=frozenset({"properties"}))) == []
    assert run(secret(value=rules.SecretValue(KEY1), secret_paths=None)) == []
    assert run(secret(value="[secret]", secret_paths=None)) == []


def test_missing_additional_secret_outputs_is_flagged_when_options_are_known() -> None:
    # The pack's view: secrecy of the input unknown, resource options known.
    assert policies(run(secret(secret_paths=None, additional=()))) == ["keyvault-secret-value-secret"]
    assert run(secret(secret_paths=None, additional=("properties",))) == []
    # aisvc plan's view: options unknown, secrecy known.
    assert run(secret(additional=None)) == []


# --- role assignments -----------------------------------------------------

@pytest.mark.parametrize("guid,role", [
    ("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner"),
    ("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor"),
    ("00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator"),
    ("b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "Key Vault Secrets Officer"),
    ("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator"),
])
def test_privileged_roles_are_named_and_mandatory(guid: str, role: str) -> None:
    violation = only(run(assignment(guid)))
    assert (violation.policy, violation.level) == ("role-assignment-least-privilege", rules.MANDATORY)
    assert f"grants {role}," in violation.message


def test_allow_list_is_case_insensitive_and_extendable() -> None:
    upper = assignment(rules.COGNITIVE_SERVICES_USER.upper(), ACCOUNT_ID)
    assert run(upper) == []
    custom = "12345678-1234-1234-1234-123456789abc"
    assert "not on the allow-list" in only(run(assignment(custom))).message
    config = {"role-assignment-least-privilege": {"allowedRoleDefinitionIds": [f"{SUB}/providers/x/{custom}"]}}
    assert run(assignment(custom), config=config) == []


def test_role_definition_id_without_guid_is_flagged() -> None:
    view = rules.ResourceView(rules.ROLE_ASSIGNMENT, "urn:x::ra", {"roleDefinitionId": "Owner", "scope": VAULT_ID})
    assert "does not end in a role GUID" in only(run(view)).message


@pytest.mark.parametrize("scope", [SUB, RG, "/", f"{RG}/", "/providers/Microsoft.Management/managementGroups/mg"])
def test_broad_scopes_are_advisory(scope: str) -> None:
    violation = only(run(assignment(scope=scope)))
    assert (violation.policy, violation.level) == ("role-assignment-narrow-scope", rules.ADVISORY)


# --- stack outputs ----------------------------------------------------------

def test_contract_outputs_with_key_in_their_names_pass() -> None:
    assert run(stack_root(), outs=outputs()) == []


@pytest.mark.parametrize("extra,reason", [
    ({"primaryKey": "x"}, "named like a credential"),
    ({"keys": {"a": "b"}}, "named like a credential"),
    ({"connectionString": "Endpoint=..."}, "named like a credential"),
    ({"extra": {"nested": {"apiKey": "x"}}}, "named like a credential"),
    ({"endpoint": rules.SecretValue("https://x/")}, "is a secret value"),
    ({"debug": "[secret]"}, "is a secret value"),
    ({"debug": KEY1}, "holds the value of a Key Vault secret"),
    ({"debug": "Ab1" * 28}, "shaped like an Azure AI services key"),
])
def test_key_like_outputs_are_mandatory_violations(extra: dict, reason: str) -> None:
    violation = only(run(stack_root(), secret(), outs=outputs(**extra)))
    assert (violation.policy, violation.level) == ("no-key-in-stack-outputs", rules.MANDATORY)
    assert reason in violation.message
    assert violation.urn == stack_root().urn
    assert KEY1 not in violation.message


@pytest.mark.parametrize("name", ["monkey", "keyVaultName", "tokenizerModel", "passwordPolicyUrl", "secretName"])
def test_innocent_names_are_not_credentials(name: str) -> None:
    assert run(outs=outputs(**{name: "value"})) == []


@pytest.mark.parametrize("name", ["apiKey", "key2", "AI_KEY", "adminPassword", "sasToken", "storage-connection-string",
                                  "clientSecret", "accessKeys"])
def test_credential_names_are_flagged(name: str) -> None:
    assert policies(run(outs=outputs(**{name: "value"}))) == ["no-key-in-stack-outputs"]


def test_secret_value_seen_in_resources_is_recognised_in_any_shape_of_output() -> None:
    leaked = "not-hex-but-the-real-key-value"
    found = run(secret(value=leaked), outs=outputs(apps=[{"url": "https://x/", "header": leaked}]))
    assert only(found).message.startswith("stack output 'apps[0].header' holds the value")


def test_unknown_output_values_are_skipped_but_names_still_checked() -> None:
    assert run(outs=outputs(endpoint=rules.UNKNOWN)) == []
    assert policies(run(outs={"adminPassword": rules.UNKNOWN})) == ["no-key-in-stack-outputs"]


# --- entry points -----------------------------------------------------------

def test_preview_document_is_evaluated_with_secret_placeholders() -> None:
    step_secret = {"op": "create", "urn": "urn:pulumi:dev::ai-services::azure-native:keyvault:Secret::key1",
                   "newState": {"type": rules.SECRET, "inputs": {"properties": {"value": "[secret]"}}}}
    step_plain = {"op": "create", "urn": "urn:pulumi:dev::ai-services::azure-native:keyvault:Secret::key2",
                  "newState": {"type": rules.SECRET, "inputs": {"properties": {"value": KEY1}}}}
    step_vault = {"op": "create", "urn": "urn:pulumi:prod::ai-services::azure-native:keyvault:Vault::kv",
                  "newState": {"type": rules.VAULT, "inputs": {"properties": {"enableRbacAuthorization": True,
                                                                               "publicNetworkAccess": "Disabled"}}}}
    document = {"steps": [step_secret, step_plain, step_vault], "outputs": {"token": "[secret]"},
                "changeSummary": {"create": 3}}
    found = rules.evaluate_preview(document, "prod")
    assert [(v.policy, v.urn.rsplit("::", 1)[-1]) for v in found] == [
        ("keyvault-secret-expiry", "key1"),  # the production shape: no attributes.expires,
        ("keyvault-secret-value-secret", "key2"),
        ("keyvault-secret-expiry", "key2"),
        ("keyvault-purge-protection", "kv"),
        ("no-key-in-stack-outputs", ""),
        ("private-network", "kv"),  # a closed vault and no private endpoint,
        ("diagnostic-settings", "kv"),  # no diagnostic setting
    ]
    assert rules.has_mandatory(found)
    assert not rules.has_mandatory([v for v in found if v.level == rules.ADVISORY])


def test_violation_serialises_and_formats() -> None:
    violation = rules.Violation("p", rules.ADVISORY, "urn:x", "msg")
    assert violation.to_dict() == {"policy": "p", "level": "advisory", "urn": "urn:x", "message": "msg"}
    assert violation.line() == "[advisory] p: msg"
    assert repr(rules.SecretValue(KEY1)) == "SecretValue([secret])"


def test_resource_view_get_and_is_secret() -> None:
    view = rules.ResourceView("t", "urn:a::b::name", {"a": {"b": rules.SecretValue({"c": 1})}, "u": rules.UNKNOWN})
    assert view.get("a.b.c") == 1 and view.get("a.x", "d") == "d" and view.get("u.v") is rules.UNKNOWN
    assert view.is_secret("a.b.c") is True and view.is_secret("a") is None
    assert view.label == "name"
