"""When a firewall or private access refuses the caller: say in one line where the command must run from.

The stack outputs tell which network is allowed: the private endpoints' subnet
(`privateEndpointSubnetId`) or the ACL ranges (`networkAclIpRules`). docs/network.md
explains the self-hosted runner variant of the workflow for private stacks.
"""
from __future__ import annotations

from aisvc.contract import SUBNET_ID_RE
from aisvc.services.answers import Answer
from aisvc.services.stack_outputs import StackOutputs

FIREWALL_MARKERS = ("Virtual Network/Firewall", "Public access is disabled", "private endpoint")


def refused_by_network(answer: Answer) -> bool:
    """A 403 from a firewall, from disabled public access, or pointing at a private endpoint."""
    return answer.status == 403 and (answer.inner_code == "ForbiddenByFirewall"
                                     or any(marker in answer.message for marker in FIREWALL_MARKERS))


def allowed_network(outputs: StackOutputs | None) -> str:
    """Where the data plane answers, as precisely as the stack outputs say."""
    subnet = outputs.private_endpoint_subnet_id if outputs else None
    match = SUBNET_ID_RE.match(subnet or "")
    if match:
        return (f"inside virtual network {match['vnet']} (subnet {match['subnet']} holds the private endpoints; "
                "e.g. a self-hosted runner there, see docs/network.md)")
    if outputs and outputs.network_acl_ip_rules:
        return f"an address in the allowed ranges {', '.join(outputs.network_acl_ip_rules)}"
    return "a network the account's and vault's rules allow (see docs/network.md)"


def must_run_from(command: str, what: str, outputs: StackOutputs | None) -> str:
    """The one line: which service refused, and the network `command` must run from."""
    return f"{command} must run from an allowed network: {what}; run it from {allowed_network(outputs)}"
