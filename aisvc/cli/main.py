"""Entry point: `aisvc` / `python -m aisvc`.

Subcommands are imported lazily so that `aisvc plan` does not pay for the Azure
SDK and `aisvc check` does not pay for the Pulumi SDK.

`main` is the one frame every command runs in: exit codes (0, 1, 2; 130 and 143
for SIGINT and SIGTERM), one line on stderr for every error, and on a signal
the partial result the command registered in aisvc/cli/frame.py.
"""
from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any, NoReturn

import click

from aisvc.cli.frame import clear_registration, interruption
from aisvc.cli.options import debug_enabled, debug_option
from aisvc.errors import EXIT_BAD_INPUT, EXIT_FAILED, AisvcError, is_own_module, missing_dependency
from aisvc.services.console import configure_logging, emit_json, error_line, json_emitted, redact
from aisvc.services.interrupts import Interrupted, as_interrupted, signal_frame

# name -> (module, attribute, the line `aisvc --help` shows); a test keeps the line equal to the command's own.
COMMANDS: dict[str, tuple[str, str, str]] = {
    # In the order a stack lives: plan, preflight, (pulumi up), check, rotate.
    "plan": ("aisvc.cli.plan", "plan_command",
             "Show what `pulumi up` would create, offline (Pulumi SDK mocks; no CLI, no Azure)."),
    "preflight": ("aisvc.cli.preflight", "preflight_command",
                  "Find, in seconds and read-only, what would make `pulumi up` fail minutes in."),
    "check": ("aisvc.cli.check", "check_command",
              "Prove the deployment works: key from Key Vault and/or an Entra ID token against the endpoint."),
    "rotate": ("aisvc.cli.rotate", "rotate_command", "Rotate the account keys with zero downtime (two-key pattern)."),
    "schema": ("aisvc.cli.schema", "schema_command", "Print the JSON Schema of a stack file."),
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs: `aisvc check` never loads the Pulumi SDK,
    and `aisvc --help` loads no command at all."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, _summary = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary) for name, (_module, _attribute, summary) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@debug_option
@click.version_option(package_name="ai-services-toolkit", prog_name="aisvc")
def cli() -> None:
    """Plan, check and rotate Azure AI services deployed with Pulumi."""
    configure_logging(debug_enabled())


def main(argv: list[str] | None = None) -> Any:
    """The one frame every command runs in: exit codes, one-line errors, signals."""
    args = sys.argv[1:] if argv is None else list(argv)
    clear_registration()
    with signal_frame():
        try:
            # No arguments: the help a user is after, on stdout, exit 0 (not a usage error).
            return cli.main(args=args or ["--help"], prog_name="aisvc", standalone_mode=False)
        except KeyboardInterrupt as interrupt:
            _exit_interrupted(as_interrupted(interrupt))
        except click.exceptions.Abort as abort:
            # click turns a Ctrl-C at a prompt into Abort; it is still an interruption.
            if isinstance(abort.__context__, KeyboardInterrupt):
                _exit_interrupted(as_interrupted(abort.__context__))
            error_line("aborted")
            sys.exit(EXIT_FAILED)
        except click.exceptions.Exit as exit_:
            sys.exit(exit_.exit_code)
        except click.UsageError as err:
            # One line, as for every other error; click's help is one flag away.
            hint = f" (see '{err.ctx.command_path} --help')" if err.ctx else ""
            error_line(f"{err.format_message()}{hint}")
            sys.exit(EXIT_BAD_INPUT)
        except click.ClickException as err:
            error_line(err.format_message())
            sys.exit(err.exit_code)
        except AisvcError as err:
            if debug_enabled():
                sys.stderr.write(redact(traceback.format_exc()))
            error_line(str(err))
            sys.exit(err.exit_code)
        except ModuleNotFoundError as err:
            # A command loads its SDKs when it runs: a python with click but without them lands here.
            if is_own_module(err.name):
                _exit_unexpected(err)
            error_line(missing_dependency(sys.executable, err.name))
            sys.exit(EXIT_BAD_INPUT)
        except Exception as err:  # noqa: BLE001 - last line of defence: no traceback unless --debug
            _exit_unexpected(err)


def _exit_unexpected(err: BaseException) -> NoReturn:
    if debug_enabled():
        sys.stderr.write(redact(traceback.format_exc()))
    error_line(f"unexpected {type(err).__name__}: {err} (rerun with --debug for details)")
    sys.exit(EXIT_FAILED)


def _exit_interrupted(signal: Interrupted) -> NoReturn:
    """The JSON document (with --json), one line saying what was changed and what was not, 130 or 143."""
    stopped = interruption(signal)
    if stopped.document is not None and not json_emitted():
        emit_json(stopped.document)
    error_line(stopped.message)
    sys.exit(signal.exit_code)
