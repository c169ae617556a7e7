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
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    # rich is imported here, not at start-up: plain lines (CI, pipes, --json) never need it.
    from rich.console import Console

    return Console(file=stream, no_color=plain, highlight=False, soft_wrap=True,
                   force_terminal=False if plain else None)


def _write_line(stream: Any, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()


class Output:
    """What a command prints. One per command invocation.

    `plain` is the style of the results (stdout; stderr under --json, which owns stdout);
    `progress_plain` the style of the progress on stderr.
    """

    def __init__(self, json_mode: bool = False, plain: bool | None = None) -> None:
        self.json_mode = json_mode
        self._results = sys.stderr if json_mode else sys.stdout
        self.plain = plain_style(plain, self._results)
        self.progress_plain = plain_style(plain, sys.stderr)
        self._out: Console | None = None
        self._err: Console | None = None

    @property
    def out(self) -> Console:
        """The rich console of the results, made on first use."""
        if self._out is None:
            self._out = _console(self._results, self.plain)
        return self._out

    @property
    def err(self) -> Console:
        """The rich console of the progress (stderr), made on first use."""
        if self._err is None:
            self._err = _console(sys.stderr, self.progress_plain)
        return self._err

    def print(self, text: Any = "", **kwargs: Any) -> None:
        if isinstance(text, str):
            text = redact(text)
            markup_free = not kwargs.get("markup", True) or "[" not in text
            if self.plain and markup_free and set(kwargs) <= {"markup"}:
                _write_line(self._results, text)  # a plain line is just the text: no need for rich
                return
        self.out.print(text, **kwargs)

    def progress(self, text: str) -> None:
        self._stderr_line(redact(text))

    def warn(self, text: str) -> None:
        self._stderr_line(f"warning: {redact(text)}")

    def _stderr_line(self, text: str) -> None:
        if self.progress_plain:
            _write_line(sys.stderr, text)
        else:
            self.err.print(text, markup=False)

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
