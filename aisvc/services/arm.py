"""Azure Resource Manager: where it is, which token audience it wants, and the pipeline that calls it.

Shared by `aisvc rotate` (listKeys, regenerateKey) and `aisvc preflight` (reads).
The endpoint is configurable (`AISVC_ARM_ENDPOINT`) for sovereign clouds and the
test emulator; `AISVC_ARM_SCOPE` overrides the token audience.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    RequestIdPolicy,
    RetryPolicy,
    UserAgentPolicy,
)

from aisvc.contract import ARM_ENDPOINT_ENV, ARM_SCOPE_ENV, DEFAULT_ARM_ENDPOINT

# ARM hosts of the Azure clouds and the token audience each expects.
_KNOWN_ARM_SCOPES = {
    "management.azure.com": "https://management.azure.com/.default",
    "management.chinacloudapi.cn": "https://management.chinacloudapi.cn/.default",
    "management.usgovcloudapi.net": "https://management.usgovcloudapi.net/.default",
}
DEFAULT_ARM_SCOPE = _KNOWN_ARM_SCOPES["management.azure.com"]


def arm_endpoint() -> str:
    return os.environ.get(ARM_ENDPOINT_ENV, DEFAULT_ARM_ENDPOINT).rstrip("/")


def arm_scope(endpoint: str) -> str:
    """The token audience for `endpoint`: `https://management.azure.com/.default` in the public cloud.

    Sovereign clouds have their own ARM host and audience. Any other host (a
    proxy, the test emulator) gets the public audience, as azure-mgmt clients
    do; `AISVC_ARM_SCOPE` overrides it.
    """
    if os.environ.get(ARM_SCOPE_ENV):
        return os.environ[ARM_SCOPE_ENV]
    host = urlsplit(endpoint).hostname or ""
    return _KNOWN_ARM_SCOPES.get(host.lower(), DEFAULT_ARM_SCOPE)


def arm_pipeline(credential: TokenCredential, *, endpoint: str, scope: str, retry_policy: RetryPolicy,
                 sdk_moniker: str, per_attempt: Sequence[Any] = (), **transport_kwargs: Any) -> PipelineClient:
    """An azure-core client for ARM: bearer token for `scope`, `retry_policy` (Retry-After, 5xx, connection errors).

    `per_attempt` policies run after the retry policy: they see every attempt.
    """
    policies = [
        RequestIdPolicy(),
        HeadersPolicy({"Accept": "application/json"}),
        UserAgentPolicy(sdk_moniker=sdk_moniker),
        retry_policy,
        BearerTokenCredentialPolicy(credential, scope),
        *per_attempt,
        # Logs method, URL and status only: bodies (keys) never reach a log.
        HttpLoggingPolicy(),
    ]
    return PipelineClient(base_url=endpoint, policies=policies, **transport_kwargs)


def arm_error_fields(text: str) -> tuple[str | None, str]:
    """(code, message) of an ARM error body `{"error": {"code", "message"}}`; (None, a short excerpt) otherwise."""
    try:
        error = json.loads(text).get("error") or {}
        return (str(error["code"]) if error.get("code") else None), str(error.get("message", ""))
    except (ValueError, AttributeError):
        return None, " ".join(text.split())[:200]


def arm_error(text: str) -> str:
    """`code: message` from an ARM error body, or a short raw excerpt."""
    code, message = arm_error_fields(text)
    return f"{code or ''}: {message}".strip(": ")
