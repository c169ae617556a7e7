"""A local HTTPS emulator of the Azure endpoints the toolkit talks to.

Four roles, each its own https://127.0.0.1:<port> server (separate "hosts"),
sharing one thread-safe EmulatorState:

- entra: openid discovery + client-credentials token endpoint
- vault: Key Vault secrets data plane with challenge auth
- ai:    the AI services data plane; one endpoint per kind at /<Kind>/
- arm:   account GET, listKeys and regenerateKey
- github: GitHub Actions' ID token endpoint (github_oidc.py); entra accepts its tokens as client assertions

Answers follow docs/azure-wire.md.
"""
from __future__ import annotations

import json
import logging
import os
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .arm_reads import ArmReads
from .certs import CertFiles, make_cert_files
from .github_oidc import JWT_BEARER, GitHubOidc
from .state import (
    ARM_SCOPE,
    COGNITIVE_SCOPE,
    VAULT_SCOPE,
    CredentialId,
    EmulatorState,
    FirewallMode,
    RequestRecord,
    SecretVersion,
)

logger = logging.getLogger(__name__)

KEY_HEADER_BY_KIND = {"OpenAI": "api-key"}
DEFAULT_KEY_HEADER = "Ocp-Apim-Subscription-Key"
LANGUAGE_KINDS = ("AIServices", "CognitiveServices", "TextAnalytics")
# The api-version of each probe call in docs/azure-wire.md; any other is answered like an unknown path.
PROBE_API_VERSIONS = {"language/:analyze-text": "2023-04-01", "openai/models": "2024-10-21",
                      "documentintelligence/info": "2024-11-30"}
DEFAULT_SECRET_NAMES = {"key1": "ai-services-key1", "key2": "ai-services-key2", "current": "ai-services-key"}
WRONG_KEY_MESSAGE = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
FIREWALL_MESSAGES: dict[str, str] = {
    "ip": "Access denied due to Virtual Network/Firewall rules.",
    "public-disabled": "Public access is disabled. Please configure private endpoint.",
}


class Reply(Exception):
    """Raised by a route to answer at once (errors included)."""

    def __init__(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None,
                 code: str | None = None, auth: str = "none") -> None:
        super().__init__(status)
        self.status, self.body, self.headers, self.code, self.auth = status, body, dict(headers or {}), code, auth


def azure_error(status: int, code: str, message: str, inner: str | None = None,
                headers: Mapping[str, str] | None = None, auth: str = "none") -> Reply:
    error: dict[str, Any] = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner}
    return Reply(status, {"error": error}, headers, code=inner or code, auth=auth)


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        self.method = handler.command
        self.path = parts.path
        self.query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        self.headers = handler.headers
        self.body = body

    def bearer(self) -> str | None:
        value = self.headers.get("Authorization", "")
        return value[7:].strip() if value.lower().startswith("bearer ") else None

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise azure_error(400, "InvalidRequestContent", "The request body is not valid JSON.") from None


Route = Callable[[Request], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, role: str, route: Route, state: EmulatorState, context: ssl.SSLContext) -> None:
        self.role, self.route, self.state = role, route, state
        super().__init__(("127.0.0.1", 0), _Handler)
        # Handshake in the request thread, not in accept(): a stuck client cannot block the server.
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("emulator %s: connection error from %s", self.role, client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        logger.debug("emulator %s: " + format, self.server.role, *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(self, self.rfile.read(length) if length else b"")
        try:
            reply = self.server.route(request)
        except Reply as raised:
            reply = raised
        # Record before answering, so a test reading the log after its call sees this request.
        self.server.state.record(RequestRecord(
            self.server.role, request.method, request.path, reply.status, reply.auth, reply.code, time.monotonic()))
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, (bytes, str)):
            payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
            content_type = "text/plain; charset=utf-8"
        else:
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
            content_type = "application/json; charset=utf-8"
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


# --- Entra ID -----------------------------------------------------------------

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

class AzureEmulator:
    """Start with ``with AzureEmulator() as emulator:`` (or the ``azure_emulator`` fixture)."""

    def __init__(self, certs: CertFiles | None = None) -> None:
        self.certs = certs or make_cert_files()
        self.state = EmulatorState()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certs.cert_file, self.certs.key_file)
        # The ARM resources `aisvc preflight` reads, with their scenario knobs (arm_reads.py).
        self.arm = ArmReads(self.state, lambda: self.arm_endpoint)
        self._arm_routes = ArmRoutes(self.state, self.endpoint, self.arm)
        self.github = GitHubOidc()  # GitHub Actions' ID tokens (github_oidc.py)
        self._servers = {
            "entra": _Server("entra", EntraRoutes(self.state, lambda: self.authority_host, self.github), self.state,
                             context),
            "vault": _Server("vault", VaultRoutes(self.state, lambda: self.vault_url), self.state, context),
            "ai": _Server("ai", AiRoutes(self.state), self.state, context),
            "arm": _Server("arm", self._arm_routes, self.state, context),
            "github": _Server("github", self._github_route, self.state, context),
        }
        self._threads: list[threading.Thread] = []
        self.sync_key_secrets()

    def _github_route(self, request: Request) -> Reply:
        status, body, auth = self.github.answer(request)
        return Reply(status, body, auth=auth)

    # lifecycle
    def start(self) -> AzureEmulator:
        for server in self._servers.values():
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> AzureEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # where things are
    @property
    def ca_file(self) -> str:
        return str(self.certs.ca_file)

    @property
    def authority_host(self) -> str:
        return self._servers["entra"].base_url

    @property
    def vault_url(self) -> str:
        return self._servers["vault"].base_url + "/"

    @property
    def arm_endpoint(self) -> str:
        return self._servers["arm"].base_url

    @property
    def ai_base_url(self) -> str:
        return self._servers["ai"].base_url

    def base_urls(self) -> dict[str, str]:
        return {role: server.base_url for role, server in self._servers.items()}

    def endpoint(self, kind: str = "AIServices") -> str:
        """The data-plane endpoint of the account, answering as an account of ``kind``."""
        if not re.fullmatch(r"[A-Za-z]+", kind):
            raise ValueError(f"kind must be letters only, got {kind!r}")
        return f"{self.ai_base_url}/{kind}/"

    tenant_id = property(lambda self: self.state.tenant_id)
    client_id = property(lambda self: self.state.client_id)
    client_secret = property(lambda self: self.state.client_secret)
    subscription_id = property(lambda self: self.state.subscription_id)
    object_id = property(lambda self: self.state.object_id)
    resource_group = property(lambda self: self.state.resource_group)
    account_name = property(lambda self: self.state.account_name)
    vault_name = property(lambda self: self.state.vault_name)

    @property
    def account_id(self) -> str:
        return self._arm_routes.account_id()

    # account keys
    @property
    def keys(self) -> dict[str, str]:
        return self.state.key_values()

    def regenerate_key(self, which: CredentialId) -> dict[str, str]:
        """What ARM regenerateKey does: the old value stops working on the data plane at once."""
        return self.state.regenerate(which)

    def set_local_auth(self, enabled: bool) -> None:
        with self.state.lock:
            self.state.local_auth_enabled = enabled

    # vault secrets
    def set_secret(self, name: str, value: str, tags: dict[str, str] | None = None,
                   expires: int | None = None) -> SecretVersion:
        """`expires`: Key Vault's attributes.exp (unix seconds); None: the secret never expires."""
        return self.state.set_secret(name, value, tags, expires=expires)

    def get_secret(self, name: str) -> SecretVersion | None:
        return self.state.get_secret(name)

    def delete_secret(self, name: str) -> None:
        self.state.delete_secret(name)

    def sync_key_secrets(self, active: CredentialId = "key1",
                         names: Mapping[str, str] = DEFAULT_SECRET_NAMES) -> None:
        """Write key1/key2/current secrets from the account's keys, as `pulumi up` would."""
        keys = self.keys
        self.set_secret(names["key1"], keys["key1"])
        self.set_secret(names["key2"], keys["key2"])
        self.set_secret(names["current"], keys[active], {"CredentialId": active})

    # scenario knobs (deadlines are time.monotonic(); each returns when it clears)
    def _until(self, attribute: str, seconds: float) -> float:
        deadline = time.monotonic() + seconds
        with self.state.lock:
            setattr(self.state.scenario, attribute, deadline)
        return deadline

    def forbid_vault_for(self, seconds: float) -> float:
        """Key Vault answers 403 ForbiddenByRbac (role not yet effective) for `seconds`."""
        return self._until("vault_forbidden_until", seconds)

    def deny_permission_for(self, seconds: float) -> float:
        """Bearer calls get 401 PermissionDenied (role not yet effective) for `seconds`."""
        return self._until("ai_permission_denied_until", seconds)

    def unmap_subdomain_for(self, seconds: float) -> float:
        """The data plane answers 404 'Subdomain does not map to a resource' for `seconds`."""
        return self._until("ai_unmapped_until", seconds)

    def lag_old_keys_for(self, seconds: float) -> float:
        """Regenerated keys keep working for `seconds` (propagation lag; real Azure: none)."""
        return self._until("ai_key_lag_until", seconds)

    def throttle(self, times: int, retry_after: int = 1) -> None:
        with self.state.lock:
            self.state.scenario.ai_throttle_left = times
            self.state.scenario.ai_throttle_retry_after = retry_after

    def fail_server(self, times: int, status: int = 503) -> None:
        with self.state.lock:
            self.state.scenario.ai_server_errors_left = times
            self.state.scenario.ai_server_error_status = status

    def set_firewall(self, mode: FirewallMode | None) -> None:
        """'ip' (IP/VNet rules), 'public-disabled', or None."""
        with self.state.lock:
            self.state.scenario.ai_firewall = mode

    def break_token_endpoint(self, status: int = 503) -> None:
        """The token endpoint answers `status` (401 invalid_client, or a 5xx outage); 0 repairs it."""
        with self.state.lock:
            self.state.scenario.entra_token_error = status

    def set_vault_firewall(self, enabled: bool) -> None:
        with self.state.lock:
            self.state.scenario.vault_firewall = enabled

    # observation
    def requests(self, role: str | None = None, method: str | None = None,
                 path_contains: str | None = None) -> list[RequestRecord]:
        return [record for record in self.state.records()
                if (role is None or record.role == role) and (method is None or record.method == method)
                and (path_contains is None or path_contains in record.path)]

    def secret_values(self) -> list[str]:
        """Every value that must never appear in output: keys (current and old), client secret, tokens."""
        with self.state.lock:
            values = [*self.state.keys.values(), *self.state.previous_keys.values(), self.state.client_secret,
                      *self.state.tokens]
            values += [version.value for versions in self.state.secrets.values() for version in versions]
        return values + self.github.secret_values()

    # what a subprocess / aisvc needs
    def env(self, base: Mapping[str, str] | None = None, no_verify_challenge_resource: bool = True) -> dict[str, str]:
        """A full environment for a subprocess that talks only to this emulator."""
        env = {name: value for name, value in (os.environ if base is None else base).items()
               if not name.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_", "ACTIONS_ID_TOKEN_"))
               and name != "AISVC_ARM_ENDPOINT"}
        env.update({
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "AZURE_AUTHORITY_HOST": self.authority_host,
            "AZURE_TOKEN_CREDENTIALS": "EnvironmentCredential",
            "REQUESTS_CA_BUNDLE": self.ca_file,
            "SSL_CERT_FILE": self.ca_file,
            "AISVC_ARM_ENDPOINT": self.arm_endpoint,
            "NO_COLOR": "1",
        })
        env.pop("AISVC_NO_VERIFY_CHALLENGE_RESOURCE", None)
        if no_verify_challenge_resource:
            env["AISVC_NO_VERIFY_CHALLENGE_RESOURCE"] = "1"
        return env

    def github_actions_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """env() as a GitHub Actions job with `id-token: write` sees it: the ID token request
        variables and the app's ids, no client secret (AZURE_TOKEN_CREDENTIALS stays EnvironmentCredential,
        which then has nothing to use: the fallback behind the GitHub credential probes nothing)."""
        env = self.env(base)
        env.pop("AZURE_CLIENT_SECRET")
        return env | self.github.env(self._servers["github"].base_url)

    def stack_outputs(self, kind: str = "AIServices", local_auth: bool = True, active_key: CredentialId = "key1",
                      names: Mapping[str, str] = DEFAULT_SECRET_NAMES) -> dict[str, Any]:
        """The contract's stack outputs for this emulated deployment.

        Side effect, to keep the emulator consistent with the document: the
        account's local auth is set to ``local_auth``.
        """
        self.set_local_auth(local_auth)
        outputs: dict[str, Any] = {
            "endpoint": self.endpoint(kind),
            "accountName": self.account_name,
            "accountId": self.account_id,
            "resourceGroupName": self.resource_group,
            "location": "westeurope",
            "kind": kind,
            "customSubDomainName": self.account_name,
            "localAuthEnabled": local_auth,
            "keyVaultName": self.vault_name,
            "keyVaultUri": self.vault_url,
            "activeKey": active_key,
            "principalId": "00000000-0000-0000-0000-0000000000aa",
        }
        if local_auth:
            outputs["keySecretName"] = names["current"]
            outputs["keySecretNames"] = {"key1": names["key1"], "key2": names["key2"]}
        return outputs
