"""GitHub Actions' ID token endpoint, and the federated-credential check Entra ID makes on what it issues.

A job with `permissions: id-token: write` gets two variables: ACTIONS_ID_TOKEN_REQUEST_URL
(already carrying `?api-version=2.0`) and ACTIONS_ID_TOKEN_REQUEST_TOKEN. A client asks
`GET $URL&audience=api://AzureADTokenExchange` with `Authorization: Bearer $TOKEN` and gets
`{"value": "<JWT>"}`, valid for a few minutes. Entra ID accepts that JWT as a
`client_assertion` when an app's federated credential names its issuer, subject and audience;
it refuses an expired one (AADSTS700024), which is what a cached or file-stored assertion
becomes in a long job.

Independent of server.py: `answer(request)` returns (status, body, auth); the server wraps it.
"""
from __future__ import annotations

import base64
import json
import secrets as _random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

ISSUER = "https://token.actions.githubusercontent.com"
EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
REQUEST_PATH = "/_apis/distributedtask/hubs/Actions/plans/emu-plan/jobs/emu-job/idtoken"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class _Request(Protocol):
    method: str
    path: str
    query: dict[str, str]

    def bearer(self) -> str | None: ...


def _b64url(document: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


@dataclass
class GitHubOidc:
    """The ID tokens issued, the job's request token, and the federated credential Entra ID trusts."""

    repository: str = "acme/ai"
    subject: str = "repo:acme/ai:environment:prod"  # what the federated credential names
    request_token: str = field(default_factory=lambda: "ghs-emu-" + _random.token_urlsafe(24))
    lifetime_seconds: float = 600.0  # GitHub: a few minutes
    issued: dict[str, tuple[str, float]] = field(default_factory=dict)  # assertion -> (audience, expires)
    failure_status: int = 0  # the endpoint answers this status (e.g. 500); 0 = works
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: _Request) -> tuple[int, Any, str]:
        """The ID token endpoint: (status, JSON body, auth as recorded)."""
        if request.method != "GET" or request.path != REQUEST_PATH:
            return 404, {"message": "Not Found"}, "none"
        if request.bearer() != self.request_token:
            return 401, {"message": "Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable or token"}, "none"
        if self.failure_status:
            return self.failure_status, {"message": "emulated ID token endpoint failure"}, "bearer"
        audience = request.query.get("audience") or f"https://github.com/{self.repository.split('/')[0]}"
        return 200, {"value": self._issue(audience)}, "bearer"

    def _issue(self, audience: str) -> str:
        now = time.time()
        claims = {"iss": ISSUER, "sub": self.subject, "aud": audience, "repository": self.repository,
                  "iat": int(now), "nbf": int(now), "exp": int(now + self.lifetime_seconds),
                  "jti": _random.token_urlsafe(12)}
        assertion = ".".join((_b64url({"typ": "JWT", "alg": "RS256"}), _b64url(claims), _random.token_urlsafe(32)))
        with self.lock:
            self.issued[assertion] = (audience, now + self.lifetime_seconds)
        return assertion

    def refusal(self, assertion: str) -> str | None:
        """Entra ID's AADSTS message for a client assertion it refuses, or None when it accepts it."""
        with self.lock:
            entry = self.issued.get(assertion)
        if entry is None:
            return "AADSTS50027: JWT token is invalid or malformed."
        audience, expires = entry
        if audience != EXCHANGE_AUDIENCE:
            return (f"AADSTS700212: No matching federated identity record found for presented assertion audience "
                    f"'{audience}'.")
        if time.time() >= expires:
            return "AADSTS700024: Client assertion is not within its valid time range."
        return None

    def secret_values(self) -> list[str]:
        with self.lock:
            return [self.request_token, *self.issued]

    def env(self, base_url: str) -> dict[str, str]:
        """The two variables GitHub sets in a job with `id-token: write`."""
        return {"ACTIONS_ID_TOKEN_REQUEST_URL": f"{base_url}{REQUEST_PATH}?api-version=2.0",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token}
