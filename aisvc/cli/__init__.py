"""The command line: the only layer that knows click."""
from aisvc.cli.main import main

__all__ = ["main"]
