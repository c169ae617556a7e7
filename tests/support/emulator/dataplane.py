"""The AI services data plane: one endpoint per kind, the probe calls, key header or bearer."""
from __future__ import annotations

import os
import re
import time

from .http import Reply, Request, azure_error
from .state import COGNITIVE_SCOPE, EmulatorState

KEY_HEADER_BY_KIND = {"OpenAI": "api-key"}
DEFAULT_KEY_HEADER = "Ocp-Apim-Subscription-Key"
LANGUAGE_KINDS = ("AIServices", "CognitiveServices", "TextAnalytics")
# The api-version of each probe call in docs/azure-wire.md; any other is answered like an unknown path.
PROBE_API_VERSIONS = {"language/:analyze-text": "2023-04-01", "openai/models": "2024-10-21",
                      "documentintelligence/info": "2024-11-30"}
WRONG_KEY_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
FIREWALL_MESSAGES: dict[str, str] = {
    "ip": "Access denied due to Virtual Network/Firewall rules.",
    "public-disabled": "Public access is disabled. Please configure private endpoint.",
}


def _probe_success(kind: str, request: Request) -> Reply | None:
    """The success answer for the kind's probe call, or None when the path is not the probe."""
    path = request.path.lstrip("/")
    if path in PROBE_API_VERSIONS and request.query.get("api-version") != PROBE_API_VERSIONS[path]:
        return None
    if kind in LANGUAGE_KINDS and request.method == "POST" and path == "language/:analyze-text":
        body = request.json()
        if not isinstance(body, dict) or body.get("kind") != "LanguageDetection":
            raise azure_error(400, "InvalidRequest", "Invalid Request.", auth="ok")
        documents = [{"id": str(doc.get("id")), "detectedLanguage": {"name": "English", "iso6391Name": "en",
                                                                        "confidenceScore": 1.0}, "warnings": []}
                     for doc in body.get("analysisInput", {}).get("documents", [])]
        return Reply(200, {"kind": "LanguageDetectionResults",
                           "results": {"documents": documents, "errors": [], "modelVersion": "2024-11-01"}})
    if kind == "OpenAI" and request.method == "GET" and path == "openai/models":
        return Reply(200, {"data": [{"id": "gpt-4o-mini", "object": "model", "status": "succeeded"}],
                           "object": "list"})
    if kind == "FormRecognizer" and request.method == "GET" and path == "documentintelligence/info":
        return Reply(200, {"customDocumentModels": {"count": 0, "limit": 250}})
    if kind == "SpeechServices" and request.method == "POST" and path == "sts/v1.0/issueToken":
        return Reply(200, "emu-speech-token." + os.urandom(12).hex())
    if kind not in (*LANGUAGE_KINDS, "OpenAI", "FormRecognizer", "SpeechServices"):
        # Kinds without a built-in probe: any authenticated call succeeds (the test asserts what was called).
        return Reply(200, {"kind": kind, "method": request.method, "path": path})
    return None


class AiRoutes:
    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def __call__(self, request: Request) -> Reply:
        match = re.fullmatch(r"/([A-Za-z]+)(/.*)", request.path)
        if not match:
            raise azure_error(404, "ResourceNotFound", "Subdomain does not map to a resource.")
        kind, rest = match.groups()
        self._network_checks()
        auth = self._authenticate(kind, request)
        inner = Request.__new__(Request)
        inner.__dict__.update(request.__dict__, path=rest)
        reply = _probe_success(kind, inner)
        if reply is None:
            raise azure_error(404, "404", "Resource not found", auth=auth)
        reply.auth = auth
        return reply

    def _network_checks(self) -> None:
        scenario = self.state.scenario
        if time.monotonic() < scenario.ai_unmapped_until:
            raise azure_error(404, "ResourceNotFound", "Subdomain does not map to a resource.")
        if scenario.ai_firewall:
            raise azure_error(403, "403", FIREWALL_MESSAGES[scenario.ai_firewall])
        if self.state.take_count("ai_throttle_left"):
            seconds = scenario.ai_throttle_retry_after
            raise azure_error(429, "429", f"Rate limit is exceeded. Try again in {seconds} seconds.",
                              headers={"Retry-After": str(seconds)})
        if self.state.take_count("ai_server_errors_left"):
            status = scenario.ai_server_error_status
            raise azure_error(status, "ServiceUnavailable" if status == 503 else "InternalServerError",
                              "The service is temporarily unavailable.")

    def _authenticate(self, kind: str, request: Request) -> str:
        key = request.headers.get(KEY_HEADER_BY_KIND.get(kind, DEFAULT_KEY_HEADER))
        token = request.bearer()
        if key is not None:
            if not self.state.local_auth_enabled:
                raise azure_error(403, "AuthenticationTypeDisabled",
                                  "Key based authentication is disabled for this resource.", auth="key")
            if not self.state.key_accepted(key):
                raise azure_error(401, "401", WRONG_KEY_MESSAGE, auth="key")
            return "key"
        if token is not None:
            if self.state.token_scope(token) != COGNITIVE_SCOPE:
                raise azure_error(401, "401", "Access denied due to invalid token or wrong API endpoint.", auth="bearer")
            if time.monotonic() < self.state.scenario.ai_permission_denied_until:
                raise azure_error(
                    401, "PermissionDenied",
                    f"The principal `{self.state.client_id}` lacks the required data action "
                    "`Microsoft.CognitiveServices/accounts/*/read` to perform the operation.", auth="bearer")
            return "bearer"
        raise azure_error(401, "401", WRONG_KEY_MESSAGE)


# --- ARM ----------------------------------------------------------------------
