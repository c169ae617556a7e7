"""Preflight against the emulator: a throwaway project per test and `python -m aisvc preflight` as a subprocess."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from aisvc.config.naming import Names
from aisvc.preflight import CHECK_IDS, Target, load_target
from tests.support import process
from tests.support.emulator import AzureEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE_CONFIG: dict[str, Any] = {
    "azure-native:location": "swedencentral",
    "ai-services:namePrefix": "pf",
    "ai-services:kind": "AIServices",
}
GPT_4O_MINI: dict[str, Any] = {"name": "chat", "model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
               "sku": {"name": "GlobalStandard", "capacity": 10}}


class Run(process.Run):
    """A preflight run: its checks by id."""

    def check(self, check_id: str) -> dict[str, Any]:
        return next(check for check in self.report["checks"] if check["id"] == check_id)


class Project:
    """A Pulumi project directory holding one stack file `stacks/Pulumi.<stack>.yaml`."""

    def __init__(self, directory: Path, emulator: AzureEmulator) -> None:
        self.directory, self.emulator, self.stack = directory, emulator, "test"
        (directory / "Pulumi.yaml").write_text("name: ai-services\nruntime: python\nstackConfigDir: stacks\n")
        (directory / "stacks").mkdir()
        self.write()

    def write(self, **config: Any) -> Project:
        document = {"config": {**BASE_CONFIG, **{f"ai-services:{key}": value for key, value in config.items()}}}
        (self.directory / "stacks" / f"Pulumi.{self.stack}.yaml").write_text(yaml.safe_dump(document))
        return self

    def target(self) -> Target:
        return load_target(self.stack, self.directory, {"AZURE_SUBSCRIPTION_ID": self.emulator.subscription_id})

    @property
    def names(self) -> Names:
        return self.target().names

    def run(self, *args: str, env: dict[str, str] | None = None, json_mode: bool = True, timeout: float = 10,
            wall_limit: float = 60) -> Run:
        """`aisvc preflight` for this stack; asserts no secret was printed and no traceback."""
        environment = env if env is not None else self.env()
        command = [sys.executable, "-m", "aisvc", "preflight", "--stack", self.stack, "--project-dir",
                   str(self.directory), "--timeout", str(timeout), *(["--json"] if json_mode else []), *args]
        started = time.monotonic()
        done = subprocess.run(command, env=environment, cwd=REPO_ROOT, text=True, capture_output=True,
                              timeout=wall_limit)
        run = Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        printed = run.stdout + run.stderr
        leaked = [value for value in self.emulator.secret_values() if value in printed]
        assert not leaked, f"secret printed: {printed}"
        assert "Traceback" not in printed, printed
        if json_mode and run.code in (0, 1) and run.stdout:
            assert_contract_shape(run.report)
        return run

    def env(self) -> dict[str, str]:
        env = self.emulator.env()
        env["AZURE_SUBSCRIPTION_ID"] = self.emulator.subscription_id
        env.pop("ARM_SUBSCRIPTION_ID", None)
        return env


def assert_contract_shape(report: dict[str, Any]) -> None:
    assert set(report) == {"ok", "stack", "subscriptionId", "elapsedSeconds", "checks"}
    assert isinstance(report["ok"], bool) and isinstance(report["elapsedSeconds"], float)
    assert [check["id"] for check in report["checks"]] == list(CHECK_IDS)  # every id, once, in order
    for check in report["checks"]:
        assert set(check) == {"id", "ok", "severity", "configKey", "message"}
        assert check["severity"] in (None, "error", "warning")
        assert (check["severity"] == "error") == (not check["ok"])
        assert check["configKey"] is None or check["configKey"].startswith(("ai-services:", "azure-native:"))
    assert report["ok"] == all(check["ok"] for check in report["checks"])


@pytest.fixture
def project(tmp_path: Path, azure_emulator: AzureEmulator) -> Project:
    return Project(tmp_path, azure_emulator)
