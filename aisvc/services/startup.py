"""Start-up of a short-lived command: no cyclic-GC pauses while the large SDKs import.

Importing the Pulumi SDK and azure-native (plan) or azure-identity (check) makes
hundreds of thousands of objects, and the cyclic garbage collector walks them
again and again while they load, for nothing: module objects live as long as
the process. The frame turns collection off before a command loads; a command
that then waits for minutes (check, preflight, rotate) calls `resume_gc`, which
freezes what was loaded (never scanned again) and turns collection back on.
"""
from __future__ import annotations

import gc

_paused = False


def pause_gc() -> None:
    """Called once by the process entry point (`aisvc`, `python -m aisvc`), never by a library caller."""
    global _paused
    _paused = True
    gc.disable()


def resume_gc() -> None:
    """Objects made so far stay for the process's life: keep them out of every later collection.

    A no-op unless `pause_gc` ran: code that calls a command in its own process keeps its GC as it was.
    """
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
