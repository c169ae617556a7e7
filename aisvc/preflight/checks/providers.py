"""`providers`: the resource providers `pulumi up` writes to are registered in the subscription.

An unregistered provider fails the first PUT with 409 MissingSubscriptionRegistration.
"""
from __future__ import annotations

from aisvc.preflight.arm import dig, require
from aisvc.preflight.checks.context import Check, Context
from aisvc.preflight.reads import COGNITIVE, KEYVAULT, NETWORK
from aisvc.preflight.report import CheckResult
from aisvc.preflight.target import K, Target

ID = "providers"


def namespaces(target: Target) -> list[str]:
    wanted = [COGNITIVE, KEYVAULT]
    if target.settings.private_endpoints:
        wanted.append(NETWORK)
    return wanted


def run(ctx: Context) -> CheckResult:
    states = {namespace: str(dig(require(ctx.reads.provider(namespace)).body, "registrationState") or "Unknown")
              for namespace in namespaces(ctx.target)}
    subscription = ctx.target.subscription_id
    missing = [ns for ns, state in states.items() if state.lower() not in ("registered", "registering")]
    if missing:
        key = f"{K}privateEndpoints" if missing == [NETWORK] else None
        return CheckResult.failed(ID, key, "; ".join(
            f"resource provider {ns} is {states[ns]} in subscription {subscription}: run "
            f"`az provider register --namespace {ns} --subscription {subscription}` (needs "
            f"{ns}/register/action, e.g. Contributor) before pulumi up" for ns in missing))
    registering = [ns for ns, state in states.items() if state.lower() == "registering"]
    if registering:
        return CheckResult.warning(ID, None, f"{', '.join(registering)} still Registering in subscription "
                                             f"{subscription}: pulumi up fails until it reads Registered "
                                             f"(`az provider show --namespace {registering[0]}`)")
    return CheckResult.passed(ID, f"{', '.join(states)} registered")


CHECK = Check(ID, run, lambda target: [f"provider:{ns}" for ns in namespaces(target)])
