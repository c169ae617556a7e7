"""ARM: the account, listKeys and regenerateKey (and, through arm_reads.py, the reads of preflight)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .arm_reads import ArmReads
from .http import Reply, Request, azure_error
from .state import ARM_SCOPE, EmulatorState


class ArmRoutes:
    def __init__(self, state: EmulatorState, endpoint: Callable[[str], str], reads: ArmReads) -> None:
        self.state, self.endpoint, self.reads = state, endpoint, reads

    def account_id(self) -> str:
        state = self.state
        return (f"/subscriptions/{state.subscription_id}/resourceGroups/{state.resource_group}"
                f"/providers/Microsoft.CognitiveServices/accounts/{state.account_name}")

    def __call__(self, request: Request) -> Reply:
        token = request.bearer()
        if not token or self.state.token_scope(token) != ARM_SCOPE:
            raise azure_error(401, "AuthenticationFailed",
                              "Authentication failed. The 'Authorization' header is missing or invalid.",
                              headers={"WWW-Authenticate": 'Bearer authorization_uri="https://login.windows.net/", '
                                                           'error="invalid_token"'},
                              auth="bearer" if token else "none")
        if "api-version" not in request.query:
            raise azure_error(400, "MissingApiVersionParameter",
                              "The api-version query parameter (?api-version=) is required for all requests.",
                              auth="bearer")
        preflight = self.reads(request)  # latency and failure knobs, the reads of `aisvc preflight` (arm_reads.py)
        if preflight is not None:
            return preflight
        base = self.account_id().lower()
        path = request.path.rstrip("/").lower()
        if path == base and request.method == "GET":
            return Reply(200, self._account(), auth="bearer")
        if path == base + "/listkeys" and request.method == "POST":
            return self._list_keys()
        if path == base + "/regeneratekey" and request.method == "POST":
            return self._regenerate(request)
        raise azure_error(404, "ResourceNotFound",
                          f"The Resource '{request.path}' was not found.", auth="bearer")

    def _account(self) -> dict[str, Any]:
        state = self.state
        return {"id": self.account_id(), "name": state.account_name, "type": "Microsoft.CognitiveServices/accounts",
                "kind": "AIServices", "location": "westeurope", "sku": {"name": "S0"},
                "properties": {"endpoint": self.endpoint("AIServices"), "customSubDomainName": state.account_name,
                               "disableLocalAuth": not state.local_auth_enabled, "provisioningState": "Succeeded"}}

    def _list_keys(self) -> Reply:
        if not self.state.local_auth_enabled:
            raise azure_error(400, "BadRequest", "Failed to list key. disableLocalAuth is set to be true",
                              auth="bearer")
        return Reply(200, self.state.key_values(), auth="bearer")

    def _regenerate(self, request: Request) -> Reply:
        body = request.json()
        name = body.get("keyName") if isinstance(body, dict) else None
        if name not in ("Key1", "Key2"):
            raise azure_error(400, "InvalidRequestContent", "keyName must be Key1 or Key2.", auth="bearer")
        if not self.state.local_auth_enabled:
            raise azure_error(400, "BadRequest", "Failed to regenerate key. disableLocalAuth is set to be true",
                              auth="bearer")
        return Reply(200, self.state.regenerate("key1" if name == "Key1" else "key2"), auth="bearer")


# --- the emulator object --------------------------------------------------------
