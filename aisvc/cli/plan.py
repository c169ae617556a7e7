"""`aisvc plan`: what `pulumi up` would create, offline."""
from __future__ import annotations

from pathlib import Path

import click

from aisvc.cli.frame import on_interrupt
from aisvc.cli.options import debug_option, json_option, plain_option, project_dir_option, resolve_project_dir, stack_option
from aisvc.errors import OperationFailed
from aisvc.plan import build_plan, policy_violations
from aisvc.plan.render import render, render_violations
from aisvc.policy import MANDATORY
from aisvc.services.console import Output
from aisvc.services.project import load_project, stack_name


@click.command("plan")
@stack_option(default="dev", reads=": reads <project>/<stackConfigDir>/Pulumi.<NAME>.yaml")
@project_dir_option
@click.option("--subscription", metavar="ID", default=None,
              help="Derive names and ids for this subscription, as `pulumi up` will (default: a simulated one).")
@json_option
@plain_option
@debug_option
def plan_command(stack: str, project_dir: Path | None, subscription: str | None, json_mode: bool,
                 plain: bool | None) -> None:
    """Show what `pulumi up` would create, offline (Pulumi SDK mocks; no CLI, no Azure)."""
    on_interrupt(lambda signal: f"plan interrupted by {signal.signal_name}: nothing was changed "
                                      "(the plan is offline and writes nothing)")
    out = Output(json_mode=json_mode, plain=plain)
    directory = resolve_project_dir(project_dir)
    stack_file = load_project(directory).stack_file(stack_name(stack))
    # Which project and stack file: a plan of the wrong checkout looks just like a plan of the right one.
    out.progress(f"planning stack {stack} from {stack_file} (project {directory}) with the Pulumi SDK mock "
                 "engine (offline)")
    plan = build_plan(stack, directory, subscription)
    violations = policy_violations(plan)
    if json_mode:
        document = plan.to_preview_json()
        document["policyViolations"] = [violation.to_dict() for violation in violations]
        out.emit_json(document)
    else:
        render(plan, out)
        render_violations(violations, out)
    mandatory = [v for v in violations if v.level == MANDATORY]
    if mandatory:
        # The same verdict `pulumi preview --policy-pack policy` would reach: fail the PR early.
        raise OperationFailed(
            f"{len(mandatory)} mandatory policy violation(s), first: {mandatory[0].policy}: {mandatory[0].message}"
        )
