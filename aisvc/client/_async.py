"""Async twins for azure.core async clients (``azure.*.aio``): the credential and the refresh policy."""
from __future__ import annotations

import asyncio
from typing import Any, Self

from azure.core.credentials import AzureKeyCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy
from azure.keyvault.secrets.aio import SecretClient

from ._credential import RefreshState, SecretAddressView
from ._policy import UNAUTHORIZED, body_mark, rejected, rewind


class AsyncKeyVaultKeyCredential(SecretAddressView, AzureKeyCredential):
    """``KeyVaultKeyCredential`` for async clients; ``refresh()`` is a coroutine.

    A constructor cannot await, so the secret is read by ``await
    AsyncKeyVaultKeyCredential.create(...)`` (fails fast at start-up), by
    ``await credential.load()``, or at the latest by the policy before its
    first request; until then ``key`` is ``""`` (SDK constructors probe it, so
    it must not raise). All coroutines of one event loop share one refresh.
    """

    def __init__(self, vault_uri: str, secret_name: str, token_credential: AsyncTokenCredential, *,
                 min_refresh_seconds: float = 5.0, **client_kwargs: Any) -> None:
        self._state = RefreshState(vault_uri, secret_name, min_refresh_seconds)
        self._lock = asyncio.Lock()
        # Network trace logging would print the secret's value: never on for this client.
        self._client = SecretClient(vault_uri, token_credential, **{**client_kwargs, "logging_enable": False})
        self._loaded = False
        super().__init__("")

    @classmethod
    async def create(cls, vault_uri: str, secret_name: str, token_credential: AsyncTokenCredential, *,
                     min_refresh_seconds: float = 5.0, **client_kwargs: Any) -> AsyncKeyVaultKeyCredential:
        """Build the credential and read the secret."""
        credential = cls(vault_uri, secret_name, token_credential, min_refresh_seconds=min_refresh_seconds,
                         **client_kwargs)
        await credential.load()
        return credential

    @property
    def loaded(self) -> bool:
        return self._loaded

    async def load(self) -> None:
        """Read the secret unless it was read already (this first read opens no refresh window)."""
        async with self._lock:
            if not self._loaded:
                self.update(await self._read())
                self._loaded = True

    async def refresh(self) -> bool:
        """Read the secret again (unless read within ``min_refresh_seconds``); True when the key changed."""
        await self.load()
        return await self.refresh_if_current(self.key)

    async def refresh_if_current(self, rejected_key: str) -> bool:
        """Refresh only while this credential still holds ``rejected_key``; True when it now holds another."""
        async with self._lock:
            if self._key != rejected_key:
                return True
            if not self._state.due():
                return False
            try:
                self.update(await self._read())
            except Exception as err:
                self._state.failed(err)
                raise
            changed = self._key != rejected_key
        self._state.log_refresh(changed)
        return changed

    async def close(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


    async def _read(self) -> str:
        return self._state.accept(await self._client.get_secret(self._state.secret_name))


class AsyncKeyRefreshPolicy(AsyncHTTPPolicy[Any, Any]):
    """``KeyRefreshPolicy`` for async pipelines."""

    def __init__(self, credential: AsyncKeyVaultKeyCredential, header: str) -> None:
        super().__init__()
        if not header:
            raise ValueError("header is required, e.g. 'Ocp-Apim-Subscription-Key' or 'api-key'")
        self._credential, self._header = credential, header

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        if not self._credential.loaded:
            await self._credential.load()
        key, mark = self._credential.key, body_mark(request.http_request)
        request.http_request.headers[self._header] = key
        response = await self.next.send(request)
        if response.http_response.status_code != UNAUTHORIZED:
            return response
        if not await self._credential.refresh_if_current(key):
            raise rejected(self._credential, request.http_request, response.http_response)
        if not rewind(request.http_request, mark):
            return response  # a one-shot stream: the SDK raises the 401; the next call has the new key
        request.http_request.headers[self._header] = self._credential.key
        response = await self.next.send(request)
        if response.http_response.status_code == UNAUTHORIZED:
            raise rejected(self._credential, request.http_request, response.http_response)
        return response


def async_key_refresh_policy(credential: AsyncKeyVaultKeyCredential, header: str) -> AsyncKeyRefreshPolicy:
    """The ``authentication_policy=`` for any azure.core async client that takes an ``AzureKeyCredential``."""
    return AsyncKeyRefreshPolicy(credential, header)
