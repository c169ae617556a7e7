"""The AI services data plane as the check sees it (docs/azure-wire.md).

- `Probe`: the call per kind that proves auth works (never an anonymous GET).
- `build_pipeline`: an azure-core PipelineClient with the key header or a bearer
  token, RetryPolicy (Retry-After on 429, 5xx, connection errors) bounded by the
  check's deadline, and a policy that reports every attempt.
- `Answer` + `classify_*`: every answer is OK, TRANSIENT (wait and retry) or
  DEFINITIVE (stop now), with a message that says what to fix.
"""
from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal
from urllib.parse import urlsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    HTTPPolicy,
    RequestIdPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest

from aisvc.contract import key_header
from aisvc.errors import InputError
from aisvc.services.console import redact
from aisvc.services.credentials import call_limits

AuthMode = Literal["key", "entra"]
COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"
FIREWALL_MARKERS = ("Virtual Network/Firewall", "Public access is disabled", "private endpoint")
UNMAPPED_MARKERS = ("Subdomain does not map", "ResourceNotFound")
PROBE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


# --- probes -------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    method: str
    path: str  # relative to the endpoint, with its query string
    body: bytes | None = None

    def describe(self) -> str:
        return f"{self.method} {self.path.split('?')[0]}"


_LANGUAGE_PROBE = Probe(
    "POST", "language/:analyze-text?api-version=2023-04-01",
    json.dumps({"kind": "LanguageDetection",
                "analysisInput": {"documents": [{"id": "1", "text": "Hello world"}]}}).encode(),
)
BUILTIN_PROBES: dict[str, Probe] = {
    "AIServices": _LANGUAGE_PROBE,
    "CognitiveServices": _LANGUAGE_PROBE,
    "TextAnalytics": _LANGUAGE_PROBE,
    "OpenAI": Probe("GET", "openai/models?api-version=2024-10-21"),
    "FormRecognizer": Probe("GET", "documentintelligence/info?api-version=2024-11-30"),
    "SpeechServices": Probe("POST", "sts/v1.0/issueToken", b""),
}


def parse_probe(text: str) -> Probe:
    """`--probe "METHOD path?query"`: a call that needs auth; POST/PUT/PATCH send an empty body."""
    match = re.fullmatch(r"\s*([A-Za-z]+)\s+/?(\S+)\s*", text or "")
    if not match or match.group(1).upper() not in PROBE_METHODS:
        raise InputError(f"--probe must be \"METHOD path?query\" with METHOD one of {', '.join(PROBE_METHODS)}, "
                         f"got {text!r}")
    method, path = match.group(1).upper(), match.group(2)
    if "://" in path:
        raise InputError("--probe takes a path relative to the endpoint, not a URL")
    return Probe(method, path, b"" if method in ("POST", "PUT", "PATCH") else None)


def probe_for(kind: str, override: str | None) -> Probe:
    if override:
        return parse_probe(override)
    if kind in BUILTIN_PROBES:
        return BUILTIN_PROBES[kind]
    raise InputError(f"kind {kind} has no built-in probe call: pass --probe \"METHOD path?query\" naming a call "
                     f"that needs auth (built in: {', '.join(BUILTIN_PROBES)})")


# --- answers ------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    """One HTTP answer (or transport failure), reduced to what classification needs."""

    status: int | None
    code: str | None = None
    inner_code: str | None = None
    message: str = ""
    retry_after: float | None = None
    failure: str | None = None  # "connection" | "tls" | "auth" | "timeout" | "other" when there was no answer

    def describe(self) -> str:
        if self.status is None:
            return f"{self.failure} error: {self.message}"
        codes = " ".join(code for code in (self.code, self.inner_code) if code and code != str(self.status))
        return f"{self.status} {codes}".strip()


def _error_fields(text: str) -> tuple[str | None, str | None, str]:
    try:
        error = json.loads(text).get("error")
    except (ValueError, AttributeError):
        return None, None, redact(text)[:200]
    if isinstance(error, dict):
        inner = error.get("innererror") or {}
        return error.get("code"), inner.get("code") if isinstance(inner, dict) else None, str(error.get("message", ""))
    return (str(error) if error else None), None, redact(text)[:200]


def _retry_after(headers: Any) -> float | None:
    """Seconds from `Retry-After` (seconds form) or `retry-after-ms`; None when absent or unparsable."""
    try:
        if headers.get("Retry-After"):
            return float(headers["Retry-After"])
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
    except ValueError:
        pass
    return None


def answer_from_status(status: int, text: str, headers: Any) -> Answer:
    if 200 <= status < 300:
        return Answer(status)
    code, inner, message = _error_fields(text)
    return Answer(status, code, inner, message, _retry_after(headers))


def answer_from_exception(err: BaseException) -> Answer:
    # An HTTP answer from the service (Key Vault raises 401 as ClientAuthenticationError with a response);
    # DefaultAzureCredential's own failures carry no response.
    response = getattr(err, "response", None) if isinstance(err, HttpResponseError) else None
    if response is not None and response.status_code is not None:
        return answer_from_status(response.status_code, response.text(), response.headers)
    message = _one_line(str(getattr(err, "message", None) or err)) or type(err).__name__
    if isinstance(err, ClientAuthenticationError):
        return Answer(None, message=message, failure="auth")
    if _caused_by_tls(err):
        return Answer(None, message=message, failure="tls")
    if isinstance(err, (ServiceRequestError, ServiceResponseError, ConnectionError, TimeoutError)):
        return Answer(None, message=message, failure="connection")
    return Answer(None, message=message, failure="other")


def _caused_by_tls(err: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__ or getattr(current, "inner_exception", None)
    return False


def _one_line(text: str, limit: int = 400) -> str:
    # Redact before cutting: a secret cut in two would no longer match at output time.
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


# --- classification -----------------------------------------------------------

class Verdict(Enum):
    OK = "ok"
    TRANSIENT = "transient"
    DEFINITIVE = "definitive"


@dataclass(frozen=True)
class Classification:
    verdict: Verdict
    reason: str  # what happened, and for failures what to fix


def _transport_failure(answer: Answer, host: str) -> Classification:
    if answer.failure == "tls":
        return Classification(Verdict.DEFINITIVE, f"TLS verification failed for {host}: {answer.message}; set "
                                                  "REQUESTS_CA_BUNDLE or SSL_CERT_FILE to the CA bundle that signs it")
    if answer.failure == "auth":
        return Classification(Verdict.DEFINITIVE, f"could not get an Entra ID token: {answer.message}; check "
                                                  "AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, the "
                                                  "managed identity or `az login`")
    if answer.failure == "connection":
        return Classification(Verdict.TRANSIENT, f"cannot reach {host} ({answer.message}); a new name can take "
                                                 "minutes to resolve")
    return Classification(Verdict.DEFINITIVE, f"request to {host} failed: {answer.message}")


def _common(answer: Answer, host: str, success: str) -> Classification | None:
    """What every service answers alike: no answer, success, throttling, 5xx; None for the rest."""
    if answer.status is None:
        return _transport_failure(answer, host)
    if 200 <= answer.status < 300:
        return Classification(Verdict.OK, success)
    if answer.status in (408, 429):
        return Classification(Verdict.TRANSIENT, f"throttled ({answer.status}); waiting as Retry-After asks")
    if answer.status >= 500:
        return Classification(Verdict.TRANSIENT, f"service error {answer.describe()}: {answer.message}")
    return None


def classify_endpoint(answer: Answer, *, auth: AuthMode, probe: Probe, endpoint: str, secret_name: str | None,
                      key_grace_over: bool) -> Classification:
    """An answer from the AI services endpoint (docs/azure-wire.md, "AI services data plane" and "Transient or definitive")."""
    common = _common(answer, urlsplit(endpoint).netloc, f"{probe.describe()} answered {answer.status}")
    if common:
        return common
    text = f"{answer.code or ''} {answer.message}"
    if answer.status == 404 and any(marker in text for marker in UNMAPPED_MARKERS):
        return Classification(Verdict.TRANSIENT, "the custom subdomain does not map to the account yet (404); "
                                                 "new subdomains take minutes to route")
    if answer.status == 403 and answer.code == "AuthenticationTypeDisabled":
        return Classification(Verdict.DEFINITIVE, "key authentication is disabled on the account "
                                                  "(disableLocalAuth: true): use --auth entra, or set "
                                                  "disableLocalAuth false and run pulumi up")
    if answer.status == 403 and any(marker in answer.message for marker in FIREWALL_MARKERS):
        return Classification(Verdict.DEFINITIVE, f"the account's network rules block this caller ({answer.message}): "
                                                  "add this machine's IP to networkAcls.ipRules, set "
                                                  "publicNetworkAccess Enabled, or run the check inside the network")
    if answer.status == 401 and answer.code == "PermissionDenied":
        return Classification(Verdict.TRANSIENT, "the calling identity has no data-plane role on the account yet "
                                                 "(401 PermissionDenied): it needs Cognitive Services User (for "
                                                 "OpenAI also Cognitive Services OpenAI User); role assignments take "
                                                 "up to 5-10 minutes")
    if answer.status == 401 and auth == "key":
        secret = f"the secret {secret_name}" if secret_name else "the secret"
        verdict = Verdict.DEFINITIVE if key_grace_over else Verdict.TRANSIENT
        return Classification(verdict, f"key rejected: {secret} holds a key the account does not accept; "
                                       "run aisvc rotate or pulumi up")
    if answer.status == 401:
        return Classification(Verdict.DEFINITIVE, f"token rejected (401 {answer.code}: {answer.message}); Entra ID "
                                                  "works only on the custom subdomain endpoint "
                                                  "https://<subdomain>.cognitiveservices.azure.com/")
    if answer.status == 404:
        return Classification(Verdict.DEFINITIVE, f"{probe.describe()} answered 404 {answer.code}: {answer.message}; "
                                                  "check the endpoint, or pass --probe with a call this kind serves")
    return Classification(Verdict.DEFINITIVE, f"{probe.describe()} answered {answer.describe()}: {answer.message}")


def classify_vault(answer: Answer, *, vault_url: str, secret_name: str) -> Classification:
    """An answer from Key Vault reading the key secret (docs/azure-wire.md, "Key Vault secrets data plane")."""
    host = urlsplit(vault_url).netloc
    common = _common(answer, host, f"read secret {secret_name}")
    if common:
        return common
    if answer.status == 403 and answer.inner_code == "ForbiddenByRbac":
        return Classification(Verdict.TRANSIENT, f"Key Vault denies reading {secret_name} (403 ForbiddenByRbac): "
                                                 "the calling identity needs Key Vault Secrets User on the vault; "
                                                 "role assignments take up to 10 minutes")
    if answer.status == 403 and answer.inner_code == "ForbiddenByFirewall":
        return Classification(Verdict.DEFINITIVE, f"the Key Vault firewall blocks this caller ({host}): add this "
                                                  "machine's IP to keyVault.networkAcls.ipRules or run the check "
                                                  "inside the network")
    if answer.status == 404 and answer.code == "SecretNotFound":
        return Classification(Verdict.DEFINITIVE, f"secret {secret_name} not found in {vault_url}: run pulumi up "
                                                  "(the stack writes it while local auth is enabled)")
    if answer.status == 403:
        return Classification(Verdict.DEFINITIVE, f"Key Vault denies reading {secret_name} ({answer.describe()}: "
                                                  f"{answer.message}): grant the calling identity Key Vault Secrets "
                                                  "User on the vault")
    return Classification(Verdict.DEFINITIVE, f"Key Vault answered {answer.describe()} reading {secret_name}: "
                                              f"{answer.message}")


# --- pipeline -----------------------------------------------------------------

WaitHook = Callable[[float], None]


class DeadlineRetryPolicy(RetryPolicy):
    """RetryPolicy that does not start a retry whose wait (Retry-After or backoff) ends past the deadline.

    The readiness loop then sees the last answer and reports it, instead of the
    command overrunning --timeout while honouring a long Retry-After.
    Judged in `increment`, the step before RetryPolicy sleeps on both paths (an
    answer or a connection error), with the attempt already counted, so the wait
    is the one `sleep` will take. `on_wait` hears of each wait before it starts,
    so a long Retry-After inside the pipeline is never a silent pause.
    """

    def __init__(self, deadline: float, on_wait: WaitHook | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deadline = deadline
        self.on_wait = on_wait

    def increment(self, settings: dict[str, Any], response: Any = None, error: Exception | None = None) -> bool:
        if not super().increment(settings, response=response, error=error):
            return False
        retry_after = self.get_retry_after(response) if isinstance(response, PipelineResponse) else None
        wait = retry_after or self.get_backoff_time(settings)
        if time.monotonic() + wait >= self.deadline:
            return False
        if self.on_wait is not None:
            self.on_wait(wait)
        return True


AttemptHook = Callable[[Answer], None]


class AttemptPolicy(HTTPPolicy):
    """Placed after the retry policy: sees every attempt and reports its answer."""

    def __init__(self, on_attempt: AttemptHook) -> None:
        super().__init__()
        self.on_attempt = on_attempt

    def send(self, request: PipelineRequest) -> PipelineResponse:
        try:
            response = self.next.send(request)
        except AzureError as err:
            self.on_attempt(answer_from_exception(err))
            raise
        http = response.http_response
        self.on_attempt(answer_from_status(http.status_code, http.text(), http.headers))
        return response


def retry_policy(deadline: float, on_wait: WaitHook | None = None) -> DeadlineRetryPolicy:
    # A few quick retries for 429/5xx/connection errors; the readiness loop waits longer.
    return DeadlineRetryPolicy(deadline, on_wait, retry_total=3, retry_backoff_factor=0.5, retry_backoff_max=8)


def build_pipeline(endpoint: str, *, auth: AuthMode, kind: str, key: str | None, credential: TokenCredential | None,
                   deadline: float, on_attempt: AttemptHook, transport_kwargs: dict[str, Any],
                   on_wait: WaitHook | None = None) -> PipelineClient:
    if auth == "key":
        if not key:
            raise ValueError("key auth needs a key")
        auth_policy: Any = HeadersPolicy({key_header(kind): key})
    else:
        if credential is None:
            raise ValueError("entra auth needs a credential")
        auth_policy = BearerTokenCredentialPolicy(credential, COGNITIVE_SCOPE)
    policies = [
        RequestIdPolicy(),
        UserAgentPolicy(sdk_moniker="aisvc-check"),
        retry_policy(deadline, on_wait),
        auth_policy,
        AttemptPolicy(on_attempt),
        # Method, URL and status only; headers other than an allow-list print as REDACTED.
        HttpLoggingPolicy(),
    ]
    return PipelineClient(base_url=endpoint, policies=policies, **transport_kwargs)


def send_probe(client: PipelineClient, endpoint: str, probe: Probe, remaining: float) -> Answer:
    """One probe call (with the pipeline's own retries) limited to `remaining` seconds."""
    headers = {"Content-Type": "application/json"} if probe.body else {}
    request = HttpRequest(probe.method, endpoint + probe.path, content=probe.body, headers=headers)
    try:
        response = client.send_request(request, **call_limits(remaining))
    except AzureError as err:
        return answer_from_exception(err)
    return answer_from_status(response.status_code, response.text(), response.headers)
