"""The CanNotDelete lock that the account and the vault take with ``lock: CanNotDelete``.

A lock is inherited by everything under its scope: while it exists, ARM refuses to delete
a model deployment or role assignment there (409 ScopeLocked). So each lock depends on
those children: it is created after them and, since Pulumi deletes dependents first,
removed before them by `destroy` (or by a `pulumi up` that sets ``lock: none``).
"""
from collections.abc import Sequence

import pulumi
from pulumi_azure_native import authorization

from components.inputs import LockLevel


def lock_if_asked(
    level: LockLevel | None, parent: pulumi.Resource, name: str, scope: pulumi.Input[str], resource_name: str, notes: str,
    children: Sequence[pulumi.Resource] = (),
) -> authorization.ManagementLockByScope | None:
    """A CanNotDelete lock on ``scope`` named ``<resource_name>-do-not-delete`` when ``level`` asks for one.

    ``notes`` tell whoever hits the lock why it is there; ``children``: the resources under ``scope``
    that Pulumi may delete (the lock depends on them, so it goes first).
    """
    if level != LockLevel.CAN_NOT_DELETE:
        return None
    return authorization.ManagementLockByScope(
        f"{name}-lock",
        scope=scope,
        level=authorization.LockLevel.CAN_NOT_DELETE,
        lock_name=f"{resource_name}-do-not-delete",
        notes=notes,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(children)),
    )
