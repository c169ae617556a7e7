"""aisvc plan: the offline plan, end to end as a subprocess and through its Python API."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aisvc.contract import SECRET_PLACEHOLDER as SECRET
from aisvc.plan import FAKE_KEYS, build_plan

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
COG_USER = "a97b65f3-24c7-4388-baec-2e87135dc908"


def plan_cli(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ARM_CLIENT_ID", "AZURE_CLIENT_ID", "ARM_USE_MSI")}
    env.update({"NO_COLOR": "1", "PYTHONPATH": str(REPO_ROOT)})
    return subprocess.run([sys.executable, "-m", "aisvc", "plan", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def prod_json() -> tuple[str, dict[str, Any]]:
    result = plan_cli("--stack", "prod", "--json")
    assert result.returncode == 0, result.stderr
    return result.stdout, json.loads(result.stdout)


def steps_of(document: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [s["newState"] for s in document["steps"] if s["newState"]["type"] == type_]


def test_prod_json_has_the_preview_shape(prod_json: tuple[str, dict[str, Any]]) -> None:
    _, document = prod_json
    assert list(document) == ["steps", "outputs", "changeSummary", "policyViolations"]
    assert document["changeSummary"] == {"create": len(document["steps"])}
    urns = {s["urn"] for s in document["steps"]}
    for step in document["steps"]:
        assert step["op"] == "create" and step["urn"] == step["newState"]["urn"]
        assert set(step["newState"]) >= {"type", "inputs", "parent"}
        parent = step["newState"]["parent"]
        assert parent in urns or step["newState"]["type"] == "pulumi:pulumi:Stack"
    first = document["steps"][0]["newState"]
    assert first["type"] == "pulumi:pulumi:Stack" and first["urn"].endswith("::ai-services-prod")


def test_prod_json_shows_the_hardened_graph(prod_json: tuple[str, dict[str, Any]]) -> None:
    _, document = prod_json
    [account] = steps_of(document, "azure-native:cognitiveservices:Account")
    [vault] = steps_of(document, "azure-native:keyvault:Vault")
    deny = {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": [{"value": "203.0.113.0/24"}]}
    assert account["inputs"]["properties"]["networkAcls"] == deny
    assert vault["inputs"]["properties"]["networkAcls"] == deny
    assert account["inputs"]["properties"]["customSubDomainName"].startswith("aisvc-prod-")
    assert account["inputs"]["identity"] == {"type": "SystemAssigned"}
    assert vault["inputs"]["properties"]["enableRbacAuthorization"] is True
    assert vault["inputs"]["properties"]["enablePurgeProtection"] is True
    assert vault["inputs"]["properties"]["softDeleteRetentionInDays"] == 90
    locks = steps_of(document, "azure-native:authorization:ManagementLockByScope")
    assert sorted(lock["inputs"]["scope"].rsplit("/", 2)[-2] for lock in locks) == ["accounts", "vaults"]
    assert all(lock["inputs"]["level"] == "CanNotDelete" for lock in locks)
    roles = {(r["inputs"]["principalId"], r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1])
             for r in steps_of(document, "azure-native:authorization:RoleAssignment")}
    assert ("11111111-1111-4111-8111-111111111111", SECRETS_USER) in roles  # the named secret reader
    assert ("22222222-2222-4222-8222-222222222222", COG_USER) in roles
    assert len(steps_of(document, "azure-native:cognitiveservices:Deployment")) == 1
    secrets = steps_of(document, "azure-native:keyvault:Secret")
    assert len(secrets) == 3
    for secret in secrets:
        assert secret["inputs"]["properties"]["value"] == SECRET
        assert secret["additionalSecretOutputs"] == ["properties"]
        assert account["urn"] in secret["dependencies"] and vault["urn"] in secret["dependencies"]
    assert account["urn"] not in vault["dependencies"]


def test_prod_json_holds_no_secret_value(prod_json: tuple[str, dict[str, Any]]) -> None:
    stdout, document = prod_json
    for key in FAKE_KEYS.values():
        assert key not in stdout
    assert "[redacted]" not in stdout  # nothing leaked and got caught by the last-resort redaction either
    assert stdout.count(f'"{SECRET}"') == 3
    assert set(document["outputs"]) >= {"endpoint", "keyVaultUri", "keySecretName", "principalId"}


def test_same_stack_gives_byte_identical_output(prod_json: tuple[str, dict[str, Any]]) -> None:
    again = plan_cli("--stack", "prod", "--json")
    assert again.returncode == 0 and again.stdout == prod_json[0]


def test_human_output_is_plain_when_not_a_terminal() -> None:
    result = plan_cli()  # default stack: dev
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Plan for stack dev (project ai-services):")
    assert "+ pulumi:pulumi:Stack  ai-services-dev" in lines
    assert "    + ai-services:index:AiServices  aisvc-dev" in lines  # the program builds one AiServices component
    assert any(line.startswith("        + ai-services:key_vault:KeyVault  aisvc-dev") for line in lines)
    assert any("azure-native:keyvault:Secret" in line and "value=[secret]" in line for line in lines)
    assert "Outputs:" in lines and any(line.split()[:1] == ["endpoint"] for line in lines)
    assert "\x1b[" not in result.stdout and "└" not in result.stdout
    assert not any(key in result.stdout + result.stderr for key in FAKE_KEYS.values())


def _project_copy(tmp_path: Path, stack_text: str, stack: str = "bad") -> Path:
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(REPO_ROOT / "__main__.py", tmp_path / "__main__.py")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(stack_text)
    return tmp_path


def test_bad_stack_config_exits_2_with_one_line_naming_the_key(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "config:\n  ai-services:namePrefix: demo\n  azure-native:location: westeurope\n"
                                      "  ai-services:kind: OpenAi\n  ai-services:lokation: x\n")
    result = plan_cli("--stack", "bad", "--json", "--project-dir", str(project))
    assert result.returncode == 2
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert "ai-services:kind = 'OpenAi'" in errors[0] and "did you mean OpenAI" in errors[0]
    assert "ai-services:lokation is not a known key (did you mean location?)" in errors[0]
    assert str(project / "stacks" / "Pulumi.bad.yaml") in errors[0]


def test_missing_stack_file_exits_2_naming_the_path(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "config: {}\n", stack="other")
    result = plan_cli("--stack", "nope", "--project-dir", str(project))
    assert result.returncode == 2
    assert f"stack file not found: {project / 'stacks' / 'Pulumi.nope.yaml'}" in result.stderr
    assert "stacks here: other" in result.stderr


def test_invalid_yaml_exits_2(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "config:\n  ai-services:namePrefix: [unclosed\n")
    result = plan_cli("--stack", "bad", "--project-dir", str(project))
    assert result.returncode == 2 and "is not valid YAML" in result.stderr and "Traceback" not in result.stderr


def test_project_dir_from_environment(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "config:\n  ai-services:namePrefix: envdemo\n  azure-native:location: westeurope\n",
                            stack="ci")
    result = subprocess.run([sys.executable, "-m", "aisvc", "plan", "--stack", "ci", "--json"], cwd=REPO_ROOT,
                            env={**os.environ, "AISVC_PROJECT_DIR": str(project), "PYTHONPATH": str(REPO_ROOT)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outputs"]["accountName"].startswith("envdemo-")


# --------------------------------------------------------------------------- Python API


def test_build_plan_api_for_dev() -> None:
    plan = build_plan("dev", REPO_ROOT)
    assert (plan.project, plan.stack) == ("ai-services", "dev")
    [vault] = plan.of_type("azure-native:keyvault:Vault")
    assert vault.input("properties.enableRbacAuthorization") is True
    assert vault.parent and plan.by_urn(vault.parent).type == "ai-services:key_vault:KeyVault"
    secrets = plan.of_type("azure-native:keyvault:Secret")
    assert [s.secret_paths for s in secrets] == [("properties.value",)] * 3
    assert plan.invokes.count("azure-native:cognitiveservices:listAccountKeys") == 1
    assert plan.outputs["localAuthEnabled"] is True and plan.secret_outputs == ()
    order = [r.urn for r in plan.resources]
    for resource in plan.resources:  # parents and dependencies always come first
        for needed in (resource.parent, *resource.dependencies):
            if needed:
                assert order.index(needed) < order.index(resource.urn)


def test_build_plan_without_local_auth(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "config:\n  ai-services:namePrefix: entra\n  azure-native:location: westeurope\n"
                                      "  ai-services:disableLocalAuth: true\n", stack="entra")
    plan = build_plan("entra", project)
    assert plan.of_type("azure-native:keyvault:Secret") == []
    assert "azure-native:cognitiveservices:listAccountKeys" not in plan.invokes
    assert "keySecretName" not in plan.outputs and "keySecretNames" not in plan.outputs
    assert plan.outputs["localAuthEnabled"] is False


def test_rich_rendering_for_terminals(capsys: pytest.CaptureFixture[str]) -> None:
    from aisvc.plan.render import render
    from aisvc.services.console import Output

    render(build_plan("prod", REPO_ROOT), Output(plain=False))
    text = capsys.readouterr().out
    assert "├── + ai-services:key_export:KeyExport" in text
    assert "value=[secret]" in text and "Outputs" in text and "keyVaultUri" in text
    assert not any(key in text for key in FAKE_KEYS.values())


def test_yes_is_not_a_boolean_as_for_the_pulumi_cli(tmp_path: Path) -> None:
    project = _project_copy(tmp_path, "config:\n  ai-services:namePrefix: demo\n  azure-native:location: westeurope\n"
                                      "  ai-services:disableLocalAuth: yes\n")
    result = plan_cli("--stack", "bad", "--project-dir", str(project))
    assert result.returncode == 2
    assert "ai-services:disableLocalAuth = 'yes' is not valid: true or false" in result.stderr


def test_policy_violations_are_reported_and_mandatory_ones_fail_the_plan(tmp_path: Path) -> None:
    # A stack named prod without purge protection breaks the pack's mandatory prod rule.
    project = _project_copy(tmp_path, "config:\n  ai-services:namePrefix: demo\n  azure-native:location: westeurope\n"
                                      "  ai-services:keyVault:\n    enablePurgeProtection: false\n", stack="prod")
    result = plan_cli("--stack", "prod", "--json", "--project-dir", str(project))
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)  # the plan is still printed, whole
    policies = {v["policy"]: v["level"] for v in document["policyViolations"]}
    assert policies["keyvault-purge-protection"] == "mandatory"
    assert "mandatory policy violation" in result.stderr and "keyvault-purge-protection" in result.stderr


def test_shipped_stacks_have_no_mandatory_violation(prod_json: tuple[str, dict[str, Any]]) -> None:
    _, document = prod_json
    # prod sets no secrets.rotatedAt: its key secrets have no expiry date yet (advisory, issue 11), nothing else.
    assert sorted((v["policy"], v["level"], v["urn"].rsplit("::", 1)[-1]) for v in document["policyViolations"]) == [
        ("keyvault-secret-expiry", "advisory", f"aisvc-prod-{name}") for name in ("current", "key1", "key2")]
    dev = plan_cli("--stack", "dev")
    assert dev.returncode == 0, dev.stderr
    assert "[advisory] public-network-without-acls" in dev.stdout


def test_unquoted_date_stays_a_string_as_for_the_pulumi_cli(tmp_path: Path) -> None:
    # The CLI's YAML 1.2 reader has no timestamps: `version: 2024-07-18` reaches the program as that text.
    project = _project_copy(tmp_path, "config:\n  ai-services:namePrefix: demo\n  azure-native:location: westeurope\n"
                                      "  ai-services:deployments:\n    - name: chat\n      model:\n"
                                      "        format: OpenAI\n        name: gpt-4o-mini\n        version: 2024-07-18\n")
    [deployment] = build_plan("bad", project).of_type("azure-native:cognitiveservices:Deployment")
    assert deployment.input("properties.model.version") == "2024-07-18"
