"""Fakes for rotation tests: an account with two keys, a vault, and a StackDriver
whose `up()` does what the real Pulumi program does for the keys.

`ProgramStackDriver` talks to the account and the vault only through callables,
so the same fake runs in memory (unit tests) and over the wire against the
emulator (ARM listKeys + azure-keyvault-secrets).
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aisvc.contract import CREDENTIAL_ID_TAG as CREDENTIAL_TAG
from aisvc.contract import CredentialId as KeyId
from aisvc.errors import OperationFailed
from aisvc.rotate.account_keys import KeyPair
from aisvc.services.stack_outputs import StackOutputs, parse_outputs

SECRET_NAMES = {"key1": "ai-services-key1", "key2": "ai-services-key2", "current": "ai-services-key"}
ACCOUNT_ID = "/subscriptions/0000/resourceGroups/rg-demo/providers/Microsoft.CognitiveServices/accounts/demo-ai"

# (value, tags) of a secret's latest version, or None when the secret does not exist.
SecretView = tuple[str, dict[str, str]] | None


class MemoryAccount:
    """The account's keys; the data plane accepts exactly the two current values."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {"key1": secrets.token_hex(16), "key2": secrets.token_hex(16)}
        self.fail_regenerate: str | None = None
        self.regenerated: list[KeyId] = []

    def list_keys(self) -> KeyPair:
        return KeyPair(self.keys["key1"], self.keys["key2"])

    def regenerate(self, key: KeyId) -> KeyPair:
        if self.fail_regenerate:
            raise OperationFailed(self.fail_regenerate)
        self.keys[key] = secrets.token_hex(16)
        self.regenerated.append(key)
        return self.list_keys()

    def valid(self, value: str | None) -> bool:
        return value in self.keys.values()


class MemoryVault:
    def __init__(self) -> None:
        self.versions: dict[str, list[tuple[str, dict[str, str]]]] = {}

    def get(self, name: str) -> SecretView:
        versions = self.versions.get(name)
        return versions[-1] if versions else None

    def set(self, name: str, value: str, tags: Mapping[str, str]) -> None:
        self.versions.setdefault(name, []).append((value, dict(tags)))


@dataclass
class ProgramStackDriver:
    """A StackDriver whose up() mirrors __main__.py + components/key_export.py:
    listAccountKeys, then key1Name / key2Name / currentName (tagged CredentialId=activeKey),
    written only where they differ (Pulumi updates only what changed)."""

    list_keys: Callable[[], KeyPair]
    vault_get: Callable[[str], SecretView]
    vault_set: Callable[[str, str, Mapping[str, str]], None]
    base_outputs: dict[str, Any]
    stack_name: str = "dev"
    config: dict[str, Any] = field(default_factory=lambda: {"ai-services:secrets.activeKey": "key1"})
    fail: dict[str, str] = field(default_factory=dict)  # op -> message
    fail_up_after_writes: int | None = None
    extra_pending: dict[str, int] = field(default_factory=dict)
    deployed_active: str = "key1"
    up_count: int = 0

    # --- what the program computes ----------------------------------------------------

    @property
    def active(self) -> str:
        return self.config.get("ai-services:secrets.activeKey") or "key1"

    def desired_secrets(self) -> dict[str, tuple[str, dict[str, str]]]:
        keys = self.list_keys()
        active = self.active
        return {
            SECRET_NAMES["key1"]: (keys.key1, {}),
            SECRET_NAMES["key2"]: (keys.key2, {}),
            SECRET_NAMES["current"]: (keys.value(active), {CREDENTIAL_TAG: active}),  # type: ignore[arg-type]
        }

    def _secret_diffs(self) -> dict[str, tuple[str, dict[str, str]]]:
        return {name: want for name, want in self.desired_secrets().items() if self.vault_get(name) != want}

    # --- StackDriver ---------------------------------------------------------------------

    def outputs(self) -> StackOutputs:
        self._maybe_fail("outputs")
        return parse_outputs({**self.base_outputs, "activeKey": self.deployed_active}, "fake stack outputs")

    def get_config(self, key: str, *, path: bool = False) -> str | None:
        return self.config.get(key)

    def set_config(self, key: str, value: str, *, path: bool = False) -> None:
        self._maybe_fail("config")
        assert path, "activeKey lives inside the `secrets` object: it must be set with --path"
        self.config[key] = value

    def pending_changes(self) -> dict[str, int]:
        self._maybe_fail("preview")
        updates = len(self._secret_diffs()) + (self.active != self.deployed_active)
        changes = {"update": updates} if updates else {}
        return {**changes, **self.extra_pending}

    def up(self) -> StackOutputs:
        self._maybe_fail("up")
        self.up_count += 1
        # currentName first: the most adversarial order for a failure half way through.
        diffs = sorted(self._secret_diffs().items(), key=lambda item: item[0] != SECRET_NAMES["current"])
        for written, (name, (value, tags)) in enumerate(diffs):
            if self.fail_up_after_writes is not None and written >= self.fail_up_after_writes:
                raise OperationFailed("pulumi up failed: azure-native:keyvault:Secret: 409 Conflict")
            self.vault_set(name, value, tags)
        self.deployed_active = self.active
        return self.outputs()

    def _maybe_fail(self, op: str) -> None:
        if op in self.fail:
            raise OperationFailed(self.fail[op])


@dataclass
class FakeCheckReport:
    ok: bool
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "endpoint": "https://demo-ai.cognitiveservices.azure.com/",
                "checks": [{"name": "key", "ok": self.ok, "status": 200 if self.ok else 401, "attempts": 1,
                            "elapsedSeconds": 0.01, "error": self.error}]}


def memory_outputs(local_auth: bool = True) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "accountId": ACCOUNT_ID, "accountName": "demo-ai", "resourceGroupName": "rg-demo",
        "endpoint": "https://demo-ai.cognitiveservices.azure.com/", "keyVaultUri": "https://demo-kv.vault.azure.net/",
        "localAuthEnabled": local_auth, "kind": "AIServices",
    }
    if local_auth:
        outputs["keySecretName"] = SECRET_NAMES["current"]
        outputs["keySecretNames"] = {"key1": SECRET_NAMES["key1"], "key2": SECRET_NAMES["key2"]}
    return outputs
