"""What every check gets: the target, the shared reads, and who is signed in."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aisvc.preflight.reads import Reads
from aisvc.preflight.report import CheckResult
from aisvc.preflight.target import Target


@dataclass(frozen=True)
class Context:
    target: Target
    reads: Reads
    deployer_object_id: str | None  # the ARM token's oid: who `pulumi up` signs in as


@dataclass(frozen=True)
class Check:
    id: str
    run: Callable[[Context], CheckResult]
    needs: Callable[[Target], list[str]]  # the read keys it will ask for (started up front)
