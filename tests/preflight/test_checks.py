"""Each preflight check passes and fails against the emulator, driving `python -m aisvc preflight`."""
from __future__ import annotations

import pytest

from aisvc.contract import COGNITIVE_SERVICES_USER, KEY_VAULT_SECRETS_USER, role_assignment_name
from tests.preflight.conftest import GPT_4O_MINI, Project
from tests.support.emulator.arm_reads import CONTRIBUTOR

READER = "33333333-3333-4333-8333-333333333333"
OWN_SECRETS = {"key1Name": "pf-key1", "key2Name": "pf-key2", "currentName": "pf-key"}  # a shared vault needs them


def failed_only(run_result: object, check_id: str) -> None:
    report = run_result.report  # type: ignore[attr-defined]
    assert [check["id"] for check in report["checks"] if not check["ok"]] == [check_id], report


def test_a_healthy_subscription_passes_every_check(project: Project) -> None:
    project.write(deployments=[GPT_4O_MINI])
    run = project.run()
    assert run.code == 0, run.stderr
    assert run.report["ok"] is True and run.report["stack"] == "test"
    assert run.report["subscriptionId"] == project.emulator.subscription_id


def test_human_view_is_a_line_per_check_and_a_verdict(project: Project) -> None:
    run = project.run(json_mode=False)
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert [line.split()[1] for line in lines[:9]] == ["providers", "subdomain", "deleted-account", "vault-name",
                                                        "models", "quota", "permissions", "role-assignments",
                                                        "existing-vault"]
    assert lines[-1].startswith("preflight passed: stack test")


@pytest.mark.parametrize(("state", "ok", "severity"), [("NotRegistered", False, "error"),
                                                        ("Registering", True, "warning")])
def test_providers(project: Project, state: str, ok: bool, severity: str) -> None:
    project.emulator.arm.set_provider("Microsoft.KeyVault", state)
    run = project.run()
    check = run.check("providers")
    assert (check["ok"], check["severity"]) == (ok, severity)
    assert "Microsoft.KeyVault" in check["message"]
    assert run.code == (0 if ok else 1)
    if not ok:
        assert "az provider register --namespace Microsoft.KeyVault" in check["message"]


def test_subdomain_taken_by_someone_else_fails(project: Project) -> None:
    project.write(customSubDomainName="pf-taken")
    project.emulator.arm.take_subdomain("pf-taken")
    run = project.run()
    assert run.code == 1
    failed_only(run, "subdomain")
    check = run.check("subdomain")
    assert check["configKey"] == "ai-services:customSubDomainName"
    assert "'pf-taken' is taken" in check["message"] and "CustomDomainInUse" in check["message"]


def test_subdomain_held_by_the_stacks_own_account_passes(project: Project) -> None:
    target = project.target()
    project.emulator.arm.add_account(target.account_id, target.names.custom_sub_domain)
    check = project.run().check("subdomain")
    assert check["ok"] and "held by this stack's account" in check["message"]


def test_soft_deleted_account_without_restore_fails_with_both_ways_out(project: Project) -> None:
    names = project.names
    project.emulator.arm.soft_delete_account("swedencentral", names.resource_group, names.account,
                                             purge_on="2030-01-03T00:00:00Z")
    run = project.run()
    failed_only(run, "deleted-account")
    check = run.check("deleted-account")
    assert check["configKey"] == "ai-services:restore"
    assert "2030-01-03" in check["message"] and "restore: true" in check["message"]
    assert f"az cognitiveservices account purge --location swedencentral --resource-group {names.resource_group} " \
           f"--name {names.account}" in check["message"]
    # restore: true is the way out
    project.write(restore=True)
    assert project.run().code == 0


def test_restore_with_nothing_soft_deleted_fails(project: Project) -> None:
    project.write(restore=True)
    run = project.run()
    failed_only(run, "deleted-account")
    assert "CanNotRestoreANonExistingResource" in run.check("deleted-account")["message"]


@pytest.mark.parametrize("protected", [True, False])
def test_soft_deleted_vault_name_fails_with_its_purge_date(project: Project, protected: bool) -> None:
    project.write(keyVault={"name": "kv-pf-gone"})
    project.emulator.arm.soft_delete_vault("swedencentral", "kv-pf-gone", purge_protection=protected,
                                           purge_on="2030-03-31T00:00:00Z")
    run = project.run()
    failed_only(run, "vault-name")
    check = run.check("vault-name")
    assert check["configKey"] == "ai-services:keyVault.name" and "2030-03-31" in check["message"]
    if protected:
        assert "purge protection" in check["message"] and "az keyvault purge" not in check["message"]
    else:
        assert "az keyvault purge --name kv-pf-gone --location swedencentral" in check["message"]


def test_vault_name_taken_fails(project: Project) -> None:
    project.write(keyVault={"name": "kv-pf-taken"})
    project.emulator.arm.take_vault_name("kv-pf-taken")
    run = project.run()
    failed_only(run, "vault-name")
    assert "AlreadyExists" in run.check("vault-name")["message"]


def test_model_version_not_offered_lists_the_versions_that_are(project: Project) -> None:
    project.write(deployments=[{**GPT_4O_MINI, "model": {**GPT_4O_MINI["model"], "name": "gpt-4o",
                                                         "version": "2099-01-01"}}])
    run = project.run()
    failed_only(run, "models")
    check = run.check("models")
    assert check["configKey"] == "ai-services:deployments[0].model.version"
    assert "2024-08-06, 2024-11-20" in check["message"]


def test_model_sku_not_offered_lists_the_skus_that_are(project: Project) -> None:
    project.write(deployments=[{**GPT_4O_MINI, "sku": {"name": "DataZoneStandard", "capacity": 10}}])
    run = project.run()
    failed_only(run, "models")
    check = run.check("models")
    assert check["configKey"] == "ai-services:deployments[0].sku.name"
    assert "GlobalStandard, Standard" in check["message"]


def test_deprecating_model_warns_and_exits_0(project: Project) -> None:
    from tests.support.emulator.arm_reads import catalogue_entry

    project.emulator.arm.world.models = [catalogue_entry(
        "gpt-4o-mini", "2024-07-18", {"GlobalStandard": "OpenAI.GlobalStandard.gpt-4o-mini"},
        lifecycle="Deprecating", retires="2026-09-30T00:00:00Z")]
    project.write(deployments=[GPT_4O_MINI])
    run = project.run()
    assert run.code == 0
    check = run.check("models")
    assert check["ok"] and check["severity"] == "warning" and "2026-09-30" in check["message"]


def test_quota_shortfall_names_the_numbers(project: Project) -> None:
    project.emulator.arm.set_usage("OpenAI.GlobalStandard.gpt-4o-mini", limit=450, current=445)
    project.write(deployments=[{**GPT_4O_MINI, "sku": {"name": "GlobalStandard", "capacity": 20}}])
    run = project.run()
    failed_only(run, "quota")
    check = run.check("quota")
    assert check["configKey"] == "ai-services:deployments[0].sku.capacity"
    message = check["message"]
    assert "OpenAI.GlobalStandard.gpt-4o-mini" in message and "ask for 20" in message
    assert "5 is free (limit 450, in use 445)" in message and "at most 5" in message


def test_quota_sums_deployments_of_one_usage(project: Project) -> None:
    project.emulator.arm.set_usage("OpenAI.GlobalStandard.gpt-4o-mini", limit=100, current=85)
    second = {**GPT_4O_MINI, "name": "chat-2"}
    project.write(deployments=[GPT_4O_MINI, second])  # 10 + 10 > 15 free, each alone fits
    run = project.run()
    failed_only(run, "quota")
    assert "ask for 20" in run.check("quota")["message"] and "chat, chat-2" in run.check("quota")["message"]


def test_no_usage_entry_means_no_quota(project: Project) -> None:
    project.emulator.arm.world.usages = []
    project.write(deployments=[GPT_4O_MINI])
    run = project.run()
    failed_only(run, "quota")
    assert "no quota for OpenAI.GlobalStandard.gpt-4o-mini" in run.check("quota")["message"]


def test_contributor_cannot_grant_roles_or_lock(project: Project) -> None:
    project.emulator.arm.world.permissions = [dict(entry) for entry in CONTRIBUTOR]
    project.write(lock="CanNotDelete")
    run = project.run()
    failed_only(run, "permissions")
    check = run.check("permissions")
    assert check["configKey"] == "ai-services:grantDeployer"
    assert "Microsoft.Authorization/roleAssignments/write" in check["message"]
    assert "Microsoft.Authorization/locks/write" in check["message"] and "ai-services:lock: none" in check["message"]
    assert "User Access Administrator or Owner" in check["message"]
    assert project.emulator.object_id in check["message"]


def test_contributor_passes_without_grants_and_lock(project: Project) -> None:
    project.emulator.arm.world.permissions = [dict(entry) for entry in CONTRIBUTOR]
    project.write(grantDeployer=False)
    assert project.run().check("permissions")["ok"]


def test_missing_existing_resource_group_fails(project: Project) -> None:
    project.write(resourceGroupName="rg-missing")
    run = project.run()
    failed_only(run, "permissions")
    assert run.check("permissions")["configKey"] == "ai-services:resourceGroupName"


def test_role_assigned_by_hand_under_another_name_fails(project: Project) -> None:
    project.write(secretReaders=[{"principalId": READER, "principalType": "ServicePrincipal"}])
    target = project.target()
    made_by_hand = project.emulator.arm.assign_role(target.vault_id, KEY_VAULT_SECRETS_USER, READER,
                                                    "0f0f0f0f-0000-4000-8000-000000000000")
    run = project.run()
    failed_only(run, "role-assignments")
    check = run.check("role-assignments")
    assert check["configKey"] == "ai-services:secretReaders"
    assert made_by_hand in check["message"] and f"az role assignment delete --ids {made_by_hand}" in check["message"]
    assert "RoleAssignmentExists" in check["message"] and "cannot be imported" in check["message"]


def test_role_assignment_the_stack_made_passes(project: Project) -> None:
    target = project.target()
    deployer = project.emulator.object_id
    project.emulator.arm.assign_role(target.account_id, COGNITIVE_SERVICES_USER, deployer,
                                     role_assignment_name(target.account_id, COGNITIVE_SERVICES_USER, deployer))
    assert project.run().check("role-assignments")["ok"]


@pytest.mark.parametrize(("case", "message"), [
    ("other-subscription", "names a vault in subscription"),
    ("missing", "not found"),
    ("access-policies", "uses access policies"),
])
def test_existing_vault_problems(project: Project, case: str, message: str) -> None:
    subscription = project.emulator.subscription_id if case != "other-subscription" else \
        "44444444-4444-4444-8444-444444444444"
    vault_id = f"/subscriptions/{subscription}/resourceGroups/rg-shared/providers/Microsoft.KeyVault/vaults/kv-shared"
    if case == "access-policies":
        project.emulator.arm.add_vault(vault_id, rbac=False)
    project.write(keyVault={"existingId": vault_id}, secrets=OWN_SECRETS)
    run = project.run()
    failed_only(run, "existing-vault")
    check = run.check("existing-vault")
    assert check["configKey"] == "ai-services:keyVault.existingId" and message in check["message"]


def test_existing_rbac_vault_passes(project: Project) -> None:
    vault_id = (f"/subscriptions/{project.emulator.subscription_id}/resourceGroups/rg-shared/providers/"
                "Microsoft.KeyVault/vaults/kv-shared")
    project.emulator.arm.add_vault(vault_id, rbac=True)
    project.write(keyVault={"existingId": vault_id}, secrets=OWN_SECRETS)
    run = project.run()
    assert run.code == 0 and run.check("existing-vault")["ok"] and run.check("vault-name")["ok"]


def test_on_a_shared_vault_only_an_assignment_on_the_stacks_secret_conflicts(project: Project) -> None:
    """Grants go to the app-facing secret: a vault-wide assignment (by hand, or another stack's) is no 409."""
    vault_id = (f"/subscriptions/{project.emulator.subscription_id}/resourceGroups/rg-shared/providers/"
                "Microsoft.KeyVault/vaults/kv-shared")
    project.emulator.arm.add_vault(vault_id, rbac=True)
    project.write(keyVault={"existingId": vault_id}, secrets=OWN_SECRETS,
                  secretReaders=[{"principalId": READER, "principalType": "ServicePrincipal"}])
    arm = project.emulator.arm
    arm.assign_role(vault_id, KEY_VAULT_SECRETS_USER, READER, "0f0f0f0f-0000-4000-8000-000000000001")
    other_stack = f"{vault_id}/secrets/other-key"
    arm.assign_role(other_stack, KEY_VAULT_SECRETS_USER, READER,
                    role_assignment_name(other_stack, KEY_VAULT_SECRETS_USER, READER))
    assert project.run().check("role-assignments")["ok"]
    secret = f"{vault_id}/secrets/pf-key"
    made_by_hand = arm.assign_role(secret, KEY_VAULT_SECRETS_USER, READER, "0f0f0f0f-0000-4000-8000-000000000002")
    run = project.run()
    failed_only(run, "role-assignments")
    check = run.check("role-assignments")
    assert check["configKey"] == "ai-services:secretReaders" and f"on {secret} already exists as {made_by_hand}" in \
        check["message"]
    assert role_assignment_name(secret, KEY_VAULT_SECRETS_USER, READER) in check["message"]
    assert "cannot be imported" in check["message"] and f"az role assignment delete --ids {made_by_hand}" in \
        check["message"]
