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

import datetime
import re
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aisvc.check.classify import AuthMode, Classification, Verdict, classify_endpoint, classify_vault
from aisvc.check.expiry import expiry_warning
from aisvc.check.pipeline import AttemptPolicy, build_pipeline, retry_policy, send_probe
from aisvc.check.probes import Probe, probe_for
from aisvc.check.readiness import Progress, until_ready
from aisvc.check.report import CheckReport, CheckResult
from aisvc.errors import InputError
from aisvc.services.answers import Answer, answer_from_exception
from aisvc.services.console import Output, register_secret
from aisvc.services.credentials import build_credential, call_limits, transport_kwargs
from aisvc.services.stack_outputs import StackOutputs, load_outputs_file, load_outputs_from_stack, parse_outputs

AuthChoice = Literal["auto", "key", "entra", "both"]
DEFAULT_TIMEOUT = 600.0
DEFAULT_KEY_GRACE = 15.0
# A key goes in a header: printable ASCII, no spaces (Azure keys are hex or base62).
KEY_VALUE = re.compile(r"[\x21-\x7e]+")
INTERRUPTED = "interrupted"


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
    warnings: list[str] = field(default_factory=list)  # the check still passes (exit 0)


def _read_key(ctx: CheckContext, progress: Progress) -> tuple[str | None, Answer, Classification]:
    """The key the apps read: secret keySecretName from the vault, through azure-keyvault-secrets."""
    from azure.core.exceptions import AzureError
    from azure.keyvault.secrets import SecretClient

    vault_url, name = str(ctx.outputs.key_vault_uri), str(ctx.outputs.key_secret_name)
    client = SecretClient(vault_url, ctx.credential, verify_challenge_resource=ctx.verify_challenge_resource,
                          retry_policy=retry_policy(ctx.deadline, progress.pipeline_waiting),
                          per_retry_policies=[AttemptPolicy(progress.on_attempt)],
                          **ctx.transport)
    found: list[str] = []
    progress.phase = "Key Vault"

    def step(remaining: float) -> tuple[Answer, Classification]:
        try:
            secret = client.get_secret(name, **call_limits(remaining))
        except ValueError as err:  # the SDK's challenge resource check, before any token is sent
            if "challenge" not in str(err).lower():
                raise
            return Answer(None, message=str(err), failure="other"), Classification(
                Verdict.DEFINITIVE, f"the Key Vault challenge does not match the vault host {vault_url} "
                                    "(verify_challenge_resource); --no-verify-challenge-resource is for Key Vault "
                                    "emulators only")
        except AzureError as err:
            answer = answer_from_exception(err)
            return answer, classify_vault(answer, vault_url=vault_url, secret_name=name, outputs=ctx.outputs)
        register_secret(secret.value)
        value = secret.value
        warning = expiry_warning(name, secret.properties.expires_on, datetime.datetime.now(datetime.UTC))
        if warning and warning not in ctx.warnings:
            ctx.warnings.append(warning)
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
                            deadline=ctx.deadline, on_attempt=progress.on_attempt, transport_kwargs=ctx.transport,
                            on_wait=progress.pipeline_waiting)
    probe_started = time.monotonic()
    progress.phase = "endpoint"

    def step(remaining: float) -> tuple[Answer, Classification]:
        answer = send_probe(client, endpoint, ctx.probe, remaining)
        grace_over = time.monotonic() - probe_started >= ctx.key_grace
        return answer, classify_endpoint(answer, auth=auth, probe=ctx.probe, endpoint=endpoint,
                                         secret_name=ctx.outputs.key_secret_name, key_grace_over=grace_over,
                                         outputs=ctx.outputs)

    with client:
        return until_ready(step, deadline=ctx.deadline, timeout=ctx.timeout, progress=progress)


def _run_one(ctx: CheckContext, auth: AuthMode, report: CheckReport) -> CheckResult:
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
    except KeyboardInterrupt:  # SIGINT/SIGTERM: the report so far shows how far this check got
        status = progress.last.status if progress.last else None
        report.checks.append(CheckResult(auth, False, status, progress.attempts, progress.elapsed, INTERRUPTED))
        raise
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
              credential: Any | None = None, report: CheckReport | None = None) -> CheckReport:
    """Run the post-deploy check; never raises for a failed check (see `.ok`), InputError for bad input.

    `credential`: a token credential to share (e.g. rotation's); by default one is built and closed here.
    `report`: filled in as each check ends, so an interrupted run (KeyboardInterrupt) leaves what it found
    there, the interrupted check last with error "interrupted".
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
        report = report if report is not None else CheckReport(parsed.endpoint)
        # Warnings go straight into the report: an interrupted run still shows them.
        ctx = CheckContext(
            outputs=parsed, probe=checked_probe, deadline=started + timeout, timeout=timeout, key_grace=key_grace,
            verify_challenge_resource=verify_challenge_resource, output=output, credential=active_credential,
            transport=transport_kwargs(), warnings=report.warnings,
        )
        for mode in modes:
            report.checks.append(_run_one(ctx, mode, report))
        return report



def load_outputs(stack: str | None, outputs_file: str | None, project_dir: Path | None = None) -> StackOutputs:
    """From `pulumi stack output` run in `project_dir` (the current directory if None), or from a file."""
    if bool(stack) == bool(outputs_file):
        raise InputError("give exactly one of --stack NAME or --outputs FILE|-")
    return load_outputs_from_stack(stack, project_dir) if stack else load_outputs_file(str(outputs_file))


