"""The app-facing secret's expiry (Key Vault `attributes.exp`): a warning when it is near or past."""
from __future__ import annotations

import datetime

from aisvc.contract import EXPIRY_WARNING_DAYS


def expiry_warning(secret_name: str, expires_on: datetime.datetime | None, now: datetime.datetime) -> str | None:
    """None when the secret never expires or has more than EXPIRY_WARNING_DAYS left."""
    if expires_on is None:
        return None
    left = expires_on - now
    day = expires_on.date().isoformat()
    if left <= datetime.timedelta(0):
        return (f"the app-facing secret {secret_name} expired on {day}: "
                "run `aisvc rotate` (it sets secrets.rotatedAt and a new expiry)")
    if left <= datetime.timedelta(days=EXPIRY_WARNING_DAYS):
        return (f"the app-facing secret {secret_name} expires on {day} (in {left.days} days): "
                "run `aisvc rotate` (it sets secrets.rotatedAt and a new expiry)")
    return None
