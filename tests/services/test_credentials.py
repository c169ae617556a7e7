"""Credential and TLS settings: authority host, instance discovery, CA bundle, secret registration."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import DefaultAzureCredential

from aisvc.errors import InputError
from aisvc.services.console import redact
from aisvc.services.credentials import (
    SecretRegisteringCredential,
    authority_host,
    build_credential,
    ca_bundle,
    credential_kwargs,
    is_known_cloud,
    transport_kwargs,
)
from aisvc.services.github_oidc import github_oidc_settings, with_audience
from tests.support.emulator import COGNITIVE_SCOPE, VAULT_SCOPE, AzureEmulator

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_AUTHORITY_HOST", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential")


@pytest.mark.parametrize(("host", "known"), [
    (None, True), ("https://login.microsoftonline.com", True), ("https://login.chinacloudapi.cn", True),
    ("https://login.microsoftonline.us", True), ("https://127.0.0.1:8443", False), ("https://adfs.contoso.com/adfs", False),
])
def test_instance_discovery_is_off_only_for_unknown_hosts(host: str | None, known: bool,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if host:
        monkeypatch.setenv("AZURE_AUTHORITY_HOST", host)
    assert is_known_cloud(authority_host()) is known
    kwargs = credential_kwargs()
    assert ("disable_instance_discovery" in kwargs) is (not known)
    assert kwargs.get("authority") == (host.rstrip("/") if host else None)


def test_authority_host_must_be_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "http://127.0.0.1:1")
    with pytest.raises(InputError, match="AZURE_AUTHORITY_HOST must be an https URL"):
        authority_host()


def test_ca_bundle_from_requests_then_ssl_cert_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "a.pem", tmp_path / "b.pem"
    first.write_text("x")
    second.write_text("y")
    assert ca_bundle() is None and "connection_verify" not in transport_kwargs()
    monkeypatch.setenv("SSL_CERT_FILE", str(second))
    assert transport_kwargs()["connection_verify"] == str(second)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(first))
    assert ca_bundle() == str(first)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(InputError, match="REQUESTS_CA_BUNDLE names"):
        ca_bundle()


class _FixedCredential:
    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken("fixed-token-value-123", 0)


def test_tokens_handed_out_are_redacted() -> None:
    credential = SecretRegisteringCredential(_FixedCredential())
    assert credential.get_token_info("scope").token == "fixed-token-value-123"
    assert "fixed-token-value-123" not in redact("token fixed-token-value-123 here")


def test_build_credential_gets_a_token_from_the_emulator(azure_emulator: AzureEmulator,
                                                         emulator_env: dict[str, str]) -> None:
    with build_credential() as credential:
        token = credential.get_token(COGNITIVE_SCOPE)
    assert azure_emulator.state.token_scope(token.token) == COGNITIVE_SCOPE
    assert redact(f"{token.token} {azure_emulator.client_secret}") == "[redacted] [redacted]"
    # Instance discovery is off: only the emulator's tenant discovery and token endpoint were called.
    assert [record.path.split("/", 2)[2] for record in azure_emulator.requests(role="entra")] == [
        "v2.0/.well-known/openid-configuration", "oauth2/v2.0/token"]


# --- GitHub Actions: a fresh GitHub ID token per Entra ID token request ---------------------

GITHUB_ENVS = ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "AZURE_CLIENT_ID", "ARM_CLIENT_ID",
               "AZURE_TENANT_ID", "ARM_TENANT_ID")


def github_job(azure_emulator: AzureEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process's environment as in a GitHub Actions job with `id-token: write` (no client secret)."""
    for name in (*GITHUB_ENVS, "AZURE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    env = azure_emulator.github_actions_env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def assertion_grants(azure_emulator: AzureEmulator) -> list[str]:
    return [record.auth for record in azure_emulator.requests(role="entra", method="POST")]


@pytest.mark.parametrize(("names", "found"), [
    ({"ACTIONS_ID_TOKEN_REQUEST_URL": "https://gh/x?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t",
      "AZURE_CLIENT_ID": "c", "AZURE_TENANT_ID": "t1"}, ("c", "t1")),
    # The workflow's job-wide ARM_* ids (pulumi-azure-native's names) serve too; AZURE_* wins.
    ({"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t", "ARM_CLIENT_ID": "c2",
      "ARM_TENANT_ID": "t2", "AZURE_TENANT_ID": " "}, ("c2", "t2")),
    ({"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t", "AZURE_CLIENT_ID": "c",
      "ARM_CLIENT_ID": "other", "AZURE_TENANT_ID": "t1"}, ("c", "t1")),
    # No id-token permission (no request token), or no app ids: not a GitHub OIDC job.
    ({"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "AZURE_CLIENT_ID": "c", "AZURE_TENANT_ID": "t"}, None),
    ({"ACTIONS_ID_TOKEN_REQUEST_URL": "u", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t", "AZURE_CLIENT_ID": "c"}, None),
])
def test_github_oidc_is_detected_from_the_job_environment(names: dict[str, str],
                                                          found: tuple[str, str] | None) -> None:
    settings = github_oidc_settings(names)
    assert (None if settings is None else (settings.client_id, settings.tenant_id)) == found


def test_the_audience_is_added_to_the_request_url() -> None:
    url = with_audience("https://gh.example/_apis/idtoken?api-version=2.0&audience=wrong")
    assert url == "https://gh.example/_apis/idtoken?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange"
    assert with_audience("https://gh.example/t").endswith("/t?audience=api%3A%2F%2FAzureADTokenExchange")


def test_without_github_oidc_the_credential_is_default_azure_credential(emulator_env: dict[str, str]) -> None:
    with build_credential() as credential:
        assert isinstance(credential._inner, DefaultAzureCredential)


def test_each_entra_token_request_exchanges_a_fresh_github_id_token(azure_emulator: AzureEmulator,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # GitHub's ID tokens here expire after 1 s: an assertion fetched once (azure/login's `az` session,
    # a token file) would be refused by the second request, as after a long `pulumi up` in CI.
    azure_emulator.github.lifetime_seconds = 1.0
    github_job(azure_emulator, monkeypatch)
    with build_credential() as credential:
        vault = credential.get_token_info(VAULT_SCOPE)
        time.sleep(1.5)
        cognitive = credential.get_token(COGNITIVE_SCOPE)
        assert credential.get_token(COGNITIVE_SCOPE).token == cognitive.token  # cached per scope: no new exchange
    assert azure_emulator.state.token_scope(vault.token) == VAULT_SCOPE
    assert azure_emulator.state.token_scope(cognitive.token) == COGNITIVE_SCOPE
    github = azure_emulator.requests(role="github")
    assert [(record.method, record.status, record.auth) for record in github] == [("GET", 200, "bearer")] * 2
    assert github[1].at - github[0].at >= 1.0
    assert assertion_grants(azure_emulator) == ["client-assertion"] * 2  # no client secret involved
    issued = list(azure_emulator.github.issued)
    assert len(issued) == 2 and issued[0] != issued[1]
    secrets = [azure_emulator.github.request_token, *issued, vault.token, cognitive.token]
    assert redact(" ".join(secrets)) == " ".join(["[redacted]"] * len(secrets))


def test_a_failing_github_endpoint_falls_back_to_default_azure_credential(azure_emulator: AzureEmulator,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    env = github_job(azure_emulator, monkeypatch)
    azure_emulator.github.failure_status = 500
    with build_credential() as credential, pytest.raises(ClientAuthenticationError) as raised:
        credential.get_token(VAULT_SCOPE)
    message = str(raised.value)
    # Both tried, in order: GitHub (retried), then the EnvironmentCredential the test narrowed the default to.
    assert message.index("GitHubActionsCredential") < message.index("EnvironmentCredential")
    assert "ID token endpoint answered 500" in message
    assert len(azure_emulator.requests(role="github")) == 3 and not assertion_grants(azure_emulator)
    assert env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] not in message


def test_entra_refusing_the_github_token_stops_the_chain(azure_emulator: AzureEmulator,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    azure_emulator.github.lifetime_seconds = 0  # expired when it arrives: AADSTS700024
    github_job(azure_emulator, monkeypatch)
    with build_credential() as credential, pytest.raises(ClientAuthenticationError, match="AADSTS700024"):
        credential.get_token(VAULT_SCOPE)
    assert assertion_grants(azure_emulator) == ["client-assertion"]


def test_aisvc_check_in_a_github_job_prints_no_secret(azure_emulator: AzureEmulator) -> None:
    env = azure_emulator.github_actions_env()
    outputs = json.dumps(azure_emulator.stack_outputs())
    done = subprocess.run([sys.executable, "-m", "aisvc", "--debug", "check", "--outputs", "-", "--auth", "both", "--json"],
                          input=outputs, env=env, cwd=REPO_ROOT, text=True, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = done.stdout + done.stderr
    assert json.loads(done.stdout)["ok"] is True
    assert len(azure_emulator.requests(role="github")) == 2  # vault and data-plane scopes: one exchange each
    assert set(assertion_grants(azure_emulator)) == {"client-assertion"}
    assert not [value for value in azure_emulator.secret_values() if value in printed]
