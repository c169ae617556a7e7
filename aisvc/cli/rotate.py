"""`aisvc rotate`: zero-downtime key rotation from the command line."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from aisvc.cli.frame import on_interrupt
from aisvc.cli.options import (
    debug_option,
    json_option,
    no_verify_challenge_option,
    plain_option,
    project_dir_option,
    resolve_project_dir,
    stack_option,
)
from aisvc.errors import EXIT_BAD_INPUT, EXIT_FAILED, AisvcError, InputError, OperationFailed
from aisvc.rotate import Rotation, RotationParts, RotationResult
from aisvc.services.interrupts import Interrupted
from aisvc.services.startup import resume_gc


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def _live_parts(stack: str, project_dir: Path, output: Any, verify_challenge_resource: bool) -> RotationParts:
    """Automation API, ARM and Key Vault clients: imported here so --help stays fast."""
    from aisvc.rotate.live import live_rotation_parts

    return live_rotation_parts(stack, project_dir, output, verify_challenge_resource=verify_challenge_resource)


def _confirm(question: str) -> bool:
    try:
        return click.confirm(question, default=False, err=True)
    except click.exceptions.Abort as abort:  # click's answer to Ctrl-C (and to end of input) at a prompt
        if isinstance(abort.__context__, KeyboardInterrupt):
            raise abort.__context__ from None
        return False


@click.command("rotate")
@stack_option(required=True, reads=" to rotate (e.g. dev)")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed when not on a terminal).")
@project_dir_option
@no_verify_challenge_option
@json_option
@plain_option
@debug_option
def rotate_command(stack: str, yes: bool, project_dir: Path | None, no_verify_challenge_resource: bool,
                   json_mode: bool, plain: bool | None) -> None:
    """Rotate the account keys with zero downtime (two-key pattern)."""
    resume_gc()  # loaded; what follows may wait for minutes
    from aisvc.services.console import Output

    on_interrupt(lambda signal: f"rotation interrupted by {signal.signal_name} before its first step: "
                                      "nothing was changed",
                       lambda: RotationResult(stack=stack, exit_code=EXIT_FAILED).to_json())
    output = Output(json_mode=json_mode, plain=plain)
    try:
        if not yes and not _interactive():
            raise InputError("refusing to rotate keys without --yes: not on an interactive terminal")
        parts = _live_parts(stack, resolve_project_dir(project_dir), output, not no_verify_challenge_resource)
    except AisvcError as err:  # before any step: still one JSON document with --json
        report(RotationResult(stack=stack, error=str(err), exit_code=err.exit_code), output)
        return
    rotation = Rotation(stack=stack, driver=parts.driver, account_keys=parts.account_keys, run_check=parts.run_check,
                        app_secret=parts.app_secret, confirm=None if yes else _confirm, progress=output.progress)
    on_interrupt(lambda signal: _interrupted_line(signal, rotation), rotation.result.to_json)
    try:
        result = rotation.run()
    finally:
        parts.close()
    report(result, output)


def _interrupted_line(signal: Interrupted, rotation: Rotation) -> str:
    # Rotation.run() wrote it on the way out; a signal between steps' bookkeeping may beat it.
    return rotation.interruption or f"rotation interrupted by {signal.signal_name}"


def report(result: RotationResult, output: Any) -> None:
    """Print the outcome (or the JSON document) and turn a failure into the right exit code."""
    if output.json_mode:
        output.emit_json(result.to_json())
    elif result.ok:
        output.print(f"rotated stack {result.stack}: {result.regenerated_key} is now active "
                     f"({result.previous_active_key} stays valid until the next rotation)")
    if result.exit_code == EXIT_BAD_INPUT:
        raise InputError(result.error or "rotation refused")
    if result.exit_code == EXIT_FAILED:
        raise OperationFailed(result.error or "rotation failed")
