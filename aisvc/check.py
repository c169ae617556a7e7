"""aisvc check: prove a deployment works the way an app will use it.

Reads the stack outputs, then per auth mode:
- key:   read `keySecretName` from Key Vault (DefaultAzureCredential), call the
         endpoint's probe with the kind's key header;
- entra: call the probe with a bearer token for the Cognitive Services scope.

Each step runs in a readiness loop: every answer is OK, TRANSIENT (role or DNS
propagation, throttling, 5xx: wait with capped backoff) or DEFINITIVE (stop at
once with what to fix), all bounded by --timeout. See docs/check.md.
"""
from __future__ import annotations

import random
from contextlib import nullcontext
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping

import click

from aisvc.credentials import build_credential, call_limits, transport_kwargs
from aisvc.dataplane import (
    Answer, AttemptPolicy, AuthMode, Classification, Probe, Verdict, answer_from_exception, build_pipeline,
    classify_endpoint, classify_vault, probe_for, retry_policy, send_probe,
)
from aisvc.errors import InputError, OperationFailed
from aisvc.options import debug_option, json_option, plain_option
from aisvc.output import Output, redact, register_secret
from aisvc.stack_outputs import StackOutputs, load_outputs_file, load_outputs_from_stack, parse_outputs

AuthChoice = Literal["auto", "key", "entra", "both"]
DEFAULT_TIMEOUT = 600.0
DEFAULT_KEY_GRACE = 15.0
NO_VERIFY_ENV = "AISVC_NO_VERIFY_CHALLENGE_RESOURCE"
# A key goes in a header: printable ASCII, no spaces (Azure keys are hex or base62).
KEY_VALUE = re.compile(r"[\x21-\x7e]+")
# Wait a fixed fraction of the time already spent (at least FIRST, at most CAP):
# a service that turns ready after T seconds is noticed within about T/16, so
# the lag stays under max(1 s, T/10) while requests grow only logarithmically
# (benchmarks/bench_check.py measures both).
BACKOFF_FIRST, BACKOFF_FRACTION, BACKOFF_CAP = 0.5, 1 / 16, 15.0


# --- report -------------------------------------------------------------------

@dataclass
class CheckResult:
    name: str  # "key" | "entra"
    ok: bool
    status: int | None
    attempts: int
    elapsed_seconds: float
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "status": self.status, "attempts": self.attempts,
                "elapsedSeconds": round(self.elapsed_seconds, 3), "error": self.error}


@dataclass
class CheckReport:
    endpoint: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "endpoint": self.endpoint, "checks": [check.to_json() for check in self.checks]}

    def failure_summary(self) -> str:
        return "; ".join(f"{check.name}: {check.error}" for check in self.checks if not check.ok)


# --- progress -----------------------------------------------------------------

class Progress:
    """Attempt, elapsed time and last answer: a live status line on a terminal, plain lines otherwise."""

    def __init__(self, output: Output | None, name: str) -> None:
        self.output, self.name = output, name
        self.started = time.monotonic()
        self.attempts = 0
        self.last: Answer | None = None
        self.phase = ""
        self._explained = ""
        self._status: Any = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def on_attempt(self, answer: Answer) -> None:
        self.attempts += 1
        self.last = answer
        if not self._plain:  # plain logs get one line per retry, from waiting()
            self._show(f"{self.name}: attempt {self.attempts}, {self.elapsed:.1f} s, last answer from {self.phase} "
                       f"{answer.describe()}")

    def waiting(self, seconds: float, reason: Classification) -> None:
        answer = self.last.describe() if self.last else ""
        line = f"{self.name}: attempt {self.attempts}, {self.elapsed:.1f} s, {self.phase} answered {answer}; " \
               f"retrying in {seconds:.1f} s"
        # A CI log reads the long explanation once, not on each of a hundred retries;
        # the live status line is one terminal row and never carries it.
        if self._plain and reason.reason != self._explained:
            self._explained = reason.reason
            line += f" ({reason.reason})"
        self._show(line)

    @property
    def _plain(self) -> bool:
        return self.output is not None and self.output.plain

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def _show(self, text: str) -> None:
        if self.output is None:
            return
        if self.output.plain:
            self.output.progress(text)
            return
        if self._status is None:
            self._status = self.output.err.status(redact(text))
            self._status.start()
        else:
            self._status.update(redact(text))


class Backoff:
    """Waits proportional to the time already waited, capped, with a little jitter below.

    Exponential backoff would overshoot: after a 30 s propagation delay it
    sleeps past readiness by up to its last (large) interval. The jitter only
    shortens a wait, so many checks started together do not align and none
    waits longer than the bound.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()

    def next(self) -> float:
        waited = self._clock() - self._started
        wait = min(BACKOFF_CAP, max(BACKOFF_FIRST, BACKOFF_FRACTION * waited))
        return wait * random.uniform(0.85, 1.0)


Step = Callable[[float], tuple[Answer, Classification]]


def until_ready(step: Step, *, deadline: float, timeout: float, progress: Progress) -> tuple[Answer, Classification]:
    """Repeat `step` while its answers are transient, within the deadline; the last answer decides."""
    backoff = Backoff()
    while True:
        answer, verdict = step(deadline - time.monotonic())
        if verdict.verdict is not Verdict.TRANSIENT:
            return answer, verdict
        remaining = deadline - time.monotonic()
        retry_after = answer.retry_after or 0.0
        if remaining <= 0 or retry_after > remaining:
            return answer, Classification(Verdict.DEFINITIVE, f"timed out after {timeout:g} s; last answer "
                                                              f"{answer.describe()}: {verdict.reason}")
        wait = min(max(backoff.next(), retry_after), remaining)
        progress.waiting(wait, verdict)
        time.sleep(wait)


# --- the checks ---------------------------------------------------------------

@dataclass
class CheckContext:
    outputs: StackOutputs
    probe: Probe
    deadline: float
    timeout: float
    key_grace: float
    verify_challenge_resource: bool
    output: Output | None
    credential: Any
    transport: dict[str, Any]


def _read_key(ctx: CheckContext, progress: Progress) -> tuple[str | None, Answer, Classification]:
    """The key the apps read: secret keySecretName from the vault, through azure-keyvault-secrets."""
    from azure.core.exceptions import AzureError
    from azure.keyvault.secrets import SecretClient

    vault_url, name = str(ctx.outputs.key_vault_uri), str(ctx.outputs.key_secret_name)
    client = SecretClient(vault_url, ctx.credential, verify_challenge_resource=ctx.verify_challenge_resource,
                          retry_policy=retry_policy(ctx.deadline), per_retry_policies=[AttemptPolicy(progress.on_attempt)],
                          **ctx.transport)
    found: list[str] = []
    progress.phase = "Key Vault"

    def step(remaining: float) -> tuple[Answer, Classification]:
        try:
            value = client.get_secret(name, **call_limits(remaining)).value
        except ValueError as err:  # the SDK's challenge resource check, before any token is sent
            if "challenge" not in str(err).lower():
                raise
            return Answer(None, message=str(err), failure="other"), Classification(
                Verdict.DEFINITIVE, f"the Key Vault challenge does not match the vault host {vault_url} "
                                    "(verify_challenge_resource); --no-verify-challenge-resource is for Key Vault "
                                    "emulators only")
        except AzureError as err:
            answer = answer_from_exception(err)
            return answer, classify_vault(answer, vault_url=vault_url, secret_name=name)
        register_secret(value)
        if not value:
            return Answer(200), Classification(Verdict.DEFINITIVE, f"secret {name} in {vault_url} is empty: run "
                                                                   "pulumi up")
        if not KEY_VALUE.fullmatch(value):  # e.g. a trailing newline: no HTTP client sends that as a header
            return Answer(200), Classification(Verdict.DEFINITIVE, f"secret {name} in {vault_url} holds whitespace "
                                                                   "or control characters besides the key: store "
                                                                   "the bare key (pulumi up writes it)")
        found.append(value)
        return Answer(200), Classification(Verdict.OK, f"read secret {name}")

    with client:
        answer, verdict = until_ready(step, deadline=ctx.deadline, timeout=ctx.timeout, progress=progress)
    return (found[-1] if found else None), answer, verdict


def _probe(ctx: CheckContext, auth: AuthMode, key: str | None, progress: Progress) -> tuple[Answer, Classification]:
    endpoint = ctx.outputs.endpoint
    client = build_pipeline(endpoint, auth=auth, kind=ctx.outputs.kind, key=key, credential=ctx.credential,
                            deadline=ctx.deadline, on_attempt=progress.on_attempt, transport_kwargs=ctx.transport)
    probe_started = time.monotonic()
    progress.phase = "endpoint"

    def step(remaining: float) -> tuple[Answer, Classification]:
        answer = send_probe(client, endpoint, ctx.probe, remaining)
        grace_over = time.monotonic() - probe_started >= ctx.key_grace
        return answer, classify_endpoint(answer, auth=auth, probe=ctx.probe, endpoint=endpoint,
                                         secret_name=ctx.outputs.key_secret_name, key_grace_over=grace_over)

    with client:
        return until_ready(step, deadline=ctx.deadline, timeout=ctx.timeout, progress=progress)


def _run_one(ctx: CheckContext, auth: AuthMode) -> CheckResult:
    progress = Progress(ctx.output, auth)
    try:
        key = None
        if auth == "key":
            key, answer, verdict = _read_key(ctx, progress)
            if verdict.verdict is not Verdict.OK:
                return CheckResult(auth, False, answer.status, progress.attempts, progress.elapsed, verdict.reason)
        answer, verdict = _probe(ctx, auth, key, progress)
        ok = verdict.verdict is Verdict.OK
        return CheckResult(auth, ok, answer.status, progress.attempts, progress.elapsed,
                           None if ok else verdict.reason)
    finally:
        progress.close()


def _modes(auth: AuthChoice, outputs: StackOutputs) -> list[AuthMode]:
    if auth == "auto":
        return ["key"] if outputs.local_auth_enabled else ["entra"]
    if auth == "both":
        return ["key", "entra"]
    return [auth]


def run_check(outputs: StackOutputs | Mapping[str, Any], *, auth: AuthChoice = "auto",
              timeout: float = DEFAULT_TIMEOUT, probe: str | None = None, verify_challenge_resource: bool = True,
              output: Output | None = None, key_grace: float = DEFAULT_KEY_GRACE,
              credential: Any | None = None) -> CheckReport:
    """Run the post-deploy check; never raises for a failed check (see `.ok`), InputError for bad input.

    `credential`: a token credential to share (e.g. rotation's); by default one is built and closed here.
    """
    parsed = outputs if isinstance(outputs, StackOutputs) else parse_outputs(dict(outputs))
    if auth not in ("auto", "key", "entra", "both"):
        raise InputError(f"--auth must be auto, key, entra or both, got {auth!r}")
    if timeout <= 0:
        raise InputError(f"--timeout must be more than 0 seconds, got {timeout:g}")
    modes = _modes(auth, parsed)
    if "key" in modes:
        parsed.require("keyVaultUri", "keySecretName",
                       why="key auth reads the key from Key Vault; local auth is off on this account"
                       if not parsed.local_auth_enabled else "key auth reads the key from Key Vault")
    checked_probe = probe_for(parsed.kind, probe)
    started = time.monotonic()
    with nullcontext(credential) if credential is not None else build_credential() as active_credential:
        ctx = CheckContext(
            outputs=parsed, probe=checked_probe, deadline=started + timeout, timeout=timeout, key_grace=key_grace,
            verify_challenge_resource=verify_challenge_resource, output=output, credential=active_credential,
            transport=transport_kwargs(),
        )
        return CheckReport(parsed.endpoint, [_run_one(ctx, mode) for mode in modes])


# --- command line -------------------------------------------------------------

def _print_report(output: Output, report: CheckReport) -> None:
    for check in report.checks:
        status = f"HTTP {check.status}" if check.status is not None else "no answer"
        if check.ok:
            output.print(f"ok   {check.name}: {status} after {check.attempts} attempt(s) in "
                         f"{check.elapsed_seconds:.1f} s", markup=False)
        else:
            output.print(f"FAIL {check.name}: {check.error}", markup=False)
    verdict = "passed" if report.ok else "failed"
    output.print(f"check {verdict}: {report.endpoint}", markup=False)


def _load(stack: str | None, outputs_file: str | None) -> StackOutputs:
    if bool(stack) == bool(outputs_file):
        raise InputError("give exactly one of --stack NAME or --outputs FILE|-")
    return load_outputs_from_stack(stack) if stack else load_outputs_file(str(outputs_file))


@click.command("check")
@click.option("--stack", help="Read outputs with `pulumi stack output --json --stack NAME`.")
@click.option("--outputs", "outputs_file", metavar="FILE|-",
              help="Read outputs from a file holding `pulumi stack output --json` (- for stdin).")
@click.option("--auth", type=click.Choice(["auto", "key", "entra", "both"]), default="auto", show_default=True,
              help="auto: key when localAuthEnabled, else entra; both: both must pass.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds to wait for role, DNS and subdomain propagation before failing.")
@click.option("--probe", metavar='"METHOD path?query"',
              help="The call to make instead of the kind's built-in probe (required for kinds without one).")
@click.option("--key-grace", type=click.FloatRange(min=0), default=DEFAULT_KEY_GRACE, show_default=True,
              help="Seconds a rejected key (401) is retried, for a just-regenerated key.")
@click.option("--no-verify-challenge-resource", is_flag=True, envvar=NO_VERIFY_ENV,
              help="Skip Key Vault's challenge-resource host check (Key Vault emulators only).")
@json_option
@plain_option
@debug_option
def check_command(stack: str | None, outputs_file: str | None, auth: AuthChoice, timeout: float, probe: str | None,
                  key_grace: float, no_verify_challenge_resource: bool, json_mode: bool, plain: bool | None) -> None:
    """Prove the deployment works: key from Key Vault and/or an Entra ID token against the endpoint."""
    output = Output(json_mode=json_mode, plain=plain)
    outputs = _load(stack, outputs_file)
    report = run_check(outputs, auth=auth, timeout=timeout, probe=probe,
                       verify_challenge_resource=not no_verify_challenge_resource, output=output, key_grace=key_grace)
    if json_mode:
        output.emit_json(report.to_json())
    else:
        _print_report(output, report)
    if not report.ok:
        raise OperationFailed(f"check failed: {report.failure_summary()}")
