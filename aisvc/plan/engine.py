"""The Pulumi SDK mock engine, recording what a program registers.

``make_recording_monitor()`` is what `aisvc plan` and the program's tests run
the program under: a MockMonitor over ``FakeAzure`` that keeps each
registration as the engine received it (inputs with secrets marked, parent,
dependencies, additional secret outputs, the day-2 options
retainOnDelete / ignoreChanges / deleteBeforeReplace) and does what the real engine does
with ``additional_secret_outputs``.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any

from aisvc.contract import SECRET_PLACEHOLDER
from aisvc.plan.fake_azure import FakeAzure
from aisvc.plan.model import STACK_TYPE, PlannedResource

# How the engine's JSON marks a secret value, and an unknown one.
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _plain_inputs(value: Any, path: str, secret_paths: list[str]) -> Any:
    """Struct-as-dict -> plain JSON, secrets replaced by "[secret]", their paths recorded."""
    if isinstance(value, dict):
        if value.get(_SECRET_SIG_KEY) == _SECRET_SIG:
            secret_paths.append(path)
            return SECRET_PLACEHOLDER
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
    azure = fake or FakeAzure()
    import pulumi
    from google.protobuf import json_format
    from pulumi.runtime.mocks import MockMonitor
    from pulumi.runtime.sync_await import _ensure_event_loop

    class Recorder(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            return azure.new_resource(args.typ, args.name, args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
            return azure.call(args.token, args.args), []

    class RecordingMonitor(MockMonitor):
        def __init__(self) -> None:
            super().__init__(Recorder())
            self.azure = azure  # the FakeAzure answering (tests set what a later `pulumi up` finds)
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
                        retain_on_delete=request.HasField("retainOnDelete") and request.retainOnDelete,
                        ignore_changes=tuple(request.ignoreChanges),
                        delete_before_replace=bool(request.deleteBeforeReplace),
                    ))
            return response

        def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            # A StackReference is a read: its thread needs a live event loop like any registration.
            self._track_loop()
            return super().ReadResource(request)

        def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
            self._track_loop()
            with self.lock:
                self.invoked.append(request.tok)
            return super().Invoke(request)

    return RecordingMonitor()


