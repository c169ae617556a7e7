"""Redaction of registered secrets (aisvc.services.console)."""
from __future__ import annotations

import logging
import sys

from aisvc.services.console import REDACTED, RedactingFormatter, redact, register_secret


def test_a_secret_is_redacted_also_in_its_escaped_repr_form() -> None:
    value = "a1b2c3d4e5f6-output-test\n"
    register_secret(value)
    # As requests words a header value it refuses: the repr, with the newline escaped.
    message = f"Invalid leading whitespace ... in header value: {value!r}"
    assert "a1b2c3d4e5f6-output-test" not in redact(message)
    assert redact(message).endswith(f"'{REDACTED}'")


def test_log_lines_are_redacted_traceback_included() -> None:
    register_secret("log-secret-value-1234")
    try:
        raise ValueError("refused header value 'log-secret-value-1234'")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("azure", logging.WARNING, __file__, 1, "sent %s", ("log-secret-value-1234",), exc_info)
    line = RedactingFormatter("%(message)s").format(record)
    assert line.startswith(f"sent {REDACTED}\nTraceback") and "log-secret-value-1234" not in line
