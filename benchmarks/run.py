"""Run the benchmarks: `python3 dev.py bench [plan|check|client]` (default: all).

Every figure is a ratio or a difference measured within this run; nothing here
is a test and nothing fails on a time.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_check  # noqa: E402
import bench_client  # noqa: E402
import bench_plan  # noqa: E402

SUITES = {"plan": bench_plan.main, "check": bench_check.main, "client": bench_client.main}


def main(argv: list[str]) -> int:
    names = argv or list(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    for name in names:
        print(f"== {name} ==")
        SUITES[name]()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
