"""The Pulumi CLI as the Automation API runs it, but supervised: a signal reaches it and it is waited for.

`PulumiCommand.run` (pulumi.automation) starts the CLI with `subprocess.Popen`
and offers no way to reach that process, so an interrupted `aisvc rotate` would
leave `pulumi up` running on its own. `SupervisedPulumiCommand` is the same
command (the SDK's extension point, `LocalWorkspaceOptions(pulumi_command=...)`)
whose `run` does what the SDK's does, inside `interrupts.supervised`.
"""
from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

from pulumi.automation import PulumiCommand
from pulumi.automation._cmd import CommandResult
from pulumi.automation.errors import create_command_error

from aisvc.services.interrupts import CHILD_PROCESS_GROUP, supervised

OnOutput = Callable[[str], Any]
# Output a dead child left in the pipes is read within this; a grandchild holding them open is not waited for.
READER_GRACE_SECONDS = 5.0


class SupervisedPulumiCommand(PulumiCommand):
    """A `PulumiCommand` whose child gets this process's SIGINT/SIGTERM and is waited for."""

    def __init__(self, base: PulumiCommand | None = None) -> None:
        # Not super().__init__(): `base` has already found the CLI and checked its version.
        base = base or PulumiCommand()
        self.command, self.version = base.command, base.version

    def run(self, args: list[str], cwd: str, additional_env: Mapping[str, str],
            on_output: OnOutput | None = None, on_error: OnOutput | None = None) -> CommandResult:
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):  # the SDK's _fixup_path: plugins next to the binary come first
            env["PATH"] = os.pathsep.join([os.path.dirname(self.command), env.get("PATH", "")])
        separator = args.index("--") if "--" in args else len(args)
        flags = [] if "--non-interactive" in args[:separator] else ["--non-interactive"]
        with subprocess.Popen([self.command, *flags, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, cwd=cwd, env=env, encoding="utf-8",
                              process_group=CHILD_PROCESS_GROUP) as process:
            assert process.stdout is not None and process.stderr is not None
            (stdout, stdout_lines), (stderr, stderr_lines) = _drain(process.stdout, on_output), _drain(
                process.stderr, on_error)
            try:
                with supervised(process):
                    code = process.wait()
                    stdout.join()
                    stderr.join()
            except BaseException:  # the child is gone: let the readers finish before the pipes close
                stdout.join(timeout=READER_GRACE_SECONDS)
                stderr.join(timeout=READER_GRACE_SECONDS)
                raise
        result = CommandResult(stdout="\n".join(stdout_lines), stderr="\n".join(stderr_lines), code=code)
        if code != 0:
            raise create_command_error(result)
        return result


def _drain(stream: IO[str], callback: OnOutput | None) -> tuple[threading.Thread, list[str]]:
    """Read a stream line by line on a daemon thread (the SDK's consumer), collecting the lines."""
    lines: list[str] = []

    def consume() -> None:
        try:
            for line in iter(stream.readline, ""):
                stripped = line.rstrip()
                if callback:
                    callback(stripped)
                lines.append(stripped)
        except (OSError, ValueError):  # the pipe was closed under us after an interruption
            return

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    return thread, lines
