"""key_refresh_policy: put the key in its header; on a 401, refresh the credential and resend once."""
from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit

from azure.core.exceptions import ClientAuthenticationError, ODataV4Format
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import HTTPPolicy

from ._credential import KeyVaultKeyCredential

UNAUTHORIZED = 401


class KeyRejectedError(ClientAuthenticationError):
    """The service answered 401 to the key from Key Vault, also after reading the secret again.

    A ``ClientAuthenticationError`` (what the SDK raises for a 401 anyway, and
    what azure-core's RetryPolicy never retries), with ``status_code``,
    ``response`` and ``error`` of the last answer. The message names the host,
    the vault and the secret, never the key.
    """

    def __init__(self, message: str, response: Any) -> None:
        super().__init__(message=message)
        # Set after __init__: HttpResponseError would replace our message with the service's.
        self.response, self.status_code, self.reason = response, response.status_code, response.reason
        self.error = self._parse_odata_body(ODataV4Format, response)


class SecretSource(Protocol):
    """Where a credential's key comes from (sync and async credentials alike); no key in here."""

    @property
    def vault_uri(self) -> str: ...

    @property
    def secret_name(self) -> str: ...

    @property
    def min_refresh_seconds(self) -> float: ...

    @property
    def last_refresh_error(self) -> str | None: ...


def rejected(credential: SecretSource, request: Any, response: Any) -> KeyRejectedError:
    """The clear error for a key the service still refuses after a refresh (sync and async credentials)."""
    error = KeyRejectedError._parse_odata_body(ODataV4Format, response)
    said = f" The service said: {error.message}" if error and error.message else ""
    if credential.last_refresh_error:
        said += f" The last read of the secret failed: {credential.last_refresh_error}"
    message = (f"{urlsplit(request.url).netloc} answered 401 to the key from Key Vault secret "
               f"{credential.secret_name!r} in {credential.vault_uri}, also after the secret was read again "
               f"(at most once per {credential.min_refresh_seconds:g} s): it does not hold a valid key of this "
               f"account.{said}")
    return KeyRejectedError(message, response)


def body_mark(http_request: Any) -> int | None:
    """Where a stream body starts, to send it again; None for a body sent again as is; -1: cannot be resent."""
    body = http_request.body
    if body is None or isinstance(body, (bytes, bytearray, str)):
        return None
    try:
        return int(body.tell()) if hasattr(body, "seek") else -1
    except (AttributeError, OSError):
        return -1


def rewind(http_request: Any, mark: int | None) -> bool:
    """Put a stream body back where it started; False when the body cannot be sent again."""
    if mark is None:
        return True
    if mark < 0:
        return False
    try:
        http_request.body.seek(mark)
    except OSError:
        return False
    return True


class KeyRefreshPolicy(HTTPPolicy[Any, Any]):
    """Sends the credential's key in ``header``; on a 401 refreshes the credential and resends once.

    ``Any`` request/response types: the policy runs with the legacy and the
    ``azure.core.rest`` transports alike. Replaces the SDK's key policy (pass it
    as ``authentication_policy=``); it sits after the retry policy, so each retry
    carries the current key.
    """

    def __init__(self, credential: KeyVaultKeyCredential, header: str) -> None:
        super().__init__()
        if not header:
            raise ValueError("header is required, e.g. 'Ocp-Apim-Subscription-Key' or 'api-key'")
        self._credential, self._header = credential, header

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        key, mark = self._credential.key, body_mark(request.http_request)
        request.http_request.headers[self._header] = key
        response = self.next.send(request)
        if response.http_response.status_code != UNAUTHORIZED:
            return response
        if not self._credential.refresh_if_current(key):
            raise rejected(self._credential, request.http_request, response.http_response)
        if not rewind(request.http_request, mark):
            return response  # a one-shot stream: the SDK raises the 401; the next call has the new key
        request.http_request.headers[self._header] = self._credential.key
        response = self.next.send(request)
        if response.http_response.status_code == UNAUTHORIZED:
            raise rejected(self._credential, request.http_request, response.http_response)
        return response


def key_refresh_policy(credential: KeyVaultKeyCredential, header: str) -> KeyRefreshPolicy:
    """The ``authentication_policy=`` for any Azure SDK client that takes an ``AzureKeyCredential``."""
    return KeyRefreshPolicy(credential, header)
