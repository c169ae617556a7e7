"""`python -m aisvc rotate` end to end, in a subprocess, with everything real except
the two things this machine lacks: Azure (the local emulator answers) and the
Pulumi CLI (tests/fakes/pulumi_cli.py answers; its `up` writes the key secrets
from ARM listKeys into Key Vault like the real program)."""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.emulator import AzureEmulator
from tests.support.fakes.pulumi_project import FakePulumi


def run_rotate(emulator: AzureEmulator, fake: FakePulumi, *args: str) -> subprocess.CompletedProcess[str]:
    env = emulator.env()
    env.update(fake.env())
    env["PATH"] = os.pathsep.join([str(fake.root / "bin"), env.get("PATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "aisvc", "rotate", "--stack", "dev", "--project-dir", str(fake.project), *args],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def fake(azure_emulator: AzureEmulator, tmp_path: Path) -> FakePulumi:
    fake = FakePulumi(tmp_path, outputs=azure_emulator.stack_outputs())
    fake.update_stack(program="key-secrets")
    return fake


def assert_no_secret_printed(emulator: AzureEmulator, *texts: str) -> None:
    for value in emulator.secret_values():
        for text in texts:
            assert value not in text


def test_rotate_json_end_to_end(azure_emulator: AzureEmulator, fake: FakePulumi) -> None:
    before = azure_emulator.keys
    done = run_rotate(azure_emulator, fake, "--yes", "--json")

    assert done.returncode == 0, done.stderr
    document: dict[str, Any] = json.loads(done.stdout)
    assert document["ok"] is True
    assert (document["previousActiveKey"], document["activeKey"], document["regeneratedKey"]) == ("key1", "key2", "key2")
    assert [step["name"] for step in document["steps"]] == ["inspect", "preview", "regenerate", "config", "up", "check"]
    assert document["check"]["ok"] is True and document["check"]["checks"][0]["name"] == "key"
    after = azure_emulator.keys
    assert after["key1"] == before["key1"] and after["key2"] != before["key2"]
    current = azure_emulator.get_secret("ai-services-key")
    assert current is not None
    assert current.value == after["key2"] and current.tags == {"CredentialId": "key2"}
    config = yaml.safe_load(fake.stack_file.read_text())["config"]
    # rotatedAt (today, UTC) is written with activeKey: the key secrets' expiry counts from it
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert config["ai-services:secrets"] == {"activeKey": "key2", "rotatedAt": today}
    assert "[1/6]" in done.stderr and "[6/6]" in done.stderr  # progress goes to stderr
    # One credential serves ARM, Key Vault and the check: one token per scope (ARM, Key Vault),
    # plus the two the stand-in `pulumi up` (another process) fetches for the same scopes.
    assert len(azure_emulator.requests(role="entra", method="POST")) == 2 + 2
    assert_no_secret_printed(azure_emulator, done.stdout, done.stderr)


def test_rotate_refuses_without_yes_off_a_terminal(azure_emulator: AzureEmulator, fake: FakePulumi) -> None:
    done = run_rotate(azure_emulator, fake)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines()[-1].startswith("error: refusing to rotate keys without --yes")
    assert not fake.calls()  # not even `pulumi version`


def test_rotate_json_refusal_is_still_one_document(azure_emulator: AzureEmulator, fake: FakePulumi) -> None:
    done = run_rotate(azure_emulator, fake, "--json")
    assert done.returncode == 2
    document = json.loads(done.stdout)
    assert document["ok"] is False and document["steps"] == [] and "without --yes" in document["error"]


def test_rotate_unknown_stack_is_bad_input(azure_emulator: AzureEmulator, fake: FakePulumi) -> None:
    state = fake.state()
    state["stacks"] = {"other": state["stacks"]["dev"]}
    fake.write_state(state)
    done = run_rotate(azure_emulator, fake, "--yes")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == "error: stack 'dev' not found (pulumi stack ls lists the stacks)"


def test_rotate_refuses_when_local_auth_is_off(azure_emulator: AzureEmulator, tmp_path: Path) -> None:
    fake = FakePulumi(tmp_path, outputs=azure_emulator.stack_outputs(local_auth=False))
    keys = azure_emulator.keys
    done = run_rotate(azure_emulator, fake, "--yes")
    assert done.returncode == 2
    assert "local (key) auth off" in done.stderr
    assert azure_emulator.keys == keys


def test_rotate_up_failure_exit_1_with_recovery(azure_emulator: AzureEmulator, fake: FakePulumi) -> None:
    fake.update_stack(fail={"up": "azure-native:keyvault:Secret ai-services-key: 403 Forbidden"})
    done = run_rotate(azure_emulator, fake, "--yes", "--json")

    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False and document["steps"][-1] == {**document["steps"][-1], "name": "up", "ok": False}
    assert document["recovery"] == ["pulumi up -s dev", "aisvc check --stack dev"]
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("error: rotation failed at step 'up'") and "`pulumi up -s dev`" in error
    # Apps are safe: the secret still holds key1, which was not regenerated.
    current = azure_emulator.get_secret("ai-services-key")
    assert current is not None and current.value == azure_emulator.keys["key1"]
    assert_no_secret_printed(azure_emulator, done.stdout, done.stderr)
