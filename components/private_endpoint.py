"""A private endpoint for the account or the vault, with a DNS zone group holding every zone it answers on.

Azure Verified Modules users report endpoints created while their account was still
provisioning and the wrong zones per kind (an AIServices account answers on three):
AiServices makes each endpoint depend on the resource it serves, and the zones come
from ``aisvc.contract`` (one table for the program, the policy pack and the plan).
A zone given by id is used as is; any other is created in the stack's resource group
and linked to ``virtual_network_id`` (global resources: private DNS zones have no region).
"""
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import network, privatedns


class PrivateEndpointArgs(TypedDict):
    """One private endpoint and its DNS."""

    resource_group_name: pulumi.Input[str]
    """Resource group of the endpoint and of created zones."""
    location: pulumi.Input[str]
    """Region of the endpoint (the subnet's)."""
    endpoint_name: str
    """Name of the endpoint; plain because it names the zone links."""
    subnet_id: pulumi.Input[str]
    """Subnet the endpoint's private IP comes from."""
    target_id: pulumi.Input[str]
    """Resource id of the account or vault the endpoint connects to."""
    group_id: str
    """Sub-resource of the target: account or vault."""
    zones: list[str]
    """Every private DNS zone the target answers on; plain: each is a zone config (and maybe a created zone)."""
    dns_zone_ids: NotRequired[Mapping[str, str]]
    """Zone name -> id of an existing zone. Zones left out are created."""
    virtual_network_id: NotRequired[pulumi.Input[str]]
    """Virtual network a created zone is linked to."""
    tags: NotRequired[Mapping[str, pulumi.Input[str]]]
    """Tags on the endpoint and created zones."""


def zone_config_name(zone: str) -> str:
    return zone.replace(".", "-")


class PrivateEndpoint(pulumi.ComponentResource):
    """A private endpoint in a subnet, its zone group, and the zones it needed created."""

    TYPE = "ai-services:private_endpoint:PrivateEndpoint"

    id: pulumi.Output[str]
    """The endpoint's resource id."""

    def __init__(self, name: str, args: PrivateEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        tags = dict(args.get("tags") or {}) or None
        # The component's depends_on (the account or vault it serves) must hold for the endpoint itself.
        waits_for = opts.depends_on if opts and opts.depends_on is not None else []
        self.endpoint = network.PrivateEndpoint(
            name,
            private_endpoint_name=args["endpoint_name"],
            resource_group_name=args["resource_group_name"],
            location=args["location"],
            subnet=network.SubnetArgs(id=args["subnet_id"]),
            private_link_service_connections=[network.PrivateLinkServiceConnectionArgs(
                name=args["endpoint_name"], private_link_service_id=args["target_id"], group_ids=[args["group_id"]],
            )],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=waits_for),
        )
        given = dict(args.get("dns_zone_ids") or {})
        self.zones: list[privatedns.PrivateZone] = []
        self.links: list[privatedns.VirtualNetworkLink] = []
        zone_ids: dict[str, pulumi.Input[str]] = {}
        for zone in args["zones"]:
            zone_ids[zone] = given[zone] if zone in given else self._created_zone(name, zone, args, tags)
        self.zone_group = network.PrivateDnsZoneGroup(
            name,
            private_endpoint_name=self.endpoint.name,
            private_dns_zone_group_name="default",
            resource_group_name=args["resource_group_name"],
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(name=zone_config_name(zone), private_dns_zone_id=zone_id)
                for zone, zone_id in zone_ids.items()
            ],
            # Names resolve to the private IP only once the created zones are linked to the network.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.links)),
        )
        self.id = self.endpoint.id
        self.register_outputs({"id": self.id})

    def _created_zone(self, name: str, zone: str, args: PrivateEndpointArgs,
                      tags: Mapping[str, pulumi.Input[str]] | None) -> pulumi.Output[str]:
        network_id = args.get("virtual_network_id")
        if network_id is None:
            raise ValueError(f"PrivateEndpoint {name}: give dns_zone_ids[{zone!r}] or virtual_network_id")
        created = privatedns.PrivateZone(
            f"{name}-{zone}", private_zone_name=zone, resource_group_name=args["resource_group_name"],
            location="global", tags=tags, opts=pulumi.ResourceOptions(parent=self),
        )
        self.zones.append(created)
        self.links.append(privatedns.VirtualNetworkLink(
            f"{name}-{zone}",
            private_zone_name=created.name,
            resource_group_name=args["resource_group_name"],
            virtual_network_link_name=f"{args['endpoint_name']}-link",
            virtual_network=privatedns.SubResourceArgs(id=network_id),
            registration_enabled=False,
            location="global",
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        ))
        return created.id
