"""Options every aisvc command shares."""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import click

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


def json_option(func: F) -> F:
    return click.option(
        "--json", "json_mode", is_flag=True,
        help="Print one JSON document on stdout and nothing else there.",
    )(func)


def plain_option(func: F) -> F:
    return click.option(
        "--plain", is_flag=True, default=None,
        help="Plain lines without colour or live progress (default when not a terminal).",
    )(func)


def debug_enabled() -> bool:
    return os.environ.get("AISVC_DEBUG") == "1"
