"""aisvc plan (placeholder until its issue lands)."""
from __future__ import annotations

import click

from aisvc.errors import OperationFailed
from aisvc.options import debug_option


@click.command("plan")
@debug_option
def plan_command() -> None:
    """Not built yet."""
    raise OperationFailed("aisvc plan is not built yet")
