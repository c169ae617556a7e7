"""PulumiStackDriver at its boundary: the Automation API runs a fake `pulumi` CLI.

The fake (tests/fakes/pulumi_cli.py) answers like the real CLI and logs every
invocation, so these tests pin down which commands rotation really runs.
"""
from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
import yaml

from aisvc.errors import InputError, OperationFailed
from aisvc.services.stack_driver import PulumiStackDriver, changes_from_summary
from aisvc.services.stack_outputs import parse_outputs
from tests.support.fakes.pulumi_project import OUTPUTS, FakePulumi


@pytest.fixture(params=["3.272.0", "3.200.0"], ids=["grpc-events", "file-events"])
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> FakePulumi:
    fake = FakePulumi(tmp_path, request.param)
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    return fake


def without_noise(argv: list[str]) -> list[str]:
    """The argv minus flags whose values vary per run (event log address)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg == "--event-log":
            skip = True
            continue
        out.append(arg)
    return out


def test_select_runs_stack_select_non_interactively(fake: FakePulumi) -> None:
    fake.driver()
    assert fake.calls()[-1] == ["--non-interactive", "stack", "select", "--stack", "dev"]


def test_unknown_stack_is_bad_input(fake: FakePulumi) -> None:
    with pytest.raises(InputError, match="stack 'nope' not found"):
        fake.driver("nope")


def test_missing_project_file_is_bad_input(fake: FakePulumi, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no Pulumi.yaml"):
        PulumiStackDriver("dev", tmp_path / "elsewhere", pulumi_command=fake.command())


def test_outputs_are_parsed_once_into_the_stack_outputs_model(fake: FakePulumi) -> None:
    outputs = fake.driver().outputs()
    assert outputs == parse_outputs(OUTPUTS, "stack dev outputs")
    assert (outputs.active_key, outputs.account_id) == (OUTPUTS["activeKey"], OUTPUTS["accountId"])
    assert ["--non-interactive", "stack", "output", "--json", "--show-secrets", "--stack", "dev"] in fake.calls()


def test_get_config_reads_the_stack_file_in_stack_config_dir(fake: FakePulumi) -> None:
    driver = fake.driver()
    assert driver.get_config("ai-services:secrets.activeKey", path=True) == "key1"
    assert driver.get_config("ai-services:missing") is None
    assert ["--non-interactive", "config", "get", "--path", "ai-services:secrets.activeKey", "--json", "--stack",
            "dev"] in fake.calls()


def test_set_config_writes_stacks_file_not_project_root(fake: FakePulumi) -> None:
    fake.driver().set_config("ai-services:secrets.activeKey", "key2", path=True)

    assert ["config", "set", "--path", "ai-services:secrets.activeKey", "--plaintext", "--stack", "dev",
            "--non-interactive", "--", "key2"] in fake.calls()
    config = yaml.safe_load(fake.stack_file.read_text())["config"]
    # The nested value changed; the rest of the stack file is untouched.
    assert config == {"ai-services:namePrefix": "demo", "ai-services:secrets": {"activeKey": "key2"}}
    # No stray Pulumi.dev.yaml next to Pulumi.yaml: stackConfigDir was honoured.
    assert not (fake.project / "Pulumi.dev.yaml").exists()
    assert not any("--config-file" in call for call in fake.calls())


def test_set_config_without_path_sets_a_flat_key(fake: FakePulumi) -> None:
    fake.driver().set_config("ai-services:sku", "S0")
    config = yaml.safe_load(fake.stack_file.read_text())["config"]
    assert config["ai-services:sku"] == "S0"
    assert config["ai-services:secrets"] == {"activeKey": "key1"}


def test_pending_changes_none_when_preview_only_has_same(fake: FakePulumi) -> None:
    assert fake.driver().pending_changes() == {}
    preview = [without_noise(call) for call in fake.calls() if "preview" in call]
    assert preview == [["--non-interactive", "preview", "--color", "never", "--exec-kind", "auto.local",
                        "--stack", "dev"]]


def test_pending_changes_reports_updates(fake: FakePulumi) -> None:
    fake.update_stack(preview={"same": 7, "update": 2, "create": 1})
    assert fake.driver().pending_changes() == {"update": 2, "create": 1}


def test_up_applies_and_returns_new_outputs(fake: FakePulumi) -> None:
    driver = fake.driver()
    driver.set_config("ai-services:secrets.activeKey", "key2", path=True)
    outputs = driver.up()

    assert outputs.active_key == "key2"
    up_calls = [call for call in fake.calls() if "up" in call]
    assert up_calls and up_calls[0][:4] == ["--non-interactive", "up", "--yes", "--skip-preview"]
    assert up_calls[0][-2:] == ["--stack", "dev"]
    assert fake.state()["stacks"]["dev"]["upCount"] == 1
    # After up, a plain preview has nothing left to do.
    assert driver.pending_changes() == {}


def test_preview_and_up_run_the_projects_policy_pack(fake: FakePulumi) -> None:
    pack = fake.project / "policy"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    driver = fake.driver()
    driver.pending_changes()
    driver.up()
    for verb in ("preview", "up"):
        call = next(call for call in fake.calls() if verb in call)
        assert call[call.index("--policy-pack") + 1] == str(pack), call


@pytest.mark.parametrize("step", ["preview", "up", "config set"])
def test_cli_failures_become_one_line_operation_failed(fake: FakePulumi, step: str) -> None:
    fake.update_stack(fail={step: "the provider said no"})
    driver = fake.driver()
    action = {"preview": driver.pending_changes, "up": driver.up,
              "config set": lambda: driver.set_config("ai-services:secrets.activeKey", "key2", path=True)}[step]
    with pytest.raises(OperationFailed) as caught:
        action()
    message = str(caught.value)
    assert message.startswith(f"pulumi {step} failed:")
    assert "the provider said no" in message
    assert "\n" not in message


def test_cli_error_only_on_stderr_is_the_message() -> None:
    """The real CLI often writes just `error: ...` to stderr; CommandError labels that line `stderr: `."""
    from pulumi.automation import CommandError
    from pulumi.automation._cmd import CommandResult

    from aisvc.services.stack_driver import _command_error

    err = CommandError(CommandResult(stdout="", stderr="error: could not write stacks/Pulumi.dev.yaml\n", code=255))
    assert str(_command_error("config set", err)) == "pulumi config set failed: could not write stacks/Pulumi.dev.yaml"


def test_changes_from_summary_ignores_same_and_zero() -> None:
    assert changes_from_summary({"same": 4, "update": 0, "read": 1}) == {}
    assert changes_from_summary({"same": 4, "replace": 1}) == {"replace": 1}
    assert changes_from_summary(None) == {}


def test_cli_missing_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: ai-services\nruntime: python\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(InputError, match="pulumi CLI is not installed"):
        PulumiStackDriver("dev", project)
    assert os.environ["PATH"].endswith("empty-bin")


def test_rotation_through_the_automation_api(fake: FakePulumi) -> None:
    """The orchestration over the real driver: the commands a rotation runs, in order."""
    from aisvc.rotate import Rotation
    from tests.support.fakes.rotation import FakeCheckReport, MemoryAccount

    account = MemoryAccount()
    result = Rotation(stack="dev", driver=fake.driver(), account_keys=lambda _outputs: account,
                      run_check=lambda _outputs: FakeCheckReport(True), today=lambda: datetime.date(2026, 3, 1)).run()

    assert result.ok, result.error
    assert account.regenerated == ["key2"]
    assert yaml.safe_load(fake.stack_file.read_text())["config"]["ai-services:secrets"] == {
        "activeKey": "key2", "rotatedAt": "2026-03-01"}
    words = [[arg for arg in call if arg != "--non-interactive"][:2] for call in fake.calls()]
    operations = [w[0] if w[0] in {"preview", "up"} else " ".join(w) for w in words if w[0] in {"preview", "up", "config"}]
    assert operations == ["config get", "preview", "config set", "config set", "up"]  # rotatedAt, then activeKey


def test_rotation_refuses_on_pending_changes_from_preview(fake: FakePulumi) -> None:
    from aisvc.rotate import Rotation
    from tests.support.fakes.rotation import FakeCheckReport, MemoryAccount

    fake.update_stack(preview={"same": 5, "update": 1})
    account = MemoryAccount()
    result = Rotation(stack="dev", driver=fake.driver(), account_keys=lambda _outputs: account,
                      run_check=lambda _outputs: FakeCheckReport(True)).run()

    assert result.exit_code == 2 and "pending changes (1 to update)" in str(result.error)
    assert account.regenerated == []
    assert not any("up" in call or "set" in call for call in fake.calls())
