"""Terminal output shared by every command.

- Human output is rich on a terminal and plain lines otherwise (CI logs, pipes,
  ``--plain``, ``NO_COLOR``); progress always goes to stderr.
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


def _plain_wanted() -> bool:
    return bool(os.environ.get("NO_COLOR") or os.environ.get("AISVC_PLAIN")) or not sys.stderr.isatty()


class Output:
    """What a command prints. One per command invocation."""

    def __init__(self, json_mode: bool = False, plain: bool | None = None) -> None:
        self.json_mode = json_mode
        self.plain = _plain_wanted() if plain is None else plain
        # Human results: stdout, unless --json owns stdout.
        self.out = Console(
            file=sys.stderr if json_mode else sys.stdout,
            no_color=self.plain,
            highlight=False,
            soft_wrap=True,
            force_terminal=False if self.plain else None,
        )
        # Progress and warnings: always stderr.
        self.err = Console(
            file=sys.stderr, no_color=self.plain, highlight=False, soft_wrap=True,
            force_terminal=False if self.plain else None,
        )

    def print(self, text: Any = "", **kwargs: Any) -> None:
        if isinstance(text, str):
            text = redact(text)
        self.out.print(text, **kwargs)

    def progress(self, text: str) -> None:
        self.err.print(redact(text), markup=False)

    def warn(self, text: str) -> None:
        self.err.print(f"warning: {redact(text)}", markup=False)

    def emit_json(self, document: Any) -> None:
        sys.stdout.write(redact(json.dumps(document, indent=2, sort_keys=False)) + "\n")
        sys.stdout.flush()


def error_line(message: str) -> None:
    """The single stderr line every failed command ends with."""
    text = " ".join(redact(str(message)).split())
    sys.stderr.write(f"error: {text}\n")
    sys.stderr.flush()
