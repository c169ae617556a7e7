"""Helpers for the aisvc.client tests and benchmark: rotations done straight on the emulator, and its log."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from azure.identity import ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

from aisvc.client import KeyRejectedError, KeyVaultKeyCredential
from tests.support.emulator import DEFAULT_SECRET_NAMES, AzureEmulator

APP_SECRET = DEFAULT_SECRET_NAMES["current"]
LANGUAGE_KEY_HEADER = "Ocp-Apim-Subscription-Key"
DOCUMENTS = ["Hello world"]

MakeCredential = Callable[..., KeyVaultKeyCredential]  # the make_credential fixture
T = TypeVar("T")


def token_credential(emulator: AzureEmulator) -> ClientSecretCredential:
    return ClientSecretCredential(emulator.tenant_id, emulator.client_id, emulator.client_secret,
                                  authority=emulator.authority_host, disable_instance_discovery=True,
                                  connection_verify=emulator.ca_file)


def async_token_credential(emulator: AzureEmulator) -> AsyncClientSecretCredential:
    return AsyncClientSecretCredential(emulator.tenant_id, emulator.client_id, emulator.client_secret,
                                       authority=emulator.authority_host, disable_instance_discovery=True,
                                       connection_verify=emulator.ca_file)


def vault_kwargs(emulator: AzureEmulator) -> dict[str, Any]:
    """SecretClient options for the emulator's vault (at 127.0.0.1: the challenge resource check must be off)."""
    return {"verify_challenge_resource": False, "connection_verify": emulator.ca_file}


def active_key(emulator: AzureEmulator) -> str:
    secret = emulator.get_secret(APP_SECRET)
    assert secret is not None
    return secret.tags["CredentialId"]


def rotate(emulator: AzureEmulator) -> str:
    """One rotation as `aisvc rotate` does it: regenerate the inactive key, move the app-facing secret to it.

    Returns the value the regenerated key had (it stops working now), so a
    test can tell whether the rotation invalidated the key its app held.
    """
    inactive = "key2" if active_key(emulator) == "key1" else "key1"
    retired = emulator.keys[inactive]
    emulator.regenerate_key(inactive)  # type: ignore[arg-type]
    emulator.set_secret(APP_SECRET, emulator.keys[inactive], {"CredentialId": inactive})
    return retired


def vault_reads(emulator: AzureEmulator) -> int:
    """Successful reads of the app-facing secret (challenge round trips not counted)."""
    return sum(1 for record in emulator.requests("vault", "GET", f"/secrets/{APP_SECRET}") if record.status == 200)


def ai_answers(emulator: AzureEmulator, status: int) -> int:
    return sum(1 for record in emulator.requests("ai") if record.status == status)


def key_rejected(error: BaseException) -> KeyRejectedError:
    """The policy's KeyRejectedError: the error itself, or its cause where the SDK re-raised it.

    Some SDKs (TextAnalyticsClient) catch every HttpResponseError and raise a
    new ClientAuthenticationError from it; the policy's error is then its cause.
    """
    seen: BaseException | None = error
    while seen is not None and not isinstance(seen, KeyRejectedError):
        seen = seen.__cause__
    assert isinstance(seen, KeyRejectedError), f"no KeyRejectedError behind {error!r}"
    return seen


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a fresh event loop without asyncio.run: that leaves the main thread with no current loop
    (set_event_loop(None)), which breaks later tests whose libraries call asyncio.get_event_loop()."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
