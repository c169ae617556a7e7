"""Redaction of registered secrets (aisvc.output)."""
from __future__ import annotations

import logging

from aisvc.output import REDACTED, RedactingFilter, redact, register_secret


def test_a_secret_is_redacted_also_in_its_escaped_repr_form() -> None:
    value = "a1b2c3d4e5f6-output-test\n"
    register_secret(value)
    # As requests words a header value it refuses: the repr, with the newline escaped.
    message = f"Invalid leading whitespace ... in header value: {value!r}"
    assert "a1b2c3d4e5f6-output-test" not in redact(message)
    assert redact(message).endswith(f"'{REDACTED}'")


def test_log_records_are_redacted() -> None:
    register_secret("log-secret-value-1234")
    record = logging.LogRecord("azure", logging.INFO, __file__, 1, "sent %s", ("log-secret-value-1234",), None)
    assert RedactingFilter().filter(record) and record.getMessage() == f"sent {REDACTED}"
