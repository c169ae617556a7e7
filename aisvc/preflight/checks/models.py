"""`models` and `quota`: every model deployment is offered in the location, and fits the free quota.

A model SKU names its quota by `usageName`; the usages list says `limit` and
`currentValue` per usage. The two are joined case-insensitively, never by a
name built here (docs/azure-wire.md). Capacity the stack's existing
deployments already hold is in `currentValue` and counts as the stack's own.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol

from aisvc.preflight.arm import dig, require
from aisvc.preflight.checks.context import Check, Context
from aisvc.preflight.report import CheckResult
from aisvc.preflight.target import K, Target

DEPRECATED_STATES = ("deprecating", "deprecated")


class DeploymentLike(Protocol):
    """A model deployment as the stack config asks for it, or as the account already has it."""

    @property
    def name(self) -> str: ...
    @property
    def model_format(self) -> str: ...
    @property
    def model_name(self) -> str: ...
    @property
    def model_version(self) -> str | None: ...
    @property
    def sku_name(self) -> str: ...
    @property
    def capacity(self) -> int: ...


@dataclass(frozen=True)
class ExistingDeployment:
    """A deployment the account already has, as ARM lists it (any SKU name ARM may report)."""

    name: str
    model_format: str
    model_name: str
    model_version: str | None
    sku_name: str
    capacity: int


def _key(index: int, field: str) -> str:
    return f"{K}deployments[{index}].{field}"


@dataclass(frozen=True)
class Offer:
    """One catalogue entry of the location: a model version with its SKUs."""

    model: dict[str, Any]

    @property
    def version(self) -> str:
        return str(self.model.get("version") or "")

    @property
    def skus(self) -> list[dict[str, Any]]:
        return [sku for sku in self.model.get("skus") or [] if isinstance(sku, dict)]

    def sku(self, name: str) -> dict[str, Any] | None:
        return next((sku for sku in self.skus if str(sku.get("name", "")).lower() == name.lower()), None)


def _offers(catalogue: list[Any], deployment: DeploymentLike) -> list[Offer]:
    """Catalogue entries of the deployment's model format and name."""
    offers = []
    for entry in catalogue:
        model = dig(entry, "model")
        if (isinstance(model, dict) and str(model.get("format", "")).lower() == deployment.model_format.lower()
                and str(model.get("name", "")).lower() == deployment.model_name.lower()):
            offers.append(Offer(model))
    return offers


def _matching(offers: list[Offer], deployment: DeploymentLike) -> list[Offer]:
    return [offer for offer in offers if deployment.model_version is None or offer.version == deployment.model_version]


def _usage_name(catalogue: list[Any], deployment: DeploymentLike) -> str | None:
    for offer in _matching(_offers(catalogue, deployment), deployment):
        sku = offer.sku(deployment.sku_name)
        if sku and sku.get("usageName"):
            return str(sku["usageName"])
    return None


# --- models -------------------------------------------------------------------------------

def models(ctx: Context) -> CheckResult:
    deployments = ctx.target.settings.deployments
    if not deployments:
        return CheckResult.passed("models", "no model deployments")
    catalogue = require(ctx.reads.read("models")).body["value"]
    problems: list[tuple[str, str]] = []
    warnings: list[tuple[str, str]] = []
    for index, deployment in enumerate(deployments):
        problem = _offer_problem(ctx.target, index, deployment, _offers(catalogue, deployment))
        if problem:
            problems.append(problem)
        else:
            warnings += _deprecation(index, deployment, _matching(_offers(catalogue, deployment), deployment))
    if problems:
        return CheckResult.failed("models", problems[0][0], "; ".join(message for _, message in problems))
    if warnings:
        return CheckResult.warning("models", warnings[0][0], "; ".join(message for _, message in warnings))
    return CheckResult.passed("models", f"{len(deployments)} deployment(s) offered in {ctx.target.location}")


def _offer_problem(target: Target, index: int, deployment: DeploymentLike,
                   offers: list[Offer]) -> tuple[str, str] | None:
    what = f"deployment {deployment.name!r} ({deployment.model_format} {deployment.model_name}"
    where = f"in {target.location}"
    if not offers:
        return _key(index, "model.name"), f"{what}) is not offered {where}: choose another model or location"
    matching = _matching(offers, deployment)
    if not matching:
        versions = ", ".join(sorted({offer.version for offer in offers}))
        return _key(index, "model.version"), (
            f"{what} version {deployment.model_version}) is not offered {where}: set {_key(index, 'model.version')} "
            f"to one of {versions}")
    if not any(offer.sku(deployment.sku_name) for offer in matching):
        skus = ", ".join(sorted({str(sku.get("name")) for offer in matching for sku in offer.skus}))
        return _key(index, "sku.name"), (
            f"{what} {matching[0].version}) is not offered {where} with SKU {deployment.sku_name}: set "
            f"{_key(index, 'sku.name')} to one of {skus or 'none (no SKU offered)'}")
    return None


def _deprecation(index: int, deployment: DeploymentLike, offers: list[Offer]) -> list[tuple[str, str]]:
    for offer in offers:
        status = str(offer.model.get("lifecycleStatus") or "")
        retires = dig(offer.model, "deprecation", "inference") or dig(offer.sku(deployment.sku_name), "deprecationDate")
        if status.lower() in DEPRECATED_STATES or retires:
            when = f", retired for inference on {str(retires)[:10]}" if retires else ""
            return [(_key(index, "model.version"), (
                f"deployment {deployment.name!r}: {deployment.model_name} {offer.version} is "
                f"{status or 'scheduled for deprecation'}{when}: plan a move to a newer version"))]
    return []


# --- quota --------------------------------------------------------------------------------

@dataclass
class _Demand:
    asked: int = 0
    held: int = 0  # capacity this stack's existing deployments of the same usage already hold
    indexes: list[int] | None = None


def quota(ctx: Context) -> CheckResult:
    deployments = ctx.target.settings.deployments
    if not deployments:
        return CheckResult.passed("quota", "no model deployments")
    catalogue = require(ctx.reads.read("models")).body["value"]
    usages = {str(dig(usage, "name", "value") or "").lower(): usage
              for usage in require(ctx.reads.read("usages")).body["value"]}
    held = _held_capacity(ctx, catalogue)
    demand: dict[str, _Demand] = defaultdict(_Demand)
    for index, deployment in enumerate(deployments):
        usage_name = _usage_name(catalogue, deployment)
        if usage_name is None:
            continue  # not offered: the models check says what to change
        entry = demand[usage_name]
        entry.asked += deployment.capacity
        entry.held += held.get((deployment.name.lower(), usage_name.lower()), 0)
        entry.indexes = [*(entry.indexes or []), index]
    problems = [_shortfall(ctx.target, name, entry, usages.get(name.lower())) for name, entry in demand.items()]
    failures = [problem for problem in problems if problem]
    if failures:
        return CheckResult.failed("quota", failures[0][0], "; ".join(message for _, message in failures))
    summary = ", ".join(f"{name} {entry.asked}" for name, entry in demand.items())
    return CheckResult.passed("quota", f"enough free quota in {ctx.target.location}" + (f": {summary}" if summary else ""))


def _held_capacity(ctx: Context, catalogue: list[Any]) -> dict[tuple[str, str], int]:
    """(deployment name, usage name) -> capacity of the account's existing deployments (none: a new account)."""
    existing = require(ctx.reads.read("deployments"), 404)
    if not existing.ok:
        return {}
    held: dict[tuple[str, str], int] = {}
    for item in existing.body["value"]:
        model = dig(item, "properties", "model") or {}
        deployed = ExistingDeployment(
            name=str(dig(item, "name") or ""), model_format=str(model.get("format") or ""),
            model_name=str(model.get("name") or ""), model_version=model.get("version"),
            sku_name=str(dig(item, "sku", "name") or ""), capacity=int(dig(item, "sku", "capacity") or 0))
        usage_name = _usage_name(catalogue, deployed)
        if usage_name:
            held[(deployed.name.lower(), usage_name.lower())] = deployed.capacity
    return held


def _shortfall(target: Target, usage_name: str, demand: _Demand, usage: Any) -> tuple[str, str] | None:
    indexes = demand.indexes or [0]
    key = _key(indexes[0], "sku.capacity")
    names = ", ".join(target.settings.deployments[i].name for i in indexes)
    if usage is None:
        return key, (f"no quota for {usage_name} in {target.location} (deployments {names} ask for {demand.asked}): "
                     "request quota for it, or choose another SKU or location")
    limit, used = float(dig(usage, "limit") or 0), float(dig(usage, "currentValue") or 0)
    free = limit - used
    if demand.asked - demand.held <= free:
        return None
    most = int(free + demand.held)
    held = f" plus {demand.held} this stack already holds" if demand.held else ""
    return key, (f"quota {usage_name} in {target.location}: deployments {names} ask for {demand.asked} but "
                 f"{free:g} is free (limit {limit:g}, in use {used:g}){held} (pulumi up: InsufficientQuota): lower "
                 f"{'the sum of ' if len(indexes) > 1 else ''}{key if len(indexes) == 1 else 'their sku.capacity'} "
                 f"to at most {most}, or request more quota")


MODELS = Check("models", models, lambda target: ["models"] if target.settings.deployments else [])
QUOTA = Check("quota", quota,
              lambda target: ["models", "usages", "deployments"] if target.settings.deployments else [])
