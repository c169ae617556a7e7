"""The policy pack's rules over the planned graph, as `pulumi preview --policy-pack` would run them."""
from __future__ import annotations

from aisvc.plan.model import Plan
from aisvc.policy import ResourceView, Violation, evaluate


def policy_violations(plan: Plan) -> list[Violation]:
    """Every violation of the planned stack (aisvc.policy.evaluate)."""
    views = [
        ResourceView(type=r.type, urn=r.urn, name=r.name, props=r.inputs, secret_paths=frozenset(r.secret_paths),
                     additional_secret_outputs=r.additional_secret_outputs if r.custom else None)
        for r in plan.resources
    ]
    return evaluate(views, plan.outputs, plan.stack)
