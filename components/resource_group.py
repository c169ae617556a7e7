"""The resource group everything else lives in (created unless the stack names an existing one)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import resources


@dataclass(frozen=True)
class ResourceGroupArgs:
    name: str
    location: str
    tags: Mapping[str, str] = field(default_factory=dict)


class ResourceGroup(pulumi.ComponentResource):
    """``ai-services:resource_group:ResourceGroup``: one new resource group."""

    TYPE = "ai-services:resource_group:ResourceGroup"

    name: pulumi.Output[str]
    id: pulumi.Output[str]

    def __init__(self, name: str, args: ResourceGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        group = resources.ResourceGroup(
            name,
            resource_group_name=args.name,
            location=args.location,
            tags=dict(args.tags) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = group.name
        self.id = group.id
        self.register_outputs({"name": self.name, "id": self.id})
