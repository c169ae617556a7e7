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
