"""KeyVaultKeyCredential: an AzureKeyCredential that follows the app-facing Key Vault secret."""
from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Self

from azure.core.credentials import AzureKeyCredential, TokenCredential
from azure.keyvault.secrets import KeyVaultSecret, SecretClient

logger = logging.getLogger("aisvc.client")


class SecretValueError(ValueError):
    """The app-facing secret exists but holds no usable key (empty or disabled)."""


class RefreshState:
    """What sync and async credentials share: the secret's address and the refresh throttle.

    Holds no key: everything here may be logged or shown.
    """

    def __init__(self, vault_uri: str, secret_name: str, min_refresh_seconds: float) -> None:
        if not vault_uri or not secret_name:
            raise ValueError("vault_uri and secret_name are required")
        if not math.isfinite(min_refresh_seconds) or min_refresh_seconds < 0:
            raise ValueError(f"min_refresh_seconds must be a finite number >= 0, got {min_refresh_seconds!r}")
        self.vault_uri, self.secret_name = vault_uri, secret_name
        self.min_refresh_seconds = min_refresh_seconds
        self.version: str | None = None
        self.last_error: str | None = None  # why the last refresh read failed, for KeyRejectedError
        # The read at construction opens no window: only reads caused by a refresh do.
        self._last_refresh = -math.inf

    def due(self) -> bool:
        """True (and the window restarts) when a refresh may read Key Vault now."""
        now = time.monotonic()
        if now - self._last_refresh < self.min_refresh_seconds:
            return False
        self._last_refresh = now  # before the read: a failing vault is not asked again sooner either
        return True

    def accept(self, secret: KeyVaultSecret) -> str:
        """The key the secret holds; remembers its version (not secret) for repr and logs."""
        if not secret.value or secret.properties.enabled is False:
            raise SecretValueError(f"Key Vault secret {self.secret_name!r} in {self.vault_uri} holds no key "
                                   "(empty or disabled)")
        self.version, self.last_error = secret.properties.version, None
        return secret.value

    def failed(self, error: Exception) -> None:
        """Remember a failed read: a later 401 inside the throttle window then says why there is no new key."""
        first_line = (str(error).splitlines() or [""])[0]
        self.last_error = f"{type(error).__name__}: {first_line[:200]}"

    def log_refresh(self, changed: bool) -> None:
        logger.info("aisvc.client: read Key Vault secret %r in %s again: %s (version %s)", self.secret_name,
                    self.vault_uri, "new key" if changed else "same key", self.version)

    def describe(self, cls_name: str) -> str:
        return (f"{cls_name}(vault_uri={self.vault_uri!r}, secret_name={self.secret_name!r}, "
                f"version={self.version!r}, min_refresh_seconds={self.min_refresh_seconds!r})")


class SecretAddressView:
    """What the sync and async credentials show of their secret: never the key (repr included)."""

    _state: RefreshState

    @property
    def vault_uri(self) -> str:
        return self._state.vault_uri

    @property
    def secret_name(self) -> str:
        return self._state.secret_name

    @property
    def min_refresh_seconds(self) -> float:
        return self._state.min_refresh_seconds

    @property
    def last_refresh_error(self) -> str | None:
        """Why the last refresh could not read the secret (None after a successful read)."""
        return self._state.last_error

    def __repr__(self) -> str:
        return self._state.describe(type(self).__name__)


class KeyVaultKeyCredential(SecretAddressView, AzureKeyCredential):
    """An ``AzureKeyCredential`` whose key is the value of a Key Vault secret.

    Reads the secret once when built. ``refresh()`` reads it again, at most once
    per ``min_refresh_seconds`` for all threads together: one thread reads, the
    others wait for that read. Extra keyword arguments go to the ``SecretClient``
    (e.g. ``connection_verify``). The key never appears in ``repr`` or ``str``.
    """

    def __init__(self, vault_uri: str, secret_name: str, token_credential: TokenCredential, *,
                 min_refresh_seconds: float = 5.0, **client_kwargs: Any) -> None:
        self._state = RefreshState(vault_uri, secret_name, min_refresh_seconds)
        self._lock = threading.Lock()
        # Network trace logging would print the secret's value: never on for this client.
        self._client = SecretClient(vault_uri, token_credential, **{**client_kwargs, "logging_enable": False})
        try:
            super().__init__(self._read())
        except BaseException:
            self._client.close()
            raise

    def refresh(self) -> bool:
        """Read the secret again (unless read within ``min_refresh_seconds``); True when the key changed."""
        return self.refresh_if_current(self.key)

    def refresh_if_current(self, rejected_key: str) -> bool:
        """Refresh only while this credential still holds ``rejected_key``; True when it now holds another.

        For the refresh policy: threads that waited for another thread's read
        find the key already changed and need no read of their own.
        """
        with self._lock:
            if self.key != rejected_key:
                return True
            if not self._state.due():
                return False
            try:
                self.update(self._read())
            except Exception as err:
                self._state.failed(err)
                raise
            changed = self.key != rejected_key
        self._state.log_refresh(changed)
        return changed

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


    def _read(self) -> str:
        return self._state.accept(self._client.get_secret(self._state.secret_name))
