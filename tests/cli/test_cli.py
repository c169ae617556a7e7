"""The CLI frame: exit codes and one-line errors for every command (contract section 2)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def aisvc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "aisvc", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60)


@pytest.mark.parametrize("args, fragment", [
    (("plan", "--bogus"), "No such option '--bogus'"),
    (("check", "--auth", "nope", "--outputs", "-"), "Invalid value for '--auth'"),
    (("rotate",), "Missing option '--stack'"),
    (("nope",), "No such command 'nope'"),
])
def test_usage_errors_exit_2_with_one_line(args: tuple[str, ...], fragment: str) -> None:
    result = aisvc(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert fragment in result.stderr and "--help" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_every_command() -> None:
    result = aisvc("--help")
    assert result.returncode == 0
    for command in ("plan", "check", "rotate"):
        assert command in result.stdout


def test_the_help_lines_of_the_group_are_each_commands_own_without_importing_it() -> None:
    import importlib

    from aisvc.cli.main import COMMANDS

    for name, (module, attribute, summary) in COMMANDS.items():
        command = getattr(importlib.import_module(module), attribute)
        assert (command.name, summary) == (name, (command.help or "").strip().splitlines()[0]), name


def test_help_loads_no_command_module() -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "aisvc", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "preflight" in done.stdout
    loaded = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line]
    assert not [name for name in loaded if name.startswith(("aisvc.cli.plan", "aisvc.cli.check", "aisvc.preflight",
                                                            "azure.", "pulumi"))]
