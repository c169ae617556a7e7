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
