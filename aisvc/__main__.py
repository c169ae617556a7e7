"""`python -m aisvc`: the same as the `aisvc` command.

With a Python that lacks the dependencies (e.g. the system python3 next to a
checkout), say how to run it instead of showing an import traceback.
"""
from __future__ import annotations

import sys

EXIT_BAD_INPUT = 2  # aisvc.errors cannot be imported before we know the dependencies are there


def _missing_dependency(error: ModuleNotFoundError) -> str:
    return (f"error: {sys.executable} lacks aisvc's dependencies (no module named {error.name!r}): run "
            "`python3 dev.py aisvc ARGS...` (it creates .venv on first use), or `.venv/bin/aisvc ARGS...` "
            "(or `source .venv/bin/activate`, then `aisvc ARGS...`)\n")


def run() -> None:
    """The `aisvc` command: the console script and `python -m aisvc` both start here."""
    from aisvc.services.startup import pause_gc

    pause_gc()
    try:
        from aisvc.cli import main
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] == "aisvc":
            raise  # our own package is broken: that is a bug, not a setup step
        sys.stderr.write(_missing_dependency(error))
        sys.exit(EXIT_BAD_INPUT)
    main()


if __name__ == "__main__":
    run()
