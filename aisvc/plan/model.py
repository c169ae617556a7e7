"""What `aisvc plan` produces: the resources `pulumi up` would create, and the outputs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class PlannedResource:
    """One resource `pulumi up` would create."""

    urn: str
    type: str  # e.g. azure-native:keyvault:Vault
    name: str  # the logical (Pulumi) name
    parent: str | None  # URN of the parent; None only for the stack
    custom: bool  # False for components and the stack
    inputs: dict[str, Any]  # camelCase, secret values replaced by "[secret]"
    secret_paths: tuple[str, ...] = ()  # dotted paths into inputs that hold secrets
    dependencies: tuple[str, ...] = ()  # URNs this resource waits for (besides its parent)
    additional_secret_outputs: tuple[str, ...] = ()  # outputs the engine must store as secrets
    # Resource options that decide what a later `pulumi up` or `destroy` does (day-2 behaviour).
    retain_on_delete: bool = False  # deleting only forgets it: Pulumi never calls the provider's Delete
    ignore_changes: tuple[str, ...] = ()  # input paths whose changes are never sent on update
    delete_before_replace: bool = False  # a replacement deletes the old resource first

    def input(self, path: str, default: Any = None) -> Any:
        """A nested input by dotted path, e.g. ``properties.networkAcls.defaultAction``."""
        value: Any = self.inputs
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value


@dataclass(frozen=True)
class Plan:
    project: str
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any]  # secret outputs as "[secret]"
    secret_outputs: tuple[str, ...] = ()
    invokes: tuple[str, ...] = ()  # tokens of every provider function the program called, sorted
    stack_file: str = ""
    notes: tuple[str, ...] = ()  # defaults the stack file does not spell out, said in the human output

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self, urn: str) -> PlannedResource:
        return next(r for r in self.resources if r.urn == urn)

    def to_preview_json(self) -> dict[str, Any]:
        """The `pulumi preview --json` document: steps, outputs, changeSummary."""
        steps: list[dict[str, Any]] = [
            {
                "op": "create",
                "urn": r.urn,
                "newState": {
                    "urn": r.urn,
                    "custom": r.custom,
                    "type": r.type,
                    "inputs": r.inputs,
                    "parent": r.parent or "",
                    "dependencies": list(r.dependencies),
                },
            }
            for r in self.resources
        ]
        for step, resource in zip(steps, self.resources, strict=True):
            if resource.additional_secret_outputs:
                step["newState"]["additionalSecretOutputs"] = list(resource.additional_secret_outputs)
        return {"steps": steps, "outputs": self.outputs, "changeSummary": {"create": len(steps)}}


