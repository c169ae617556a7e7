"""Apps keep working through rotations: a real TextAnalyticsClient (sync and aio) against the emulator."""
from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from collections.abc import Callable
from typing import Self

import pytest
from azure.ai.textanalytics import TextAnalyticsClient
from azure.ai.textanalytics.aio import TextAnalyticsClient as AsyncTextAnalyticsClient
from azure.core import PipelineClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.core.rest import HttpRequest, HttpResponse

from aisvc.client import (
    AsyncKeyVaultKeyCredential,
    async_key_refresh_policy,
    key_refresh_policy,
)
from tests.client.support import (
    APP_SECRET,
    DOCUMENTS,
    LANGUAGE_KEY_HEADER,
    MakeCredential,
    ai_answers,
    async_token_credential,
    key_rejected,
    rotate,
    run_async,
    vault_kwargs,
    vault_reads,
)
from tests.support.emulator import AzureEmulator

THREADS = 4
ROTATIONS = 4  # the 2nd and the 4th regenerate the key the app holds
CALLS_BETWEEN_ROTATIONS = 3  # per thread / task
PROGRESS_TIMEOUT = 20.0
WRONG_KEY = "0" * 32


class AppLoop:
    """An app: threads that call the service in a loop until stopped, counting calls and failures."""

    def __init__(self, call: Callable[[], object], threads: int) -> None:
        self._call, self._stop = call, threading.Event()
        self.calls = [0] * threads
        self.failures: list[Exception] = []
        self._threads = [threading.Thread(target=self._run, args=(index,), daemon=True) for index in range(threads)]

    def __enter__(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=PROGRESS_TIMEOUT)

    def _run(self, index: int) -> None:
        while not self._stop.is_set():
            try:
                self._call()
                self.calls[index] += 1
            except Exception as err:  # noqa: BLE001 - the test asserts there are none
                self.failures.append(err)

    def wait_progress(self) -> None:
        """Until every thread has made a few more successful calls (so each rotation is seen by all)."""
        targets = [count + CALLS_BETWEEN_ROTATIONS for count in self.calls]
        deadline = time.monotonic() + PROGRESS_TIMEOUT
        while any(count < target for count, target in zip(self.calls, targets, strict=True)):
            assert not self.failures, f"app calls failed: {self.failures[:3]}"
            assert time.monotonic() < deadline, f"no progress: calls {self.calls}, wanted {targets}"
            time.sleep(0.005)


def test_app_threads_keep_working_through_rotations_with_one_vault_read_per_invalidating_rotation(
        azure_emulator: AzureEmulator, make_credential: MakeCredential,
        language_client: Callable[..., TextAnalyticsClient]) -> None:
    # min_refresh_seconds=0: one read per rotation must come from the shared refresh, not from the throttle.
    credential = make_credential(min_refresh_seconds=0.0)
    client = language_client(credential)
    invalidating = 0
    with AppLoop(lambda: client.detect_language(DOCUMENTS), THREADS) as app:
        for _ in range(ROTATIONS):
            app.wait_progress()
            held = credential.key
            invalidating += rotate(azure_emulator) == held
        app.wait_progress()
    assert app.failures == []
    assert invalidating == ROTATIONS // 2
    assert vault_reads(azure_emulator) == 1 + invalidating  # start-up + one per invalidating rotation
    rejected = ai_answers(azure_emulator, 401)
    assert invalidating <= rejected <= THREADS * invalidating, "each thread resends at most once per rotation"


def test_control_an_app_that_reads_the_key_once_fails_after_the_second_rotation(
        azure_emulator: AzureEmulator, make_credential: MakeCredential) -> None:
    cached = AzureKeyCredential(make_credential().key)  # read once at start-up, never again
    client = TextAnalyticsClient(azure_emulator.endpoint("TextAnalytics"), cached,
                                 connection_verify=azure_emulator.ca_file)
    client.detect_language(DOCUMENTS)
    rotate(azure_emulator)
    client.detect_language(DOCUMENTS)  # the first rotation regenerated the other key
    rotate(azure_emulator)
    with pytest.raises(ClientAuthenticationError):
        client.detect_language(DOCUMENTS)


def test_a_wrong_key_in_the_secret_ends_in_a_clear_error_after_one_refresh(
        azure_emulator: AzureEmulator, make_credential: MakeCredential,
        language_client: Callable[..., TextAnalyticsClient]) -> None:
    azure_emulator.set_secret(APP_SECRET, WRONG_KEY, {"CredentialId": "key1"})
    client = language_client(make_credential(min_refresh_seconds=60.0))

    with pytest.raises(ClientAuthenticationError) as raised:
        client.detect_language(DOCUMENTS)
    assert (vault_reads(azure_emulator), ai_answers(azure_emulator, 401)) == (2, 1)  # start-up + one refresh
    error = key_rejected(raised.value)
    message = str(error)
    assert APP_SECRET in message and azure_emulator.vault_url in message and "401" in message
    assert "does not hold a valid key" in message and error.status_code == 401
    assert WRONG_KEY not in message and WRONG_KEY not in str(raised.value)

    # Within min_refresh_seconds the next call fails at once, without asking Key Vault again.
    with pytest.raises(ClientAuthenticationError):
        client.detect_language(DOCUMENTS)
    assert (vault_reads(azure_emulator), ai_answers(azure_emulator, 401)) == (2, 2)


def test_a_refreshed_key_that_is_also_rejected_is_resent_once_then_fails(
        azure_emulator: AzureEmulator, make_credential: MakeCredential,
        language_client: Callable[..., TextAnalyticsClient]) -> None:
    azure_emulator.set_secret(APP_SECRET, WRONG_KEY, {"CredentialId": "key1"})
    client = language_client(make_credential())
    azure_emulator.set_secret(APP_SECRET, WRONG_KEY[:-1] + "1", {"CredentialId": "key1"})
    with pytest.raises(ClientAuthenticationError) as raised:
        client.detect_language(DOCUMENTS)
    key_rejected(raised.value)
    assert (vault_reads(azure_emulator), ai_answers(azure_emulator, 401)) == (2, 2)


def test_a_failed_vault_read_is_the_error_and_is_named_by_the_next_rejection(
        azure_emulator: AzureEmulator, make_credential: MakeCredential,
        language_client: Callable[..., TextAnalyticsClient]) -> None:
    client = language_client(make_credential(min_refresh_seconds=60.0))
    rotate(azure_emulator)
    rotate(azure_emulator)  # the app's key is gone
    azure_emulator.forbid_vault_for(60.0)
    with pytest.raises(HttpResponseError, match="ForbiddenByRbac") as raised:
        client.detect_language(DOCUMENTS)
    assert raised.value.status_code == 403  # Key Vault's answer, not the service's 401
    with pytest.raises(ClientAuthenticationError) as raised:
        client.detect_language(DOCUMENTS)  # within min_refresh_seconds: no second read
    assert "last read of the secret failed: HttpResponseError" in str(key_rejected(raised.value))
    assert sum(1 for record in azure_emulator.requests("vault") if record.status == 403) == 1


def test_a_stream_body_is_sent_again_from_its_start(azure_emulator: AzureEmulator,
                                                     make_credential: MakeCredential) -> None:
    credential = make_credential()
    endpoint = azure_emulator.endpoint("TextAnalytics")
    pipeline: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(
        endpoint, policies=[key_refresh_policy(credential, LANGUAGE_KEY_HEADER)],
        connection_verify=azure_emulator.ca_file)
    rotate(azure_emulator)
    rotate(azure_emulator)  # the app's key is gone: 401, refresh, resend
    body = json.dumps({"kind": "LanguageDetection", "analysisInput": {"documents": [{"id": "1", "text": "Hi"}]}})
    request = HttpRequest("POST", endpoint + "language/:analyze-text", params={"api-version": "2023-04-01"},
                          headers={"Content-Type": "application/json"}, content=io.BytesIO(body.encode()))
    with pipeline:
        response = pipeline.send_request(request)
    assert response.status_code == 200, response.text()  # an empty resent body would be a 400
    assert [record.status for record in azure_emulator.requests("ai")] == [401, 200]


# --- async ---------------------------------------------------------------------

async def _async_app_through_rotations(emulator: AzureEmulator) -> tuple[list[Exception], int]:
    calls, failures, invalidating = [0] * THREADS, [], 0
    stop = asyncio.Event()
    async with async_token_credential(emulator) as token_credential, AsyncKeyVaultKeyCredential(
            emulator.vault_url, APP_SECRET, token_credential, min_refresh_seconds=0.0,
            **vault_kwargs(emulator)) as credential:
        await credential.load()
        client = AsyncTextAnalyticsClient(
            emulator.endpoint("TextAnalytics"), credential, connection_verify=emulator.ca_file,
            authentication_policy=async_key_refresh_policy(credential, header=LANGUAGE_KEY_HEADER))

        async def worker(index: int) -> None:
            while not stop.is_set():
                try:
                    await client.detect_language(DOCUMENTS)
                    calls[index] += 1
                except Exception as err:  # noqa: BLE001 - the test asserts there are none
                    failures.append(err)

        async def progress() -> None:
            targets = [count + CALLS_BETWEEN_ROTATIONS for count in calls]
            while any(count < target for count, target in zip(calls, targets, strict=True)) and not failures:
                await asyncio.sleep(0.005)

        async with client:
            tasks = [asyncio.create_task(worker(index)) for index in range(THREADS)]
            for _ in range(ROTATIONS):
                await asyncio.wait_for(progress(), PROGRESS_TIMEOUT)
                held = credential.key
                invalidating += rotate(emulator) == held
            await asyncio.wait_for(progress(), PROGRESS_TIMEOUT)
            stop.set()
            await asyncio.gather(*tasks)
    return failures, invalidating


def test_async_client_keeps_working_through_rotations(azure_emulator: AzureEmulator,
                                                      emulator_env: dict[str, str]) -> None:
    failures, invalidating = run_async(_async_app_through_rotations(azure_emulator))
    assert failures == []
    assert invalidating == ROTATIONS // 2
    assert vault_reads(azure_emulator) == 1 + invalidating
    assert invalidating <= ai_answers(azure_emulator, 401) <= THREADS * invalidating


async def _async_wrong_key(emulator: AzureEmulator) -> BaseException:
    token_credential = async_token_credential(emulator)
    # No load(): the policy reads the secret before its first request.
    credential = AsyncKeyVaultKeyCredential(emulator.vault_url, APP_SECRET, token_credential,
                                            min_refresh_seconds=60.0, **vault_kwargs(emulator))
    client = AsyncTextAnalyticsClient(
        emulator.endpoint("TextAnalytics"), credential, connection_verify=emulator.ca_file,
        authentication_policy=async_key_refresh_policy(credential, header=LANGUAGE_KEY_HEADER))
    async with token_credential, credential, client:
        with pytest.raises(ClientAuthenticationError) as raised:
            await client.detect_language(DOCUMENTS)
    return raised.value


def test_async_wrong_key_ends_in_a_clear_error_after_one_refresh(azure_emulator: AzureEmulator,
                                                                 emulator_env: dict[str, str]) -> None:
    azure_emulator.set_secret(APP_SECRET, WRONG_KEY, {"CredentialId": "key1"})
    error = run_async(_async_wrong_key(azure_emulator))
    assert (vault_reads(azure_emulator), ai_answers(azure_emulator, 401)) == (2, 1)
    assert APP_SECRET in str(key_rejected(error)) and WRONG_KEY not in str(key_rejected(error))
