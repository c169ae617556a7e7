"""Terminal output shared by every command.

- Human results are rich when stdout is a terminal and plain lines otherwise
  (files, pipes, CI logs, ``--plain``, ``NO_COLOR``, ``AISVC_PLAIN``), so
  ``aisvc plan > plan.txt`` holds plain text. Progress always goes to stderr and
  follows stderr's own terminal-ness (a live status line, or one line per event).
- ``--json`` prints exactly one JSON document on stdout and nothing else there.
- Every line passes through ``redact`` so a registered secret (a key, a token)
  can never be printed, whatever code path produced the text.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
from typing import Any

from rich.console import Console

_secrets: set[str] = set()
_lock = threading.Lock()
_json_emitted = threading.Event()
REDACTED = "[redacted]"


def register_secret(value: str | None) -> None:
    """Remember a secret value so that no output path can print it."""
    if value and len(value) >= 4:
        # Also the escaped form a repr() / %r shows, e.g. requests' "Invalid ... header value: 'key\\n'".
        escaped = repr(value)[1:-1]
        with _lock:
            _secrets.update((value, escaped))


def redact(text: str) -> str:
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, traceback (exc_info) and stack included: no secret reaches a log line."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(debug: bool) -> None:
    """One redacting stderr handler; azure-core's per-request INFO lines only with --debug."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.getLogger("azure").setLevel(logging.DEBUG if debug else logging.ERROR)


def plain_requested() -> bool:
    """NO_COLOR (https://no-color.org) or AISVC_PLAIN set to anything but empty."""
    return bool(os.environ.get("NO_COLOR") or os.environ.get("AISVC_PLAIN"))


def is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def plain_style(plain: bool | None, stream: Any) -> bool:
    """Plain lines for `stream`? `--plain` (True) and `plain=False` decide; else the environment and the stream."""
    if plain is not None:
        return plain
    return plain_requested() or not is_terminal(stream)


def _console(stream: Any, plain: bool) -> Console:
    return Console(file=stream, no_color=plain, highlight=False, soft_wrap=True,
                   force_terminal=False if plain else None)


class Output:
    """What a command prints. One per command invocation.

    `plain` is the style of the results (stdout; stderr under --json, which owns stdout);
    `progress_plain` the style of the progress on stderr.
    """

    def __init__(self, json_mode: bool = False, plain: bool | None = None) -> None:
        self.json_mode = json_mode
        results = sys.stderr if json_mode else sys.stdout
        self.plain = plain_style(plain, results)
        self.progress_plain = plain_style(plain, sys.stderr)
        self.out = _console(results, self.plain)
        self.err = _console(sys.stderr, self.progress_plain)

    def print(self, text: Any = "", **kwargs: Any) -> None:
        if isinstance(text, str):
            text = redact(text)
        self.out.print(text, **kwargs)

    def progress(self, text: str) -> None:
        self.err.print(redact(text), markup=False)

    def warn(self, text: str) -> None:
        self.err.print(f"warning: {redact(text)}", markup=False)

    def emit_json(self, document: Any) -> None:
        emit_json(document)


def emit_json(document: Any) -> None:
    """The one JSON document of `--json`, on stdout, redacted."""
    _json_emitted.set()
    sys.stdout.write(redact(json.dumps(document, indent=2, sort_keys=False)) + "\n")
    sys.stdout.flush()


def json_emitted() -> bool:
    """Whether this process has printed its JSON document (a signal after that must not print a second)."""
    return _json_emitted.is_set()


def error_line(message: str) -> None:
    """The single stderr line every failed command ends with."""
    text = " ".join(redact(str(message)).split())
    sys.stderr.write(f"error: {text}\n")
    sys.stderr.flush()
