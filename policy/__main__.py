"""pulumi-policy pack: `pulumi preview --policy-pack policy` (and `pulumi up`).

Pulumi starts this file through ``python -m pulumi.policy <engine> <pack dir>``,
which runs it with ``runpy.run_path(<pack dir>)``: the pack directory is on
``sys.path`` and this module's ``__name__`` is ``"__main__"``. Imported from the
repo root (tests, `aisvc`), it is ``policy.__main__`` and builds nothing.

What a Python policy can and cannot see (pulumi-policy 1.21, read from its
sources; see docs/policy.md):
- Resource policies get the resource's *inputs* and options. The SDK strips the
  secret marker from every value before the policy runs (pulumi/pulumi-policy#241),
  so "the key value is a Pulumi secret" is enforced here through the
  ``additional_secret_outputs`` option; `aisvc plan` also checks the input itself.
- Stack policies get every resource's *outputs*, the root ``pulumi:pulumi:Stack``
  included, whose outputs are the stack outputs. During preview, values computed
  by Azure are unknown, so output values are checked for real at `pulumi up`
  (after the resources changed: a mandatory violation then fails the update).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import (
    Secret as PolicySecret,
)
from pulumi_policy.proxy import UnknownValueError

# The rules live in the installed aisvc package (the pack runs in the project's .venv),
# so `aisvc plan` and `pulumi preview --policy-pack policy` judge by the same code.
import aisvc.policy as rules

PACK_NAME = "ai-services-policy"

_STACK_PROPERTY = {"stack": {"type": "string", "description": "Stack name to judge by (default: the current stack)."}}
_PROD_PROPERTIES: dict[str, dict[str, Any]] = {
    **_STACK_PROPERTY,
    "prodStacks": {"type": "array", "items": {"type": "string"},
                   "description": "Stack names that count as production (default: prod, production)."},
}
CONFIG_SCHEMAS: dict[str, dict[str, dict[str, Any]]] = {
    # Each prod/nonprod pair: keyvault-purge-protection, private-network, diagnostic-settings.
    **{name: _PROD_PROPERTIES for name in rules.PROD_JUDGED},
    "role-assignment-least-privilege": {
        "allowedRoleDefinitionIds": {"type": "array", "items": {"type": "string"},
                                     "description": "Extra role definition GUIDs to allow."},
    },
}


def plain(value: Any) -> Any:
    """pulumi-policy's proxies as plain data: unknowns become rules.UNKNOWN."""
    if isinstance(value, (str, bytes)):
        return value
    if isinstance(value, PolicySecret):
        return rules.SecretValue(plain(value.value))
    if isinstance(value, Mapping):
        return {key: plain(_item(value, key)) for key in value}
    if isinstance(value, Sequence):
        return [plain(_item(value, index)) for index in range(len(value))]
    return value


def _item(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return rules.UNKNOWN


def _context(policy_name: str, config: Mapping[str, Any]) -> rules.RuleContext:
    settings = dict(config or {})
    # PULUMI_STACK reaches the pack's process; pulumi_policy configures the runtime from it.
    stack = str(settings.get("stack") or pulumi.get_stack())
    return rules.RuleContext(stack=stack, config={policy_name: settings})


def resource_view(args: ResourceValidationArgs) -> rules.ResourceView:
    return rules.ResourceView(
        type=args.resource_type, urn=args.urn, name=args.name, props=plain(args.props),
        secret_paths=None,  # the SDK does not say which inputs are secret
        additional_secret_outputs=tuple(args.opts.additional_secret_outputs),
    )


def stack_views(args: StackValidationArgs) -> tuple[list[rules.ResourceView], Mapping[str, Any]]:
    """Every resource (outputs as props) and the stack outputs from the root stack resource."""
    views, outputs = [], {}
    for resource in args.resources:
        props = plain(resource.props)
        views.append(rules.ResourceView(
            type=resource.resource_type, urn=resource.urn, name=resource.name, props=props,
            additional_secret_outputs=tuple(resource.opts.additional_secret_outputs),
        ))
        if resource.resource_type == rules.ROOT_STACK:
            outputs = props
    return views, outputs


def resource_validator(spec: rules.PolicySpec) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        ctx = _context(spec.name, args.get_config())
        for violation in rules.check_resource(resource_view(args), ctx):
            if violation.policy == spec.name:
                report_violation(violation.message, None)
    return validate


def stack_validator(spec: rules.PolicySpec) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        views, outputs = stack_views(args)
        for violation in rules.check_stack(views, outputs, _context(spec.name, args.get_config())):
            if violation.policy == spec.name:
                report_violation(violation.message, violation.urn or None)
    return validate


def _level(spec: rules.PolicySpec) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if spec.level == rules.MANDATORY else EnforcementLevel.ADVISORY


def _schema(spec: rules.PolicySpec) -> PolicyConfigSchema | None:
    properties = CONFIG_SCHEMAS.get(spec.name)
    return PolicyConfigSchema(properties=properties) if properties else None


def build_policies() -> list[Policy]:
    """One pulumi-policy Policy per rules.SPECS entry, same name and level."""
    policies: list[Policy] = []
    for spec in rules.SPECS:
        level, schema = _level(spec), _schema(spec)
        if spec.scope == "stack":
            policies.append(StackValidationPolicy(name=spec.name, description=spec.description, enforcement_level=level,
                                                  config_schema=schema, validate=stack_validator(spec)))
        else:
            policies.append(ResourceValidationPolicy(name=spec.name, description=spec.description,
                                                     enforcement_level=level, config_schema=schema,
                                                     validate=resource_validator(spec)))
    return policies


def build_pack() -> PolicyPack:
    """Serves the policies over gRPC; pulumi-policy's constructor blocks until the engine stops it."""
    return PolicyPack(name=PACK_NAME, policies=build_policies(), enforcement_level=EnforcementLevel.ADVISORY)


if __name__ == "__main__":
    build_pack()
