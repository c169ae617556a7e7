"""What a test saw of an `aisvc` subprocess: exit code, both streams, wall time, and its JSON document."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)
