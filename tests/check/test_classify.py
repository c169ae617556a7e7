"""Every answer of the tables of docs/azure-wire.md is classified as the page says; probes, backoff, report shape."""
from __future__ import annotations

import socket
import time

import pytest
from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

from aisvc.check.classify import AuthMode, Classification, Verdict, classify_endpoint, classify_vault
from aisvc.check.pipeline import build_pipeline, send_probe
from aisvc.check.probes import BUILTIN_PROBES, parse_probe, probe_for
from aisvc.check.readiness import BACKOFF_CAP, BACKOFF_FIRST, Backoff, Progress, until_ready
from aisvc.check.report import CheckReport, CheckResult
from aisvc.contract import key_header
from aisvc.errors import InputError
from aisvc.services.answers import Answer, answer_from_exception, answer_from_status
from aisvc.services.console import register_secret
from tests.support.emulator import AzureEmulator

ENDPOINT = "https://acct.cognitiveservices.azure.com/"
VAULT = "https://kv.vault.azure.net/"
PROBE = BUILTIN_PROBES["AIServices"]


def endpoint_verdict(status: int, body: str, auth: AuthMode = "key", grace_over: bool = True,
                     headers: dict[str, str] | None = None) -> Verdict:
    answer = answer_from_status(status, body, headers or {})
    return classify_endpoint(answer, auth=auth, probe=PROBE, endpoint=ENDPOINT, secret_name="ai-services-key",
                             key_grace_over=grace_over).verdict


def error(code: str, message: str, inner: str | None = None) -> str:
    inner_part = f', "innererror": {{"code": "{inner}"}}' if inner else ""
    return f'{{"error": {{"code": "{code}", "message": "{message}"{inner_part}}}}}'


WRONG_KEY = error("401", "Access denied due to invalid subscription key or wrong API endpoint.")


@pytest.mark.parametrize(("status", "body", "auth", "expected"), [
    (200, "{}", "key", Verdict.OK),
    (401, error("PermissionDenied", "The principal lacks the required data action"), "entra", Verdict.TRANSIENT),
    (403, error("AuthenticationTypeDisabled", "Key based authentication is disabled for this resource."), "key",
     Verdict.DEFINITIVE),
    (403, error("403", "Access denied due to Virtual Network/Firewall rules."), "entra", Verdict.DEFINITIVE),
    (403, error("403", "Public access is disabled. Please configure private endpoint."), "key", Verdict.DEFINITIVE),
    (404, error("ResourceNotFound", "Subdomain does not map to a resource."), "key", Verdict.TRANSIENT),
    (404, error("404", "Resource not found"), "key", Verdict.DEFINITIVE),
    (429, error("429", "Rate limit is exceeded."), "key", Verdict.TRANSIENT),
    (500, error("InternalServerError", "oops"), "entra", Verdict.TRANSIENT),
    (503, "not json", "entra", Verdict.TRANSIENT),
    (401, WRONG_KEY, "entra", Verdict.DEFINITIVE),
    (400, error("InvalidRequest", "bad"), "key", Verdict.DEFINITIVE),
])
def test_endpoint_answers(status: int, body: str, auth: AuthMode, expected: Verdict) -> None:
    assert endpoint_verdict(status, body, auth) is expected


def test_wrong_key_is_transient_only_within_the_grace_period() -> None:
    assert endpoint_verdict(401, WRONG_KEY, grace_over=False) is Verdict.TRANSIENT
    assert endpoint_verdict(401, WRONG_KEY, grace_over=True) is Verdict.DEFINITIVE


def test_retry_after_is_read() -> None:
    assert answer_from_status(429, "{}", {"Retry-After": "7"}).retry_after == 7.0
    assert answer_from_status(429, "{}", {"retry-after-ms": "1500"}).retry_after == 1.5


@pytest.mark.parametrize(("status", "body", "expected"), [
    (403, error("Forbidden", "Caller is not authorized", "ForbiddenByRbac"), Verdict.TRANSIENT),
    (403, error("Forbidden", "Client address is not authorized", "ForbiddenByFirewall"), Verdict.DEFINITIVE),
    (404, error("SecretNotFound", "A secret with (name/id) x was not found"), Verdict.DEFINITIVE),
    (429, "{}", Verdict.TRANSIENT),
    (502, "{}", Verdict.TRANSIENT),
    (401, error("Unauthorized", "AKV10032: Invalid issuer."), Verdict.DEFINITIVE),
])
def test_vault_answers(status: int, body: str, expected: Verdict) -> None:
    answer = answer_from_status(status, body, {})
    assert classify_vault(answer, vault_url=VAULT, secret_name="ai-services-key").verdict is expected


def test_name_resolution_failure_is_transient() -> None:
    # A constructed DNS failure: no name is looked up.
    dns_error = ServiceRequestError("Failed to resolve", error=socket.gaierror(-2, "Name or service not known"))
    answer = answer_from_exception(dns_error)
    assert answer.failure == "connection"
    verdict = classify_endpoint(answer, auth="entra", probe=PROBE, endpoint=ENDPOINT, secret_name=None,
                                key_grace_over=True)
    assert verdict.verdict is Verdict.TRANSIENT and "acct.cognitiveservices.azure.com" in verdict.reason


def test_credential_failure_is_definitive() -> None:
    answer = answer_from_exception(ClientAuthenticationError(message="DefaultAzureCredential failed\n\tmore"))
    assert answer.failure == "auth" and "\n" not in answer.message
    assert classify_vault(answer, vault_url=VAULT, secret_name="s").verdict is Verdict.DEFINITIVE


def test_a_secret_is_redacted_before_a_long_message_is_cut() -> None:
    secret = "cut-secret-0123456789abcdef"
    register_secret(secret)
    answer = answer_from_exception(ServiceRequestError("x" * 385 + secret))
    assert len(answer.message) <= 400 and secret[:8] not in answer.message
    body = "y" * 190 + secret
    assert secret[:8] not in answer_from_status(500, body, {}).message


def test_key_headers_per_kind() -> None:
    assert key_header("OpenAI") == "api-key"
    assert key_header("AIServices") == key_header("SpeechServices") == "Ocp-Apim-Subscription-Key"


def test_no_builtin_probe_is_an_anonymous_get() -> None:
    assert all(probe.method in ("GET", "POST") for probe in BUILTIN_PROBES.values())
    assert BUILTIN_PROBES["AIServices"].body is not None and b"LanguageDetection" in BUILTIN_PROBES["AIServices"].body


def test_probe_option_parsing() -> None:
    probe = parse_probe("post /contentsafety/text:analyze?api-version=2024-09-01")
    assert (probe.method, probe.path, probe.body) == ("POST", "contentsafety/text:analyze?api-version=2024-09-01", b"")
    assert probe_for("OpenAI", None) is BUILTIN_PROBES["OpenAI"]
    for bad in ("", "FETCH x", "GET", "GET https://elsewhere/x"):
        with pytest.raises(InputError):
            parse_probe(bad)
    with pytest.raises(InputError, match="--probe"):
        probe_for("ComputerVision", None)


def test_backoff_stays_proportional_to_the_time_waited_and_is_capped() -> None:
    now = [0.0]
    backoff = Backoff(clock=lambda: now[0])
    waits = []
    while now[0] < 600:
        waits.append(backoff.next())
        now[0] += waits[-1] + 0.1  # the request itself takes a moment
    assert BACKOFF_FIRST * 0.85 <= waits[0] <= BACKOFF_FIRST
    assert all(later >= earlier * 0.85 for earlier, later in zip(waits, waits[1:], strict=False))  # grows, up to jitter
    assert max(waits) <= BACKOFF_CAP and waits[-1] >= BACKOFF_CAP * 0.85
    # Readiness at T is noticed within max(1 s, T/10): each wait is at most a tenth of the time spent.
    spent = 0.0
    for wait in waits:
        assert wait <= max(1.0, spent / 10) or wait >= BACKOFF_CAP * 0.85
        spent += wait + 0.1
    # ... and it does not hammer: about a hundred attempts in ten minutes.
    assert 60 <= len(waits) <= 130


def test_readiness_loop_keeps_trying_until_the_deadline_has_passed() -> None:
    """'timed out after T s' means T s were spent: a slow answer that leaves 30 ms gets one more try."""
    deadline = time.monotonic() + 1.0
    calls: list[float] = []

    def step(remaining: float) -> tuple[Answer, Classification]:
        calls.append(remaining)
        if len(calls) == 1:
            time.sleep(max(0.0, remaining - 0.03))
        return Answer(503), Classification(Verdict.TRANSIENT, "busy")

    _, verdict = until_ready(step, deadline=deadline, timeout=1.0, progress=Progress(None, "key"))
    assert verdict.verdict is Verdict.DEFINITIVE and verdict.reason.startswith("timed out after 1 s")
    assert len(calls) == 2 and time.monotonic() >= deadline


def test_report_json_shape() -> None:
    report = CheckReport(ENDPOINT, [CheckResult("key", True, 200, 2, 1.23456, None),
                                    CheckResult("entra", False, 401, 3, 4.0, "token rejected")])
    assert report.ok is False
    assert report.to_json() == {"ok": False, "endpoint": ENDPOINT, "checks": [
        {"name": "key", "ok": True, "status": 200, "attempts": 2, "elapsedSeconds": 1.235, "error": None},
        {"name": "entra", "ok": False, "status": 401, "attempts": 3, "elapsedSeconds": 4.0,
         "error": "token rejected"}], "warnings": []}
    assert CheckReport(ENDPOINT, []).ok is False


def test_answer_describe_never_needs_the_body() -> None:
    assert Answer(403, "Forbidden", "ForbiddenByRbac").describe() == "403 Forbidden ForbiddenByRbac"
    assert Answer(None, failure="connection", message="refused").describe() == "connection error: refused"


def test_pipeline_retries_stop_before_a_backoff_that_would_pass_the_deadline(azure_emulator: AzureEmulator) -> None:
    """The retry policy's next sleep (1 s, then 2 s) is judged after counting the attempt, not one step behind."""
    azure_emulator.fail_server(10, status=503)
    endpoint = azure_emulator.endpoint("OpenAI")
    started = time.monotonic()
    deadline = started + 2.5
    answers: list[Answer] = []
    client = build_pipeline(endpoint, auth="key", kind="OpenAI", key=azure_emulator.keys["key1"], credential=None,
                            deadline=deadline, on_attempt=answers.append,
                            transport_kwargs={"connection_verify": azure_emulator.ca_file})
    with client:
        answer = send_probe(client, endpoint, BUILTIN_PROBES["OpenAI"], deadline - started)
    # The last 503 is reported (not the retry policy's "Response timeout") and the deadline is kept.
    assert answer.status == 503 and [seen.status for seen in answers] == [503, 503, 503]
    assert time.monotonic() < deadline
