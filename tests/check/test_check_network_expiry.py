"""aisvc check against the emulator: the app-facing secret's expiry warning, and the one line that says
which network the check must run from when a firewall or private access refuses it (issue 11)."""
from __future__ import annotations

import time

import pytest

from tests.check.test_check import aisvc_check, assert_contract_shape, assert_fails_fast, error_line
from tests.support.emulator import AzureEmulator

DAY = 86_400
SUBNET = ("/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/net-rg/providers/"
          "Microsoft.Network/virtualNetworks/hub/subnets/endpoints")


def write_app_secret(emulator: AzureEmulator, expires: int | None) -> None:
    emulator.set_secret("ai-services-key", emulator.keys["key1"], {"CredentialId": "key1"}, expires=expires)


@pytest.mark.parametrize(("offset_days", "expected"), [
    (5, "expires on"),
    (-1, "expired on"),
])
def test_a_secret_near_or_past_expiry_passes_with_a_warning(azure_emulator: AzureEmulator, offset_days: int,
                                                            expected: str) -> None:
    write_app_secret(azure_emulator, int(time.time()) + offset_days * DAY)
    run = aisvc_check(azure_emulator, "--auth", "key", "--json")
    assert run.code == 0, run.stderr
    report = run.report
    assert_contract_shape(report)
    assert report["ok"] is True
    [warning] = report["warnings"]
    assert "ai-services-key" in warning and expected in warning and "aisvc rotate" in warning
    human = aisvc_check(azure_emulator, "--auth", "key")
    assert human.code == 0
    assert [line for line in human.stdout.splitlines() if line.startswith("warning: ")] == [f"warning: {warning}"]


@pytest.mark.parametrize("expires_in_days", [None, 60])
def test_no_warning_without_expiry_or_far_from_it(azure_emulator: AzureEmulator, expires_in_days: int | None) -> None:
    write_app_secret(azure_emulator, None if expires_in_days is None else int(time.time()) + expires_in_days * DAY)
    run = aisvc_check(azure_emulator, "--auth", "key", "--json")
    assert run.code == 0 and run.report["warnings"] == []
    assert "warning:" not in aisvc_check(azure_emulator, "--auth", "key").stdout


def test_the_emulator_stores_and_returns_the_expiry(azure_emulator: AzureEmulator) -> None:
    write_app_secret(azure_emulator, 1_771_027_200)
    secret = azure_emulator.get_secret("ai-services-key")
    assert secret is not None and secret.expires == 1_771_027_200


@pytest.mark.parametrize("mode", ["ip", "public-disabled"])
def test_a_private_account_names_the_endpoint_subnet(azure_emulator: AzureEmulator, mode: str) -> None:
    azure_emulator.set_firewall(mode)  # type: ignore[arg-type]
    outputs = {**azure_emulator.stack_outputs(), "privateEndpointSubnetId": SUBNET, "publicNetworkAccess": "Disabled"}
    run = aisvc_check(azure_emulator, "--auth", "entra", outputs=outputs)
    assert_fails_fast(run, "aisvc check must run from an allowed network", "network rules block this caller",
                      "inside virtual network hub (subnet endpoints holds the private endpoints")
    assert len(run.stderr.strip().splitlines()) == 1


def test_a_firewalled_vault_names_the_allowed_ranges(azure_emulator: AzureEmulator) -> None:
    azure_emulator.set_vault_firewall(True)
    outputs = {**azure_emulator.stack_outputs(), "networkAclIpRules": ["203.0.113.0/24", "198.51.100.7"]}
    run = aisvc_check(azure_emulator, "--auth", "key", outputs=outputs)
    assert_fails_fast(run, "aisvc check must run from an allowed network", "Key Vault firewall blocks this caller",
                      "an address in the allowed ranges 203.0.113.0/24, 198.51.100.7")
    assert azure_emulator.requests(role="ai") == []


def test_without_network_outputs_the_line_still_says_where(azure_emulator: AzureEmulator) -> None:
    azure_emulator.set_vault_firewall(True)
    run = aisvc_check(azure_emulator, "--auth", "key")
    line = error_line(run)
    assert "must run from an allowed network" in line and "docs/network.md" in line
