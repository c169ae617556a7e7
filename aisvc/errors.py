"""Typed errors that map to the contract's exit codes.

0 success, 1 the operation ran and failed, 2 bad input (usage, config, outputs file).
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class AisvcError(Exception):
    """An error with a one-line message meant for the user."""

    exit_code = EXIT_FAILED


class InputError(AisvcError):
    """Bad input: usage, stack config, outputs file. Exit 2."""

    exit_code = EXIT_BAD_INPUT


class OperationFailed(AisvcError):
    """The operation ran and failed (check failed, rotation failed). Exit 1."""

    exit_code = EXIT_FAILED


def missing_dependency(python: str, module: str | None) -> str:
    """The one line for a Python that lacks aisvc's dependencies (e.g. the system python3 beside a checkout)."""
    return (f"{python} lacks aisvc's dependencies (no module named {module!r}): run `python3 dev.py aisvc ARGS...` "
            "(it creates .venv on first use), or `.venv/bin/aisvc ARGS...` (or `source .venv/bin/activate`, "
            "then `aisvc ARGS...`)")


def is_own_module(module: str | None) -> bool:
    """A missing module of our own is a broken install or a bug, not a setup step."""
    return (module or "").partition(".")[0] in ("aisvc", "components")
