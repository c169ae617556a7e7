"""`python -m aisvc`: the same as the `aisvc` command.

With a Python that lacks the dependencies (e.g. the system python3 next to a
checkout), say how to run it instead of showing an import traceback.
"""
from __future__ import annotations

import sys

from aisvc.errors import EXIT_BAD_INPUT, is_own_module, missing_dependency  # standard library only


def run() -> None:
    """The `aisvc` command: the console script and `python -m aisvc` both start here."""
    from aisvc.services.startup import pause_gc

    pause_gc()
    try:
        from aisvc.cli import main
    except ModuleNotFoundError as error:
        if is_own_module(error.name):
            raise  # our own package is broken: that is a bug, not a setup step
        sys.stderr.write(f"error: {missing_dependency(sys.executable, error.name)}\n")
        sys.exit(EXIT_BAD_INPUT)
    main()


if __name__ == "__main__":
    run()
