"""Rotation orchestration with in-memory fakes: the happy path, every refusal and
a failure at every step. After a failure the app-facing secret must still hold
a valid key and the message must name the step and the commands that finish it."""
from __future__ import annotations

import dataclasses
import datetime
import json
from typing import Any

import pytest
from click.testing import CliRunner

from aisvc.cli import rotate as rotate_module
from aisvc.cli.rotate import report
from aisvc.contract import ACTIVE_KEY_CONFIG, ROTATED_AT_CONFIG
from aisvc.errors import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, OperationFailed
from aisvc.rotate import AppSecret, Rotation, RotationParts, RotationResult
from aisvc.services.stack_outputs import StackOutputs
from tests.support.fakes.rotation import (
    CREDENTIAL_TAG,
    SECRET_NAMES,
    FakeCheckReport,
    MemoryAccount,
    MemoryVault,
    ProgramStackDriver,
    memory_outputs,
)

CURRENT = SECRET_NAMES["current"]


class World:
    """An account, a vault and a stack deployed with activeKey=key1, consistent with each other."""

    def __init__(self, local_auth: bool = True) -> None:
        self.account = MemoryAccount()
        self.vault = MemoryVault()
        self.driver = ProgramStackDriver(
            list_keys=self.account.list_keys, vault_get=self.vault.get, vault_set=self.vault.set,
            base_outputs=memory_outputs(local_auth),
        )
        self.driver.up()
        self.driver.up_count = 0
        self.check_ok = True
        self.checked_outputs: list[StackOutputs] = []
        self.progress: list[str] = []

    def run_check(self, outputs: StackOutputs) -> FakeCheckReport:
        self.checked_outputs.append(outputs)
        value = self.app_secret()
        ok = self.check_ok and self.account.valid(value)
        return FakeCheckReport(ok, None if ok else "key rejected with 401 after 30 s grace")

    def app_secret(self) -> str | None:
        view = self.vault.get(CURRENT)
        return view[0] if view else None

    def app_secret_now(self, _outputs: Any) -> AppSecret:
        value, tags = self.current()
        return AppSecret(value, tags.get(CREDENTIAL_TAG))

    def current(self) -> tuple[str, dict[str, str]]:
        """The app-facing secret's latest version; it always exists once deployed."""
        view = self.vault.get(CURRENT)
        assert view is not None, "the app-facing secret is missing"
        return view

    def rotation(self, **overrides: Any) -> Rotation:
        parts: dict[str, Any] = dict(
            stack="dev", driver=self.driver, account_keys=lambda _outputs: self.account, run_check=self.run_check,
            app_secret=self.app_secret_now, confirm=None, progress=self.progress.append,
            today=lambda: datetime.date(2026, 3, 1),
        )
        parts.update(overrides)
        return Rotation(**parts)


@pytest.fixture
def world() -> World:
    return World()


def error_of(result: RotationResult) -> str:
    assert result.error is not None, "the rotation did not fail"
    return result.error


def test_rotation_switches_to_the_regenerated_key(world: World) -> None:
    old_key1, old_key2 = world.account.keys["key1"], world.account.keys["key2"]

    result = world.rotation().run()

    assert result.ok, result.error
    assert (result.previous_active_key, result.active_key, result.regenerated_key) == ("key1", "key2", "key2")
    assert world.account.regenerated == ["key2"]
    assert world.account.keys["key1"] == old_key1  # the key apps hold was never touched
    assert world.account.keys["key2"] != old_key2
    assert world.app_secret() == world.account.keys["key2"]
    assert world.current()[1] == {CREDENTIAL_TAG: "key2"}
    assert world.vault.versions[SECRET_NAMES["key2"]][-1][0] == world.account.keys["key2"]
    assert world.driver.config[ACTIVE_KEY_CONFIG] == "key2"
    assert [step.name for step in result.steps] == ["inspect", "preview", "regenerate", "config", "up", "check"]
    assert all(step.ok for step in result.steps)
    assert world.checked_outputs[-1].active_key == "key2"
    # Consistent: a plain `pulumi up` afterwards would change nothing.
    assert world.driver.pending_changes() == {}


def test_second_rotation_goes_back_to_key1(world: World) -> None:
    assert world.rotation().run().ok
    result = world.rotation().run()
    assert result.ok, result.error
    assert (result.previous_active_key, result.regenerated_key) == ("key2", "key1")
    assert world.account.regenerated == ["key2", "key1"]
    assert world.app_secret() == world.account.keys["key1"]


def test_progress_names_every_step(world: World) -> None:
    world.rotation().run()
    numbered = [line for line in world.progress if line.startswith("[")]
    assert [line.split("]")[0] for line in numbered] == [f"[{i}/6" for i in range(1, 7)]
    assert any("regenerate Key2" in line for line in numbered)


def test_json_document_shape(world: World) -> None:
    document = world.rotation().run().to_json()
    assert set(document) == {"ok", "stack", "previousActiveKey", "activeKey", "regeneratedKey", "steps", "check",
                             "error", "recovery"}
    assert document["ok"] is True and document["error"] is None and document["recovery"] == []
    assert set(document["steps"][0]) == {"name", "ok", "elapsedSeconds", "error"}
    assert document["check"]["ok"] is True
    json.dumps(document)  # serialisable as is


# --- refusals: exit 2, nothing changed ------------------------------------------------


def assert_nothing_changed(world: World, result: RotationResult, keys_before: dict[str, str]) -> None:
    assert result.exit_code == EXIT_BAD_INPUT
    assert world.account.keys == keys_before
    assert world.account.regenerated == []
    assert world.driver.up_count == 0
    assert world.driver.config[ACTIVE_KEY_CONFIG] == "key1"
    assert result.recovery == []


def test_refuses_when_local_auth_is_off() -> None:
    world = World(local_auth=False)
    keys = dict(world.account.keys)
    result = world.rotation().run()
    assert_nothing_changed(world, result, keys)
    assert "local (key) auth off" in error_of(result)


def test_refuses_with_pending_changes(world: World) -> None:
    world.driver.extra_pending = {"create": 1}
    keys = dict(world.account.keys)
    result = world.rotation().run()
    assert_nothing_changed(world, result, keys)
    assert "pending changes (1 to create)" in error_of(result)
    assert "pulumi up -s dev" in error_of(result)
    assert [step.name for step in result.steps] == ["inspect", "preview"]


def test_refuses_when_a_key_was_regenerated_outside_pulumi(world: World) -> None:
    world.account.regenerate("key2")  # out of band: Key Vault's key2 secret is now stale
    world.account.regenerated.clear()
    keys = dict(world.account.keys)
    result = world.rotation().run()
    assert_nothing_changed(world, result, keys)
    assert "pending changes" in error_of(result)


def test_refuses_when_config_and_deployment_disagree(world: World) -> None:
    world.driver.config[ACTIVE_KEY_CONFIG] = "key2"
    result = world.rotation().run()
    assert result.exit_code == EXIT_BAD_INPUT
    assert "config says activeKey key2 but the deployed stack uses key1" in error_of(result)
    world.driver.config[ACTIVE_KEY_CONFIG] = "key1"
    assert world.account.regenerated == []


def test_refuses_when_the_app_secret_tag_disagrees(world: World) -> None:
    world.vault.set(CURRENT, world.account.keys["key2"], {CREDENTIAL_TAG: "key2"})
    keys = dict(world.account.keys)
    result = world.rotation(driver=world.driver).run()
    assert_nothing_changed(world, result, keys)
    assert "tagged CredentialId=key2" in error_of(result)


@pytest.mark.parametrize("held, expected", [("key2", "holds key2"), (None, "holds neither of the account's keys")])
def test_refuses_when_an_untagged_app_secret_holds_another_value(world: World, held: str | None,
                                                                   expected: str) -> None:
    # Written by hand (no tag): rotation must look at the value, or it would regenerate the key apps hold.
    world.vault.set(CURRENT, world.account.keys[held] if held else "not-a-key-of-this-account", {})
    keys = dict(world.account.keys)
    result = world.rotation().run()
    assert_nothing_changed(world, result, keys)
    assert expected in error_of(result) and "would regenerate key2" in error_of(result)
    assert all(value not in error_of(result) for value in keys.values())


def test_declined_confirmation_changes_nothing(world: World) -> None:
    questions: list[str] = []

    def decline(question: str) -> bool:
        questions.append(question)
        return False

    keys = dict(world.account.keys)
    result = world.rotation(confirm=decline).run()
    assert_nothing_changed(world, result, keys)
    assert "regenerate Key2" in questions[0] and "activeKey=key2" in questions[0]
    assert "cancelled" in error_of(result)


def test_confirmed_rotation_runs(world: World) -> None:
    assert world.rotation(confirm=lambda _q: True).run().ok


# --- failures at each step: exit 1, apps safe, recovery commands -----------------------


def assert_apps_safe(world: World) -> None:
    assert world.account.valid(world.app_secret()), "the app-facing secret must hold a valid key"


def test_regenerate_fails(world: World) -> None:
    world.account.fail_regenerate = "could not regenerate Key2: HTTP 403 AuthorizationFailed"
    result = world.rotation().run()

    assert result.exit_code == EXIT_FAILED
    assert_apps_safe(world)
    assert world.app_secret() == world.account.keys["key1"]
    assert "step 'regenerate'" in error_of(result) and "AuthorizationFailed" in error_of(result)
    assert result.recovery == [
        "az cognitiveservices account keys regenerate --name demo-ai --resource-group rg-demo --key-name Key2",
        "pulumi config set --path ai-services:secrets.activeKey key2 -s dev",
        "pulumi up -s dev",
        "aisvc check --stack dev",
    ]
    assert all(f"`{command}`" in error_of(result) for command in result.recovery)
    assert world.driver.config[ACTIVE_KEY_CONFIG] == "key1"


def test_config_set_fails(world: World) -> None:
    world.driver.fail["config"] = "pulumi config set failed: error: could not write stacks/Pulumi.dev.yaml"
    result = world.rotation().run()

    assert result.exit_code == EXIT_FAILED
    assert_apps_safe(world)
    assert world.app_secret() == world.account.keys["key1"]
    assert "step 'config'" in error_of(result)
    assert result.recovery == [
        "pulumi config set --path ai-services:secrets.rotatedAt 2026-03-01 -s dev",
        "pulumi config set --path ai-services:secrets.activeKey key2 -s dev", "pulumi up -s dev",
        "aisvc check --stack dev",
    ]
    # Following the recovery commands finishes the rotation.
    world.driver.fail.clear()
    world.driver.set_config(ACTIVE_KEY_CONFIG, "key2", path=True)
    world.driver.up()
    assert world.app_secret() == world.account.keys["key2"]


@pytest.mark.parametrize("writes_before_failure", [0, 1])  # rotation changes two secrets
def test_up_fails(world: World, writes_before_failure: int) -> None:
    world.driver.fail_up_after_writes = writes_before_failure
    result = world.rotation().run()

    assert result.exit_code == EXIT_FAILED
    assert_apps_safe(world)
    assert "step 'up'" in error_of(result) and "409 Conflict" in error_of(result)
    assert result.recovery == ["pulumi up -s dev", "aisvc check --stack dev"]
    assert result.active_key == "key2"  # config was switched; up finishes it
    world.driver.fail_up_after_writes = None
    world.driver.up()
    assert world.app_secret() == world.account.keys["key2"]
    assert world.driver.pending_changes() == {}


def test_up_that_does_not_switch_the_output_fails(world: World) -> None:
    world.driver.up = lambda: dataclasses.replace(world.driver.outputs(), active_key="key1")  # type: ignore[method-assign]
    result = world.rotation().run()
    assert result.exit_code == EXIT_FAILED
    assert "activeKey output is 'key1', not key2" in error_of(result)
    assert_apps_safe(world)


def test_check_fails(world: World) -> None:
    world.check_ok = False
    result = world.rotation().run()

    assert result.exit_code == EXIT_FAILED
    assert_apps_safe(world)
    assert world.app_secret() == world.account.keys["key2"]
    assert "step 'check'" in error_of(result) and "401 after 30 s grace" in error_of(result)
    assert result.recovery == ["aisvc check --stack dev"]
    assert result.check is not None and result.check["ok"] is False
    assert result.steps[-1].name == "check" and not result.steps[-1].ok


def test_failure_message_is_one_line_without_key_values(world: World) -> None:
    world.driver.fail_up_after_writes = 1
    result = world.rotation().run()
    assert "\n" not in error_of(result)
    for value in world.account.keys.values():
        assert value not in error_of(result)


# --- the click command and report() ----------------------------------------------------


class RecordingOutput:
    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode
        self.documents: list[Any] = []
        self.lines: list[str] = []

    def emit_json(self, document: Any) -> None:
        self.documents.append(document)

    def print(self, text: str) -> None:
        self.lines.append(text)


def test_report_json_then_exit_code(world: World) -> None:
    world.check_ok = False
    result = world.rotation().run()
    output = RecordingOutput(json_mode=True)
    with pytest.raises(OperationFailed) as caught:
        report(result, output)
    assert output.documents == [result.to_json()]
    assert caught.value.exit_code == EXIT_FAILED
    assert str(caught.value) == result.error


def test_report_success_prints_summary(world: World) -> None:
    output = RecordingOutput(json_mode=False)
    report(world.rotation().run(), output)
    assert output.lines == ["rotated stack dev: key2 is now active (key1 stays valid until the next rotation)"]


def test_command_refuses_without_yes_when_not_interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[str] = []
    monkeypatch.setattr(rotate_module, "_live_parts", lambda *args: called.append("live"))
    result = CliRunner().invoke(rotate_module.rotate_command, ["--stack", "dev"], standalone_mode=False)
    assert result.exception is not None and getattr(result.exception, "exit_code", None) == EXIT_BAD_INPUT
    assert "without --yes" in str(result.exception)
    assert called == []  # refused before touching the stack


def test_command_runs_with_fakes_and_prints_json(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = RotationParts(driver=world.driver, account_keys=lambda _o: world.account, run_check=world.run_check,
                          app_secret=world.app_secret_now)
    monkeypatch.setattr(rotate_module, "_live_parts", lambda *args: parts)
    result = CliRunner().invoke(rotate_module.rotate_command, ["--stack", "dev", "--yes", "--json"])
    assert result.exit_code == EXIT_OK, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["activeKey"] == "key2"


def test_unexpected_exception_still_reports_recovery(world: World) -> None:
    def explode() -> StackOutputs:
        raise ConnectionResetError("connection reset by peer")

    world.driver.up = explode  # type: ignore[method-assign]
    result = world.rotation().run()
    assert result.exit_code == EXIT_FAILED
    assert "step 'up'" in error_of(result) and "unexpected ConnectionResetError" in error_of(result)
    assert result.recovery == ["pulumi up -s dev", "aisvc check --stack dev"]
    assert_apps_safe(world)


def test_the_config_step_writes_rotated_at_with_active_key(world: World) -> None:
    result = world.rotation().run()
    assert result.ok
    assert world.driver.config[ROTATED_AT_CONFIG] == "2026-03-01" == result.rotated_at
    assert world.driver.config[ACTIVE_KEY_CONFIG] == "key2"
