"""aisvc rotate (placeholder until its issue lands)."""
from __future__ import annotations

import click

from aisvc.errors import OperationFailed
from aisvc.options import debug_option


@click.command("rotate")
@debug_option
def rotate_command() -> None:
    """Not built yet."""
    raise OperationFailed("aisvc rotate is not built yet")
