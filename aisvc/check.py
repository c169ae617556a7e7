"""aisvc check (placeholder until its issue lands)."""
from __future__ import annotations

import click

from aisvc.errors import OperationFailed
from aisvc.options import debug_option


@click.command("check")
@debug_option
def check_command() -> None:
    """Not built yet."""
    raise OperationFailed("aisvc check is not built yet")
