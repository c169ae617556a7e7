"""Diagnostic settings: the account's and a new vault's logs and metrics go to a Log Analytics workspace.

``categoryGroup: allLogs`` follows the categories Azure adds later (a list of
categories would not), and ``AllMetrics`` is the one metric category both services have.
"""
from collections.abc import Mapping
from typing import NotRequired, TypedDict

import pulumi
from pulumi_azure_native import monitor

SETTING_NAME = "to-log-analytics"


class DiagnosticsArgs(TypedDict):
    """Where the logs go and which resources send them."""

    workspace_id: pulumi.Input[str]
    """Resource id of the Log Analytics workspace."""
    account_id: pulumi.Input[str]
    """The account's resource id."""
    vault_id: NotRequired[pulumi.Input[str]]
    """A new vault's resource id (an existing vault keeps its owner's settings)."""


class Diagnostics(pulumi.ComponentResource):
    """One diagnostic setting per resource, each sending all logs and all metrics to the workspace."""

    TYPE = "ai-services:diagnostics:Diagnostics"

    def __init__(self, name: str, args: DiagnosticsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        targets: Mapping[str, pulumi.Input[str] | None] = {"account": args["account_id"], "vault": args.get("vault_id")}
        self.settings = {
            target: self._setting(f"{name}-{target}", resource_id, args["workspace_id"])
            for target, resource_id in targets.items() if resource_id is not None
        }
        self.register_outputs({})

    # The return type is quoted: evaluating it would load azure-native's whole monitor module (~0.1 s)
    # for every program, also those without diagnostics.
    def _setting(
        self, name: str, resource_id: pulumi.Input[str], workspace_id: pulumi.Input[str],
    ) -> "monitor.DiagnosticSetting":
        return monitor.DiagnosticSetting(
            name,
            name=SETTING_NAME,
            resource_uri=resource_id,
            workspace_id=workspace_id,
            logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
            metrics=[monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)],
            opts=pulumi.ResourceOptions(parent=self),
        )
