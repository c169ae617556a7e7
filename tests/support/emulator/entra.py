"""Entra ID: openid discovery and the token endpoint (client secret or client assertion)."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from .github_oidc import JWT_BEARER, GitHubOidc
from .http import Reply, Request
from .state import EmulatorState


class EntraRoutes:
    def __init__(self, state: EmulatorState, base_url: Callable[[], str], github: GitHubOidc) -> None:
        self.state, self.base_url, self.github = state, base_url, github

    def __call__(self, request: Request) -> Reply:
        match = re.fullmatch(r"/([^/]+)/(v2\.0/\.well-known/openid-configuration|oauth2/v2\.0/token)", request.path)
        if not match:
            raise Reply(404, {"error": "not_found", "error_description": "unknown Entra path"}, code="not_found")
        tenant, what = match.groups()
        if tenant.lower() != self.state.tenant_id:
            raise Reply(400, {"error": "invalid_tenant", "error_description": f"AADSTS90002: Tenant '{tenant}' not found."},
                        code="invalid_tenant")
        if what.startswith("v2.0") and request.method == "GET":
            return Reply(200, self._discovery(tenant))
        if what.startswith("oauth2") and request.method == "POST":
            return self._token(request)
        raise Reply(405, {"error": "invalid_request", "error_description": "method not allowed"}, code="invalid_request")

    def _discovery(self, tenant: str) -> dict[str, Any]:
        base = f"{self.base_url()}/{tenant}"
        return {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "tenant_region_scope": None,
        }

    def _token(self, request: Request) -> Reply:
        broken = self.state.scenario.entra_token_error
        if broken:
            error = "invalid_client" if broken < 500 else "temporarily_unavailable"
            raise Reply(broken, {"error": error, "error_description": "AADSTS90033: emulated token endpoint failure"},
                        code=error, auth="client-secret")
        form = {name: values[-1] for name, values in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "client_credentials":
            raise Reply(400, {"error": "unsupported_grant_type", "error_description": "only client_credentials"},
                        code="unsupported_grant_type", auth="client-secret")
        auth = self._authenticate_client(form)
        scope = form.get("scope", "").split(" ")[0]
        if not scope.endswith("/.default"):
            raise Reply(400, {"error": "invalid_scope", "error_description": "AADSTS1002012: scope must end in /.default"},
                        code="invalid_scope", auth=auth)
        token = self.state.issue_token(scope)
        return Reply(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token},
                     auth=auth)

    def _authenticate_client(self, form: dict[str, str]) -> str:
        """The client's proof: its secret, or a GitHub ID token its federated credential trusts."""
        if form.get("client_assertion_type") == JWT_BEARER:
            refusal = self.github.refusal(form.get("client_assertion", ""))
            if form.get("client_id") != self.state.client_id or refusal:
                raise Reply(400, {"error": "invalid_client", "error_description": refusal or
                                  "AADSTS700016: Application not found in the directory."},
                            code="invalid_client", auth="client-assertion")
            return "client-assertion"
        if form.get("client_id") != self.state.client_id or form.get("client_secret") != self.state.client_secret:
            raise Reply(401, {"error": "invalid_client",
                              "error_description": "AADSTS7000215: Invalid client secret provided."},
                        code="invalid_client", auth="client-secret")
        return "client-secret"


# --- Key Vault ----------------------------------------------------------------
