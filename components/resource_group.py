"""The resource group everything else lives in (created unless the stack names an existing one)."""
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import resources


class ResourceGroupArgs(TypedDict):
    """A new resource group."""

    name: str
    """The group's name."""
    location: pulumi.Input[str]
    """Azure region."""
    tags: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Tags on the group."""


class ResourceGroup(pulumi.ComponentResource):
    """One new resource group."""

    TYPE = "ai-services:resource_group:ResourceGroup"

    name: pulumi.Output[str]
    """The group's name."""
    id: pulumi.Output[str]
    """The group's resource id."""

    def __init__(self, name: str, args: ResourceGroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        group = resources.ResourceGroup(
            name,
            resource_group_name=args["name"],
            location=args["location"],
            tags=dict(args.get("tags") or {}) or None,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = group.name
        self.id = group.id
        self.register_outputs({"name": self.name, "id": self.id})
