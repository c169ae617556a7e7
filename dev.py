#!/usr/bin/env python3
"""Bootstrap and run the toolkit on a fresh machine with nothing but Python 3.11.

    python3 dev.py plan [--stack dev] [--json]   # aisvc plan, offline
    python3 dev.py test                          # ruff, mypy, then the whole test suite (what CI runs)
    python3 dev.py test [pytest args]            # only pytest, with those arguments
    python3 dev.py aisvc ARGS...                 # any aisvc command
    python3 dev.py bench [name]                  # run benchmarks/

It creates .venv (the same virtualenv Pulumi.yaml names), installs the pinned
requirements once, and re-installs only when a requirements file changes.
After that, `.venv/bin/aisvc` (or `aisvc` in an activated .venv) runs the CLI directly.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".aisvc-installed"
INPUTS = ("requirements.txt", "requirements-dev.txt", "pyproject.toml")
COMMANDS = ("plan", "test", "aisvc", "bench")


def _venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_venv() -> Path:
    python = _venv_python()
    if not python.exists():
        print("dev.py: creating .venv", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = _fingerprint()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        print("dev.py: installing pinned requirements into .venv", file=sys.stderr)
        pip = [str(python), "-m", "pip", "--disable-pip-version-check", "install", "-q"]
        subprocess.run([*pip, "-r", str(ROOT / "requirements-dev.txt")], check=True)
        subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
        STAMP.write_text(wanted)
    return python


def command_lines(command: str, rest: list[str], python: Path) -> list[list[str]]:
    """The steps of a command. `test` alone is CI's job: the linter and the type checker, then every test."""
    if command == "test":
        checks = [] if rest else [[str(python), "-m", "ruff", "check", "."], [str(python), "-m", "mypy"]]
        return [*checks, [str(python), "-m", "pytest", *rest]]
    return [{
        "plan": [str(python), "-m", "aisvc", "plan", *rest],
        "aisvc": [str(python), "-m", "aisvc", *rest],
        "bench": [str(python), str(ROOT / "benchmarks" / "run.py"), *rest],
    }[command]]


def run_steps(steps: list[list[str]]) -> int:
    """Every step runs (one report of all that failed); a signal stops at once with its exit code."""
    failed: list[tuple[str, int]] = []
    for step in steps:
        code = run_child(step)
        if code in (130, 143):
            return code
        if code:
            failed.append((" ".join(step[1:4]), code))
    if len(steps) > 1:
        summary = "; ".join(f"{name} (exit {code})" for name, code in failed)
        print(f"dev.py: {'failed: ' + summary if failed else 'ruff, mypy and the tests passed'}", file=sys.stderr)
    return failed[0][1] if failed else 0


def run_child(args: list[str]) -> int:
    """Run the command as a shell would: Ctrl-C reaches it from the terminal (same process group), so
    this process only waits; a SIGTERM sent here is passed on. The child's exit code is ours."""
    children: list[subprocess.Popen[bytes]] = []
    pending: list[int] = []  # a SIGTERM that came before the child existed

    def pass_on(signum: int, _frame: object) -> None:
        pending.append(signum)
        for child in children:
            child.send_signal(signum)

    def note_interrupt(signum: int, _frame: object) -> None:
        interrupted.append(signum)  # the child got the terminal's Ctrl-C itself: only remember it

    interrupted: list[int] = []
    previous = {signal.SIGINT: signal.signal(signal.SIGINT, note_interrupt),
                signal.SIGTERM: signal.signal(signal.SIGTERM, pass_on)}
    try:
        with subprocess.Popen(args, cwd=ROOT) as child:
            children.append(child)
            if pending:
                child.send_signal(pending[0])
            code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # A signal stops every step: say so with its exit code even when the child reported it differently
    # (pytest and mypy exit 2 on Ctrl-C). Killed by a signal: the shell's 128 + N.
    signals = interrupted or pending
    if signals:
        return 128 + signals[0]
    return 128 - code if code < 0 else code


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__.strip())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:  # before anything is installed
        print(f"dev.py: unknown command {command!r} (one of: {', '.join(COMMANDS)}; see python3 dev.py --help)",
              file=sys.stderr)
        return 2
    try:
        python = ensure_venv()
    except subprocess.CalledProcessError as err:
        print(f"dev.py: installing requirements failed (exit {err.returncode})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dev.py: interrupted while installing; the next run installs again", file=sys.stderr)
        return 130
    return run_steps(command_lines(command, rest, python))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
