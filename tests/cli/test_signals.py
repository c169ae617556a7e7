"""Signals (contract section "Signals"): SIGINT ends a command with 130, SIGTERM with 143, after one
line saying what was changed and what was not; `--json` still prints its one document; a running
`pulumi` gets the signal too and is waited for.

Each test runs `python -m aisvc` as a subprocess, waits until it is provably in the middle of its
work (the emulator has answered the check's probe; the fake `pulumi up` is blocking), then signals it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.emulator import AzureEmulator
from tests.support.fakes.pulumi_project import FakePulumi

REPO_ROOT = Path(__file__).resolve().parents[2]
SIGNALS = [pytest.param(signal.SIGINT, 130, id="SIGINT"), pytest.param(signal.SIGTERM, 143, id="SIGTERM")]


def start_aisvc(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.Popen[str]:
    with tempfile.TemporaryFile("w+") as source:
        source.write(stdin)
        source.seek(0)
        return subprocess.Popen([sys.executable, "-m", "aisvc", *args], cwd=REPO_ROOT, env=env, text=True,
                                stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_until(condition: Callable[[], Any], process: subprocess.Popen[str], what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"aisvc ended (exit {process.returncode}) before {what}:\n{out}\n{err}")
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"timed out waiting for {what}")


def interrupt(process: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    os.kill(process.pid, signum)
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def last_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert lines, "nothing on stderr"
    return lines[-1]


# --- check: interrupted while waiting for the data plane ------------------------------------


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_check_interrupted_while_waiting(azure_emulator: AzureEmulator, signum: int, code: int) -> None:
    azure_emulator.unmap_subdomain_for(300.0)  # 404: the subdomain is not mapped yet (transient)
    process = start_aisvc("check", "--outputs", "-", "--json", "--auth", "key", "--timeout", "120",
                          env=azure_emulator.env(), stdin=json.dumps(azure_emulator.stack_outputs()))
    wait_until(lambda: len(azure_emulator.requests(role="ai")) >= 2, process, "the check retried the probe")

    returncode, stdout, stderr = interrupt(process, signum)

    assert returncode == code, stderr
    document = json.loads(stdout)  # exactly one document
    assert document["ok"] is False and document["error"] == "interrupted"
    assert document["endpoint"] == azure_emulator.stack_outputs()["endpoint"]
    [check] = document["checks"]
    assert check["name"] == "key" and check["ok"] is False and check["error"] == "interrupted"
    assert check["status"] == 404 and check["attempts"] >= 2
    line = last_line(stderr)
    assert line.startswith(f"error: check interrupted by {signal.Signals(signum).name}")
    assert "nothing was changed" in line
    assert [text for text in stderr.splitlines() if text.startswith("error:")] == [line]
    assert "Traceback" not in stderr
    for secret in azure_emulator.secret_values():
        assert secret not in stdout + stderr


def test_check_interrupted_without_json_prints_only_the_line(azure_emulator: AzureEmulator) -> None:
    azure_emulator.unmap_subdomain_for(300.0)
    process = start_aisvc("check", "--outputs", "-", "--auth", "key", "--timeout", "120",
                          env=azure_emulator.env(), stdin=json.dumps(azure_emulator.stack_outputs()))
    wait_until(lambda: azure_emulator.requests(role="ai"), process, "the first probe")

    returncode, stdout, stderr = interrupt(process, signal.SIGINT)

    assert returncode == 130
    assert stdout == ""
    assert last_line(stderr).startswith("error: check interrupted by SIGINT (key: interrupted after ")
    assert "Traceback" not in stderr and "Aborted" not in stderr


def test_check_stack_interrupted_while_pulumi_reads_outputs(azure_emulator: AzureEmulator, tmp_path: Path) -> None:
    fake = FakePulumi(tmp_path, outputs=azure_emulator.stack_outputs())
    fake.update_stack(hang={"stack output": 120})
    process = start_aisvc("check", "-s", "dev", "--project-dir", str(fake.project), "--json",
                          env=rotate_env(azure_emulator, fake))
    [hanging] = wait_until(fake.signal_events, process, "`pulumi stack output` to start")

    returncode, stdout, stderr = interrupt(process, signal.SIGINT)

    assert [event["event"] for event in fake.signal_events()] == ["hanging", "signal", "exited"]
    assert fake.signal_events()[1]["signal"] == "SIGINT" and not alive(hanging["pid"])
    assert returncode == 130, stderr
    assert json.loads(stdout) == {"ok": False, "error": "interrupted"}
    assert last_line(stderr) == "error: check interrupted by SIGINT: nothing was changed (the check only reads)"


def test_check_double_ctrl_c_still_prints_the_document(azure_emulator: AzureEmulator) -> None:
    azure_emulator.unmap_subdomain_for(300.0)
    process = start_aisvc("check", "--outputs", "-", "--json", "--auth", "key", "--timeout", "120",
                          env=azure_emulator.env(), stdin=json.dumps(azure_emulator.stack_outputs()))
    wait_until(lambda: azure_emulator.requests(role="ai"), process, "the first probe")

    os.kill(process.pid, signal.SIGINT)
    returncode, stdout, stderr = interrupt(process, signal.SIGINT)

    assert returncode == 130, stderr
    assert json.loads(stdout)["error"] == "interrupted"
    assert last_line(stderr).startswith("error: check interrupted by SIGINT")


# --- rotate: interrupted while `pulumi up` runs -----------------------------------------------


@pytest.fixture
def hanging_up(azure_emulator: AzureEmulator, tmp_path: Path) -> FakePulumi:
    fake = FakePulumi(tmp_path, outputs=azure_emulator.stack_outputs())
    fake.update_stack(program="key-secrets", hang={"up": 120})
    return fake


def rotate_env(emulator: AzureEmulator, fake: FakePulumi) -> dict[str, str]:
    env = {**emulator.env(), **fake.env()}
    env["PATH"] = os.pathsep.join([str(fake.root / "bin"), env.get("PATH", "")])
    return env


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_rotate_interrupted_in_up_signals_pulumi_and_waits(
    azure_emulator: AzureEmulator, hanging_up: FakePulumi, signum: int, code: int,
) -> None:
    keys_before = azure_emulator.keys
    process = start_aisvc("rotate", "-s", "dev", "--project-dir", str(hanging_up.project), "--yes", "--json",
                          env=rotate_env(azure_emulator, hanging_up))
    [hanging] = wait_until(hanging_up.signal_events, process, "`pulumi up` to start")
    assert hanging["event"] == "hanging" and hanging["command"] == "up"
    # Its own process group: a terminal's Ctrl-C reaches it once, through aisvc.
    assert hanging["pgid"] == hanging["pid"] != os.getpgid(process.pid)

    returncode, stdout, stderr = interrupt(process, signum)

    # The child got the same signal and had finished its clean-up before aisvc exited: no orphan.
    events = hanging_up.signal_events()
    assert [event["event"] for event in events] == ["hanging", "signal", "exited"]
    assert events[1]["signal"] == signal.Signals(signum).name
    assert not alive(hanging["pid"])

    assert returncode == code, stderr
    document = json.loads(stdout)
    assert document["ok"] is False and document["error"] == "interrupted"
    assert [step["name"] for step in document["steps"]] == ["inspect", "preview", "regenerate", "config", "up"]
    assert document["steps"][-1]["ok"] is False and document["steps"][-1]["error"] == "interrupted"
    assert (document["previousActiveKey"], document["activeKey"], document["regeneratedKey"]) == ("key1", "key2", "key2")
    assert document["recovery"] == ["pulumi up -s dev", "aisvc check --stack dev"]

    line = last_line(stderr)
    assert line.startswith(f"error: rotation interrupted by {signal.Signals(signum).name} in step 'up'")
    assert "ai-services-key holds key1 or the new key2; both are valid" in line
    assert "`pulumi up -s dev`; `aisvc check --stack dev`" in line
    assert "Traceback" not in stderr
    # What was changed: key2 regenerated, key1 (what apps hold) untouched.
    assert azure_emulator.keys["key1"] == keys_before["key1"] and azure_emulator.keys["key2"] != keys_before["key2"]
    app_secret = azure_emulator.get_secret("ai-services-key")
    assert app_secret is not None and app_secret.value == keys_before["key1"]
    for secret in azure_emulator.secret_values():
        assert secret not in stdout + stderr


def test_rotate_interrupted_before_any_change_says_nothing_changed(
    azure_emulator: AzureEmulator, tmp_path: Path,
) -> None:
    fake = FakePulumi(tmp_path, outputs=azure_emulator.stack_outputs())
    fake.update_stack(hang={"preview": 120})
    keys_before = azure_emulator.keys
    process = start_aisvc("rotate", "--stack", "dev", "--project-dir", str(fake.project), "--yes",
                          env=rotate_env(azure_emulator, fake))
    wait_until(fake.signal_events, process, "`pulumi preview` to start")

    returncode, stdout, stderr = interrupt(process, signal.SIGTERM)

    assert returncode == 143
    assert stdout == ""
    assert last_line(stderr) == ("error: rotation interrupted by SIGTERM in step 'preview': nothing was changed; "
                                 "rerun `aisvc rotate --stack dev` to rotate")
    assert [event["event"] for event in fake.signal_events()] == ["hanging", "signal", "exited"]
    assert azure_emulator.keys == keys_before


# --- plan ---------------------------------------------------------------------------------------


def test_plan_interrupted_prints_the_marker_document(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: slow\nruntime: python\nstackConfigDir: stacks\n")
    (project / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n")
    started = tmp_path / "program-started"
    (project / "__main__.py").write_text(f"import pathlib, time\npathlib.Path({str(started)!r}).touch()\ntime.sleep(120)\n")
    process = start_aisvc("plan", "--json", "--project-dir", str(project), env=dict(os.environ))
    wait_until(started.exists, process, "the program to run")

    returncode, stdout, stderr = interrupt(process, signal.SIGTERM)

    assert returncode == 143
    assert json.loads(stdout) == {"ok": False, "error": "interrupted"}
    assert last_line(stderr) == ("error: plan interrupted by SIGTERM: nothing was changed "
                                 "(the plan is offline and writes nothing)")
