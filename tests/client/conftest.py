"""Fixtures for the aisvc.client tests: credentials and clients wired to the emulator."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.ai.textanalytics import TextAnalyticsClient

from aisvc.client import KeyVaultKeyCredential, key_refresh_policy
from tests.client.support import (
    APP_SECRET,
    LANGUAGE_KEY_HEADER,
    MakeCredential,
    token_credential,
    vault_kwargs,
)
from tests.support.emulator import AzureEmulator


@pytest.fixture
def make_credential(azure_emulator: AzureEmulator, emulator_env: dict[str, str]) -> Iterator[MakeCredential]:
    """Build KeyVaultKeyCredentials for the emulator's app-facing secret; closed after the test."""
    made: list[KeyVaultKeyCredential] = []

    def make(**kwargs: Any) -> KeyVaultKeyCredential:
        kwargs.setdefault("min_refresh_seconds", 0.0)
        credential = KeyVaultKeyCredential(azure_emulator.vault_url, APP_SECRET, token_credential(azure_emulator),
                                           **kwargs, **vault_kwargs(azure_emulator))
        made.append(credential)
        return credential

    yield make
    for credential in made:
        credential.close()


@pytest.fixture
def language_client(azure_emulator: AzureEmulator) -> Callable[[KeyVaultKeyCredential], TextAnalyticsClient]:
    """A TextAnalyticsClient on the emulator's TextAnalytics endpoint with the refresh policy."""
    def make(credential: KeyVaultKeyCredential) -> TextAnalyticsClient:
        return TextAnalyticsClient(azure_emulator.endpoint("TextAnalytics"), credential,
                                   authentication_policy=key_refresh_policy(credential, header=LANGUAGE_KEY_HEADER),
                                   connection_verify=azure_emulator.ca_file)
    return make
