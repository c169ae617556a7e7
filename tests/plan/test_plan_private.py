"""aisvc plan on the private production stack: the new resources, and the note on public access (issue 11)."""
from __future__ import annotations

from aisvc.plan import build_plan
from tests.plan.test_plan import plan_cli


def test_prod_private_plans_endpoints_zones_diagnostics_and_expiring_secrets() -> None:
    plan = build_plan("prod-private")
    types = [r.type for r in plan.resources]
    assert types.count("azure-native:network:PrivateEndpoint") == 2
    assert types.count("azure-native:network:PrivateDnsZoneGroup") == 2
    assert types.count("azure-native:privatedns:PrivateZone") == 4  # three for AIServices + the vault's
    assert types.count("azure-native:privatedns:VirtualNetworkLink") == 4
    assert types.count("azure-native:monitor:DiagnosticSetting") == 2
    assert all(r.input("properties.attributes.expires") == 1776211200  # 2026-04-15 (2026-01-15 + 90 days), midnight UTC
               for r in plan.of_type("azure-native:keyvault:Secret"))
    assert plan.outputs["publicNetworkAccess"] == "Disabled"
    assert plan.notes and "publicNetworkAccess is Disabled because privateEndpoints is set" in plan.notes[0]


def test_the_human_plan_says_public_access_is_off_and_prod_has_no_note() -> None:
    private = plan_cli("--stack", "prod-private")
    assert private.returncode == 0, private.stderr
    assert "note: publicNetworkAccess is Disabled because privateEndpoints is set" in private.stdout
    assert "note:" not in plan_cli("--stack", "prod").stdout
