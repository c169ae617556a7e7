"""Credential and TLS settings: authority host, instance discovery, CA bundle, secret registration."""
from __future__ import annotations

from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

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
from tests.support.emulator import COGNITIVE_SCOPE, AzureEmulator


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
