"""The emulator's GitHub ID token endpoint, and Entra ID's federated-credential grant, with real clients."""
from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential

from tests.support.emulator import VAULT_SCOPE, AzureEmulator

AUDIENCE = "api://AzureADTokenExchange"


def id_token(emulator: AzureEmulator, audience: str | None = AUDIENCE, bearer: str | None = None) -> requests.Response:
    env = emulator.github_actions_env()
    url = env["ACTIONS_ID_TOKEN_REQUEST_URL"] + (f"&audience={audience}" if audience else "")
    return requests.get(url, headers={"Authorization": f"Bearer {bearer or env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"},
                        verify=emulator.ca_file, timeout=10)


def exchange(emulator: AzureEmulator, assertion: Callable[[], str]) -> str:
    credential = ClientAssertionCredential(emulator.tenant_id, emulator.client_id, assertion,
                                           authority=emulator.authority_host, connection_verify=emulator.ca_file)
    return credential.get_token(VAULT_SCOPE).token


def test_the_request_token_is_required(azure_emulator: AzureEmulator) -> None:
    assert id_token(azure_emulator, bearer="someone-else").status_code == 401
    answer = id_token(azure_emulator)
    assert answer.status_code == 200 and answer.json()["value"] in azure_emulator.github.issued
    assert [record.status for record in azure_emulator.requests(role="github")] == [401, 200]


def test_entra_exchanges_a_github_id_token_for_an_access_token(azure_emulator: AzureEmulator) -> None:
    token = exchange(azure_emulator, lambda: id_token(azure_emulator).json()["value"])
    assert azure_emulator.state.token_scope(token) == VAULT_SCOPE
    assert [record.auth for record in azure_emulator.requests(role="entra")] == ["client-assertion"]


@pytest.mark.parametrize(("audience", "lifetime", "message"), [
    (None, 600, "AADSTS700212"),  # GitHub's default audience (the owner's URL): no federated credential matches
    (AUDIENCE, 0, "AADSTS700024"),  # expired
])
def test_entra_refuses_what_its_federated_credential_does_not_trust(azure_emulator: AzureEmulator,
                                                                    audience: str | None, lifetime: float,
                                                                    message: str) -> None:
    azure_emulator.github.lifetime_seconds = lifetime
    with pytest.raises(ClientAuthenticationError, match=message):
        exchange(azure_emulator, lambda: id_token(azure_emulator, audience).json()["value"])
    with pytest.raises(ClientAuthenticationError, match="AADSTS50027"):
        exchange(azure_emulator, lambda: "not.a.github.token")


def test_a_subprocess_environment_never_inherits_a_real_job_s_id_token_variables(
        azure_emulator: AzureEmulator) -> None:
    env = azure_emulator.env({"ACTIONS_ID_TOKEN_REQUEST_URL": "https://real", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "x"})
    assert not any(name.startswith("ACTIONS_ID_TOKEN_") for name in env)
    github = azure_emulator.github_actions_env()
    assert "AZURE_CLIENT_SECRET" not in github and github["ACTIONS_ID_TOKEN_REQUEST_URL"].startswith("https://127.0.0.1:")
