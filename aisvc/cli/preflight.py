"""`aisvc preflight`: before `pulumi up`, read-only ARM checks of what would make it fail."""
from __future__ import annotations

from pathlib import Path

import click

from aisvc.cli.frame import on_interrupt
from aisvc.cli.options import debug_option, json_option, plain_option, project_dir_option, stack_option
from aisvc.errors import OperationFailed
from aisvc.preflight import DEFAULT_TIMEOUT, load_target, print_report, run_preflight
from aisvc.services.console import Output
from aisvc.services.startup import resume_gc


@click.command("preflight")
@stack_option(required=True, reads=": reads <project>/<stackConfigDir>/Pulumi.<NAME>.yaml")
@project_dir_option
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds for every ARM call together; the command ends within this plus a few seconds.")
@json_option
@plain_option
@debug_option
def preflight_command(stack: str, timeout: float, project_dir: Path | None, json_mode: bool,
                      plain: bool | None) -> None:
    """Find, in seconds and read-only, what would make `pulumi up` fail minutes in."""
    resume_gc()  # loaded; what follows may wait for minutes
    on_interrupt(lambda signal: f"preflight interrupted by {signal.signal_name}: nothing was changed "
                                "(preflight only reads)", lambda: {"stack": stack, "checks": []})
    output = Output(json_mode=json_mode, plain=plain)
    target = load_target(stack, project_dir)
    if not json_mode:
        output.progress(f"preflight: stack {target.stack} in subscription {target.subscription_id} "
                        f"(account {target.names.account}, vault {target.names.vault}, {target.location}); read-only")
    if json_mode or output.plain:
        report = run_preflight(target, timeout)
    else:
        with output.err.status("preflight: asking ARM ...") as status:
            report = run_preflight(target, timeout, on_progress=lambda done, total: status.update(
                f"preflight: {done}/{total} checks answered"))
    if json_mode:
        output.emit_json(report.to_json())
    else:
        print_report(output, report)
    if report.not_asked:
        raise OperationFailed(f"preflight could not ask Azure: {report.not_asked}")
    if not report.ok:
        first = report.failures[0]
        raise OperationFailed(f"preflight failed: {first.id}: {first.message}"
                              + (f" (and {len(report.failures) - 1} more)" if len(report.failures) > 1 else ""))
