"""Measurement helpers shared by the benchmarks.

This machine is shared and noisy, so every figure a benchmark reports is a
ratio or a difference measured within the same run, from the median of a few
repetitions, never an absolute number compared with a fixed threshold.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RunResult:
    seconds: float
    peak_rss_mib: float
    returncode: int
    stdout: str
    stderr: str


def run_process(args: Sequence[str], env: Mapping[str, str] | None = None,
                cwd: Path = ROOT, stdin: str | None = None) -> RunResult:
    """Run one child and measure its wall time and its own peak RSS (wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(args), cwd=cwd, env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # communicate() would reap the child and lose its rusage: drain the pipes
    # ourselves, then reap with wait4 to get this child's own peak RSS.
    out, err = _read_all(proc, stdin)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is KiB on Linux.
    return RunResult(elapsed, usage.ru_maxrss / 1024, proc.returncode, out, err)


def _read_all(proc: subprocess.Popen[str], stdin: str | None) -> tuple[str, str]:
    chunks: dict[str, str] = {}

    def drain(name: str, stream: IO[str]) -> None:
        chunks[name] = stream.read()

    threads = [threading.Thread(target=drain, args=(n, s)) for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for thread in threads:
        thread.start()
    if stdin is not None and proc.stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
    for thread in threads:
        thread.join()
    return chunks.get("out", ""), chunks.get("err", "")


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Least squares: slope, intercept and r^2."""
    slope, intercept = statistics.linear_regression(xs, ys)
    r = statistics.correlation(xs, ys) if len(set(ys)) > 1 else 1.0
    return slope, intercept, r * r


def table(rows: Sequence[Sequence[object]], headers: Sequence[str]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
