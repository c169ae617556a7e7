#!/usr/bin/env python3
"""Bootstrap and run the toolkit on a fresh machine with nothing but Python 3.11.

    python3 dev.py plan [--stack dev] [--json]   # aisvc plan, offline
    python3 dev.py test [pytest args]            # the whole test suite
    python3 dev.py aisvc ARGS...                 # any aisvc command
    python3 dev.py bench [name]                  # run benchmarks/

It creates .venv (the same virtualenv Pulumi.yaml names), installs the pinned
requirements once, and re-installs only when a requirements file changes.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".aisvc-installed"
INPUTS = ("requirements.txt", "requirements-dev.txt", "pyproject.toml")


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


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__.strip())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    try:
        python = ensure_venv()
    except subprocess.CalledProcessError as err:
        print(f"dev.py: installing requirements failed (exit {err.returncode})", file=sys.stderr)
        return 2
    if command == "test":
        args = [str(python), "-m", "pytest", *rest]
    elif command == "plan":
        args = [str(python), "-m", "aisvc", "plan", *rest]
    elif command == "aisvc":
        args = [str(python), "-m", "aisvc", *rest]
    elif command == "bench":
        args = [str(python), str(ROOT / "benchmarks" / "run.py"), *rest]
    else:
        print(f"dev.py: unknown command {command!r} (plan, test, aisvc, bench)", file=sys.stderr)
        return 2
    return subprocess.run(args, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
