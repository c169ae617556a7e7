"""What an Azure HTTP answer says, reduced to what a command decides on.

`Answer` holds the status, the error code and inner code of Azure's error body,
its message, Retry-After, or (with no answer) the kind of transport failure.
The check and preflight both read their answers through this.
"""
from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from aisvc.services.console import redact


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
