"""The Entra ID credential and TLS settings every aisvc Azure client shares.

- DefaultAzureCredential (environment, workload identity, managed identity,
  Azure CLI, ...). `AZURE_TOKEN_CREDENTIALS` narrows the chain (azure-identity
  reads it itself); tests set it to EnvironmentCredential.
- In a GitHub Actions job that may request an ID token, a credential that
  exchanges a fresh GitHub ID token per Entra ID token request comes first
  (github_oidc.py): the `az login` session azure/login leaves cannot refresh
  after GitHub's token expired. DefaultAzureCredential stays behind it.
- `AZURE_AUTHORITY_HOST` selects the cloud. For a host that is not a known Azure
  cloud (Azure Stack, ADFS, an emulator) instance discovery is turned off, or msal
  would first ask login.microsoftonline.com about it.
- TLS trust: `REQUESTS_CA_BUNDLE`, else `SSL_CERT_FILE`, passed explicitly as
  `connection_verify` (requests alone ignores SSL_CERT_FILE).
- Every token and the client secret are registered with `register_secret`, so no
  output path can print them.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenCredential, TokenRequestOptions
from azure.identity import AzureAuthorityHosts, ChainedTokenCredential, DefaultAzureCredential

from aisvc.errors import InputError
from aisvc.services.console import register_secret
from aisvc.services.github_oidc import GitHubActionsCredential, github_oidc_settings

AUTHORITY_HOST_ENV = "AZURE_AUTHORITY_HOST"
CA_BUNDLE_ENVS = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
KNOWN_AUTHORITY_HOSTNAMES = frozenset(
    urlsplit(f"https://{host}").hostname
    for host in (AzureAuthorityHosts.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_CHINA,
                 AzureAuthorityHosts.AZURE_GOVERNMENT)
)
# Per-request limits; the check's deadline lowers them further per call.
CONNECTION_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 30.0


def authority_host() -> str | None:
    """`AZURE_AUTHORITY_HOST` as https://host[:port][/path], or None for the public cloud default."""
    value = os.environ.get(AUTHORITY_HOST_ENV, "").strip()
    if not value:
        return None
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise InputError(f"{AUTHORITY_HOST_ENV} must be an https URL, got {value!r}")
    return value.rstrip("/")


def is_known_cloud(authority: str | None) -> bool:
    return authority is None or urlsplit(authority).hostname in KNOWN_AUTHORITY_HOSTNAMES


def ca_bundle() -> str | None:
    """The CA file named by REQUESTS_CA_BUNDLE or SSL_CERT_FILE, if any."""
    for name in CA_BUNDLE_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            if not Path(value).exists():
                raise InputError(f"{name} names {value!r}, which does not exist")
            return value
    return None


def transport_kwargs() -> dict[str, Any]:
    """Keyword arguments for any azure-core client (SecretClient, PipelineClient, credentials)."""
    kwargs: dict[str, Any] = {"connection_timeout": CONNECTION_TIMEOUT_SECONDS,
                              "read_timeout": READ_TIMEOUT_SECONDS}
    bundle = ca_bundle()
    if bundle:
        kwargs["connection_verify"] = bundle
    return kwargs


def call_limits(remaining: float) -> dict[str, Any]:
    """Per-call keyword arguments for an azure-core call that must end within `remaining` seconds.

    `timeout` is RetryPolicy's absolute limit over all of the call's attempts.
    """
    limit = max(0.5, remaining)
    return {"timeout": limit, "connection_timeout": min(CONNECTION_TIMEOUT_SECONDS, limit),
            "read_timeout": min(READ_TIMEOUT_SECONDS, limit)}


def authority_kwargs() -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    authority = authority_host()
    if authority:
        kwargs["authority"] = authority
    if not is_known_cloud(authority):
        kwargs["disable_instance_discovery"] = True
    return kwargs


def credential_kwargs() -> dict[str, Any]:
    return transport_kwargs() | authority_kwargs()


class SecretRegisteringCredential:
    """Wraps a TokenCredential: every token it hands out is registered for redaction."""

    def __init__(self, inner: TokenCredential) -> None:
        self._inner = inner

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        token = self._inner.get_token(*scopes, **kwargs)
        register_secret(token.token)
        return token

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        get_info = getattr(self._inner, "get_token_info", None)
        if get_info is None:
            token = self.get_token(*scopes, **dict(options or {}))
            return AccessTokenInfo(token.token, token.expires_on)
        info = get_info(*scopes, options=options)
        register_secret(info.token)
        return info

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close:
            close()

    def __enter__(self) -> SecretRegisteringCredential:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_credential() -> SecretRegisteringCredential:
    """DefaultAzureCredential configured for the cloud and TLS trust of this environment,
    behind the GitHub Actions ID token credential when the job may request one."""
    register_secret(os.environ.get("AZURE_CLIENT_SECRET"))
    default = DefaultAzureCredential(**credential_kwargs())
    github = github_oidc_settings()
    if github is None:
        return SecretRegisteringCredential(default)
    first = GitHubActionsCredential(github, transport=transport_kwargs(), **authority_kwargs())
    return SecretRegisteringCredential(ChainedTokenCredential(first, default))
