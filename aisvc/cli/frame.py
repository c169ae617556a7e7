"""What a command says when SIGINT or SIGTERM stops it (contract section "Signals").

The frame (aisvc/cli/main.py) turns the signal into an exit code; each command
registers here, once it knows, how to say what was changed and what was not,
and how to render its partial result. With `--json` the one document is still
printed, with `"ok": false` and `"error": "interrupted"`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aisvc.services.interrupts import Interrupted

INTERRUPTED = "interrupted"

Message = Callable[[Interrupted], str]
Document = Callable[[], dict[str, Any]]


@dataclass
class _Registration:
    json_mode: bool = False
    message: Message | None = None
    document: Document | None = None


_current = _Registration()


def clear_registration() -> None:
    """Forget the previous command's registration (main() may run more than once in a process)."""
    global _current
    _current = _Registration()


def json_requested(value: bool) -> None:
    _current.json_mode = value


def on_interrupt(message: Message, document: Document | None = None) -> None:
    """Register the running command's line (what was changed and what was not) and its partial document."""
    _current.message, _current.document = message, document


@dataclass(frozen=True)
class Interruption:
    message: str  # the one stderr line, without "error: "
    document: dict[str, Any] | None  # the --json document; None without --json


def interruption(signal: Interrupted) -> Interruption:
    """What to print for `signal`; a failing renderer falls back to the bare facts rather than hide the exit."""
    message = f"interrupted by {signal.signal_name}"
    try:
        if _current.message is not None:
            message = _current.message(signal)
    except Exception:  # noqa: BLE001, S110 - the exit code and the JSON document matter more than detail
        pass
    return Interruption(message, _document() if _current.json_mode else None)


def _document() -> dict[str, Any]:
    document: dict[str, Any] = {}
    try:
        if _current.document is not None:
            document = dict(_current.document())
    except Exception:  # noqa: BLE001, S110 - still print the marker document
        document = {}
    document["ok"] = False
    document["error"] = INTERRUPTED
    return document
