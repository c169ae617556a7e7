"""Run every preflight check concurrently within one deadline.

1. One credential, one token: the ARM token is fetched first (its `oid` claim
   is the deploying principal); a failure there fails every check at once.
2. Every read any check needs is started at the same time; each check then
   judges its reads as they arrive. Wall time ~ the slowest single call.
3. A check still waiting when --timeout runs out is reported as timed out.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future

from azure.core.exceptions import AzureError

from aisvc.preflight.arm import ArmClient, ReadFailed, token_object_id
from aisvc.preflight.checks import CHECKS, Check, Context
from aisvc.preflight.jobs import DeadlineExceeded, Jobs
from aisvc.preflight.reads import Reads
from aisvc.preflight.report import CheckResult, PreflightReport
from aisvc.preflight.target import Target
from aisvc.services.answers import answer_from_exception
from aisvc.services.arm import arm_endpoint, arm_scope
from aisvc.services.credentials import SecretRegisteringCredential, build_credential

DEFAULT_TIMEOUT = 60.0
ProgressHook = Callable[[int, int], None]  # (checks done, checks in all)


class NotAsked(Exception):
    """Azure could not be asked at all (no token): every check fails with this line."""


def run_preflight(target: Target, timeout: float = DEFAULT_TIMEOUT, on_progress: ProgressHook | None = None,
                  credential: SecretRegisteringCredential | None = None) -> PreflightReport:
    started = time.monotonic()
    jobs = Jobs(timeout)
    endpoint = arm_endpoint()
    scope = arm_scope(endpoint)
    owned = credential is None  # a credential built here is closed here; a shared one stays open
    credential = credential or build_credential()
    arm = ArmClient(credential, endpoint=endpoint, scope=scope, deadline=jobs.deadline)
    not_asked = None
    try:
        deployer = _signed_in(credential, scope, jobs, timeout)
        results = _run_checks(Context(target, Reads(arm, target, jobs), deployer), jobs, on_progress)
    except NotAsked as err:
        not_asked = str(err)
        results = [CheckResult.failed(check.id, None, f"not checked: {err}") for check in CHECKS]
    finally:
        arm.close()
        if owned:
            credential.close()
    return PreflightReport(target.stack, target.subscription_id, time.monotonic() - started, tuple(results),
                           requests=arm.requests_sent, not_asked=not_asked)


def _signed_in(credential: SecretRegisteringCredential, scope: str, jobs: Jobs, timeout: float) -> str | None:
    """Get the ARM token once (the pipeline reuses it from the credential's cache); its oid claim."""
    try:
        token = jobs.wait(jobs.submit(lambda: credential.get_token(scope), calls_arm=False))
    except DeadlineExceeded:
        raise NotAsked(f"no Entra ID token for {scope} within --timeout {timeout:g} s") from None
    except AzureError as err:
        raise NotAsked(f"could not get an Entra ID token for {scope}: {answer_from_exception(err).message}; check "
                       "AZURE_TENANT_ID / AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, the managed identity or `az login`"
                       ) from None
    return token_object_id(token.token)


def _run_checks(ctx: Context, jobs: Jobs, on_progress: ProgressHook | None) -> list[CheckResult]:
    ctx.reads.start(key for check in CHECKS for key in check.needs(ctx.target))
    futures = [(check, jobs.submit(lambda check=check: _judge(check, ctx), calls_arm=False)) for check in CHECKS]  # type: ignore[misc]
    results = []
    for done, (check, future) in enumerate(futures, start=1):
        results.append(_result(check, future, jobs))
        if on_progress:
            on_progress(done, len(futures))
    return results


def _judge(check: Check, ctx: Context) -> CheckResult:
    try:
        return check.run(ctx)
    except ReadFailed as err:
        return CheckResult.failed(check.id, None, str(err))


def _result(check: Check, future: Future[CheckResult], jobs: Jobs) -> CheckResult:
    try:
        return jobs.wait(future)
    except DeadlineExceeded:
        return _timed_out(check, jobs)
    except Exception as err:  # noqa: BLE001 - an answer shaped unlike the documented one: say so, keep the rest
        return CheckResult.failed(check.id, None, f"unexpected answer from ARM: {type(err).__name__}: {err}")


def _timed_out(check: Check, jobs: Jobs) -> CheckResult:
    return CheckResult.failed(check.id, None, f"timed out: ARM did not answer within --timeout {jobs.timeout:g} s; "
                                              "run again, or raise --timeout")
