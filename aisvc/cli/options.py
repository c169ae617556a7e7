"""Options every aisvc command shares."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from aisvc.cli.frame import json_requested
from aisvc.contract import NO_VERIFY_CHALLENGE_ENV, PROJECT_DIR_ENV
from aisvc.services.console import configure_logging

F = Callable[..., Any]


def _set_debug(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        os.environ["AISVC_DEBUG"] = "1"
        # The group set logging up before this subcommand's options were parsed.
        configure_logging(debug=True)
    return value


def debug_option(func: F) -> F:
    """--debug: show tracebacks and HTTP logging (always redacted)."""
    return click.option(
        "--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
        help="Show tracebacks and debug logging (secrets stay redacted).",
    )(func)


def _note_json(_ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    json_requested(value)  # an interruption still prints the one document
    return value


def json_option(func: F) -> F:
    return click.option(
        "--json", "json_mode", is_flag=True, callback=_note_json,
        help="Print one JSON document on stdout and nothing else there.",
    )(func)


def stack_option(*, default: str | None = None, required: bool = False, reads: str = "") -> Callable[[F], F]:
    """-s/--stack NAME: the same option on every command; each command keeps its default or requirement."""
    # No default= at all when there is none: click counts an explicit None as a default (required is met).
    defaults: dict[str, Any] = {} if default is None else {"default": default, "show_default": True}
    return click.option(
        # --stack first: click names the first spelling in errors ("Missing option '--stack' / '-s'").
        "--stack", "-s", "stack", required=required, metavar="NAME", help=f"The Pulumi stack{reads}.", **defaults,
    )


def project_dir_option(func: F) -> F:
    """--project-dir DIR (env AISVC_PROJECT_DIR): the Pulumi project directory, the same on every command."""
    return click.option(
        "--project-dir", type=click.Path(file_okay=False, path_type=Path), envvar=PROJECT_DIR_ENV,
        default=None, metavar="DIR",
        help="The Pulumi project directory, holding Pulumi.yaml [env AISVC_PROJECT_DIR; default: the nearest "
             "directory upward from here with Pulumi.yaml, else this checkout].",
    )(func)


def resolve_project_dir(project_dir: Path | None) -> Path:
    from aisvc.services.project import default_project_dir

    return (project_dir or default_project_dir()).resolve()


def no_verify_challenge_option(func: F) -> F:
    """--no-verify-challenge-resource (env AISVC_NO_VERIFY_CHALLENGE_RESOURCE): for Key Vault emulators only."""
    return click.option(
        "--no-verify-challenge-resource", is_flag=True, envvar=NO_VERIFY_CHALLENGE_ENV,
        help="Skip Key Vault's challenge-resource host check (Key Vault emulators only).",
    )(func)


def plain_option(func: F) -> F:
    return click.option(
        "--plain", is_flag=True, default=None,
        help="Plain lines without colour or live progress (default when not a terminal).",
    )(func)


def debug_enabled() -> bool:
    return os.environ.get("AISVC_DEBUG") == "1"
