"""The CanNotDelete lock that the account and the vault take with ``lock: CanNotDelete``."""
from __future__ import annotations

import pulumi
from pulumi_azure_native import authorization


def do_not_delete_lock(
    parent: pulumi.Resource, name: str, scope: pulumi.Input[str], resource_name: str, notes: str,
) -> authorization.ManagementLockByScope:
    """A CanNotDelete lock on ``scope`` named ``<resource_name>-do-not-delete``; ``notes`` tell whoever hits it why."""
    return authorization.ManagementLockByScope(
        f"{name}-lock",
        scope=scope,
        level="CanNotDelete",
        lock_name=f"{resource_name}-do-not-delete",
        notes=notes,
        opts=pulumi.ResourceOptions(parent=parent),
    )
