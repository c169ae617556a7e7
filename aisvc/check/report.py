"""The check's report: one result per auth mode, its JSON shape and its human lines."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aisvc.services.console import Output


@dataclass
class CheckResult:
    name: str  # "key" | "entra"
    ok: bool
    status: int | None
    attempts: int
    elapsed_seconds: float
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "status": self.status, "attempts": self.attempts,
                "elapsedSeconds": round(self.elapsed_seconds, 3), "error": self.error}


@dataclass
class CheckReport:
    endpoint: str
    checks: list[CheckResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. the app-facing secret expires soon; ok stays as is

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "endpoint": self.endpoint, "checks": [check.to_json() for check in self.checks],
                "warnings": list(self.warnings)}

    def failure_summary(self) -> str:
        return "; ".join(f"{check.name}: {check.error}" for check in self.checks if not check.ok)


def print_report(output: Output, report: CheckReport) -> None:
    for check in report.checks:
        status = f"HTTP {check.status}" if check.status is not None else "no answer"
        if check.ok:
            output.print(f"ok   {check.name}: {status} after {check.attempts} attempt(s) in "
                         f"{check.elapsed_seconds:.1f} s", markup=False)
        else:
            output.print(f"FAIL {check.name}: {check.error}", markup=False)
    for warning in report.warnings:
        output.print(f"warning: {warning}", markup=False)
    verdict = "passed" if report.ok else "failed"
    output.print(f"check {verdict}: {report.endpoint}", markup=False)


