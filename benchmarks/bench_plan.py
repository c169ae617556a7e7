"""How long `aisvc plan --json` holds a PR, and how its cost grows with the graph.

Figures (all within one run, medians of REPEAT runs):
- plan vs floor: wall time and peak RSS of `aisvc plan --json --stack dev`
  against a Python process that only imports pulumi and the azure-native
  modules the program uses (the cost nobody can remove);
- growth: stacks with 0, 5, 20 and 50 model deployments and with as many role
  assignments; the least-squares slope (ms per extra resource) and r^2.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from measure import ROOT, RunResult, linear_fit, median, run_process, table

REPEAT = 5
SIZES = (0, 5, 20, 50)
# azure-native loads its modules lazily: touch every class the program uses so
# the floor pays for the same imports the plan does.
FLOOR_IMPORTS = (
    "import pulumi_azure_native as an; "
    "an.cognitiveservices.Account, an.cognitiveservices.Deployment, an.cognitiveservices.list_account_keys_output; "
    "an.keyvault.Vault, an.keyvault.Secret; an.resources.ResourceGroup; "
    "an.authorization.RoleAssignment, an.authorization.ManagementLockByScope, an.authorization.get_client_config"
)


def plan_args(stack: str, project_dir: Path = ROOT) -> list[str]:
    return [sys.executable, "-m", "aisvc", "plan", "--stack", stack, "--json", "--project-dir", str(project_dir)]


def measure(args: list[str]) -> tuple[float, float, dict[str, Any] | None]:
    runs = [run_process(args) for _ in range(REPEAT)]
    failed = [r for r in runs if r.returncode != 0]
    if failed:
        raise SystemExit(f"benchmark command failed: {' '.join(args)}\n{failed[0].stderr}")
    document = json.loads(runs[0].stdout) if runs[0].stdout.strip().startswith("{") else None
    return median([r.seconds for r in runs]), median([r.peak_rss_mib for r in runs]), document


def plan_vs_floor() -> None:
    floor_s, floor_mib, _ = measure([sys.executable, "-c", FLOOR_IMPORTS])
    plan_s, plan_mib, document = measure(plan_args("dev"))
    resources = document["changeSummary"]["create"] if document else "?"
    print(f"plan vs floor (dev stack, {resources} resources, median of {REPEAT}):")
    print(table(
        [["floor: import pulumi + azure-native modules", f"{floor_s:.3f}", f"{floor_mib:.0f}"],
         ["aisvc plan --json --stack dev", f"{plan_s:.3f}", f"{plan_mib:.0f}"],
         ["ratio plan / floor", f"{plan_s / floor_s:.2f}x", f"{plan_mib / floor_mib:.2f}x"]],
        ["process", "wall s", "peak MiB"],
    ))


def growth_stack(size: int, dimension: str) -> dict[str, Any]:
    config: dict[str, Any] = {"azure-native:location": "swedencentral", "ai-services:namePrefix": "bench"}
    if dimension == "deployments":
        config["ai-services:deployments"] = [
            {"name": f"model-{i}", "model": {"format": "OpenAI", "name": "gpt-4o-mini", "version": "2024-07-18"},
             "sku": {"name": "GlobalStandard", "capacity": 1}}
            for i in range(size)
        ]
    else:
        config["ai-services:serviceUsers"] = [
            {"principalId": f"00000000-0000-4000-8000-{i:012d}", "principalType": "ServicePrincipal"}
            for i in range(size)
        ]
    return {"config": config}


def growth(dimension: str, workdir: Path) -> None:
    stacks = []
    for size in SIZES:
        stack = f"{dimension}{size}"
        (workdir / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(growth_stack(size, dimension)))
        stacks.append(stack)
    # Round-robin over the sizes, so drift on a shared machine hits every size alike.
    runs: dict[str, list[RunResult]] = {stack: [] for stack in stacks}
    for _ in range(REPEAT):
        for stack in stacks:
            result = run_process(plan_args(stack, workdir))
            if result.returncode != 0:
                raise SystemExit(f"aisvc plan --stack {stack} failed:\n{result.stderr}")
            runs[stack].append(result)
    rows, xs, ys = [], [], []
    for size, stack in zip(SIZES, stacks, strict=True):
        count = json.loads(runs[stack][0].stdout)["changeSummary"]["create"]
        seconds = median([r.seconds for r in runs[stack]])
        xs.append(count)
        ys.append(seconds)
        rows.append([size, count, f"{seconds:.3f}", f"{median([r.peak_rss_mib for r in runs[stack]]):.0f}"])
    slope, intercept, r2 = linear_fit(xs, ys)
    print(f"\ngrowth with {dimension} (median of {REPEAT}, sizes interleaved):")
    print(table(rows, [dimension, "resources", "wall s", "peak MiB"]))
    print(f"slope {slope * 1000:.1f} ms per resource, intercept {intercept:.3f} s, r^2 {r2:.3f} "
          f"({'linear' if r2 >= 0.95 else 'NOT clearly linear'}); "
          f"{SIZES[-1]} extra {dimension} cost {ys[-1] / ys[0]:.2f}x the empty stack")


def project_copy(workdir: Path) -> Path:
    """A project dir whose program is this checkout's, with its own stacks folder."""
    (workdir / "stacks").mkdir()
    (workdir / "Pulumi.yaml").write_text(yaml.safe_dump({
        "name": "ai-services", "runtime": "python", "main": str(ROOT), "stackConfigDir": "stacks",
    }))
    return workdir


def main() -> None:
    plan_vs_floor()
    with tempfile.TemporaryDirectory(prefix="aisvc-bench-") as tmp:
        workdir = project_copy(Path(tmp))
        growth("deployments", workdir)
        growth("serviceUsers", workdir)


if __name__ == "__main__":
    main()
