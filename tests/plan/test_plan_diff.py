"""`aisvc plan --base/--base-ref`: day-2 transitions under the mock engine.

Each test runs the real program on a base stack file, then on the changed one,
and asserts the steps (create/update/replace/delete by URN) and the findings:
id, severity and the config key that causes them.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from aisvc.config.settings import NetworkAcls
from aisvc.plan import FAKE_CLIENT, FAKE_KEYS
from aisvc.plan.build import build_plan_from_config, plan_project
from aisvc.plan.diff import Transitions, compare_with_base, transitions
from aisvc.plan.findings import Context, network_rules
from aisvc.services.project import stack_config

REPO_ROOT = Path(__file__).resolve().parents[2]
PROD = (REPO_ROOT / "stacks" / "Pulumi.prod.yaml").read_text()
DEV = (REPO_ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
FINDING_KEYS = {"id", "severity", "configKey", "message"}


def _project(tmp_path: Path, head: str, stack: str = "prod") -> Path:
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(REPO_ROOT / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(head)
    return tmp_path


def _edit(text: str, **changes: Any) -> str:
    """The stack file with ai-services keys set (None removes one); dotted keys reach into objects."""
    document = yaml.safe_load(text)
    config = document["config"]
    for name, value in changes.items():
        key = name if ":" in name else f"ai-services:{name}"
        if "." in key:
            top, inner = key.split(".", 1)
            config.setdefault(top, {})[inner] = value
        elif value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return yaml.safe_dump(document, sort_keys=False)


def compare(tmp_path: Path, base: str, head: str, stack: str = "prod") -> Transitions:
    project = _project(tmp_path, head, stack)
    base_file = tmp_path / "base.yaml"
    base_file.write_text(base)
    head_plan = build_plan_from_config(plan_project(project), stack, *stack_config(plan_project(project), stack))
    return compare_with_base(head_plan, stack, project, base_file=base_file)


def ops(result: Transitions) -> dict[tuple[str, str], str]:
    """(type, logical name) -> op."""
    return {(c.type.rsplit(":", 1)[-1], c.urn.rsplit("::", 1)[-1]): c.op for c in result.changes}


def found(result: Transitions) -> set[tuple[str, str, str]]:
    return {(f.id, f.severity, f.config_key) for f in result.findings}


# --------------------------------------------------------------------------- no change, shapes


def test_same_file_changes_nothing(tmp_path: Path) -> None:
    result = compare(tmp_path, PROD, PROD)
    assert result.changes == [] and result.findings == []
    assert result.base == str(tmp_path / "base.yaml")


def test_tag_change_is_an_update_of_every_tagged_resource_and_no_finding(tmp_path: Path) -> None:
    result = compare(tmp_path, PROD, _edit(PROD, tags={"environment": "prod", "managedBy": "pulumi", "team": "ai"}))
    assert set(ops(result).values()) == {"update"}
    assert ops(result)[("Account", "aisvc-prod")] == "update"
    assert ops(result)[("Vault", "aisvc-prod")] == "update"
    assert result.findings == []


# --------------------------------------------------------------------------- immutable properties (errors)


def test_new_soft_delete_retention_for_an_existing_vault_is_refused(tmp_path: Path) -> None:
    result = compare(tmp_path, PROD, _edit(PROD, **{"keyVault.softDeleteRetentionInDays": 30}))
    assert ops(result) == {("Vault", "aisvc-prod"): "update"}
    assert found(result) == {("vault-retention-immutable", "error", "keyVault.softDeleteRetentionInDays")}
    assert "keep 90" in result.findings[0].message


def test_a_new_custom_subdomain_once_set_is_refused(tmp_path: Path) -> None:
    result = compare(tmp_path, DEV, _edit(DEV, customSubDomainName="my-new-label"), stack="dev")
    assert ops(result)[("Account", "aisvc-dev")] == "update"  # nested property: the provider updates in place
    assert ("subdomain-immutable", "error", "customSubDomainName") in found(result)


def test_purge_protection_cannot_be_turned_off(tmp_path: Path) -> None:
    off = _edit(PROD, **{"keyVault.enablePurgeProtection": False})
    assert found(compare(tmp_path, PROD, off)) == {("purge-protection-irreversible", "error", "keyVault.enablePurgeProtection")}


def test_turning_purge_protection_on_is_accepted(tmp_path: Path) -> None:
    off = _edit(PROD, **{"keyVault.enablePurgeProtection": False})
    result = compare(tmp_path, off, PROD)
    assert ops(result) == {("Vault", "aisvc-prod"): "update"} and result.findings == []


def test_kind_change_is_refused_except_the_openai_upgrade(tmp_path: Path) -> None:
    openai = _edit(DEV, kind="OpenAI")
    down = compare(tmp_path, DEV, openai, stack="dev")
    assert ("kind-immutable", "error", "kind") in found(down)
    up = compare(tmp_path, openai, DEV, stack="dev")
    assert ("kind-upgrade", "warning", "kind") in found(up)
    assert not up.errors


def test_location_change_cannot_move_account_or_vault(tmp_path: Path) -> None:
    result = compare(tmp_path, DEV, _edit(DEV, **{"azure-native:location": "westeurope"}), stack="dev")
    assert ops(result)[("Account", "aisvc-dev")] == "replace"
    assert ops(result)[("ResourceGroup", "aisvc-dev")] == "replace"
    assert {("account-location-immutable", "error", "location"),
            ("vault-location-immutable", "error", "location")} <= found(result)


# --------------------------------------------------------------------------- replacements that lose something


def test_new_name_prefix_replaces_account_and_vault(tmp_path: Path) -> None:
    result = compare(tmp_path, DEV, _edit(DEV, namePrefix="aisvc-dev2"), stack="dev")
    assert ops(result)[("Account", "aisvc-dev")] == "delete" and ops(result)[("Account", "aisvc-dev2")] == "create"
    assert {("account-replaced", "warning", "namePrefix"), ("vault-replaced", "warning", "namePrefix"),
            ("secret-retained", "warning", "namePrefix")} <= found(result)
    assert not result.errors  # dev has no lock
    replaced = next(f for f in result.findings if f.id == "account-replaced")
    assert "aisvc-dev2-" in replaced.message and "new keys" in replaced.message


def test_new_name_prefix_under_a_lock_deletes_the_locks_first(tmp_path: Path) -> None:
    result = compare(tmp_path, PROD, _edit(PROD, namePrefix="aisvc-prd"))
    # Each lock depends on the deployments and role assignments under it, so Pulumi deletes the lock
    # before them: the old account's children are not ScopeLocked (docs/day2.md, locks).
    assert ("delete-under-lock", "error", "namePrefix") not in found(result)
    assert ("account-replaced", "warning", "namePrefix") in found(result)


def test_moving_to_an_existing_vault_deletes_the_vault_and_its_secrets(tmp_path: Path) -> None:
    existing = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/shared/providers/"
                "Microsoft.KeyVault/vaults/kv-shared")
    own_names = {"key1Name": "dev-key1", "key2Name": "dev-key2", "currentName": "dev-key"}  # a shared vault needs them
    result = compare(tmp_path, DEV, _edit(DEV, keyVault={"existingId": existing}, secrets=own_names), stack="dev")
    assert ops(result)[("Vault", "aisvc-dev")] == "delete"
    assert ops(result)[("Secret", "aisvc-dev-current")] == "replace"
    assert {("vault-replaced", "warning", "keyVault.existingId"), ("secret-retained", "warning", "keyVault.existingId"),
            ("key-export-moved", "warning", "keyVault.existingId"),
            ("grants-secret-scope", "warning", "keyVault.existingId")} <= found(result)
    [scoped] = [f for f in result.findings if f.id == "grants-secret-scope"]
    assert "secret dev-key of the shared vault" in scoped.message and "nothing else" in scoped.message


# --------------------------------------------------------------------------- deletions under a lock


@pytest.mark.parametrize("key", ["serviceUsers", "secretReaders"])
def test_removing_a_principal_under_the_lock_is_scope_locked_and_names_the_entry_key(tmp_path: Path, key: str) -> None:
    result = compare(tmp_path, PROD, _edit(PROD, **{key: None}))
    assert set(ops(result).values()) == {"delete"}
    assert found(result) == {("delete-under-lock", "error", key)}
    assert "lock: none" in result.findings[0].message


def test_removing_a_principal_without_a_lock_is_just_a_delete(tmp_path: Path) -> None:
    unlocked = _edit(PROD, lock="none")
    result = compare(tmp_path, unlocked, _edit(unlocked, serviceUsers=None))
    assert set(ops(result).values()) == {"delete"} and result.findings == []
    back = compare(tmp_path, _edit(unlocked, serviceUsers=None), unlocked)  # and back: a create
    assert set(ops(back).values()) == {"create"} and back.findings == []


def test_removing_a_deployment_under_the_lock_and_without(tmp_path: Path) -> None:
    locked = compare(tmp_path, PROD, _edit(PROD, deployments=None))
    assert ops(locked) == {("Deployment", "aisvc-prod-gpt-4o-mini"): "delete"}
    assert ("delete-under-lock", "error", "deployments") in found(locked)
    unlocked = _edit(PROD, lock="none")
    result = compare(tmp_path, unlocked, _edit(unlocked, deployments=None))
    assert found(result) == {("deployment-removed", "warning", "deployments")}


def test_removing_the_lock_alone_is_fine(tmp_path: Path) -> None:
    result = compare(tmp_path, PROD, _edit(PROD, lock="none"))
    assert set(ops(result).values()) == {"delete"}
    assert {t for t, _ in ops(result)} == {"ManagementLockByScope"}
    assert result.findings == []


# --------------------------------------------------------------------------- secrets and the key export


def test_disabling_local_auth_deletes_the_key_secrets_and_the_export(tmp_path: Path) -> None:
    result = compare(tmp_path, PROD, _edit(PROD, disableLocalAuth=True))
    assert {name for (t, name), op in ops(result).items() if t == "Secret" and op == "delete"} == {
        "aisvc-prod-key1", "aisvc-prod-key2", "aisvc-prod-current"}
    assert {("secret-retained", "warning", "disableLocalAuth"),
            ("key-export-removed", "warning", "disableLocalAuth")} <= found(result)
    # The program retains its key secrets (retainOnDelete): nothing is deleted through the data plane.
    secret = next(f for f in result.findings if f.id == "secret-retained")
    assert "stay in vault" in secret.message and "Secrets Officer" in secret.message
    assert not any(f.id == "secret-deleted" for f in result.findings)
    back = compare(tmp_path, _edit(PROD, disableLocalAuth=True), PROD)
    assert "create" in ops(back).values() and not any(f.id.startswith("secret") for f in back.findings)


def test_renaming_the_current_secret_replaces_it(tmp_path: Path) -> None:
    result = compare(tmp_path, PROD, _edit(PROD, **{"secrets.currentName": "app-key"}))
    assert ops(result) == {("Secret", "aisvc-prod-current"): "replace"}
    assert found(result) == {("secret-retained", "warning", "secrets"), ("key-export-moved", "warning", "secrets")}


def test_switching_the_active_key_is_an_update_without_finding(tmp_path: Path) -> None:
    result = compare(tmp_path, PROD, _edit(PROD, **{"secrets.activeKey": "key2"}))
    assert ops(result) == {("Secret", "aisvc-prod-current"): "update"} and result.findings == []


# --------------------------------------------------------------------------- the deployer


def test_turning_grant_deployer_off_removes_its_assignments(tmp_path: Path) -> None:
    unlocked = _edit(PROD, lock="none")
    result = compare(tmp_path, unlocked, _edit(unlocked, grantDeployer=False))
    assert found(result) == {("deployer-grants-removed", "warning", "grantDeployer")}
    locked = compare(tmp_path, PROD, _edit(PROD, grantDeployer=False))
    assert ("delete-under-lock", "error", "grantDeployer") in found(locked)


def test_a_different_deployer_deletes_the_previous_ones_assignments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = plan_project(_project(tmp_path, PROD))
    config, secret_keys = stack_config(project, "prod")
    head = build_plan_from_config(project, "prod", config, secret_keys)
    monkeypatch.setitem(FAKE_CLIENT, "objectId", "99999999-9999-4999-8999-999999999999")  # a laptop deploy
    base = build_plan_from_config(project, "prod", config, secret_keys)
    from aisvc.config.settings import from_config
    result = transitions(head, base, from_config(config), from_config(config), "laptop")
    assert ("deployer-changed", "warning", "grantDeployer") in found(result)
    assert ("delete-under-lock", "error", "grantDeployer") in found(result)


# --------------------------------------------------------------------------- network


def test_turning_public_access_off_and_the_firewall_on(tmp_path: Path) -> None:
    off = compare(tmp_path, DEV, _edit(DEV, publicNetworkAccess="Disabled"), stack="dev")
    assert ("public-access-disabled", "warning", "publicNetworkAccess") in found(off)
    deny = compare(tmp_path, DEV, _edit(DEV, networkAcls={"defaultAction": "Deny", "ipRules": ["203.0.113.0/24"]}),
                   stack="dev")
    assert ("firewall-on", "warning", "networkAcls") in found(deny)
    assert not any(f.id == "firewall-on" for f in compare(tmp_path, _edit(DEV, networkAcls={"defaultAction": "Deny"}),
                                                          DEV, stack="dev").findings)


def test_turning_private_endpoints_on_for_a_deployed_stack_says_what_public_callers_lose(tmp_path: Path) -> None:
    net = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/Microsoft.Network"
    private = _edit(DEV, privateEndpoints={"subnetId": f"{net}/virtualNetworks/hub/subnets/ai",
                                           "virtualNetworkId": f"{net}/virtualNetworks/hub"})
    result = compare(tmp_path, DEV, private, stack="dev")
    assert ("private-endpoints-on", "warning", "privateEndpoints") in found(result)
    assert not result.errors  # Azure accepts it; public callers are what breaks
    created = {change.type.rsplit(":", 1)[-1] for change in result.changes if change.op == "create"}
    assert {"PrivateEndpoint", "PrivateDnsZoneGroup", "PrivateZone", "VirtualNetworkLink"} <= created
    # Public access goes off with them (the default under privateEndpoints): an update of the account and vault.
    updated = {change.type.rsplit(":", 1)[-1] for change in result.changes if change.op == "update"}
    assert {"Account", "Vault"} <= updated


def test_private_endpoints_rule_activates_once_the_setting_exists() -> None:
    def settings(private: Any) -> Any:
        return SimpleNamespace(private_endpoints=private, public_network_access="Enabled",
                               vault_public_network_access="Enabled", network_acls=NetworkAcls("Allow"))

    ctx = Context(base=None, head=None, old=settings(None), new=settings({"subnetId": "x"}), changes=[])  # type: ignore[arg-type]
    assert [(f.id, f.config_key) for f in network_rules(ctx)] == [("private-endpoints-on", "privateEndpoints")]
    reverse = Context(base=None, head=None, old=settings({"subnetId": "x"}), new=settings(None), changes=[])  # type: ignore[arg-type]
    assert list(network_rules(reverse)) == []


# --------------------------------------------------------------------------- the CLI


def plan_cli(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aisvc", "plan", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_json_has_transitions_and_an_error_finding_exits_1(tmp_path: Path) -> None:
    project = _project(tmp_path, _edit(PROD, **{"keyVault.softDeleteRetentionInDays": 30}))
    base = tmp_path / "base.yaml"
    base.write_text(PROD)
    result = plan_cli("--stack", "prod", "--json", "--project-dir", str(project), "--base", str(base))
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)  # the whole plan is still printed
    assert document["steps"] and document["outputs"]
    transitions_ = document["transitions"]
    assert set(transitions_) == {"base", "changes", "findings"} and transitions_["base"] == str(base)
    assert transitions_["changes"] == [{"urn": transitions_["changes"][0]["urn"], "type": "azure-native:keyvault:Vault",
                                        "op": "update"}]
    [finding] = transitions_["findings"]
    assert set(finding) == FINDING_KEYS and finding["severity"] == "error"
    assert finding["configKey"] == "keyVault.softDeleteRetentionInDays"
    assert "vault-retention-immutable" in result.stderr
    assert not any(key in result.stdout + result.stderr for key in FAKE_KEYS.values())


def test_human_output_has_changes_and_findings_sections_and_warnings_exit_0(tmp_path: Path) -> None:
    project = _project(tmp_path, _edit(PROD, disableLocalAuth=True))
    base = tmp_path / "base.yaml"
    base.write_text(PROD)
    result = plan_cli("--stack", "prod", "--project-dir", str(project), "--base", str(base))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"Changes against {base}: ") and "to delete" in line for line in lines)
    assert any("delete" in line and "azure-native:keyvault:Secret" in line for line in lines)
    assert any(line.startswith("Findings: 0 error(s), ") for line in lines)
    assert any(line.strip().startswith("warning: key-export-removed (disableLocalAuth):") for line in lines)
    assert "\x1b[" not in result.stdout


def test_without_base_there_are_no_transitions() -> None:
    result = plan_cli("--stack", "dev", "--json")
    assert result.returncode == 0 and "transitions" not in json.loads(result.stdout)


def test_bad_base_file_exits_2_naming_it(tmp_path: Path) -> None:
    project = _project(tmp_path, PROD)
    missing = plan_cli("--stack", "prod", "--project-dir", str(project), "--base", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("config:\n  ai-services:namePrefix: [unclosed\n")
    bad_yaml = plan_cli("--stack", "prod", "--project-dir", str(project), "--base", str(broken))
    assert bad_yaml.returncode == 2 and str(broken) in bad_yaml.stderr and "aisvc-base-" not in bad_yaml.stderr
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text(_edit(PROD, kind="OpenAi"))
    bad_config = plan_cli("--stack", "prod", "--project-dir", str(project), "--base", str(invalid))
    assert bad_config.returncode == 2 and str(invalid) in bad_config.stderr and "kind" in bad_config.stderr
    both = plan_cli("--stack", "prod", "--project-dir", str(project), "--base", str(invalid), "--base-ref", "HEAD")
    assert both.returncode == 2


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false",
                    *args], cwd=repo, check=True, capture_output=True, timeout=30)


def test_base_ref_reads_the_stack_file_at_that_ref(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    repo = _project(tmp_path / "repo", PROD)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    (repo / "stacks" / "Pulumi.prod.yaml").write_text(_edit(PROD, serviceUsers=None))
    result = plan_cli("--stack", "prod", "--json", "--project-dir", str(repo), "--base-ref", "HEAD")
    assert result.returncode == 1, result.stderr
    transitions_ = json.loads(result.stdout)["transitions"]
    assert transitions_["base"] == "HEAD:stacks/Pulumi.prod.yaml"
    assert {c["op"] for c in transitions_["changes"]} == {"delete"}
    assert [(f["id"], f["configKey"]) for f in transitions_["findings"]] == [("delete-under-lock", "serviceUsers")]
    unknown = plan_cli("--stack", "prod", "--project-dir", str(repo), "--base-ref", "no-such-branch")
    assert unknown.returncode == 2 and "no-such-branch" in unknown.stderr
    assert unknown.stderr.count("\n") <= 2 and "Traceback" not in unknown.stderr
