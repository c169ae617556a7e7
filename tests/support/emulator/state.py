"""Thread-safe state of the emulated Azure: identity, account keys, vault
secrets, per-test scenario knobs and a request log (never holding secrets)."""
from __future__ import annotations

import base64
import json
import secrets as _random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Literal

CredentialId = Literal["key1", "key2"]
FirewallMode = Literal["ip", "public-disabled"]

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
VAULT_SCOPE = "https://vault.azure.net/.default"
ARM_SCOPE = "https://management.azure.com/.default"


def _b64url(document: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def new_key() -> str:
    """An account key shaped like Azure's: 32 hex characters (84 in newer accounts)."""
    return _random.token_hex(16)


@dataclass
class SecretVersion:
    value: str
    version: str
    tags: dict[str, str]
    content_type: str | None
    created: int
    updated: int
    expires: int | None = None  # attributes.exp, unix seconds


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator answered. No key, token or secret value in here."""

    role: str  # "entra" | "vault" | "ai" | "arm"
    method: str
    path: str  # without the query string
    status: int
    auth: str  # "none" | "key" | "bearer" | "client-secret"
    code: str | None  # the error code answered, if any
    at: float  # time.monotonic()


@dataclass
class Scenario:
    """Per-test knobs. Deadlines are time.monotonic() values; counts are decremented per answer."""

    vault_forbidden_until: float = 0.0  # 403 ForbiddenByRbac (transient)
    vault_firewall: bool = False  # 403 ForbiddenByFirewall (definitive)
    ai_permission_denied_until: float = 0.0  # bearer: 401 PermissionDenied (transient)
    ai_unmapped_until: float = 0.0  # 404 subdomain does not map (transient)
    ai_throttle_left: int = 0  # 429 with Retry-After
    ai_throttle_retry_after: int = 1
    ai_server_errors_left: int = 0  # 5xx
    ai_server_error_status: int = 503
    ai_firewall: FirewallMode | None = None  # 403 firewall / public access disabled (definitive)
    # Keys that keep working for a while after regeneration (real Azure: none; the
    # check's grace period exists for propagation lag, which this can simulate).
    ai_key_lag_until: float = 0.0
    # The token endpoint answers every request with this status (401: invalid_client, 5xx: an outage); 0 = works.
    entra_token_error: int = 0


@dataclass
class EmulatorState:
    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    client_secret: str = field(default_factory=lambda: "emu~" + _random.token_urlsafe(24))
    # The client's object id: the `oid` claim of every token (who ARM sees as the caller).
    object_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    subscription_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    resource_group: str = "rg-aisvc-test"
    account_name: str = "aisvc-test-acct"
    vault_name: str = "aisvc-test-kv"
    local_auth_enabled: bool = True
    keys: dict[str, str] = field(default_factory=lambda: {"key1": new_key(), "key2": new_key()})
    previous_keys: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, list[SecretVersion]] = field(default_factory=dict)
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (scope, expires)
    scenario: Scenario = field(default_factory=Scenario)
    log: list[RequestRecord] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    # --- identity -------------------------------------------------------------
    def issue_token(self, scope: str) -> str:
        """A JWT-shaped token (unsigned): ARM callers read `oid` from it, as from a real Entra ID token."""
        claims = {"aud": scope.removesuffix("/.default"), "tid": self.tenant_id, "appid": self.client_id,
                  "oid": self.object_id, "jti": _random.token_urlsafe(16)}
        token = ".".join(_b64url(part) for part in ({"typ": "JWT", "alg": "RS256"}, claims)) + "." + \
            _random.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (scope, time.time() + 3599)
        return token

    def token_scope(self, token: str) -> str | None:
        with self.lock:
            entry = self.tokens.get(token)
        if entry is None or entry[1] < time.time():
            return None
        return entry[0]

    # --- account keys ---------------------------------------------------------
    def key_values(self) -> dict[str, str]:
        with self.lock:
            return dict(self.keys)

    def regenerate(self, which: CredentialId) -> dict[str, str]:
        with self.lock:
            self.previous_keys[which] = self.keys[which]
            self.keys[which] = new_key()
            return dict(self.keys)

    def key_accepted(self, value: str) -> bool:
        with self.lock:
            if value in self.keys.values():
                return True
            lagging = time.monotonic() < self.scenario.ai_key_lag_until
            return lagging and value in self.previous_keys.values()

    # --- vault secrets --------------------------------------------------------
    def set_secret(self, name: str, value: str, tags: dict[str, str] | None = None,
                   content_type: str | None = None, expires: int | None = None) -> SecretVersion:
        now = int(time.time())
        version = SecretVersion(value, uuid.uuid4().hex, dict(tags or {}), content_type, now, now, expires)
        with self.lock:
            self.secrets.setdefault(name, []).append(version)
        return version

    def get_secret(self, name: str, version: str | None = None) -> SecretVersion | None:
        with self.lock:
            versions = self.secrets.get(name, [])
            if not version:
                return versions[-1] if versions else None
            return next((item for item in versions if item.version == version), None)

    def delete_secret(self, name: str) -> None:
        with self.lock:
            self.secrets.pop(name, None)

    # --- scenario and log -----------------------------------------------------
    def take_count(self, attribute: str) -> bool:
        """Decrement a `*_left` counter; True when this answer must be the failure."""
        with self.lock:
            left = getattr(self.scenario, attribute)
            if left > 0:
                setattr(self.scenario, attribute, left - 1)
                return True
            return False

    def record(self, entry: RequestRecord) -> None:
        with self.lock:
            self.log.append(entry)

    def records(self) -> list[RequestRecord]:
        with self.lock:
            return list(self.log)
