"""The steps `pulumi up` takes from one plan to another, by URN, as the Pulumi engine decides them.

A URN only in the new plan is a create, only in the old one a delete; a URN in
both is a replace when an input the azure-native provider cannot update in place
changed (``REPLACE_ON_CHANGES``; the facts are in docs/plan-diff.md), else an
update when any input changed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aisvc.plan.model import STACK_TYPE, Plan, PlannedResource

Op = Literal["create", "update", "replace", "delete"]
OPS: tuple[Op, ...] = ("create", "update", "replace", "delete")

# Inputs whose change makes the azure-native provider replace the resource instead of updating it:
# the PUT URL's path parameters (always), plus properties the provider marks force-new
# (`forceNewMap`, and top-level properties that ARM declares create-only with x-ms-mutability).
REPLACE_ON_CHANGES: dict[str, tuple[str, ...]] = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", "location"),
    "azure-native:cognitiveservices:Account": ("resourceGroupName", "accountName", "location"),
    "azure-native:cognitiveservices:Deployment": ("resourceGroupName", "accountName", "deploymentName"),
    "azure-native:keyvault:Vault": ("resourceGroupName", "vaultName", "location"),
    "azure-native:keyvault:Secret": ("resourceGroupName", "vaultName", "secretName"),
    "azure-native:authorization:RoleAssignment": ("scope", "roleAssignmentName", "principalId"),
    "azure-native:authorization:ManagementLockByScope": ("scope", "lockName"),
    "azure-native:network:PrivateEndpoint": ("resourceGroupName", "privateEndpointName", "location", "subnet"),
    "azure-native:network:PrivateDnsZoneGroup": ("resourceGroupName", "privateEndpointName", "privateDnsZoneGroupName"),
    "azure-native:privatedns:PrivateZone": ("resourceGroupName", "privateZoneName"),
    "azure-native:privatedns:VirtualNetworkLink": ("resourceGroupName", "privateZoneName", "virtualNetworkLinkName"),
    "azure-native:monitor:DiagnosticSetting": ("resourceUri", "name"),
}


@dataclass(frozen=True)
class Change:
    urn: str
    type: str
    op: Op

    def to_dict(self) -> dict[str, str]:
        return {"urn": self.urn, "type": self.type, "op": self.op}


def operation(old: PlannedResource, new: PlannedResource) -> Op | None:
    """The step `pulumi up` takes for a resource present in both plans; None when nothing changed."""
    if not new.custom:
        return None  # components and the stack hold no inputs Azure sees
    if any(old.input(key) != new.input(key) for key in REPLACE_ON_CHANGES.get(new.type, ())):
        return "replace"
    return "update" if old.inputs != new.inputs else None


def compare_plans(base: Plan, head: Plan) -> list[Change]:
    """Every resource that changes, creates in the head plan's order, then updates/replaces, then deletes."""
    old = {r.urn: r for r in base.resources if r.type != STACK_TYPE}
    new = {r.urn: r for r in head.resources if r.type != STACK_TYPE}
    changes = [Change(r.urn, r.type, "create") for r in head.resources if r.urn in new and r.urn not in old]
    for resource in head.resources:
        if resource.urn in old and resource.urn in new:
            op = operation(old[resource.urn], resource)
            if op:
                changes.append(Change(resource.urn, resource.type, op))
    # Deletes run children first, as the engine deletes them: reverse of the base plan's order.
    changes += [Change(r.urn, r.type, "delete") for r in reversed(base.resources) if r.urn in old and r.urn not in new]
    return changes
