"""KeyVaultKeyCredential: reads, refresh throttle, one read for all threads, no key in repr, logs or errors."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest
from azure.ai.textanalytics import TextAnalyticsClient
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError

from aisvc.client import KeyVaultKeyCredential, SecretValueError, connect
from tests.client.support import (
    APP_SECRET,
    DOCUMENTS,
    MakeCredential,
    key_rejected,
    rotate,
    token_credential,
    vault_kwargs,
    vault_reads,
)
from tests.support.emulator import AzureEmulator

THREADS = 8


def test_reads_the_secret_once_when_built(azure_emulator: AzureEmulator, make_credential: MakeCredential) -> None:
    credential = make_credential()
    assert isinstance(credential, AzureKeyCredential)
    assert credential.key == azure_emulator.keys["key1"]
    assert vault_reads(azure_emulator) == 1


def test_refresh_says_whether_the_key_changed(azure_emulator: AzureEmulator, make_credential: MakeCredential) -> None:
    credential = make_credential()
    assert credential.refresh() is False
    rotate(azure_emulator)
    assert credential.refresh() is True
    assert credential.key == azure_emulator.keys["key2"]
    assert vault_reads(azure_emulator) == 3


def test_min_refresh_seconds_throttles_refresh(azure_emulator: AzureEmulator, make_credential: MakeCredential) -> None:
    window = 0.3
    credential = make_credential(min_refresh_seconds=window)
    started = time.monotonic()
    rotate(azure_emulator)
    assert credential.refresh() is True  # the read at construction opens no window
    rotate(azure_emulator)
    assert credential.refresh() is False  # within the window: no read, key unchanged
    assert vault_reads(azure_emulator) == 2
    time.sleep(max(0.0, started + window - time.monotonic()) + 0.05)
    assert credential.refresh() is True
    assert credential.key == azure_emulator.keys["key1"]
    assert vault_reads(azure_emulator) == 3


def test_threads_that_hit_a_401_together_share_one_vault_read(
        azure_emulator: AzureEmulator, make_credential: MakeCredential) -> None:
    credential = make_credential(min_refresh_seconds=0.0)  # no throttle: sharing alone must keep it to one read
    rejected = credential.key
    rotate(azure_emulator)
    rotate(azure_emulator)  # the second rotation regenerates the key the credential holds
    barrier = threading.Barrier(THREADS)
    results: list[bool] = []

    def on_401() -> None:
        barrier.wait()
        results.append(credential.refresh_if_current(rejected))

    threads = [threading.Thread(target=on_401) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [True] * THREADS  # every thread waited for the one read and sees the new key
    assert vault_reads(azure_emulator) == 2


def test_a_secret_without_a_value_is_a_clear_error(azure_emulator: AzureEmulator,
                                                   make_credential: MakeCredential) -> None:
    azure_emulator.set_secret(APP_SECRET, "")
    with pytest.raises(SecretValueError, match=f"{APP_SECRET}.*holds no key"):
        make_credential()


def test_bad_arguments_are_value_errors(azure_emulator: AzureEmulator, emulator_env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="min_refresh_seconds"):
        KeyVaultKeyCredential(azure_emulator.vault_url, APP_SECRET, token_credential(azure_emulator),
                              min_refresh_seconds=-1)
    with pytest.raises(ValueError, match="secret_name"):
        KeyVaultKeyCredential(azure_emulator.vault_url, "", token_credential(azure_emulator))


def test_repr_and_str_name_the_secret_never_the_key(azure_emulator: AzureEmulator,
                                                     make_credential: MakeCredential) -> None:
    credential = make_credential()
    connection = connect(azure_emulator.stack_outputs(), token_credential(azure_emulator),
                         **vault_kwargs(azure_emulator))
    for text in (repr(credential), str(credential), repr(connection), str(connection)):
        assert APP_SECRET in text and azure_emulator.vault_url in text
        assert not any(value in text for value in azure_emulator.secret_values())


def test_no_key_in_any_log_line_or_error(azure_emulator: AzureEmulator, make_credential: MakeCredential,
                                        language_client: Callable[[KeyVaultKeyCredential], TextAnalyticsClient],
                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # root at DEBUG: azure.* (azure-core, identity, Key Vault) and aisvc.client
    logging.getLogger("azure").setLevel(logging.DEBUG)
    try:
        credential = make_credential()
        client = language_client(credential)
        client.detect_language(DOCUMENTS)
        rotate(azure_emulator)
        rotate(azure_emulator)
        client.detect_language(DOCUMENTS)  # 401, refresh, resend
        azure_emulator.set_secret(APP_SECRET, "f" * 32, {"CredentialId": "key1"})  # a wrong key, then
        azure_emulator.regenerate_key("key1")  # the key the app holds stops working: 401, refresh, 401
        with pytest.raises(ClientAuthenticationError) as raised:
            client.detect_language(DOCUMENTS)
    finally:
        logging.getLogger("azure").setLevel(logging.NOTSET)
    assert "read Key Vault secret 'ai-services-key'" in caplog.text and "new key" in caplog.text
    assert "REDACTED" in caplog.text  # azure-core's HTTP logging ran and hid the header
    texts = [caplog.text, str(raised.value), str(key_rejected(raised.value)), repr(raised.value)]
    leaked = [value for value in azure_emulator.secret_values() if any(value in text for text in texts)]
    assert leaked == []
