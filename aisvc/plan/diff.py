"""`aisvc plan --base`: what a config change does to a deployed stack.

Both versions of the stack file run through the program under the mock engine;
the two `Plan`s are compared by URN (aisvc.plan.changes). Findings (aisvc.plan.findings) then say which
of those changes Azure refuses and which lose something.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aisvc.config.settings import Settings, SettingsError, from_config
from aisvc.errors import InputError
from aisvc.plan.base import BaseConfig, base_from_file, base_from_git
from aisvc.plan.build import build_plan_from_config, plan_project
from aisvc.plan.changes import Change, Op, compare_plans
from aisvc.plan.findings import Finding, find_all
from aisvc.plan.model import Plan
from aisvc.services.project import stack_config, stack_name


@dataclass(frozen=True)
class Transitions:
    """The comparison with the base: the `transitions` member of `aisvc plan --json`."""

    base: str
    changes: list[Change]
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def count(self, op: Op) -> int:
        return sum(1 for change in self.changes if change.op == op)

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "changes": [c.to_dict() for c in self.changes],
                "findings": [f.to_dict() for f in self.findings]}


def transitions(head: Plan, base_plan: Plan, base_settings: Settings, head_settings: Settings,
                label: str) -> Transitions:
    changes = compare_plans(base_plan, head)
    return Transitions(base=label, changes=changes, findings=find_all(base_plan, head, base_settings, head_settings, changes))


def compare_with_base(
    head: Plan, stack: str, project_dir: Path | None, base_file: Path | None = None, base_ref: str | None = None,
    subscription: str | None = None,
) -> Transitions:
    """Build the base plan from ``--base FILE`` or ``--base-ref GITREF`` and compare ``head`` with it."""
    if (base_file is None) == (base_ref is None):
        raise InputError("give one of --base FILE or --base-ref GITREF")
    stack = stack_name(stack)
    project = plan_project(project_dir)
    base = base_from_file(project, stack, base_file) if base_file is not None else \
        base_from_git(project, stack, base_ref or "")
    base_plan = build_plan_from_config(project, stack, base.config, base.secret_keys, subscription, source=base.label)
    head_config, _ = stack_config(project, stack)
    return transitions(head, base_plan, _settings(base), _settings_of(head_config, head.stack_file), base.label)


def _settings(base: BaseConfig) -> Settings:
    return _settings_of(base.config, base.label)


def _settings_of(config: dict[str, str], label: str) -> Settings:
    try:
        return from_config(config)
    except SettingsError as err:  # the program accepted it, so this only guards a drift between the two
        raise InputError(f"{label}: {err}") from None
