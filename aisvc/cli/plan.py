"""`aisvc plan`: what `pulumi up` would create, offline."""
from __future__ import annotations

from pathlib import Path

import click

from aisvc.cli.frame import on_interrupt
from aisvc.cli.options import debug_option, json_option, plain_option, project_dir_option, resolve_project_dir, stack_option
from aisvc.errors import OperationFailed
from aisvc.plan import build_plan, policy_violations
from aisvc.plan.render import render, render_transitions, render_violations
from aisvc.policy import MANDATORY
from aisvc.services.console import Output
from aisvc.services.project import load_project, stack_name


@click.command("plan")
@stack_option(default="dev", reads=": reads <project>/<stackConfigDir>/Pulumi.<NAME>.yaml")
@project_dir_option
@click.option("--subscription", metavar="ID", default=None,
              help="Derive names and ids for this subscription, as `pulumi up` will (default: a simulated one).")
@click.option("--base", "base_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also compare with this earlier version of the stack file: changes and findings.")
@click.option("--base-ref", metavar="GITREF", default=None,
              help="Also compare with stacks/Pulumi.<NAME>.yaml as it is at this git ref (e.g. origin/main).")
@json_option
@plain_option
@debug_option
def plan_command(stack: str, project_dir: Path | None, subscription: str | None, base_file: Path | None,
                 base_ref: str | None, json_mode: bool, plain: bool | None) -> None:
    """Show what `pulumi up` would create, offline (Pulumi SDK mocks; no CLI, no Azure)."""
    on_interrupt(lambda signal: f"plan interrupted by {signal.signal_name}: nothing was changed "
                                      "(the plan is offline and writes nothing)")
    out = Output(json_mode=json_mode, plain=plain)
    if base_file is not None and base_ref is not None:
        raise click.UsageError("give --base or --base-ref, not both")
    directory = resolve_project_dir(project_dir)
    stack_file = load_project(directory).stack_file(stack_name(stack))
    # Which project and stack file: a plan of the wrong checkout looks just like a plan of the right one.
    out.progress(f"planning stack {stack} from {stack_file} (project {directory}) with the Pulumi SDK mock "
                 "engine (offline)")
    plan = build_plan(stack, directory, subscription)
    violations = policy_violations(plan)
    compared = None
    if base_file is not None or base_ref is not None:
        from aisvc.plan.diff import compare_with_base  # only a plan with a base pays for the comparison

        compared = compare_with_base(plan, stack, directory, base_file, base_ref, subscription)
    if json_mode:
        document = plan.to_preview_json()
        document["policyViolations"] = [violation.to_dict() for violation in violations]
        if compared is not None:
            document["transitions"] = compared.to_dict()
        out.emit_json(document)
    else:
        render(plan, out)
        render_violations(violations, out)
        if compared is not None:
            render_transitions(compared, out)
    mandatory = [v for v in violations if v.level == MANDATORY]
    if mandatory:
        # The same verdict `pulumi preview --policy-pack policy` would reach: fail the PR early.
        raise OperationFailed(
            f"{len(mandatory)} mandatory policy violation(s), first: {mandatory[0].policy}: {mandatory[0].message}"
        )
    if compared is not None and compared.errors:
        first = compared.errors[0]
        raise OperationFailed(f"{len(compared.errors)} change(s) Azure refuses, first: {first.id} ({first.config_key})")
