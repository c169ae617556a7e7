"""A Pulumi project directory plus a fake `pulumi` CLI root (tests/support/fakes/pulumi_cli.py).

`FakePulumi(tmp_path, version)` lays out Pulumi.yaml (stackConfigDir: stacks),
stacks/Pulumi.dev.yaml, `<root>/bin/pulumi` (a wrapper running the fake with this
interpreter, so it can speak gRPC to the Automation API) and the fake's state
and call log. Set FAKE_PULUMI_STATE / FAKE_PULUMI_LOG from `env()`.
"""
from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import yaml

from aisvc.services.stack_driver import PulumiStackDriver

FAKE_CLI = Path(__file__).resolve().parent / "pulumi_cli.py"

OUTPUTS = {
    "endpoint": "https://acct.cognitiveservices.azure.com/",
    "kind": "AIServices",
    "accountId": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/acct",
    "activeKey": "key1",
    "keyVaultUri": "https://kv-acct.vault.azure.net/",
    "keySecretName": "ai-services-key",
    "localAuthEnabled": True,
}


class FakePulumi:
    """A project directory, a fake CLI root and the fake's state and call log."""

    def __init__(self, tmp_path: Path, version: str = "3.272.0", outputs: dict[str, Any] | None = None) -> None:
        self.project = tmp_path / "project"
        (self.project / "stacks").mkdir(parents=True)
        (self.project / "Pulumi.yaml").write_text(
            "name: ai-services\nruntime: python\nstackConfigDir: stacks\n"
        )
        self.stack_file = self.project / "stacks" / "Pulumi.dev.yaml"
        self.stack_file.write_text(
            yaml.safe_dump({"config": {"ai-services:namePrefix": "demo", "ai-services:secrets": {"activeKey": "key1"}}})
        )
        self.root = tmp_path / "pulumi-root"
        (self.root / "bin").mkdir(parents=True)
        wrapper = self.root / "bin" / "pulumi"
        # The venv's interpreter, so the fake can speak gRPC to the Automation API.
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_CLI}" "$@"\n')
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
        self.state_file = tmp_path / "state.json"
        self.log_file = tmp_path / "calls.jsonl"
        self.signals_file = tmp_path / "signals.jsonl"
        stack = {"outputs": dict(outputs or OUTPUTS), "secretOutputs": [], "preview": {"same": 9}}
        self.write_state({"version": version, "stacks": {"dev": stack}})

    def write_state(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state))

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_file.read_text())

    def update_stack(self, **fields: Any) -> None:
        state = self.state()
        state["stacks"]["dev"].update(fields)
        self.write_state(state)

    def calls(self) -> list[list[str]]:
        if not self.log_file.exists():
            return []
        return [json.loads(line)["argv"] for line in self.log_file.read_text().splitlines()]

    def signal_events(self) -> list[dict[str, Any]]:
        """What a hanging fake command saw: hanging (pid, pgid), signal, exited."""
        if not self.signals_file.exists():
            return []
        return [json.loads(line) for line in self.signals_file.read_text().splitlines()]

    def command(self) -> Any:
        from pulumi.automation import PulumiCommand

        return PulumiCommand(root=str(self.root))

    def env(self) -> dict[str, str]:
        return {"FAKE_PULUMI_STATE": str(self.state_file), "FAKE_PULUMI_LOG": str(self.log_file),
                "FAKE_PULUMI_SIGNALS": str(self.signals_file), "PULUMI_SKIP_UPDATE_CHECK": "true"}

    def driver(self, stack: str = "dev") -> PulumiStackDriver:
        return PulumiStackDriver(stack, self.project, pulumi_command=self.command())
