"""aisvc plan: what `pulumi up` would create, offline.

Runs the real program (``__main__.py``) under the Pulumi SDK mock engine with
the config of ``stacks/Pulumi.<stack>.yaml``. No Pulumi CLI, no network, no
Azure account: a fake Azure (``FakeAzure``) answers every registration and
invoke with deterministic ids, so the same stack prints byte-identical output
every run.

Python API (the policy pack evaluates this graph)::

    plan = build_plan("prod", Path("."))
    for resource in plan.resources:          # parents before children, stable order
        resource.type, resource.inputs       # camelCase inputs as the engine sees them
        resource.secret_paths                # e.g. ("properties.value",): shown as "[secret]"
    plan.outputs                             # stack outputs, secret ones as "[secret]"
    plan.to_preview_json()                   # the `pulumi preview --json` shape

Differences from a real preview: names and ids use a simulated subscription
(``FAKE_CLIENT``) and fake key values that never print; provider resources are
not listed.
"""
from __future__ import annotations

import asyncio
import heapq
import json
import os
import re
import runpy
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import click
import yaml

from aisvc.errors import InputError, OperationFailed
from aisvc.options import debug_option, json_option, plain_option
from aisvc.output import Output, register_secret
from policy.rules import MANDATORY, ResourceView, Violation, evaluate

SECRET = "[secret]"
STACK_TYPE = "pulumi:pulumi:Stack"
FAKE_CLIENT = {
    "subscriptionId": "00000000-0000-0000-0000-000000000000",
    "tenantId": "00000000-0000-0000-0000-000000000001",
    "objectId": "00000000-0000-0000-0000-000000000002",  # the deploying principal
    "clientId": "00000000-0000-0000-0000-000000000003",
}
# What the fake listAccountKeys returns. They must never appear in any plan output.
FAKE_KEYS = {"key1": "planfakekey1" + "0" * 20, "key2": "planfakekey2" + "0" * 20}
STACK_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


# --------------------------------------------------------------------------- the plan graph


@dataclass(frozen=True)
class PlannedResource:
    """One resource `pulumi up` would create."""

    urn: str
    type: str  # e.g. azure-native:keyvault:Vault
    name: str  # the logical (Pulumi) name
    parent: str | None  # URN of the parent; None only for the stack
    custom: bool  # False for components and the stack
    inputs: dict[str, Any]  # camelCase, secret values replaced by "[secret]"
    secret_paths: tuple[str, ...] = ()  # dotted paths into inputs that hold secrets
    dependencies: tuple[str, ...] = ()  # URNs this resource waits for (besides its parent)
    additional_secret_outputs: tuple[str, ...] = ()  # outputs the engine must store as secrets

    def input(self, path: str, default: Any = None) -> Any:
        """A nested input by dotted path, e.g. ``properties.networkAcls.defaultAction``."""
        value: Any = self.inputs
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value


@dataclass(frozen=True)
class Plan:
    project: str
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any]  # secret outputs as "[secret]"
    secret_outputs: tuple[str, ...] = ()
    invokes: tuple[str, ...] = ()  # tokens of every provider function the program called, sorted
    stack_file: str = ""

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def by_urn(self, urn: str) -> PlannedResource:
        return next(r for r in self.resources if r.urn == urn)

    def to_preview_json(self) -> dict[str, Any]:
        """The `pulumi preview --json` document: steps, outputs, changeSummary."""
        steps = [
            {
                "op": "create",
                "urn": r.urn,
                "newState": {
                    "urn": r.urn,
                    "custom": r.custom,
                    "type": r.type,
                    "inputs": r.inputs,
                    "parent": r.parent or "",
                    "dependencies": list(r.dependencies),
                },
            }
            for r in self.resources
        ]
        for step, resource in zip(steps, self.resources):
            if resource.additional_secret_outputs:
                step["newState"]["additionalSecretOutputs"] = list(resource.additional_secret_outputs)
        return {"steps": steps, "outputs": self.outputs, "changeSummary": {"create": len(steps)}}


# --------------------------------------------------------------------------- stack file


@dataclass(frozen=True)
class Project:
    directory: Path
    name: str
    main: Path
    stack_config_dir: Path

    def stack_file(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))


def default_project_dir() -> Path:
    """The current directory when it holds a Pulumi project, else this checkout."""
    cwd = Path.cwd()
    return cwd if (cwd / "Pulumi.yaml").exists() else Path(__file__).resolve().parents[1]


def load_project(directory: Path) -> Project:
    project_file = directory / "Pulumi.yaml"
    document = _read_yaml(project_file, "project file")
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise InputError(f"{project_file}: not a Pulumi project file (no name)")
    main = directory / str(document.get("main") or ".")
    return Project(
        directory=directory,
        name=document["name"],
        main=main / "__main__.py" if main.is_dir() else main,
        stack_config_dir=directory / str(document.get("stackConfigDir") or "."),
    )


class _CliYamlLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads it (YAML 1.2 core schema): `yes`/`on` stay strings, so a value
    `pulumi up` would reject is rejected here too, and an unquoted date (a model version such as
    2024-07-18) stays the string the CLI hands the program."""


_CliYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CliYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _read_yaml(path: Path, what: str) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_CliYamlLoader)  # noqa: S506 - a SafeLoader
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read {what} {path}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise InputError(f"{what} {path}{where} is not valid YAML: {getattr(err, 'problem', err)}") from None


def stack_config(project: Project, stack: str) -> tuple[dict[str, str], list[str]]:
    """Config as the Pulumi CLI hands it to a program: ``ns:key`` -> string (objects as JSON)."""
    path = project.stack_file(stack)
    if not path.exists():
        known = ", ".join(project.stacks()) or "none"
        raise InputError(f"stack file not found: {path} (stacks here: {known})")
    document = _read_yaml(path, "stack file") or {}
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise InputError(f"stack file {path}: expected a map with a 'config' map")
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in (document.get("config") or {}).items():
        full_key = str(key) if ":" in str(key) else f"{project.name}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Encrypted values need the stack's secrets provider; the plan does not decrypt.
            config[full_key], secret_keys = SECRET, [*secret_keys, full_key]
        else:
            config[full_key] = config_text(value)
    return config, secret_keys


def config_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None else str(value)


# --------------------------------------------------------------------------- fake Azure


def _stable_guid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "aisvc-plan:" + "|".join(parts)))


class FakeAzure:
    """Deterministic answers for every resource and invoke the program uses."""

    def __init__(self) -> None:
        self.subscription = FAKE_CLIENT["subscriptionId"]

    def call(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        if token == "azure-native:authorization:getClientConfig":
            return dict(FAKE_CLIENT)
        if token == "azure-native:cognitiveservices:listAccountKeys":
            return dict(FAKE_KEYS)
        return {}

    def new_resource(self, type_: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        state = dict(inputs)
        physical = next((inputs[k] for k in _NAME_INPUTS.get(type_, ()) if inputs.get(k)), name)
        state["name"] = physical
        resource_id = self._id(type_, physical, inputs)
        if type_ == "azure-native:cognitiveservices:Account":
            subdomain = (inputs.get("properties") or {}).get("customSubDomainName") or physical
            state["identity"] = {**(inputs.get("identity") or {}), "principalId": _stable_guid(resource_id),
                                 "tenantId": FAKE_CLIENT["tenantId"]}
            state["properties"] = {**(inputs.get("properties") or {}),
                                   "endpoint": f"https://{subdomain}.cognitiveservices.azure.com/"}
        elif type_ == "azure-native:keyvault:Vault":
            state["properties"] = {**(inputs.get("properties") or {}), "vaultUri": f"https://{physical}.vault.azure.net/"}
        return resource_id, state

    def _id(self, type_: str, physical: str, inputs: dict[str, Any]) -> str:
        group = f"/subscriptions/{self.subscription}/resourceGroups/{inputs.get('resourceGroupName', '')}"
        ids = {
            "azure-native:resources:ResourceGroup": lambda: group,
            "azure-native:cognitiveservices:Account": lambda: f"{group}/providers/Microsoft.CognitiveServices/accounts/{physical}",
            "azure-native:cognitiveservices:Deployment": lambda: (
                f"{group}/providers/Microsoft.CognitiveServices/accounts/{inputs.get('accountName')}/deployments/{physical}"),
            "azure-native:keyvault:Vault": lambda: f"{group}/providers/Microsoft.KeyVault/vaults/{physical}",
            "azure-native:keyvault:Secret": lambda: (
                f"{group}/providers/Microsoft.KeyVault/vaults/{inputs.get('vaultName')}/secrets/{physical}"),
            "azure-native:authorization:RoleAssignment": lambda: (
                f"{inputs.get('scope')}/providers/Microsoft.Authorization/roleAssignments/{physical}"),
            "azure-native:authorization:ManagementLockByScope": lambda: (
                f"{inputs.get('scope')}/providers/Microsoft.Authorization/locks/{physical}"),
        }
        return ids.get(type_, lambda: f"{physical}-id")()


_NAME_INPUTS = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName",),
    "azure-native:cognitiveservices:Account": ("accountName",),
    "azure-native:cognitiveservices:Deployment": ("deploymentName",),
    "azure-native:keyvault:Vault": ("vaultName",),
    "azure-native:keyvault:Secret": ("secretName",),
    "azure-native:authorization:RoleAssignment": ("roleAssignmentName",),
    "azure-native:authorization:ManagementLockByScope": ("lockName",),
}


# --------------------------------------------------------------------------- the mock engine run


def _plain_inputs(value: Any, path: str, secret_paths: list[str]) -> Any:
    """Struct-as-dict -> plain JSON, secrets replaced by "[secret]", their paths recorded."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG_KEY) == _SECRET_SIG:
            secret_paths.append(path)
            return SECRET
        return {k: _plain_inputs(value[k], f"{path}.{k}" if path else k, secret_paths) for k in sorted(value)}
    if isinstance(value, list):
        return [_plain_inputs(item, f"{path}[{i}]", secret_paths) for i, item in enumerate(value)]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == _UNKNOWN:
        return "[unknown]"
    return value


def _mark_secret_outputs(response: Any, names: list[str]) -> Any:
    """Do what the real engine does with ``additional_secret_outputs``: return those outputs as secrets."""
    from google.protobuf import json_format, struct_pb2
    from pulumi.runtime.proto import resource_pb2

    if not names:
        return response
    state = json_format.MessageToDict(response.object)
    for name in names:
        if name in state:
            state[name] = {_SECRET_SIG_KEY: _SECRET_SIG, "value": state[name]}
    marked = json_format.ParseDict(state, struct_pb2.Struct())
    return resource_pb2.RegisterResourceResponse(urn=response.urn, id=response.id, object=marked)


def make_recording_monitor(fake: FakeAzure | None = None) -> Any:
    """A MockMonitor over ``fake`` (default: a new FakeAzure) that also records what the program did.

    ``.registrations``: a PlannedResource per registration (inputs as the engine received them),
    ``.invoked``: invoke tokens, ``.mocks``: pass it with the monitor to ``pulumi.runtime.set_mocks``.
    """
    fake = fake or FakeAzure()
    from google.protobuf import json_format
    import pulumi
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.sync_await import _ensure_event_loop

    class Recorder(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            return fake.new_resource(args.typ, args.name, args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
            return fake.call(args.token, args.args), []

    class RecordingMonitor(MockMonitor):
        def __init__(self) -> None:
            super().__init__(Recorder())
            self.lock = threading.Lock()
            self.registrations: list[PlannedResource] = []
            self.invoked: list[str] = []
            self.thread_loops: dict[int, asyncio.AbstractEventLoop] = {}

        def _track_loop(self) -> None:
            # The SDK gives each executor thread its own event loop and never closes it;
            # left to the garbage collector at exit they can print a traceback.
            # Closed after each plan; a reused thread then gets a fresh one.
            if threading.current_thread() is not threading.main_thread():
                loop = _ensure_event_loop()
                if loop.is_closed():
                    loop = asyncio.new_event_loop()
                    asyncio.set_event_loop(loop)
                with self.lock:
                    self.thread_loops[threading.get_ident()] = loop

        def close_thread_loops(self) -> None:
            for loop in self.thread_loops.values():
                if not loop.is_running() and not loop.is_closed():
                    loop.close()

        def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            self._track_loop()
            response = _mark_secret_outputs(super().RegisterResource(request), list(request.additionalSecretOutputs))
            if request.type != STACK_TYPE:
                secret_paths: list[str] = []
                raw = json_format.MessageToDict(request.object, preserving_proto_field_name=True)
                inputs = _plain_inputs(raw, "", secret_paths)
                with self.lock:
                    self.registrations.append(PlannedResource(
                        urn=response.urn, type=request.type, name=request.name, parent=request.parent or None,
                        custom=bool(request.custom), inputs=inputs, secret_paths=tuple(sorted(secret_paths)),
                        dependencies=tuple(sorted(set(request.dependencies))),
                        additional_secret_outputs=tuple(request.additionalSecretOutputs),
                    ))
            return response

        def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            self._track_loop()
            with self.lock:
                self.invoked.append(request.tok)
            return super().Invoke(request)

    return RecordingMonitor()


def build_plan(stack: str = "dev", project_dir: Path | None = None) -> Plan:
    """Run the program for ``stack`` under the mock engine and return what it would create.

    Raises InputError for a missing/invalid stack file or stack config (exit 2).
    """
    stack = stack.rsplit("/", 1)[-1]
    if not STACK_NAME_RE.match(stack):
        raise InputError(f"--stack {stack!r} is not a stack name (letters, digits, '-', '_', '.')")
    project = load_project((project_dir or default_project_dir()).resolve())
    config, secret_keys = stack_config(project, stack)
    for value in FAKE_KEYS.values():
        register_secret(value)  # belt and braces: even a bug cannot print them
    return _run(project, stack, config, secret_keys)


def _run(project: Project, stack: str, config: dict[str, str], secret_keys: list[str]) -> Plan:
    import pulumi
    from pulumi.runtime import settings as runtime_settings

    if not project.main.exists():
        raise InputError(f"program not found: {project.main}")
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type] - a fresh stack per plan
    monitor = make_recording_monitor()
    pulumi.runtime.set_mocks(monitor.mocks, project=project.name, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config, secret_keys)
    collected: dict[str, tuple[Any, bool]] = {}

    @pulumi.runtime.test
    def program() -> Any:
        with _on_path(project.directory), _without_engine_config():
            runpy.run_path(str(project.main), run_name="__main__")
        root = runtime_settings.get_root_resource()
        return pulumi.Output.from_input(_collect_outputs(getattr(root, "outputs", {}), collected))

    try:
        program()
    except pulumi.RunError as err:  # the program's clean stop: invalid stack config (components.settings)
        raise InputError(f"{project.stack_file(stack)}: {err}") from None
    except Exception as err:  # noqa: BLE001 - the program failed; say where without a traceback
        raise OperationFailed(f"the Pulumi program failed under the mock engine: {type(err).__name__}: {err}") from err
    finally:
        monitor.close_thread_loops()
    return Plan(
        project=project.name,
        stack=stack,
        resources=_ordered([_stack_resource(project.name, stack), *monitor.registrations]),
        outputs={name: SECRET if secret else value for name, (value, secret) in collected.items()},
        secret_outputs=tuple(name for name, (_, secret) in collected.items() if secret),
        invokes=tuple(sorted(monitor.invoked)),
        stack_file=str(project.stack_file(stack)),
    )


class _without_engine_config:
    """Only the stack file counts: hide config a surrounding `pulumi` process may have exported."""

    def __enter__(self) -> None:
        self.saved = {name: os.environ.pop(name) for name in ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")
                      if name in os.environ}

    def __exit__(self, *_: Any) -> None:
        os.environ.update(self.saved)


class _on_path:
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


# --------------------------------------------------------------------------- rendering

_SHOWN_INPUTS = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", "location"),
    "azure-native:cognitiveservices:Account": (
        "accountName", "kind", "sku.name", "properties.customSubDomainName", "properties.disableLocalAuth",
        "properties.publicNetworkAccess", "properties.networkAcls.defaultAction"),
    "azure-native:cognitiveservices:Deployment": ("deploymentName", "properties.model.name", "sku.name", "sku.capacity"),
    "azure-native:keyvault:Vault": (
        "vaultName", "properties.enableRbacAuthorization", "properties.enablePurgeProtection",
        "properties.softDeleteRetentionInDays", "properties.publicNetworkAccess", "properties.networkAcls.defaultAction"),
    "azure-native:keyvault:Secret": ("secretName", "properties.value", "tags.CredentialId"),
    "azure-native:authorization:RoleAssignment": ("roleDefinitionId", "principalId"),
    "azure-native:authorization:ManagementLockByScope": ("lockName", "level"),
}


def _summary(resource: PlannedResource) -> str:
    parts = []
    for path in _SHOWN_INPUTS.get(resource.type, ()):
        value = resource.input(path)
        if value is None:
            continue
        if path == "roleDefinitionId":
            value = _role_label(str(value))
        segments = path.split(".")
        label = segments[-2] if segments[-1] == "name" and len(segments) > 1 else segments[-1]
        parts.append(f"{label}={json.dumps(value) if isinstance(value, bool) else value}")
    return "  ".join(parts)


def _role_label(role_definition_id: str) -> str:
    from components.role_assignments import (
        COGNITIVE_SERVICES_OPENAI_USER, COGNITIVE_SERVICES_USER, KEY_VAULT_SECRETS_USER,
    )

    labels = {KEY_VAULT_SECRETS_USER: "Key Vault Secrets User", COGNITIVE_SERVICES_USER: "Cognitive Services User",
              COGNITIVE_SERVICES_OPENAI_USER: "Cognitive Services OpenAI User"}
    guid = role_definition_id.rsplit("/", 1)[-1]
    return f"{labels.get(guid, guid)!r}"


def _children(plan: Plan, parent: str | None) -> Iterator[PlannedResource]:
    return (r for r in plan.resources if r.parent == parent)


def _render_plain(plan: Plan, out: Output) -> None:
    def walk(resource: PlannedResource, depth: int) -> None:
        summary = _summary(resource)
        out.print(f"{'    ' * depth}+ {resource.type}  {resource.name}" + (f"  ({summary})" if summary else ""),
                  markup=False)
        for child in _children(plan, resource.urn):
            walk(child, depth + 1)

    for root in _children(plan, None):
        walk(root, 0)
    out.print("")
    out.print("Outputs:", markup=False)
    width = max((len(name) for name in plan.outputs), default=0)
    for name, value in plan.outputs.items():
        out.print(f"    {name.ljust(width)}  {_output_text(value)}", markup=False)


def _render_rich(plan: Plan, out: Output) -> None:
    from rich.markup import escape
    from rich.table import Table
    from rich.tree import Tree

    def label(resource: PlannedResource) -> str:
        summary = _summary(resource)
        text = f"[green]+[/] [bold]{escape(resource.type)}[/]  {escape(resource.name)}"
        return text + (f"\n  [dim]{escape(summary)}[/]" if summary else "")

    def walk(resource: PlannedResource, branch: Tree) -> None:
        for child in _children(plan, resource.urn):
            walk(child, branch.add(label(child)))

    for root in _children(plan, None):
        tree = Tree(label(root))
        walk(root, tree)
        out.print(tree, soft_wrap=False)
    table = Table(title="Outputs", show_header=True, header_style="bold")
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for name, value in plan.outputs.items():
        table.add_row(name, escape(_output_text(value)))
    out.print(table, soft_wrap=False)


def _output_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def render(plan: Plan, out: Output) -> None:
    out.print(f"Plan for stack {plan.stack} (project {plan.project}): {len(plan.resources)} resources to create",
              markup=False)
    (_render_plain if out.plain else _render_rich)(plan, out)
    out.print("")
    out.print(
        f"Simulated subscription {FAKE_CLIENT['subscriptionId']}: `pulumi up` derives names and ids from yours. "
        "Key values are never shown.",
        markup=False,
    )


def policy_violations(plan: Plan) -> list[Violation]:
    """The policy pack's rules (policy/rules.py) over the planned graph, as `pulumi preview --policy-pack` would."""
    views = [
        ResourceView(type=r.type, urn=r.urn, name=r.name, props=r.inputs, secret_paths=frozenset(r.secret_paths),
                     additional_secret_outputs=r.additional_secret_outputs if r.custom else None)
        for r in plan.resources
    ]
    return evaluate(views, plan.outputs, plan.stack)


def render_violations(violations: list[Violation], out: Output) -> None:
    out.print("")
    if not violations:
        out.print("Policy pack: no violations.", markup=False)
        return
    out.print(f"Policy pack: {len(violations)} violation(s)", markup=False)
    for violation in violations:
        out.print(f"  {violation.line()}  ({violation.urn.rsplit('::', 1)[-1]})", markup=False)


@click.command("plan")
@click.option("--stack", "-s", default="dev", show_default=True, help="Stack name: reads stacks/Pulumi.<NAME>.yaml.")
@click.option(
    "--project-dir", type=click.Path(file_okay=False, path_type=Path), envvar="AISVC_PROJECT_DIR",
    default=None, help="Pulumi project directory (default: the current directory if it has Pulumi.yaml, else this checkout).",
)
@json_option
@plain_option
@debug_option
def plan_command(stack: str, project_dir: Path | None, json_mode: bool, plain: bool | None) -> None:
    """Show what `pulumi up` would create, offline (Pulumi SDK mocks; no CLI, no Azure)."""
    out = Output(json_mode=json_mode, plain=plain)
    if not json_mode:
        out.progress(f"planning stack {stack} with the Pulumi SDK mock engine (offline)")
    plan = build_plan(stack, project_dir)
    violations = policy_violations(plan)
    if json_mode:
        document = plan.to_preview_json()
        document["policyViolations"] = [violation.to_dict() for violation in violations]
        out.emit_json(document)
    else:
        render(plan, out)
        render_violations(violations, out)
    mandatory = [v for v in violations if v.level == MANDATORY]
    if mandatory:
        # The same verdict `pulumi preview --policy-pack policy` would reach: fail the PR early.
        raise OperationFailed(
            f"{len(mandatory)} mandatory policy violation(s), first: {mandatory[0].policy}: {mandatory[0].message}"
        )

