"""Rules Azure enforces on config values, so they are refused before `pulumi up`.

Each is a small validator a field in ``aisvc.config.settings`` names in its
metadata; the facts behind them are in docs/azure-wire.md.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from aisvc.config.fields import Finding
from aisvc.contract import KEY_VAULT_MAX_TAGS, ROTATION_TAGS

# Azure IP rules (AI services and Key Vault firewalls) take public internet addresses only. The
# documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) stay allowed: the shipped
# stacks use them as placeholders and Azure does not list them among the refused ranges.
NOT_PUBLIC: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple((ipaddress.IPv4Network(net), why) for net, why in (
    ("0.0.0.0/8", "'this network' (RFC 1122)"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared carrier-grade NAT space (RFC 6598)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "reserved for IETF protocols (RFC 6890)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "reserved for benchmarking (RFC 2544)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
))

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# The schema's share of the rule: addresses that start in a refused block (the check also catches
# ranges that merely overlap one, with the reason).
_STARTS_NOT_PUBLIC = (r"(?!(?:0|10|127)\.|100\.(?:6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.|169\.254\.|172\.(?:1[6-9]|2[0-9]|3[01])\."
                      r"|192\.0\.0\.|192\.168\.|198\.1[89]\.|(?:22[4-9]|2[3-5][0-9])\.)")
PUBLIC_IPV4_OR_CIDR = re.compile(rf"^{_STARTS_NOT_PUBLIC}{_OCTET}(?:\.{_OCTET}){{3}}(?:/(?:3[0-2]|[12]?[0-9]))?$")


def public_ipv4_problem(value: str) -> str | None:
    """Why Azure refuses ``value`` as an IP rule, or None (also for text that is no address: the pattern says it)."""
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return None
        return "host bits are set"
    if not isinstance(network, ipaddress.IPv4Network):
        return None
    for block, why in NOT_PUBLIC:
        if network.overlaps(block):
            return f"{block} is {why}; Azure IP rules take public addresses only"
    return None


def tags_fit_key_vault_secrets(value: Any, raw: Any, siblings: Mapping[str, Any]) -> Iterable[Finding]:
    """The stack's tags go on every resource, the key secrets too; the app-facing one also carries the rotation tags.

    Counted whether or not secrets.rotatedAt is set yet: `aisvc rotate` sets it, and must not fail then.
    """
    own = {tag.lower(): tag for tag in ROTATION_TAGS}
    for name in value:
        if name.lower() in own:
            yield f".{name}", value[name], f"{own[name.lower()]} is the toolkit's own tag on the app-facing secret"
    room = KEY_VAULT_MAX_TAGS - len(ROTATION_TAGS)
    if siblings.get("disable_local_auth") is False and len(value) > room:
        yield "", f"{len(value)} tags", (
            f"at most {room} tags while the keys are exported: the tags go on each Key Vault secret, which takes "
            f"{KEY_VAULT_MAX_TAGS}, and the app-facing secret also carries {', '.join(ROTATION_TAGS)}")
