"""`aisvc plan`: what `pulumi up` would create, offline.

Runs the real program (``__main__.py``) under the Pulumi SDK mock engine with
the config of ``stacks/Pulumi.<stack>.yaml``. No Pulumi CLI, no network, no
Azure account: a fake Azure answers every registration and invoke with
deterministic ids, so the same stack prints byte-identical output every run.

Python API (the policy pack evaluates this graph)::

    plan = build_plan("prod", Path("."))
    for resource in plan.resources:          # parents before children, stable order
        resource.type, resource.inputs       # camelCase inputs as the engine sees them
        resource.secret_paths                # e.g. ("properties.value",): shown as "[secret]"
    plan.outputs                             # stack outputs, secret ones as "[secret]"
    plan.to_preview_json()                   # the `pulumi preview --json` shape
"""
from aisvc.plan.build import build_plan
from aisvc.plan.engine import make_recording_monitor
from aisvc.plan.fake_azure import FAKE_CLIENT, FAKE_KEYS, FakeAzure
from aisvc.plan.model import Plan, PlannedResource
from aisvc.plan.policy import policy_violations

__all__ = [
    "FAKE_CLIENT", "FAKE_KEYS", "FakeAzure", "Plan", "PlannedResource", "build_plan", "make_recording_monitor",
    "policy_violations",
]
