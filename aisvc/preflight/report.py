"""Preflight results: one per check id, the JSON document of the contract and the human table."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rich.markup import escape
from rich.table import Table

from aisvc.services.console import Output

# The contract's check ids, in the order they are reported.
CHECK_IDS = ("providers", "subdomain", "deleted-account", "vault-name", "models", "quota", "permissions",
             "role-assignments", "existing-vault")
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class CheckResult:
    id: str
    ok: bool
    severity: Severity | None = None
    config_key: str | None = None
    message: str | None = None

    @classmethod
    def passed(cls, id_: str, message: str | None = None) -> CheckResult:
        return cls(id_, True, None, None, message)

    @classmethod
    def warning(cls, id_: str, config_key: str | None, message: str) -> CheckResult:
        return cls(id_, True, "warning", config_key, message)

    @classmethod
    def failed(cls, id_: str, config_key: str | None, message: str) -> CheckResult:
        return cls(id_, False, "error", config_key, message)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "ok": self.ok, "severity": self.severity, "configKey": self.config_key,
                "message": self.message}

    @property
    def label(self) -> str:
        return "FAIL" if not self.ok else "warn" if self.severity == "warning" else "ok"


@dataclass(frozen=True)
class PreflightReport:
    stack: str
    subscription_id: str
    elapsed_seconds: float
    checks: tuple[CheckResult, ...]
    requests: int = 0
    not_asked: str | None = None  # why Azure could not be asked at all (no token), else None

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.ok]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "stack": self.stack, "subscriptionId": self.subscription_id,
                "elapsedSeconds": round(self.elapsed_seconds, 3), "checks": [check.to_json() for check in self.checks]}


def print_report(output: Output, report: PreflightReport) -> None:
    if output.plain:
        for check in report.checks:
            output.print(f"{check.label:<4} {check.id:<16} {check.message or ''}".rstrip(), markup=False)
    else:
        table = Table(show_header=True, header_style="bold", show_lines=False)
        for column in ("check", "result", "what to change" if not report.ok else "detail"):
            table.add_column(column, overflow="fold")
        styles = {"FAIL": "bold red", "warn": "yellow", "ok": "green"}
        for check in report.checks:
            table.add_row(check.id, f"[{styles[check.label]}]{check.label}[/]", escape(check.message or ""))
        output.print(table, soft_wrap=False)
    verdict = "passed" if report.ok else f"failed ({len(report.failures)} of {len(report.checks)} checks)"
    output.print(f"preflight {verdict}: stack {report.stack}, subscription {report.subscription_id}, "
                 f"{report.requests} ARM calls in {report.elapsed_seconds:.1f} s", markup=False)
