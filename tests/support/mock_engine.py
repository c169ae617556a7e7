"""Run the real Pulumi program (or single components) under the Pulumi SDK mock engine.

The engine is the one `aisvc plan` uses (aisvc.plan.engine, not the CLI): FakeAzure answers with
deterministic ids and fakes every computed output the tests assert on
(account identity, vault URI, listAccountKeys), and the recording monitor keeps
each registration as the engine received it (inputs, secrets, parent, dependencies).
"""
from __future__ import annotations

import runpy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings as runtime_settings

from aisvc.plan import PlannedResource, make_recording_monitor
from aisvc.services.project import config_text

REPO_ROOT = Path(__file__).resolve().parents[2]
PROGRAM = REPO_ROOT / "__main__.py"
BASE_CONFIG: dict[str, Any] = {"ai-services:namePrefix": "unit", "azure-native:location": "westeurope"}


class Engine:
    """The mock engine of one test: run the program, then look at what it registered."""

    def __init__(self, monitor: Any) -> None:
        self.monitor = monitor

    def run_program(self, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run __main__.py with BASE_CONFIG + ``config``; returns the program's globals."""
        merged = {**BASE_CONFIG, **(config or {})}
        pulumi.runtime.set_all_config({key: config_text(value) for key, value in merged.items()})
        return runpy.run_path(str(PROGRAM), run_name="__main__")

    @property
    def resources(self) -> list[PlannedResource]:
        return list(self.monitor.registrations)

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> PlannedResource:
        found = self.of_type(type_)
        assert len(found) == 1, f"expected one {type_}, got {len(found)}"
        return found[0]

    @property
    def invoked(self) -> list[str]:
        return list(self.monitor.invoked)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    for name in ("ARM_CLIENT_ID", "AZURE_CLIENT_ID", "ARM_USE_MSI"):
        monkeypatch.delenv(name, raising=False)  # the deployer is an `az login` user unless a test says otherwise
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack per test
    monitor = make_recording_monitor()
    pulumi.runtime.set_mocks(monitor.mocks, project="ai-services", stack="dev", preview=False, monitor=monitor)
    pulumi.runtime.set_all_config({})
    yield Engine(monitor)
    monitor.close_thread_loops()


def stack_outputs() -> dict[str, Any]:
    """The program's exports (values may be Outputs)."""
    return dict(getattr(runtime_settings.get_root_resource(), "outputs", {}))


async def resolve(value: Any) -> tuple[Any, bool]:
    """(value, is_secret) of any Input."""
    output = pulumi.Output.from_input(value)
    return await output.future(), await output.is_secret()
