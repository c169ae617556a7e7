"""The boundary between rotation and Pulumi.

`StackDriver` is all rotation needs from a stack: its outputs, one config value,
whether a preview shows pending changes, and `up`. `PulumiStackDriver` is the
real one, on the Automation API with the project in `work_dir` (a
LocalWorkspace, so the Pulumi CLI reads `Pulumi.yaml` and its
`stackConfigDir: stacks` itself). Tests drive it with a fake `pulumi`
executable (tests/support/fakes/pulumi_cli.py) passed as `pulumi_command`.

The CLI runs as a supervised child (aisvc/services/pulumi_command.py): when a
signal interrupts a step, the running `pulumi` gets it too and is waited for.

Nothing here prints: progress lines from the CLI go to `on_output` when given.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from aisvc.errors import InputError, OperationFailed
from aisvc.services.console import redact
from aisvc.services.stack_outputs import StackOutputs, parse_outputs

# Operations a preview reports that do not change anything.
_NO_CHANGE_OPS = frozenset({"same", "read"})


class StackDriver(Protocol):
    stack_name: str

    def outputs(self) -> StackOutputs: ...

    def get_config(self, key: str, *, path: bool = False) -> str | None: ...

    def set_config(self, key: str, value: str, *, path: bool = False) -> None: ...

    def pending_changes(self) -> dict[str, int]:
        """Counts by operation (`update`, `create`, ...) a preview would apply; empty if none."""
        ...

    def up(self) -> StackOutputs:
        """Apply the program; returns the new stack outputs."""
        ...


def changes_from_summary(change_summary: Mapping[Any, int] | None) -> dict[str, int]:
    """The operations in a preview's change summary that would change something."""
    return {getattr(op, "value", op): count for op, count in (change_summary or {}).items() if count and op not in _NO_CHANGE_OPS}


def _unlabelled(line: str) -> str:
    for label in ("stdout: ", "stderr: "):
        line = line.removeprefix(label)
    return line


def _command_error(action: str, err: Exception) -> OperationFailed:
    """One line from a CommandError: the last meaningful stderr/stdout line, redacted."""
    # CommandError text is "code: N / stdout: ... / stderr: ..." (a label before each stream's
    # first line); the error is usually last.
    lines = [_unlabelled(line.strip()) for line in redact(str(err)).splitlines() if line.strip()]
    detail = next((line for line in reversed(lines) if line.startswith("error:")), lines[-1] if lines else "")
    return OperationFailed(f"pulumi {action} failed: {detail.removeprefix('error: ')}")


class PulumiStackDriver:
    """`StackDriver` on the Pulumi Automation API (needs the Pulumi CLI on PATH, or `pulumi_command`)."""

    def __init__(
        self,
        stack_name: str,
        work_dir: str | Path,
        *,
        pulumi_command: Any | None = None,
        env_vars: Mapping[str, str] | None = None,
        on_output: Callable[[str], None] | None = None,
    ) -> None:
        # Imported here so `aisvc check` never pays for the Pulumi SDK.
        from pulumi import automation as auto

        from aisvc.services.pulumi_command import SupervisedPulumiCommand

        self._auto = auto
        self.stack_name = stack_name
        self.work_dir = Path(work_dir)
        self._on_output = on_output
        if not (self.work_dir / "Pulumi.yaml").is_file():
            raise InputError(f"no Pulumi.yaml in {self.work_dir}: run aisvc rotate from the project directory")
        # The rotation's preview and up hold the same promises as a deploy: the project's policy pack.
        pack = self.work_dir / "policy"
        self._policy_packs = [str(pack)] if (pack / "PulumiPolicy.yaml").is_file() else None
        try:
            # The CLI runs supervised: an interrupted rotation signals a running `pulumi up` and waits for it.
            command = SupervisedPulumiCommand(pulumi_command)
            options = auto.LocalWorkspaceOptions(pulumi_command=command, env_vars=dict(env_vars or {}))
            self._stack = auto.select_stack(stack_name=stack_name, work_dir=str(self.work_dir), opts=options)
        except auto.StackNotFoundError:
            raise InputError(f"stack {stack_name!r} not found (pulumi stack ls lists the stacks)") from None
        except auto.CommandError as err:
            raise _command_error("stack select", err) from None
        except FileNotFoundError:
            raise InputError("the pulumi CLI is not installed or not on PATH") from None

    def outputs(self) -> StackOutputs:
        try:
            raw = self._stack.outputs()
        except self._auto.CommandError as err:
            raise _command_error("stack output", err) from None
        return self._parsed(raw, f"stack {self.stack_name} outputs")

    def get_config(self, key: str, *, path: bool = False) -> str | None:
        try:
            value = self._stack.get_config(key, path=path)
        except self._auto.CommandError as err:
            if "not found" in str(err).lower():
                return None
            raise _command_error("config get", err) from None
        return value.value

    def set_config(self, key: str, value: str, *, path: bool = False) -> None:
        # `pulumi config set` writes stacks/Pulumi.<stack>.yaml itself (stackConfigDir);
        # LocalWorkspace.stack_settings() would look in work_dir and miss it.
        try:
            self._stack.set_config(key, self._auto.ConfigValue(value=value, secret=False), path=path)
        except self._auto.CommandError as err:
            raise _command_error("config set", err) from None

    def pending_changes(self) -> dict[str, int]:
        try:
            result = self._stack.preview(on_output=self._on_output, color="never", policy_packs=self._policy_packs)
        except self._auto.CommandError as err:
            raise _command_error("preview", err) from None
        return changes_from_summary(result.change_summary)

    def up(self) -> StackOutputs:
        try:
            result = self._stack.up(on_output=self._on_output, color="never", policy_packs=self._policy_packs)
        except self._auto.CommandError as err:
            raise _command_error("up", err) from None
        return self._parsed(result.outputs, f"stack {self.stack_name} outputs after pulumi up")

    def _parsed(self, outputs: Mapping[str, Any], source: str) -> StackOutputs:
        """The one StackOutputs model every command reads; a stack never deployed says so."""
        if not outputs:
            raise InputError(f"stack {self.stack_name} has no outputs: run `pulumi up -s {self.stack_name}` first")
        return parse_outputs({name: output.value for name, output in outputs.items()}, source)
