"""`python -m aisvc check` as a subprocess against the local Azure emulator."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.emulator import AzureEmulator
from tests.support.process import Run

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILTIN_KINDS = ["AIServices", "CognitiveServices", "TextAnalytics", "OpenAI", "FormRecognizer", "SpeechServices"]
PROBE_PATHS = {
    "AIServices": ("POST", "/language/:analyze-text"), "CognitiveServices": ("POST", "/language/:analyze-text"),
    "TextAnalytics": ("POST", "/language/:analyze-text"), "OpenAI": ("GET", "/openai/models"),
    "FormRecognizer": ("GET", "/documentintelligence/info"), "SpeechServices": ("POST", "/sts/v1.0/issueToken"),
}
# Transient cases must clear within this of the moment the emulator became ready.
READY_SLACK_SECONDS = 3.0
# A definitive answer must end the run long before --timeout (which the tests set to 60 s).
FAST_SECONDS = 15.0




def aisvc_check(emulator: AzureEmulator, *args: str, outputs: Any = None, env: dict[str, str] | None = None,
                timeout: float = 60, global_args: tuple[str, ...] = ()) -> Run:
    """Run the check; outputs go on stdin unless args name --outputs/--stack. Asserts no secret leaked."""
    document = emulator.stack_outputs() if outputs is None else outputs
    source = [] if any(arg in ("--outputs", "--stack") for arg in args) else ["--outputs", "-"]
    command = [sys.executable, "-m", "aisvc", *global_args, "check", *source, *args]
    started = time.monotonic()
    done = subprocess.run(command, input=document if isinstance(document, str) else json.dumps(document),
                          env=env or emulator.env(), cwd=REPO_ROOT, text=True, capture_output=True, timeout=timeout)
    run = Run(done.returncode, done.stdout, done.stderr, time.monotonic() - started)
    printed = run.stdout + run.stderr
    leaked = [value for value in emulator.secret_values() if value in printed]
    assert not leaked, f"secret value printed: {printed}"
    assert "Traceback" not in printed or "--debug" in global_args
    return run


def error_line(run: Run) -> str:
    lines = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, run.stderr
    return lines[0]


def first_success_at(emulator: AzureEmulator, role: str) -> float:
    return next(record.at for record in emulator.requests(role=role) if record.status == 200)


def assert_contract_shape(report: dict[str, Any]) -> None:
    assert set(report) == {"ok", "endpoint", "checks", "warnings"}
    assert isinstance(report["warnings"], list) and all(isinstance(w, str) for w in report["warnings"])
    for check in report["checks"]:
        assert set(check) == {"name", "ok", "status", "attempts", "elapsedSeconds", "error"}
        assert check["name"] in ("key", "entra") and isinstance(check["attempts"], int)
        assert isinstance(check["elapsedSeconds"], float) and (check["error"] is None) == check["ok"]


# --- happy paths ----------------------------------------------------------------

@pytest.mark.parametrize(("auth", "names"), [("key", ["key"]), ("entra", ["entra"]), ("both", ["key", "entra"]),
                                             ("auto", ["key"])])
def test_passes_with_each_auth_mode(azure_emulator: AzureEmulator, auth: str, names: list[str]) -> None:
    run = aisvc_check(azure_emulator, "--auth", auth, "--json")
    assert run.code == 0, run.stderr
    report = run.report
    assert_contract_shape(report)
    assert report["ok"] is True and report["endpoint"] == azure_emulator.endpoint("AIServices")
    assert [check["name"] for check in report["checks"]] == names
    assert all(check["status"] == 200 for check in report["checks"])
    probes = azure_emulator.requests(role="ai", path_contains=":analyze-text")
    assert sorted(record.auth for record in probes) == sorted("bearer" if name == "entra" else "key" for name in names)


def test_auto_uses_entra_when_local_auth_is_off(azure_emulator: AzureEmulator) -> None:
    run = aisvc_check(azure_emulator, "--json", outputs=azure_emulator.stack_outputs(local_auth=False))
    assert run.code == 0, run.stderr
    assert [check["name"] for check in run.report["checks"]] == ["entra"]
    assert azure_emulator.requests(role="vault") == []


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
def test_each_kind_is_probed_with_its_call_and_header(azure_emulator: AzureEmulator, kind: str) -> None:
    run = aisvc_check(azure_emulator, "--auth", "both", outputs=azure_emulator.stack_outputs(kind=kind))
    assert run.code == 0, run.stderr
    method, path = PROBE_PATHS[kind]
    probes = azure_emulator.requests(role="ai", method=method, path_contains=path)
    assert [(record.status, record.auth) for record in probes] == [(200, "key"), (200, "bearer")]
    assert "check passed" in run.stdout


def test_probe_option_checks_a_kind_without_a_builtin_call(azure_emulator: AzureEmulator) -> None:
    outputs = azure_emulator.stack_outputs(kind="ContentSafety")
    run = aisvc_check(azure_emulator, "--auth", "both", "--probe",
                      "POST contentsafety/text:analyze?api-version=2024-09-01", outputs=outputs)
    assert run.code == 0, run.stderr
    probes = azure_emulator.requests(role="ai", method="POST", path_contains="text:analyze")
    assert [record.auth for record in probes] == ["key", "bearer"]


def test_kind_without_builtin_probe_needs_the_probe_option(azure_emulator: AzureEmulator) -> None:
    run = aisvc_check(azure_emulator, outputs=azure_emulator.stack_outputs(kind="ContentSafety"))
    assert run.code == 2 and "--probe" in error_line(run)


# --- transient answers clear --------------------------------------------------------

def test_vault_rbac_forbidden_clears(azure_emulator: AzureEmulator) -> None:
    ready = azure_emulator.forbid_vault_for(2.0)
    run = aisvc_check(azure_emulator, "--auth", "key", "--json", "--timeout", "60")
    assert run.code == 0, run.stderr
    assert any(record.code == "ForbiddenByRbac" for record in azure_emulator.requests(role="vault"))
    assert ready <= first_success_at(azure_emulator, "vault") <= ready + READY_SLACK_SECONDS
    assert run.report["checks"][0]["attempts"] >= 3  # at least one refused read, the read, the probe


def test_permission_denied_clears(azure_emulator: AzureEmulator) -> None:
    ready = azure_emulator.deny_permission_for(2.0)
    run = aisvc_check(azure_emulator, "--auth", "entra", "--json", "--timeout", "60")
    assert run.code == 0, run.stderr
    denied = [record for record in azure_emulator.requests(role="ai") if record.code == "PermissionDenied"]
    assert denied and ready <= first_success_at(azure_emulator, "ai") <= ready + READY_SLACK_SECONDS
    assert run.report["checks"][0]["attempts"] == len(azure_emulator.requests(role="ai"))


def test_unmapped_subdomain_clears(azure_emulator: AzureEmulator) -> None:
    ready = azure_emulator.unmap_subdomain_for(2.0)
    run = aisvc_check(azure_emulator, "--auth", "key", "--timeout", "60")
    assert run.code == 0, run.stderr
    assert any(record.code == "ResourceNotFound" for record in azure_emulator.requests(role="ai"))
    assert ready <= first_success_at(azure_emulator, "ai") <= ready + READY_SLACK_SECONDS


def test_throttling_waits_as_retry_after_asks(azure_emulator: AzureEmulator) -> None:
    azure_emulator.throttle(2, retry_after=1)
    run = aisvc_check(azure_emulator, "--auth", "entra", "--timeout", "60")
    assert run.code == 0, run.stderr
    answers = azure_emulator.requests(role="ai")
    assert [record.status for record in answers] == [429, 429, 200]
    gaps = [later.at - earlier.at for earlier, later in zip(answers, answers[1:], strict=False)]
    assert all(gap >= 0.95 for gap in gaps), gaps


def test_server_errors_beyond_the_pipeline_retries_clear(azure_emulator: AzureEmulator) -> None:
    azure_emulator.fail_server(5, status=503)
    run = aisvc_check(azure_emulator, "--auth", "key", "--json", "--timeout", "60")
    assert run.code == 0, run.stderr
    assert [record.status for record in azure_emulator.requests(role="ai")] == [503] * 5 + [200]


def test_progress_shows_attempt_elapsed_and_last_answer_as_plain_lines(azure_emulator: AzureEmulator) -> None:
    azure_emulator.deny_permission_for(1.5)
    run = aisvc_check(azure_emulator, "--auth", "entra", "--timeout", "60")
    assert run.code == 0
    retries = [line for line in run.stderr.splitlines() if line.startswith("entra: attempt ")]
    assert len(retries) >= 2  # one line per retry
    assert retries[0].startswith("entra: attempt 1, ") and "endpoint answered 401 PermissionDenied" in retries[0]
    assert "retrying in " in retries[0]
    # The long explanation is logged once, not on every retry.
    assert run.stderr.count("Cognitive Services User") == 1
    assert "\x1b[" not in run.stderr  # not a terminal: no live display codes


# --- definitive answers fail fast ---------------------------------------------------

def assert_fails_fast(run: Run, *fragments: str) -> None:
    assert run.code == 1, run.stderr
    line = error_line(run)
    for fragment in fragments:
        assert fragment in line, line
    assert run.seconds < FAST_SECONDS


def test_rejected_key_fails_after_the_grace_period(azure_emulator: AzureEmulator) -> None:
    azure_emulator.set_secret("ai-services-key", "0" * 32, {"CredentialId": "key1"})
    run = aisvc_check(azure_emulator, "--auth", "key", "--key-grace", "1", "--timeout", "60")
    assert_fails_fast(run, "key rejected: the secret ai-services-key holds a key the account does not accept",
                      "run aisvc rotate or pulumi up")
    assert len(azure_emulator.requests(role="ai")) >= 2  # retried within the grace period


def test_key_secret_with_a_trailing_newline_fails_without_printing_the_key(azure_emulator: AzureEmulator) -> None:
    key = azure_emulator.keys["key1"]
    azure_emulator.set_secret("ai-services-key", key + "\n", {"CredentialId": "key1"})
    run = aisvc_check(azure_emulator, "--auth", "key", "--timeout", "60")
    assert_fails_fast(run, "secret ai-services-key", "whitespace or control characters", "store the bare key")
    assert key not in run.stdout + run.stderr
    assert azure_emulator.requests(role="ai") == []


def test_key_with_local_auth_disabled_fails(azure_emulator: AzureEmulator) -> None:
    outputs = azure_emulator.stack_outputs()
    azure_emulator.set_local_auth(False)
    run = aisvc_check(azure_emulator, "--auth", "key", "--timeout", "60", outputs=outputs)
    assert_fails_fast(run, "key authentication is disabled", "--auth entra")
    assert len(azure_emulator.requests(role="ai")) == 1


@pytest.mark.parametrize("mode", ["ip", "public-disabled"])
def test_account_firewall_fails(azure_emulator: AzureEmulator, mode: str) -> None:
    azure_emulator.set_firewall(mode)  # type: ignore[arg-type]
    run = aisvc_check(azure_emulator, "--auth", "entra", "--timeout", "60")
    assert_fails_fast(run, "network rules block this caller", "networkAcls.ipRules")


def test_vault_firewall_fails(azure_emulator: AzureEmulator) -> None:
    azure_emulator.set_vault_firewall(True)
    run = aisvc_check(azure_emulator, "--auth", "key", "--timeout", "60")
    assert_fails_fast(run, "Key Vault firewall blocks this caller")


def test_missing_secret_fails(azure_emulator: AzureEmulator) -> None:
    azure_emulator.delete_secret("ai-services-key")
    run = aisvc_check(azure_emulator, "--auth", "key", "--json", "--timeout", "60")
    assert_fails_fast(run, "secret ai-services-key not found", "run pulumi up")
    report = run.report
    assert_contract_shape(report)
    assert report["ok"] is False and report["checks"][0]["status"] == 404


def test_wrong_client_secret_fails(azure_emulator: AzureEmulator) -> None:
    env = azure_emulator.env()
    env["AZURE_CLIENT_SECRET"] = "wrong-client-secret-value"
    run = aisvc_check(azure_emulator, "--auth", "entra", "--timeout", "60", env=env)
    assert_fails_fast(run, "could not get an Entra ID token")
    assert "wrong-client-secret-value" not in run.stdout + run.stderr


def test_vault_host_check_needs_the_emulator_flag(azure_emulator: AzureEmulator) -> None:
    env = azure_emulator.env(no_verify_challenge_resource=False)
    run = aisvc_check(azure_emulator, "--auth", "key", "--timeout", "60", env=env)
    assert_fails_fast(run, "--no-verify-challenge-resource")
    assert aisvc_check(azure_emulator, "--auth", "key", "--no-verify-challenge-resource", env=env).code == 0


def test_untrusted_certificate_fails_with_the_tls_hint(azure_emulator: AzureEmulator) -> None:
    env = azure_emulator.env()
    del env["REQUESTS_CA_BUNDLE"], env["SSL_CERT_FILE"]
    run = aisvc_check(azure_emulator, "--auth", "key", "--timeout", "60", env=env)
    assert_fails_fast(run, "TLS verification failed", "REQUESTS_CA_BUNDLE")


def test_both_reports_each_check(azure_emulator: AzureEmulator) -> None:
    azure_emulator.set_secret("ai-services-key", "1" * 32)
    run = aisvc_check(azure_emulator, "--auth", "both", "--key-grace", "0", "--json", "--timeout", "60")
    assert run.code == 1
    assert [(check["name"], check["ok"]) for check in run.report["checks"]] == [("key", False), ("entra", True)]


# --- time bounds --------------------------------------------------------------------

def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_endpoint_ends_at_the_timeout(azure_emulator: AzureEmulator) -> None:
    outputs = {**azure_emulator.stack_outputs(), "endpoint": f"https://127.0.0.1:{closed_port()}/"}
    run = aisvc_check(azure_emulator, "--auth", "entra", "--timeout", "3", "--json", outputs=outputs)
    assert run.code == 1
    assert "timed out after 3 s" in error_line(run) and "cannot reach" in error_line(run)
    assert run.report["checks"][0]["attempts"] >= 2
    assert 3 <= run.report["checks"][0]["elapsedSeconds"] <= 3 + 2
    assert run.seconds < 3 + 8  # interpreter start-up and imports on top


def test_transient_answer_past_the_timeout_ends_on_time(azure_emulator: AzureEmulator) -> None:
    azure_emulator.deny_permission_for(60)
    run = aisvc_check(azure_emulator, "--auth", "entra", "--timeout", "2", "--json")
    assert run.code == 1
    assert "timed out after 2 s" in error_line(run) and "Cognitive Services User" in error_line(run)
    assert run.report["checks"][0]["elapsedSeconds"] <= 2 + 2


def test_retry_after_beyond_the_timeout_is_not_waited_for(azure_emulator: AzureEmulator) -> None:
    azure_emulator.throttle(5, retry_after=30)
    run = aisvc_check(azure_emulator, "--auth", "entra", "--timeout", "2")
    assert run.code == 1 and "429" in error_line(run)
    assert run.seconds < 2 + 8
    # It ended early because of the service's answer, and says so; it did not "time out after 2 s".
    assert "asked to retry after 30 s, past the end of --timeout 2 s" in error_line(run)
    assert "timed out" not in error_line(run)


def test_a_wait_inside_the_http_pipeline_prints_a_progress_line(azure_emulator: AzureEmulator) -> None:
    azure_emulator.throttle(1, retry_after=2)
    run = aisvc_check(azure_emulator, "--auth", "entra", "--timeout", "60")
    assert run.code == 0, run.stderr
    assert [record.status for record in azure_emulator.requests(role="ai")] == [429, 200]
    waits = [line for line in run.stderr.splitlines() if "the HTTP pipeline retries in 2.0 s" in line]
    assert len(waits) == 1 and "endpoint answered 429" in waits[0], run.stderr


# --- bad input ------------------------------------------------------------------------

@pytest.mark.parametrize(("outputs", "named"), [
    ({"kind": "AIServices", "localAuthEnabled": False}, "endpoint"),
    ({"endpoint": "https://x.cognitiveservices.azure.com/", "localAuthEnabled": True, "kind": "OpenAI"},
     "keyVaultUri, keySecretName"),
    ({"endpoint": "http://x/", "kind": "AIServices", "localAuthEnabled": False}, "endpoint"),
    ({"endpoint": "https://x/", "kind": "AIServices", "localAuthEnabled": "yes"}, "localAuthEnabled"),
    ("{not json", "not valid JSON"),
    ("[]", "JSON object"),
    ({"endpoint": "https://exa mple.com/", "kind": "AIServices", "localAuthEnabled": False}, "endpoint"),
    ({"endpoint": "https://example.com:99999/", "kind": "AIServices", "localAuthEnabled": False}, "endpoint"),
    ({"endpoint": "https://ex_ample.com/?a=1", "kind": "AIServices", "localAuthEnabled": False}, "endpoint"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_bad_outputs_exit_2_naming_the_problem(azure_emulator: AzureEmulator, outputs: Any, named: str) -> None:
    run = aisvc_check(azure_emulator, "--json", outputs=outputs)
    assert run.code == 2 and named in error_line(run) and run.stdout == ""
    assert azure_emulator.requests() == []


def test_key_auth_without_key_outputs_exits_2(azure_emulator: AzureEmulator) -> None:
    run = aisvc_check(azure_emulator, "--auth", "key", outputs=azure_emulator.stack_outputs(local_auth=False))
    assert run.code == 2 and "keySecretName" in error_line(run)


def test_outputs_file_not_in_utf8_is_bad_input(azure_emulator: AzureEmulator, tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(azure_emulator.stack_outputs()), encoding="utf-16")
    run = aisvc_check(azure_emulator, "--outputs", str(path))
    assert run.code == 2 and "not UTF-8" in error_line(run) and "outputs.json" in error_line(run)


def test_outputs_file_and_missing_file(azure_emulator: AzureEmulator, tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(azure_emulator.stack_outputs()))
    assert aisvc_check(azure_emulator, "--outputs", str(path)).code == 0
    missing = aisvc_check(azure_emulator, "--outputs", str(tmp_path / "nope.json"))
    assert missing.code == 2 and "nope.json" in error_line(missing)


@pytest.mark.parametrize("args", [[], ["--stack", "dev", "--outputs", "-"]])
def test_exactly_one_source_is_required(azure_emulator: AzureEmulator, args: list[str]) -> None:
    run = aisvc_check(azure_emulator, *(args or ["--stack", ""]))
    assert run.code == 2 and "--stack NAME or --outputs" in error_line(run)


def test_stack_without_pulumi_cli_says_so(azure_emulator: AzureEmulator, tmp_path: Path) -> None:
    env = {**azure_emulator.env(), "PATH": str(tmp_path)}
    run = aisvc_check(azure_emulator, "--stack", "dev", env=env)
    assert run.code == 2 and "Pulumi CLI is not installed" in error_line(run)


def test_stack_reads_pulumi_stack_output(azure_emulator: AzureEmulator, tmp_path: Path) -> None:
    """A stand-in `pulumi` on PATH (the real CLI is not on this machine) answering `stack output --json`."""
    (tmp_path / "outputs.json").write_text(json.dumps(azure_emulator.stack_outputs()))
    fake = tmp_path / "pulumi"
    fake.write_text(f"#!{sys.executable}\nimport sys\n"
                    "assert sys.argv[1:] == ['stack', 'output', '--json', '--stack', 'prod'], sys.argv\n"
                    f"print(open({str(tmp_path / 'outputs.json')!r}).read())\n")
    fake.chmod(0o755)
    env = {**azure_emulator.env(), "PATH": str(tmp_path)}
    run = aisvc_check(azure_emulator, "--stack", "prod", "--json", env=env)
    assert run.code == 0, run.stderr
    assert run.report["ok"] is True


def test_debug_logging_keeps_secrets_out(azure_emulator: AzureEmulator) -> None:
    azure_emulator.set_secret("ai-services-key", "2" * 32)
    run = aisvc_check(azure_emulator, "--auth", "both", "--key-grace", "0", "--timeout", "60",
                      global_args=("--debug",))
    # HTTP and identity debug logging is on; the leak assertions run inside aisvc_check.
    assert run.code == 1 and "azure.core.pipeline.policies.http_logging_policy" in run.stderr
