"""How a plan reads: a tree of resources with their telling inputs, the outputs, policy findings."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aisvc.contract import ROLE_NAMES
from aisvc.plan.changes import OPS
from aisvc.plan.fake_azure import FAKE_CLIENT
from aisvc.plan.model import Plan, PlannedResource
from aisvc.policy import Violation
from aisvc.services.console import Output

if TYPE_CHECKING:  # the comparison is loaded only by a plan with a base
    from aisvc.plan.diff import Transitions

_SHOWN_INPUTS = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", "location"),
    "azure-native:cognitiveservices:Account": (
        "accountName", "kind", "sku.name", "properties.customSubDomainName", "properties.disableLocalAuth",
        "properties.publicNetworkAccess", "properties.networkAcls.defaultAction"),
    "azure-native:cognitiveservices:Deployment": ("deploymentName", "properties.model.name", "sku.name", "sku.capacity"),
    "azure-native:keyvault:Vault": (
        "vaultName", "properties.enableRbacAuthorization", "properties.enablePurgeProtection",
        "properties.softDeleteRetentionInDays", "properties.publicNetworkAccess", "properties.networkAcls.defaultAction"),
    "azure-native:keyvault:Secret": ("secretName", "properties.value", "tags.CredentialId"),
    "azure-native:authorization:RoleAssignment": ("roleDefinitionId", "principalId"),
    "azure-native:authorization:ManagementLockByScope": ("lockName", "level"),
}


def _summary(resource: PlannedResource) -> str:
    parts = []
    for path in _SHOWN_INPUTS.get(resource.type, ()):
        value = resource.input(path)
        if value is None:
            continue
        if path == "roleDefinitionId":
            value = _role_label(str(value))
        segments = path.split(".")
        label = segments[-2] if segments[-1] == "name" and len(segments) > 1 else segments[-1]
        parts.append(f"{label}={json.dumps(value) if isinstance(value, bool) else value}")
    return "  ".join(parts)


def _role_label(role_definition_id: str) -> str:
    guid = role_definition_id.rsplit("/", 1)[-1]
    return f"{ROLE_NAMES.get(guid, guid)!r}"


def _children(plan: Plan, parent: str | None) -> Iterator[PlannedResource]:
    return (r for r in plan.resources if r.parent == parent)


def _render_plain(plan: Plan, out: Output) -> None:
    def walk(resource: PlannedResource, depth: int) -> None:
        summary = _summary(resource)
        out.print(f"{'    ' * depth}+ {resource.type}  {resource.name}" + (f"  ({summary})" if summary else ""),
                  markup=False)
        for child in _children(plan, resource.urn):
            walk(child, depth + 1)

    for root in _children(plan, None):
        walk(root, 0)
    out.print("")
    out.print("Outputs:", markup=False)
    width = max((len(name) for name in plan.outputs), default=0)
    for name, value in plan.outputs.items():
        out.print(f"    {name.ljust(width)}  {_output_text(value)}", markup=False)


def _render_rich(plan: Plan, out: Output) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.tree import Tree

    def label(resource: PlannedResource) -> str:
        summary = _summary(resource)
        text = f"[green]+[/] [bold]{escape(resource.type)}[/]  {escape(resource.name)}"
        return text + (f"\n  [dim]{escape(summary)}[/]" if summary else "")

    def walk(resource: PlannedResource, branch: Tree) -> None:
        for child in _children(plan, resource.urn):
            walk(child, branch.add(label(child)))

    for root in _children(plan, None):
        tree = Tree(label(root))
        walk(root, tree)
        out.print(tree, soft_wrap=False)
    table = Table(title="Outputs", show_header=True, header_style="bold")
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for name, value in plan.outputs.items():
        table.add_row(name, escape(_output_text(value)))
    out.print(table, soft_wrap=False)


def _output_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def render(plan: Plan, out: Output) -> None:
    out.print(f"Plan for stack {plan.stack} (project {plan.project}): {len(plan.resources)} resources to create",
              markup=False)
    (_render_plain if out.plain else _render_rich)(plan, out)
    out.print("")
    for note in plan.notes:
        out.print(f"note: {note}", markup=False)
    out.print(
        f"Simulated subscription {FAKE_CLIENT['subscriptionId']}: `pulumi up` derives names and ids from yours. "
        "Key values are never shown.",
        markup=False,
    )


def render_violations(violations: list[Violation], out: Output) -> None:
    out.print("")
    if not violations:
        out.print("Policy pack: no violations.", markup=False)
        return
    out.print(f"Policy pack: {len(violations)} violation(s)", markup=False)
    for violation in violations:
        out.print(f"  {violation.line()}  ({violation.urn.rsplit('::', 1)[-1]})", markup=False)




_OP_SIGNS = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


def render_transitions(transitions: Transitions, out: Output) -> None:
    """The comparison with `--base`/`--base-ref`: a Changes section, then a Findings section (plain lines)."""
    out.print("")
    summary = ", ".join(f"{transitions.count(op)} to {op}" for op in OPS if transitions.count(op))
    out.print(f"Changes against {transitions.base}: {summary or 'none'}", markup=False)
    for change in transitions.changes:
        out.print(f"    {_OP_SIGNS[change.op]:<2} {change.op:<7}  {change.type}  {change.urn.rsplit('::', 1)[-1]}",
                  markup=False)
    out.print("")
    if not transitions.findings:
        out.print("Findings: none (Azure accepts every change and nothing is lost).", markup=False)
        return
    errors = len(transitions.errors)
    out.print(f"Findings: {errors} error(s), {len(transitions.findings) - errors} warning(s)", markup=False)
    for finding in transitions.findings:
        out.print(f"  {finding.line()}", markup=False)
