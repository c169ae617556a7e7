"""Existing stacks must see no replacement: the graph, keyed by the URNs the engine resolves, stays as recorded."""
from __future__ import annotations

import os
from typing import Any

import pulumi
import pytest

from tests.components.graph_snapshot import SCENARIOS, record, recorded, snapshot
from tests.support.mock_engine import Engine

NEW_COMPONENT_KEY = "ai-services:index:AiServices::unit"


def registered_graph(engine: Engine, config: dict[str, Any]) -> list[dict[str, Any]]:
    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        engine.run_program(config)
        return pulumi.Output.from_input(None)

    program()
    return snapshot(engine.resources)


@pytest.mark.skipif(not os.environ.get("AISVC_RECORD_GRAPHS"), reason="records the graphs; set AISVC_RECORD_GRAPHS=1")
def test_record_graphs(engine: Engine) -> None:
    graphs = {}
    for name, config in SCENARIOS.items():
        engine.monitor.registrations.clear()
        graphs[name] = registered_graph(engine, config)
    record(graphs)


def with_alias_recording(engine: Engine) -> set[str]:
    """URNs of registrations that carry ``Alias(parent=ROOT_STACK_RESOURCE)`` (an alias spec with noParent)."""
    no_parent: set[str] = set()
    register = engine.monitor.RegisterResource

    def recording(request: Any) -> Any:
        response = register(request)
        if any(alias.spec.noParent for alias in request.aliases if alias.HasField("spec")):
            no_parent.add(response.urn)
        return response

    engine.monitor.RegisterResource = recording
    return no_parent


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_resource_keeps_its_urn_inputs_and_dependencies(engine: Engine, scenario: str) -> None:
    no_parent = with_alias_recording(engine)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        engine.run_program(SCENARIOS[scenario])
        return pulumi.Output.from_input(None)

    program()
    # Resources new in this graph (the AiServices component itself) have no recorded counterpart.
    now = [entry for entry in snapshot(engine.resources, no_parent) if entry["key"] != NEW_COMPONENT_KEY]
    assert now == recorded()[scenario]
