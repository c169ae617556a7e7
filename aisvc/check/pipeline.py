"""The check's azure-core pipeline to the AI services endpoint.

The key header or a bearer token, a RetryPolicy (Retry-After on 429, 5xx,
connection errors) bounded by the check's deadline, and a policy that reports
every attempt to the progress line.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    HTTPPolicy,
    RequestIdPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest

from aisvc.check.classify import AuthMode
from aisvc.check.probes import Probe
from aisvc.contract import key_header
from aisvc.services.answers import Answer, answer_from_exception, answer_from_status
from aisvc.services.credentials import call_limits
from aisvc.services.deadline import DeadlineRetryPolicy, WaitHook

COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default"


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
