"""Sign in from a GitHub Actions job with a fresh GitHub ID token for every Entra ID token request.

`azure/login` exchanges GitHub's ID token once; the Azure CLI session it leaves
behind cannot refresh after that ID token expired (about ten minutes), so a
step that starts after a long `pulumi up` gets no token. Here the assertion is
fetched again each time Entra ID is asked (azure-identity
ClientAssertionCredential calls `func` per token request; access tokens stay
cached per scope as usual).

Used when the job has `permissions: id-token: write` (GitHub then sets
ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN) and the app's
client and tenant ids are set (AZURE_* or the provider's ARM_* names).
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from azure.core.exceptions import AzureError
from azure.core.pipeline import Pipeline
from azure.core.pipeline.policies import HeadersPolicy, RetryPolicy
from azure.core.pipeline.transport import HttpRequest, RequestsTransport
from azure.identity import ClientAssertionCredential, CredentialUnavailableError

from aisvc.services.console import register_secret

REQUEST_URL_ENV = "ACTIONS_ID_TOKEN_REQUEST_URL"
REQUEST_TOKEN_ENV = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"
CLIENT_ID_ENVS = ("AZURE_CLIENT_ID", "ARM_CLIENT_ID")
TENANT_ID_ENVS = ("AZURE_TENANT_ID", "ARM_TENANT_ID")
# The audience Entra ID's federated credentials expect (docs/cicd.md, section 1).
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class GitHubOidcSettings:
    request_url: str
    request_token: str
    client_id: str
    tenant_id: str


def _first(environ: Mapping[str, str], names: tuple[str, ...]) -> str:
    return next((environ[name].strip() for name in names if environ.get(name, "").strip()), "")


def github_oidc_settings(environ: Mapping[str, str] | None = None) -> GitHubOidcSettings | None:
    """The settings when this process runs in a GitHub Actions job that may request an ID token, else None."""
    environ = os.environ if environ is None else environ
    settings = GitHubOidcSettings(environ.get(REQUEST_URL_ENV, "").strip(), environ.get(REQUEST_TOKEN_ENV, "").strip(),
                                  _first(environ, CLIENT_ID_ENVS), _first(environ, TENANT_ID_ENVS))
    return settings if all(vars(settings).values()) else None


def with_audience(request_url: str, audience: str = EXCHANGE_AUDIENCE) -> str:
    """The request URL (it already carries `?api-version=`) plus `audience=`, replacing any given one."""
    parts = urlsplit(request_url)
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != "audience"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("audience", audience)])))


class GitHubIdTokens:
    """Callable: asks GitHub for a new ID token (the client assertion) on every call."""

    def __init__(self, settings: GitHubOidcSettings, **transport: Any) -> None:
        register_secret(settings.request_token)
        self._url, self._request_token = with_audience(settings.request_url), settings.request_token
        self._pipeline = Pipeline(RequestsTransport(**transport), policies=[
            HeadersPolicy({"Accept": "application/json"}), RetryPolicy(retry_total=2, retry_backoff_factor=0.5)])

    def __call__(self) -> str:
        request = HttpRequest("GET", self._url, headers={"Authorization": f"Bearer {self._request_token}"})
        try:
            response = self._pipeline.run(request).http_response
            body = json.loads(response.text()) if response.status_code == 200 else None
        except (AzureError, ValueError) as error:
            raise CredentialUnavailableError(f"GitHub's ID token endpoint failed: {type(error).__name__}") from None
        value = body.get("value") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise CredentialUnavailableError(
                f"GitHub's ID token endpoint answered {response.status_code} without a token "
                "(does the job have `permissions: id-token: write`?)")
        register_secret(value)
        return value

    def close(self) -> None:
        self._pipeline.__exit__()


class GitHubActionsCredential(ClientAssertionCredential):
    """ClientAssertionCredential whose assertion is a fresh GitHub ID token per Entra ID token request."""

    def __init__(self, settings: GitHubOidcSettings, *, transport: Mapping[str, Any], **kwargs: Any) -> None:
        self._id_tokens = GitHubIdTokens(settings, **transport)
        super().__init__(settings.tenant_id, settings.client_id, self._id_tokens, **transport, **kwargs)

    def close(self) -> None:
        self._id_tokens.close()
        super().close()
