"""Entry point: `aisvc` / `python -m aisvc`.

Subcommands are imported lazily so that `aisvc plan` does not pay for the Azure
SDK and `aisvc check` does not pay for the Pulumi SDK.
"""
from __future__ import annotations

import importlib
import sys
import traceback
from typing import Any

import click

from aisvc.cli.options import debug_enabled, debug_option
from aisvc.errors import EXIT_BAD_INPUT, EXIT_FAILED, AisvcError
from aisvc.services.console import configure_logging, error_line, redact

# name -> (module, attribute)
COMMANDS: dict[str, tuple[str, str]] = {
    # In the order a stack lives: plan, preflight, (pulumi up), check, rotate.
    "plan": ("aisvc.cli.plan", "plan_command"),
    "preflight": ("aisvc.cli.preflight", "preflight_command"),
    "check": ("aisvc.cli.check", "check_command"),
    "rotate": ("aisvc.cli.rotate", "rotate_command"),
    "schema": ("aisvc.cli.schema", "schema_command"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@debug_option
@click.version_option(package_name="ai-services-toolkit", prog_name="aisvc")
def cli() -> None:
    """Plan, check and rotate Azure AI services deployed with Pulumi."""
    configure_logging(debug_enabled())


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="aisvc", standalone_mode=False)
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
    except click.exceptions.Abort:
        error_line("aborted")
        sys.exit(EXIT_FAILED)
    except AisvcError as err:
        if debug_enabled():
            sys.stderr.write(redact(traceback.format_exc()))
        error_line(str(err))
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        error_line("interrupted")
        sys.exit(130)
    except Exception as err:  # noqa: BLE001 - last line of defence: no traceback unless --debug
        if debug_enabled():
            sys.stderr.write(redact(traceback.format_exc()))
        error_line(f"unexpected {type(err).__name__}: {err} (rerun with --debug for details)")
        sys.exit(EXIT_FAILED)
