"""Shared fixtures. ``azure_emulator``: a fresh local Azure emulator per test (tests/emulator/README.md)."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.emulator import AzureEmulator  # noqa: E402 - needs the repo root on sys.path


@pytest.fixture
def azure_emulator() -> Iterator[AzureEmulator]:
    """A running emulator with fresh state (keys, secrets, scenario) for this test."""
    with AzureEmulator() as emulator:
        yield emulator


@pytest.fixture
def emulator_env(azure_emulator: AzureEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point this process's environment at the emulator (for in-process azure SDK use)."""
    env = azure_emulator.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env

# The Pulumi mock engine (`engine` fixture) for the program's and the config's tests.
pytest_plugins = ["tests.support.mock_engine"]
