"""aisvc rotate behind a firewall or private endpoints: one line naming the network it must run from (issue 11)."""
from __future__ import annotations

import pytest

from aisvc.errors import OperationFailed
from aisvc.rotate.live import read_app_secret
from aisvc.services.stack_outputs import parse_outputs
from tests.rotate.test_rotate_emulator import credential_for
from tests.support.emulator import AzureEmulator

SUBNET = ("/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/net-rg/providers/"
          "Microsoft.Network/virtualNetworks/spoke/subnets/private")


@pytest.mark.parametrize(("extra", "named"), [
    ({"privateEndpointSubnetId": SUBNET}, "inside virtual network spoke (subnet private holds the private endpoints"),
    ({"networkAclIpRules": ["203.0.113.0/24"]}, "an address in the allowed ranges 203.0.113.0/24"),
])
def test_a_firewalled_vault_stops_the_rotation_with_the_allowed_network(
        azure_emulator: AzureEmulator, emulator_env: dict[str, str], extra: dict[str, object], named: str) -> None:
    azure_emulator.set_vault_firewall(True)
    outputs = parse_outputs({**azure_emulator.stack_outputs(), **extra})
    credential = credential_for(azure_emulator)
    with pytest.raises(OperationFailed) as caught:
        read_app_secret(outputs, credential, False, {"connection_verify": azure_emulator.ca_file})
    message = str(caught.value)
    assert message.startswith("aisvc rotate must run from an allowed network: the Key Vault firewall refuses")
    assert named in message and "\n" not in message
