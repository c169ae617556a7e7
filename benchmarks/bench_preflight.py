"""How long `aisvc preflight` takes when every ARM call is slow, measured against the local emulator.

The emulator adds a fixed latency L to every ARM call. Figures (within one run):
- wall: preflight's own `elapsedSeconds` (token + every check) and the process
  wall time (interpreter start and imports included);
- slowest single call and sum of all calls: every request preflight made is
  replayed one at a time, each on a fresh connection, and timed;
- the ratio wall / slowest single call (target: at most 1.5) and wall / sum;
- the number of ARM requests preflight sent.
For the shipped dev stack and a stack with 10 model deployments.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import yaml
from measure import ROOT, median, run_process, table

sys.path.insert(0, str(ROOT))
from tests.support.emulator import ARM_SCOPE, AzureEmulator  # noqa: E402 - benchmarks run from benchmarks/

LATENCIES = (0.25, 1.0)
REPEAT = 3
MODELS = [("gpt-4o-mini", "2024-07-18", "GlobalStandard"), ("gpt-4o-mini", "2024-07-18", "Standard"),
          ("gpt-4o", "2024-11-20", "GlobalStandard"), ("gpt-4o", "2024-08-06", "Standard"),
          ("text-embedding-3-small", "1", "Standard")]


def ten_deployment_project(directory: Path) -> Path:
    deployments = [{"name": f"d{i}", "model": {"format": "OpenAI", "name": name, "version": version},
                    "sku": {"name": sku, "capacity": 10}} for i, (name, version, sku) in
                   enumerate(MODELS * 2)]
    (directory / "Pulumi.yaml").write_text("name: ai-services\nruntime: python\nstackConfigDir: stacks\n")
    (directory / "stacks").mkdir()
    config = {"azure-native:location": "swedencentral", "ai-services:namePrefix": "bench",
              "ai-services:deployments": deployments}
    (directory / "stacks" / "Pulumi.ten.yaml").write_text(yaml.safe_dump({"config": config}))
    return directory


def preflight(emulator: AzureEmulator, stack: str, project: Path) -> tuple[float, float, int, int]:
    """(elapsedSeconds, process wall, exit code, ARM requests) of one run."""
    before = len(emulator.requests(role="arm"))
    env = {**emulator.env(), "AZURE_SUBSCRIPTION_ID": emulator.subscription_id}
    result = run_process([sys.executable, "-m", "aisvc", "preflight", "--stack", stack, "--project-dir",
                          str(project), "--json", "--timeout", "60"], env=env)
    report: dict[str, Any] = json.loads(result.stdout)
    return report["elapsedSeconds"], result.seconds, result.returncode, len(emulator.requests(role="arm")) - before


def replay(emulator: AzureEmulator, calls: list[tuple[str, str]]) -> list[float]:
    """Each call alone, in turn, on a fresh connection: its own duration."""
    token = emulator.state.issue_token(ARM_SCOPE)
    durations = []
    for method, path in calls:
        with requests.Session() as session:
            start = time.perf_counter()
            session.request(method, f"{emulator.arm_endpoint}{path}", params={"api-version": "2026-03-01"},
                            json={} if method == "POST" else None, headers={"Authorization": f"Bearer {token}"},
                            verify=emulator.ca_file, timeout=30)
            durations.append(time.perf_counter() - start)
    return durations


def measure(stack: str, project: Path) -> list[list[object]]:
    rows: list[list[object]] = []
    for latency in LATENCIES:
        with AzureEmulator() as emulator:
            emulator.arm.world.page_size = 1000  # one page per list, as ARM answers these lists
            emulator.arm.set_latency(latency)
            runs = [preflight(emulator, stack, project) for _ in range(REPEAT)]
            codes = {run[2] for run in runs}
            one_run = [(r.method, r.path) for r in emulator.requests(role="arm")][: runs[0][3]]
            durations = replay(emulator, one_run)
        elapsed, wall = median([r[0] for r in runs]), median([r[1] for r in runs])
        slowest, total = max(durations), sum(durations)
        rows.append([stack, f"{latency:.2f}", runs[0][3], f"{elapsed:.2f}", f"{wall:.2f}", f"{slowest:.2f}",
                     f"{total:.2f}", f"{elapsed / slowest:.2f}", f"{elapsed / total:.2f}",
                     ",".join(str(c) for c in sorted(codes))])
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        ten = ten_deployment_project(Path(scratch))
        rows = measure("dev", ROOT) + measure("ten", ten)
    print(table(rows, ["stack", "L (s)", "requests", "preflight (s)", "process (s)", "slowest call (s)",
                       "sum of calls (s)", "preflight/slowest", "preflight/sum", "exit"]))
    print("preflight = its elapsedSeconds (token and every check); process = with interpreter start and imports.")


if __name__ == "__main__":
    main()
