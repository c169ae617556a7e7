"""Preflight as a command: exit codes, input errors, throttling, outages, timeouts, secrets, a deployed stack."""
from __future__ import annotations

import pytest

from aisvc.contract import COGNITIVE_SERVICES_USER, KEY_VAULT_SECRETS_USER, role_assignment_name
from tests.preflight.conftest import GPT_4O_MINI, Project

SLACK_SECONDS = 6.0  # interpreter start-up and imports, on a busy 2-core machine


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def test_missing_subscription_exits_2_naming_all_three_sources(project: Project) -> None:
    env = project.env()
    env.pop("AZURE_SUBSCRIPTION_ID")
    run = project.run(env=env)
    assert run.code == 2 and run.stdout == ""
    [line] = error_lines(run.stderr)
    assert "AZURE_SUBSCRIPTION_ID" in line and "ARM_SUBSCRIPTION_ID" in line and "azure-native:subscriptionId" in line
    assert project.emulator.requests(role="arm") == []


def test_subscription_falls_back_to_arm_then_the_stack_file(project: Project) -> None:
    env = project.env()
    env.pop("AZURE_SUBSCRIPTION_ID")
    env["ARM_SUBSCRIPTION_ID"] = project.emulator.subscription_id
    assert project.run(env=env).code == 0
    env.pop("ARM_SUBSCRIPTION_ID")
    path = project.directory / "stacks" / "Pulumi.test.yaml"
    path.write_text(path.read_text() + f"  azure-native:subscriptionId: {project.emulator.subscription_id}\n")
    run = project.run(env=env)
    assert run.code == 0 and run.report["subscriptionId"] == project.emulator.subscription_id


def test_bad_config_exits_2_before_any_call(project: Project) -> None:
    project.write(kind="NotAKind", namePrefx="typo")
    run = project.run()
    assert run.code == 2 and run.stdout == ""
    [line] = error_lines(run.stderr)
    assert "ai-services:kind" in line and "namePrefx" in line
    assert project.emulator.requests(role="arm") == []


def test_unknown_stack_exits_2(project: Project) -> None:
    project.stack = "nope"
    assert project.run().code == 2


def test_throttling_is_honoured_and_ends_inside_the_timeout(project: Project) -> None:
    project.emulator.arm.throttle(6, retry_after=1)
    run = project.run(timeout=8)
    assert run.code == 0, run.stdout
    throttled = [r for r in project.emulator.requests(role="arm") if r.status == 429]
    assert len(throttled) == 6
    # The retries waited as Retry-After asked: the run took at least one Retry-After, and stayed inside --timeout.
    assert 1.0 <= run.report["elapsedSeconds"] < 8
    assert run.seconds < 8 + SLACK_SECONDS


def test_a_retry_after_past_the_deadline_fails_in_time_with_a_clear_line(project: Project) -> None:
    project.emulator.arm.throttle(1000, retry_after=30)
    run = project.run(timeout=3)
    assert run.code == 1
    assert run.seconds < 3 + SLACK_SECONDS
    assert any("429" in (check["message"] or "") and "SubscriptionRequestsThrottled" in check["message"]
               for check in run.report["checks"])
    assert len(error_lines(run.stderr)) == 1


def test_server_errors_are_retried(project: Project) -> None:
    project.emulator.arm.fail_server(4, status=503)
    run = project.run()
    assert run.code == 0
    assert len([r for r in project.emulator.requests(role="arm") if r.status == 503]) == 4


def test_slow_arm_times_out_with_exit_1_and_a_clear_line(project: Project) -> None:
    project.emulator.arm.set_latency(5)
    run = project.run(timeout=1.5)
    assert run.code == 1
    assert run.seconds < 1.5 + SLACK_SECONDS
    # Every check that needs an ARM answer failed; those that need none (no deployments, no existing vault) passed.
    failed = {check["id"] for check in run.report["checks"] if not check["ok"]}
    assert failed == {"providers", "subdomain", "deleted-account", "vault-name", "permissions", "role-assignments"}
    assert all("timed out" in check["message"] or "no answer" in check["message"]
               for check in run.report["checks"] if not check["ok"])
    [line] = error_lines(run.stderr)
    assert line.startswith("error: preflight failed: ")


@pytest.mark.parametrize("status", [401, 503])
def test_authentication_failure_exits_1_with_one_clear_line(project: Project, status: int) -> None:
    project.emulator.break_token_endpoint(status)
    run = project.run(timeout=4)
    assert run.code == 1
    assert run.seconds < 4 + SLACK_SECONDS
    [line] = error_lines(run.stderr)
    assert "could not ask Azure" in line and ("token" in line)
    assert all(check["message"].startswith("not checked: ") for check in run.report["checks"])
    assert project.emulator.requests(role="arm") == []


def test_no_token_key_or_secret_in_any_output_even_with_debug(project: Project) -> None:
    project.write(deployments=[GPT_4O_MINI])
    run = project.run("--debug", json_mode=False)
    assert run.code == 0
    # Project.run asserts: no issued token, key or client secret in stdout or stderr.
    assert project.emulator.client_secret not in run.stdout + run.stderr


def test_a_deployed_stack_passes(project: Project) -> None:
    """Account, deployments, vault and role assignments already there; the stack asks for no more capacity."""
    reader = "33333333-3333-4333-8333-333333333333"
    project.write(deployments=[{**GPT_4O_MINI, "sku": {"name": "GlobalStandard", "capacity": 400}}],
                  secretReaders=[{"principalId": reader, "principalType": "ServicePrincipal"}], lock="CanNotDelete")
    target, arm, deployer = project.target(), project.emulator.arm, project.emulator.object_id
    arm.set_usage("OpenAI.GlobalStandard.gpt-4o-mini", limit=450, current=30)
    arm.add_account(target.account_id, target.names.custom_sub_domain)
    arm.add_vault(target.vault_id)
    # 400 of the 450 are this stack's own: 430 in use, 20 free, and the stack asks for nothing new.
    arm.add_deployment(target.account_id, "chat", "gpt-4o-mini", "2024-07-18", "GlobalStandard", 400)
    for scope, role, principal in [(target.vault_id, KEY_VAULT_SECRETS_USER, reader),
                                   (target.vault_id, KEY_VAULT_SECRETS_USER, deployer),
                                   (target.account_id, COGNITIVE_SERVICES_USER, deployer)]:
        arm.assign_role(scope, role, principal, role_assignment_name(scope, role, principal))
    run = project.run()
    assert run.code == 0, run.report
    assert "held by this stack's account" in run.check("subdomain")["message"]
    assert "pulumi up updates it" in run.check("vault-name")["message"]
    # The same stack asking for 10 more than is free fails, naming what it already holds.
    project.write(deployments=[{**GPT_4O_MINI, "sku": {"name": "GlobalStandard", "capacity": 430}}],
                  secretReaders=[{"principalId": reader, "principalType": "ServicePrincipal"}], lock="CanNotDelete")
    run = project.run()
    assert run.code == 1 and not run.check("quota")["ok"]
    assert "plus 400 this stack already holds" in run.check("quota")["message"]
    assert "at most 420" in run.check("quota")["message"]


def test_a_principal_without_the_domain_check_action_is_told_which_action_and_role(project: Project) -> None:
    # Reader carries every GET preflight makes, but not checkDomainAvailability (a POST).
    project.emulator.arm.forbid("/providers/microsoft.cognitiveservices/checkdomainavailability")
    run = project.run()
    assert run.code == 1
    message = run.check("subdomain")["message"]
    assert "checkDomainAvailability/action" in message and "docs/roles/preview.json" in message
    assert run.check("models")["ok"] is True  # the other checks are still answered
