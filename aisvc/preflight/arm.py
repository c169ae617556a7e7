"""Read-only ARM calls for preflight: one azure-core pipeline, one token, every call bounded by the deadline.

- `ArmClient.get/post/list`: an `ArmAnswer` for every outcome (an HTTP answer or
  no answer at all); `list` follows `nextLink` until the last page.
- Retries: `DeadlineRetryPolicy` (429 honouring Retry-After, 5xx, connection
  errors) that never starts a wait ending past the deadline.
- A requests session with a connection pool as large as the concurrency, so
  parallel calls reuse connections instead of discarding them.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from aisvc.services.answers import answer_from_exception
from aisvc.services.arm import arm_error_fields, arm_pipeline
from aisvc.services.credentials import call_limits, transport_kwargs
from aisvc.services.deadline import DeadlineRetryPolicy

POOL_SIZE = 32
MAX_PAGES = 50  # a runaway nextLink chain ends here


@dataclass(frozen=True)
class ArmAnswer:
    """One read: its HTTP status and JSON body, or why there was no answer (`status` None)."""

    what: str  # "GET /subscriptions/.../models": names the call in messages
    status: int | None
    body: Any = None
    code: str | None = None
    message: str = ""
    needs: str | None = None  # the action a call that is not a read needs (named when ARM answers 403)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def not_found(self) -> bool:
        return self.status == 404

    def describe(self) -> str:
        if self.status is None:
            return f"no answer ({self.message})"
        detail = ": ".join(part for part in (self.code, self.message) if part)
        return f"HTTP {self.status} {detail}".strip()


class ReadFailed(Exception):
    """A read that a check needs did not succeed; str() says what to do."""

    def __init__(self, answer: ArmAnswer) -> None:
        self.answer = answer
        super().__init__(f"could not read {answer.what}: {answer.describe()}{_hint(answer)}")


def _hint(answer: ArmAnswer) -> str:
    if answer.status == 403 and answer.needs:
        return f" (the signed-in principal needs {answer.needs})"
    if answer.status == 403:
        return " (the signed-in principal needs Reader on the subscription or resource group)"
    if answer.status == 429:
        return " (ARM kept throttling past --timeout: run again later or raise --timeout)"
    return ""


def require(answer: ArmAnswer, *also_fine: int) -> ArmAnswer:
    """The answer when it is a success (or one of `also_fine`), else ReadFailed."""
    if answer.ok or answer.status in also_fine:
        return answer
    raise ReadFailed(answer)


class _CountAttempts(SansIOHTTPPolicy[Any, Any]):
    """After the retry policy: counts every request sent, retries included."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def on_request(self, request: PipelineRequest[Any]) -> None:
        with self._lock:
            self.count += 1


class ArmClient:
    def __init__(self, credential: TokenCredential, *, endpoint: str, scope: str, deadline: float) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.deadline = deadline
        self._attempts = _CountAttempts()
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE,
                              max_retries=Retry(total=False, redirect=False, raise_on_status=False))
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        retry = DeadlineRetryPolicy(deadline, retry_total=4, retry_backoff_factor=0.5, retry_backoff_max=8)
        self._client: PipelineClient = arm_pipeline(
            credential, endpoint=self.endpoint, scope=scope, retry_policy=retry, sdk_moniker="aisvc-preflight",
            per_attempt=[self._attempts], transport=RequestsTransport(session=session, **transport_kwargs()),
        )

    @property
    def requests_sent(self) -> int:
        return self._attempts.count

    def close(self) -> None:
        self._client.close()

    def get(self, path: str, api_version: str, **params: str) -> ArmAnswer:
        return self._send(HttpRequest("GET", self.endpoint + path, params={"api-version": api_version, **params}))

    def post(self, path: str, api_version: str, body: dict[str, Any], *, needs: str | None = None) -> ArmAnswer:
        """A POST; ``needs`` names the action (and roles) it takes when it is not a plain read."""
        answer = self._send(HttpRequest("POST", self.endpoint + path, params={"api-version": api_version}, json=body))
        return dataclasses.replace(answer, needs=needs) if needs else answer

    def list(self, path: str, api_version: str, **params: str) -> ArmAnswer:
        """Every page of a pageable list, joined: body `{"value": [...]}`."""
        first = self.get(path, api_version, **params)
        if not first.ok:
            return first
        items, page = list(_values(first.body)), first
        for _ in range(MAX_PAGES):
            next_link = page.body.get("nextLink") if isinstance(page.body, dict) else None
            if not next_link:
                break
            page = self._send(HttpRequest("GET", next_link), what=first.what)
            if not page.ok:
                return page
            items += _values(page.body)
        return ArmAnswer(first.what, first.status, {"value": items})

    def _send(self, request: HttpRequest, what: str | None = None) -> ArmAnswer:
        what = what or f"{request.method} {request.url.split('?')[0].removeprefix(self.endpoint)}"
        try:
            limits: dict[str, Any] = dict(call_limits(self.deadline - time.monotonic()))
            response = self._client.send_request(request, **limits)
        except AzureError as err:
            return ArmAnswer(what, None, message=answer_from_exception(err).message)
        text = response.text()
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = None
        if 200 <= response.status_code < 300:
            return ArmAnswer(what, response.status_code, body)
        code, message = arm_error_fields(text)
        return ArmAnswer(what, response.status_code, body, code, message)


def _values(body: Any) -> list[Any]:
    values = body.get("value") if isinstance(body, dict) else None
    return values if isinstance(values, list) else []


def token_object_id(token: str) -> str | None:
    """The `oid` claim of a JWT access token (who `pulumi up` signs in as), None when not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, TypeError):
        return None
    oid = payload.get("oid") if isinstance(payload, dict) else None
    return oid.lower() if isinstance(oid, str) else None


def dig(body: Any, *path: str) -> Any:
    """body[path[0]][path[1]]..., or None where the JSON has no such object or key."""
    for key in path:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body
