"""The CanNotDelete lock that the account and the vault take with ``lock: CanNotDelete``."""
import pulumi
from pulumi_azure_native import authorization

from components.inputs import LockLevel


def lock_if_asked(
    level: LockLevel | None, parent: pulumi.Resource, name: str, scope: pulumi.Input[str], resource_name: str, notes: str,
) -> authorization.ManagementLockByScope | None:
    """A CanNotDelete lock on ``scope`` named ``<resource_name>-do-not-delete`` when ``level`` asks for one.

    ``notes`` tell whoever hits the lock why it is there.
    """
    if level != LockLevel.CAN_NOT_DELETE:
        return None
    return authorization.ManagementLockByScope(
        f"{name}-lock",
        scope=scope,
        level=authorization.LockLevel.CAN_NOT_DELETE,
        lock_name=f"{resource_name}-do-not-delete",
        notes=notes,
        opts=pulumi.ResourceOptions(parent=parent),
    )
