"""`aisvc preflight`: read-only ARM checks that find, in seconds, what would make `pulumi up` fail minutes in.

``run_preflight(load_target(stack))`` returns a ``PreflightReport``; it never
raises for a failed check (see ``.ok``), only ``InputError`` for bad input.
"""
from aisvc.preflight.report import CHECK_IDS, CheckResult, PreflightReport, print_report
from aisvc.preflight.run import DEFAULT_TIMEOUT, run_preflight
from aisvc.preflight.target import Target, load_target

__all__ = ["CHECK_IDS", "DEFAULT_TIMEOUT", "CheckResult", "PreflightReport", "Target", "load_target",
           "print_report", "run_preflight"]
