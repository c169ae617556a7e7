"""When a rotation fails: one line that says what apps hold, and the commands to finish by hand."""
from __future__ import annotations

import shlex

from aisvc.contract import ACTIVE_KEY_CONFIG, ROTATED_AT_CONFIG, CredentialId
from aisvc.errors import AisvcError
from aisvc.rotate.account_keys import arm_key_name
from aisvc.rotate.parts import RotationResult
from aisvc.services.stack_outputs import StackOutputs

# Steps before the first change: stopping in them leaves the stack as it was.
NOTHING_CHANGED_STEPS = ("inspect", "preview", "confirm")


def _config_command(stack: str, key: CredentialId) -> str:
    return f"pulumi config set --path {shlex.quote(ACTIVE_KEY_CONFIG)} {key} -s {shlex.quote(stack)}"


def _rotated_at_command(stack: str, result: RotationResult) -> list[str]:
    if not result.rotated_at:
        return []
    return [f"pulumi config set --path {shlex.quote(ROTATED_AT_CONFIG)} {result.rotated_at} -s {shlex.quote(stack)}"]


def recovery_commands(stack: str, step: str, result: RotationResult, outputs: StackOutputs | None) -> list[str]:
    """The exact commands that finish the rotation by hand from where `step` failed."""
    target = result.regenerated_key
    if step in NOTHING_CHANGED_STEPS or target is None:
        return []
    quoted = shlex.quote(stack)
    finish = [f"pulumi up -s {quoted}", f"aisvc check --stack {quoted}"]
    if step == "regenerate":
        account = (outputs and outputs.account_name) or "ACCOUNT"
        group = (outputs and outputs.resource_group_name) or "RESOURCE_GROUP"
        regenerate = (
            f"az cognitiveservices account keys regenerate --name {shlex.quote(account)} "
            f"--resource-group {shlex.quote(group)} "
            f"--key-name {arm_key_name(target)}"
        )
        return [regenerate, *_rotated_at_command(stack, result), _config_command(stack, target), *finish]
    if step == "config":
        return [*_rotated_at_command(stack, result), _config_command(stack, target), *finish]
    if step == "up":
        return finish
    return finish[1:]


def failure_message(stack: str, step: str, error: AisvcError, result: RotationResult,
                    outputs: StackOutputs | None) -> str:
    """One line: which step failed, why, what apps hold now, and how to finish."""
    if step in NOTHING_CHANGED_STEPS:
        return str(error)  # refusals: nothing was changed
    return f"rotation failed at step '{step}': {error}. {_apps_and_finish(stack, step, result, outputs)}"


def interruption_message(stack: str, step: str, signal_name: str, result: RotationResult,
                         outputs: StackOutputs | None) -> str:
    """One line for a rotation a signal stopped: the step, what apps hold now, and how to finish."""
    stopped = f"rotation interrupted by {signal_name} in step '{step}'"
    if step in NOTHING_CHANGED_STEPS:
        return f"{stopped}: nothing was changed; rerun `aisvc rotate --stack {shlex.quote(stack)}` to rotate"
    return f"{stopped}. {_apps_and_finish(stack, step, result, outputs)}"


def _apps_and_finish(stack: str, step: str, result: RotationResult, outputs: StackOutputs | None) -> str:
    previous, target = result.previous_active_key, result.regenerated_key
    secret = (outputs and outputs.key_secret_name) or "the app-facing secret"
    holds = {
        "regenerate": f"nothing was changed for apps: {secret} still holds {previous}, which was not touched",
        "config": f"{target} was regenerated; {secret} still holds {previous}, which stays valid",
        "up": f"{secret} holds {previous} or the new {target}; both are valid",
        "check": f"{secret} holds the new {target}; {previous} stays valid until the next rotation",
    }[step]
    commands = "; ".join(f"`{command}`" for command in recovery_commands(stack, step, result, outputs))
    retry = f" (or rerun `aisvc rotate --stack {shlex.quote(stack)}`)" if step == "regenerate" else ""
    return f"Apps are safe: {holds}. Finish by hand: {commands}{retry}"
