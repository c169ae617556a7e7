"""What a rotation is made of: the parts it drives and what it reports.

`Rotation` (aisvc/rotate/rotation.py) runs over these parts only, so every
path is tested with fakes; `aisvc/rotate/live.py` builds the real ones.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from aisvc.contract import CredentialId
from aisvc.errors import EXIT_OK
from aisvc.rotate.account_keys import AccountKeys
from aisvc.services.stack_driver import StackDriver
from aisvc.services.stack_outputs import StackOutputs

STEPS = ("inspect", "preview", "regenerate", "config", "up", "check")


class CheckOutcome(Protocol):
    """What rotation needs of a check report (aisvc.check.CheckReport)."""

    @property
    def ok(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


RunCheck = Callable[[StackOutputs], CheckOutcome]
AccountKeysFactory = Callable[[StackOutputs], AccountKeys]


@dataclass(frozen=True)
class AppSecret:
    """The app-facing secret as Key Vault holds it now."""

    value: str
    tag: str | None  # its CredentialId tag; None when untagged

    def __repr__(self) -> str:  # never let the key reach a log line via repr()
        return f"AppSecret(value=[secret], tag={self.tag!r})"


AppSecretReader = Callable[[StackOutputs], AppSecret]


@dataclass
class StepRecord:
    name: str
    ok: bool
    elapsed_seconds: float
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "elapsedSeconds": round(self.elapsed_seconds, 3), "error": self.error}


@dataclass
class RotationResult:
    """What happened; `to_json()` is the `aisvc rotate --json` document (docs/rotation.md)."""

    stack: str
    previous_active_key: CredentialId | None = None
    active_key: CredentialId | None = None
    regenerated_key: CredentialId | None = None
    rotated_at: str | None = None  # the secrets.rotatedAt the config step writes (YYYY-MM-DD, UTC)
    steps: list[StepRecord] = field(default_factory=list)
    check: dict[str, Any] | None = None
    error: str | None = None
    exit_code: int = EXIT_OK
    recovery: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "stack": self.stack,
            "previousActiveKey": self.previous_active_key,
            "activeKey": self.active_key,
            "regeneratedKey": self.regenerated_key,
            "steps": [step.to_json() for step in self.steps],
            "check": self.check,
            "error": self.error,
            "recovery": self.recovery,
        }




@dataclass(frozen=True)
class RotationParts:
    """The real or fake parts a rotation runs with."""

    driver: StackDriver
    account_keys: AccountKeysFactory
    run_check: RunCheck
    app_secret: AppSecretReader | None = None
    close: Callable[[], None] = lambda: None  # releases clients and the credential when the rotation ends
