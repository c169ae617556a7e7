"""`aisvc check`: the post-deploy check from the command line."""
from __future__ import annotations

from pathlib import Path

import click

from aisvc.check import (
    DEFAULT_KEY_GRACE,
    DEFAULT_TIMEOUT,
    AuthChoice,
    CheckReport,
    load_outputs,
    print_report,
    run_check,
)
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
from aisvc.errors import OperationFailed
from aisvc.services.console import Output
from aisvc.services.interrupts import Interrupted
from aisvc.services.startup import resume_gc


@click.command("check")
@stack_option(reads=": read its outputs with `pulumi stack output --json` in the project directory")
@click.option("--outputs", "outputs_file", metavar="FILE|-",
              help="Read outputs from a file holding `pulumi stack output --json` (- for stdin).")
@click.option("--auth", type=click.Choice(["auto", "key", "entra", "both"]), default="auto", show_default=True,
              help="auto: key when localAuthEnabled, else entra; both: both must pass.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for role, DNS and subdomain propagation before failing.")
@click.option("--probe", metavar='"METHOD path?query"',
              help="The call to make instead of the kind's built-in probe (required for kinds without one).")
@click.option("--key-grace", type=click.FloatRange(min=0), default=DEFAULT_KEY_GRACE, show_default=True,
              help="Seconds a rejected key (401) is retried, for a just-regenerated key.")
@no_verify_challenge_option
@project_dir_option
@json_option
@plain_option
@debug_option
def check_command(stack: str | None, outputs_file: str | None, auth: AuthChoice, timeout: float, probe: str | None,
                  key_grace: float, no_verify_challenge_resource: bool, project_dir: Path | None, json_mode: bool,
                  plain: bool | None) -> None:
    """Prove the deployment works: key from Key Vault and/or an Entra ID token against the endpoint."""
    resume_gc()  # loaded; what follows may wait for minutes
    on_interrupt(lambda signal: f"check interrupted by {signal.signal_name}: nothing was changed "
                                      "(the check only reads)")
    output = Output(json_mode=json_mode, plain=plain)
    outputs = load_outputs(stack, outputs_file, resolve_project_dir(project_dir) if stack else None)
    report = CheckReport(outputs.endpoint)
    on_interrupt(lambda signal: _interrupted_line(signal, report), report.to_json)
    run_check(outputs, auth=auth, timeout=timeout, probe=probe, verify_challenge_resource=not no_verify_challenge_resource,
              output=output, key_grace=key_grace, report=report)
    if json_mode:
        output.emit_json(report.to_json())
    else:
        print_report(output, report)
    if not report.ok:
        raise OperationFailed(f"check failed: {report.failure_summary()}")



def _interrupted_line(signal: Interrupted, report: CheckReport) -> str:
    """What the check had found when the signal came; it changes nothing, so nothing needs undoing."""
    done = "; ".join(f"{check.name}: {'ok' if check.ok else check.error} after {check.attempts} attempt(s) in "
                     f"{check.elapsed_seconds:.1f} s" for check in report.checks)
    verdict = "" if report.ok else f"; {report.endpoint} was not proven to work"
    return (f"check interrupted by {signal.signal_name}{f' ({done})' if done else ''}: nothing was changed "
            f"(the check only reads){verdict}")
