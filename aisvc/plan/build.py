"""Run the project's program for one stack under the mock engine: the `Plan`.

Differences from a real preview: names and ids use a simulated subscription
(``FAKE_CLIENT``) unless one is given, and fake key values that never print; provider resources are
not listed.
"""
from __future__ import annotations

import heapq
import os
import runpy
import sys
from pathlib import Path
from typing import Any

from aisvc.contract import GUID_RE, SECRET_PLACEHOLDER
from aisvc.errors import InputError, OperationFailed
from aisvc.plan.engine import make_recording_monitor
from aisvc.plan.fake_azure import FAKE_KEYS, FakeAzure, existing_vault_subscription
from aisvc.plan.model import STACK_TYPE, Plan, PlannedResource
from aisvc.services.console import register_secret
from aisvc.services.project import Project, default_project_dir, load_project, stack_config, stack_name


def build_plan(stack: str = "dev", project_dir: Path | None = None, subscription: str | None = None) -> Plan:
    """Run the program for ``stack`` under the mock engine and return what it would create.

    ``subscription``: derive names and ids for it, as `pulumi up` will (default: a simulated one).
    Raises InputError for a missing/invalid stack file or stack config (exit 2).
    """
    _check_subscription(subscription)
    stack = stack_name(stack)
    project = plan_project(project_dir)
    config, secret_keys = stack_config(project, stack)
    return build_plan_from_config(project, stack, config, secret_keys, subscription)


def plan_project(project_dir: Path | None = None) -> Project:
    """The Pulumi project a plan runs: ``project_dir``, else the default (aisvc.services.project)."""
    return load_project((project_dir or default_project_dir()).resolve())


def build_plan_from_config(
    project: Project, stack: str, config: dict[str, str], secret_keys: list[str], subscription: str | None = None,
    source: str | None = None,
) -> Plan:
    """Run the program of ``project`` for ``stack`` with this config instead of its stack file (e.g. an earlier version).

    ``source`` names where the config came from in errors (default: the stack file).
    """
    _check_subscription(subscription)
    for value in FAKE_KEYS.values():
        register_secret(value)  # belt and braces: even a bug cannot print them
    # Without --subscription, a stack on an existing vault is simulated in the vault's subscription
    # (the only one it can deploy to).
    simulated = subscription.lower() if subscription else existing_vault_subscription(config)
    return _run(project, stack, config, secret_keys, FakeAzure(simulated), source or str(project.stack_file(stack)))


def _check_subscription(subscription: str | None) -> None:
    if subscription is not None and not GUID_RE.match(subscription):
        raise InputError(f"--subscription {subscription!r} is not a subscription id (a GUID)")


def _run(project: Project, stack: str, config: dict[str, str], secret_keys: list[str], fake: FakeAzure,
         source: str) -> Plan:
    import pulumi
    from pulumi.runtime import settings as runtime_settings

    if not project.main.exists():
        raise InputError(f"program not found: {project.main}")
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack per plan
    monitor = make_recording_monitor(fake)
    pulumi.runtime.set_mocks(monitor.mocks, project=project.name, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config, secret_keys)
    collected: dict[str, tuple[Any, bool]] = {}

    @pulumi.runtime.test
    def program() -> Any:
        with _OnPath(project.directory), _WithoutEngineConfig():
            runpy.run_path(str(project.main), run_name="__main__")
        root = runtime_settings.get_root_resource()
        return pulumi.Output.from_input(_collect_outputs(getattr(root, "outputs", {}), collected))

    try:
        program()
    except pulumi.RunError as err:  # the program's clean stop: invalid stack config (aisvc.config.settings)
        raise InputError(f"{source}: {err}") from None
    except Exception as err:  # noqa: BLE001 - the program failed; say where without a traceback
        raise OperationFailed(f"the Pulumi program failed under the mock engine: {type(err).__name__}: {err}") from err
    finally:
        monitor.close_thread_loops()
    return Plan(
        project=project.name,
        stack=stack,
        resources=_ordered([_stack_resource(project.name, stack), *monitor.registrations]),
        outputs={name: SECRET_PLACEHOLDER if secret else value for name, (value, secret) in collected.items()},
        secret_outputs=tuple(name for name, (_, secret) in collected.items() if secret),
        invokes=tuple(sorted(monitor.invoked)),
        stack_file=str(project.stack_file(stack)),
        notes=_notes(config),
    )


def _notes(config: dict[str, str]) -> tuple[str, ...]:
    from aisvc.config.settings import from_config

    if from_config(config).public_access_turned_off_by_private_endpoints:
        return ("publicNetworkAccess is Disabled because privateEndpoints is set: only callers inside the network "
                "reach the account and the vault (set publicNetworkAccess to keep the public endpoint).",)
    return ()


class _WithoutEngineConfig:
    """Only the stack file counts: hide config a surrounding `pulumi` process may have exported."""

    def __enter__(self) -> None:
        self.saved = {name: os.environ.pop(name) for name in ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")
                      if name in os.environ}

    def __exit__(self, *_: Any) -> None:
        os.environ.update(self.saved)


class _OnPath:
    """Import the project's own ``components`` while its program runs."""

    def __init__(self, directory: Path) -> None:
        self.directory = str(directory)

    def __enter__(self) -> None:
        sys.path.insert(0, self.directory)

    def __exit__(self, *_: Any) -> None:
        if self.directory in sys.path:
            sys.path.remove(self.directory)


async def _collect_outputs(outputs: dict[str, Any], into: dict[str, tuple[Any, bool]]) -> None:
    import pulumi

    for name, value in outputs.items():
        output = pulumi.Output.from_input(value)
        into[name] = (await output.future(), await output.is_secret())


def _stack_resource(project: str, stack: str) -> PlannedResource:
    urn = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"
    return PlannedResource(urn=urn, type=STACK_TYPE, name=f"{project}-{stack}", parent=None, custom=False, inputs={})


def _ordered(resources: list[PlannedResource]) -> list[PlannedResource]:
    """Parents and dependencies first; ties by URN. Stable whatever order the engine's threads ran in."""
    by_urn = {r.urn: r for r in resources}
    waits = {r.urn: {u for u in (r.parent, *r.dependencies) if u in by_urn} for r in resources}
    ready = [urn for urn, needs in waits.items() if not needs]
    heapq.heapify(ready)
    done: list[PlannedResource] = []
    while ready:
        urn = heapq.heappop(ready)
        done.append(by_urn[urn])
        for other, needs in waits.items():
            if urn in needs:
                needs.discard(urn)
                if not needs:
                    heapq.heappush(ready, other)
    return done


