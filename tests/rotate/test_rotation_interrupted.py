"""A signal in the middle of a rotation (contract section "Signals"): the run stops in the step it
was in, records it, leaves the app-facing secret on a valid key and says how to finish; the
interruption itself goes on to the CLI frame (exit 130/143)."""
from __future__ import annotations

import signal
from typing import Any

import pytest

from aisvc.services.interrupts import Interrupted
from tests.rotate.test_rotation import World


@pytest.fixture
def world() -> World:
    return World()


def interrupt(signum: int = signal.SIGTERM) -> Any:
    def raiser(*_args: Any, **_kwargs: Any) -> Any:
        raise Interrupted(signum)

    return raiser


def inject(world: World, step: str) -> None:
    """Make `step` be interrupted while it runs."""
    if step == "inspect":
        world.driver.outputs = interrupt()  # type: ignore[method-assign]
    elif step == "preview":
        world.driver.pending_changes = interrupt()  # type: ignore[method-assign]
    elif step == "regenerate":
        world.account.regenerate = interrupt()  # type: ignore[method-assign]
    elif step == "config":
        world.driver.set_config = interrupt()  # type: ignore[method-assign]
    elif step == "up":
        world.driver.up = interrupt()  # type: ignore[method-assign]
    else:
        world.run_check = interrupt()  # type: ignore[method-assign]


FINISH = {
    "inspect": [], "preview": [],
    "regenerate": ["az cognitiveservices account keys regenerate", "pulumi config set", "pulumi up -s dev",
                   "aisvc check --stack dev"],
    # The config step writes rotatedAt first, then activeKey: both are in the commands that finish it.
    "config": ["pulumi config set --path ai-services:secrets.rotatedAt", "pulumi config set --path "
               "ai-services:secrets.activeKey", "pulumi up -s dev", "aisvc check --stack dev"],
    "up": ["pulumi up -s dev", "aisvc check --stack dev"],
    "check": ["aisvc check --stack dev"],
}


@pytest.mark.parametrize("step", list(FINISH))
def test_interrupted_step_is_recorded_with_recovery(world: World, step: str) -> None:
    inject(world, step)
    rotation = world.rotation()

    with pytest.raises(Interrupted):
        rotation.run()

    result = rotation.result
    assert result.exit_code == 143 and not result.ok
    assert result.error == "interrupted" and result.to_json()["error"] == "interrupted"
    assert result.steps[-1].name == step and not result.steps[-1].ok and result.steps[-1].error == "interrupted"
    assert len(result.recovery) == len(FINISH[step])
    assert all(command.startswith(prefix) for command, prefix in zip(result.recovery, FINISH[step], strict=True))
    assert rotation.interruption is not None
    assert rotation.interruption.startswith(f"rotation interrupted by SIGTERM in step '{step}'")
    if FINISH[step]:
        assert "Apps are safe:" in rotation.interruption and f"`{result.recovery[-1]}`" in rotation.interruption
    else:
        assert "nothing was changed" in rotation.interruption
    assert world.account.valid(world.app_secret())  # apps keep a working key whatever the step


def test_ctrl_c_at_the_prompt_changes_nothing(world: World) -> None:
    keys = dict(world.account.keys)
    rotation = world.rotation(confirm=interrupt(signal.SIGINT))

    with pytest.raises(Interrupted):
        rotation.run()

    assert rotation.result.exit_code == 130
    assert [step.name for step in rotation.result.steps] == ["inspect", "preview", "confirm"]
    assert rotation.result.recovery == [] and world.account.regenerated == []
    assert world.account.keys == keys
    assert rotation.interruption == ("rotation interrupted by SIGINT in step 'confirm': nothing was changed; "
                                     "rerun `aisvc rotate --stack dev` to rotate")


def test_plain_keyboard_interrupt_counts_as_sigint(world: World) -> None:
    def ctrl_c() -> Any:
        raise KeyboardInterrupt

    world.driver.up = ctrl_c  # type: ignore[method-assign]
    rotation = world.rotation()
    with pytest.raises(KeyboardInterrupt):
        rotation.run()
    assert rotation.result.exit_code == 130
    assert rotation.interruption is not None and "by SIGINT in step 'up'" in rotation.interruption
