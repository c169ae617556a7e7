"""Key Vault: the secrets data plane with challenge auth, RBAC and firewall answers."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from .http import Reply, Request, azure_error
from .state import VAULT_SCOPE, EmulatorState, SecretVersion


class VaultRoutes:
    def __init__(self, state: EmulatorState, vault_url: Callable[[], str]) -> None:
        self.state, self.vault_url = state, vault_url

    def __call__(self, request: Request) -> Reply:
        self._authenticate(request)
        match = re.fullmatch(r"/secrets/([0-9a-zA-Z-]+)(?:/([0-9a-zA-Z]*))?/?", request.path)
        if not match:
            raise azure_error(404, "NotFound", "The requested path is not served by this vault emulator.", auth="bearer")
        name, version = match.groups()
        action = "setSecret" if request.method == "PUT" else "getSecret"
        self._authorize(action)
        if request.method == "GET":
            return self._get(name, version)
        if request.method == "PUT" and not version:
            return self._put(name, request)
        raise azure_error(405, "MethodNotAllowed", f"{request.method} is not supported here.", auth="bearer")

    def _authenticate(self, request: Request) -> None:
        token = request.bearer()
        if token and self.state.token_scope(token) == VAULT_SCOPE:
            return
        challenge = (f'Bearer authorization="https://login.microsoftonline.com/{self.state.tenant_id}", '
                     'resource="https://vault.azure.net"')
        message = ("AKV10000: Request is missing a Bearer or PoP token." if not token
                   else "AKV10032: Invalid issuer or token.")
        raise azure_error(401, "Unauthorized", message, headers={"WWW-Authenticate": challenge},
                          auth="bearer" if token else "none")

    def _authorize(self, action: str) -> None:
        scenario = self.state.scenario
        if scenario.vault_firewall:
            raise azure_error(403, "Forbidden", "Client address is not authorized and caller is not a trusted service.",
                              inner="ForbiddenByFirewall", auth="bearer")
        if time.monotonic() < scenario.vault_forbidden_until:
            raise azure_error(
                403, "Forbidden",
                "Caller is not authorized to perform action on resource. If role assignments, deny assignments or "
                f"role definitions were changed recently, please observe propagation time. Action: "
                f"'Microsoft.KeyVault/vaults/secrets/{action}/action'",
                inner="ForbiddenByRbac", auth="bearer")

    def _bundle(self, name: str, secret: SecretVersion) -> dict[str, Any]:
        bundle: dict[str, Any] = {
            "value": secret.value,
            "id": f"{self.vault_url()}secrets/{name}/{secret.version}",
            "attributes": {"enabled": True, "created": secret.created, "updated": secret.updated,
                           "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90},
            "tags": secret.tags,
        }
        if secret.content_type:
            bundle["contentType"] = secret.content_type
        if secret.expires is not None:
            bundle["attributes"]["exp"] = secret.expires
        return bundle

    def _get(self, name: str, version: str | None) -> Reply:
        secret = self.state.get_secret(name, version)
        if secret is None:
            raise azure_error(404, "SecretNotFound",
                              f"A secret with (name/id) {name} was not found in this key vault. If you recently "
                              "deleted this secret you may be able to recover it using the correct recovery command.",
                              auth="bearer")
        return Reply(200, self._bundle(name, secret), auth="bearer")

    def _put(self, name: str, request: Request) -> Reply:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("value"), str):
            raise azure_error(400, "BadParameter", "Property value is required.", auth="bearer")
        expires = (body.get("attributes") or {}).get("exp")
        secret = self.state.set_secret(name, body["value"], body.get("tags"), body.get("contentType"),
                                       expires if isinstance(expires, int) else None)
        return Reply(200, self._bundle(name, secret), auth="bearer")


# --- AI services data plane ---------------------------------------------------
