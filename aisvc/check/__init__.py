"""`aisvc check`: prove a deployment works the way an app will use it.

``run_check(outputs)`` returns a ``CheckReport``; it never raises for a failed
check (see ``.ok``), only ``InputError`` for bad input.
"""
from aisvc.check.report import CheckReport, CheckResult, print_report
from aisvc.check.run import DEFAULT_KEY_GRACE, DEFAULT_TIMEOUT, AuthChoice, load_outputs, run_check

__all__ = [
    "DEFAULT_KEY_GRACE", "DEFAULT_TIMEOUT", "AuthChoice", "CheckReport", "CheckResult", "load_outputs",
    "print_report", "run_check",
]
