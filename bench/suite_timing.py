"""Benchmark: wall time of `make test-fast`, `make test` and `make test-workshop` as a user runs them, and where.

Run with `make bench-suite`. Each target runs once in this checkout (its environment already installed:
the time is the suite's, not the download's), with pytest's slowest tests listed. Prints a Markdown
section; `--write` appends it to docs/benchmarks.md. Targets: `make test` <= 6 min, `make test-fast` <= 60 s
on 2 cores (a quiet machine); the workshop's walks (CI's second step) have none.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from bench.report import machine, publish
from shared.project import PROJECT_ROOT

ROOT = PROJECT_ROOT
TARGETS: dict[str, float | None] = {"test-fast": 60.0, "test": 360.0, "test-workshop": None}  # None: no budget
_SUMMARY = re.compile(r"=+ (.*(?:passed|failed).*) in [\d.]+s")
_DURATION = re.compile(r"^([\d.]+)s (setup|call|teardown)\s+(\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class SuiteRun:
    target: str
    seconds: float
    cpu_seconds: float
    summary: str
    slowest: list[tuple[float, str]]


def run_target(target: str) -> SuiteRun:
    """`make TARGET` with pytest's durations; wall and CPU time of the whole process tree."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(
        ["make", target, "ARGS=--durations=8"], cwd=ROOT, capture_output=True, text=True, timeout=3600
    )
    seconds = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    summary = _SUMMARY.findall(done.stdout)
    if done.returncode != 0:
        raise RuntimeError(f"make {target} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    slowest = [(float(s), f"{phase} {test}") for s, phase, test in _DURATION.findall(done.stdout)]
    return SuiteRun(target, seconds, cpu, summary[-1] if summary else "?", slowest)


def _budget(seconds: float | None) -> str:
    return "-" if seconds is None else f"<= {seconds:.0f}"


def report(runs: list[SuiteRun]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        f"## Test suite wall time ({when})",
        "",
        f"`make bench-suite` on {machine()}: each target once, as typed, its environment installed.",
        "",
        "| target | wall time (s) | CPU time of all processes (s) | target (s) | tests |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| `make {r.target}` | {r.seconds:.0f} | {r.cpu_seconds:.0f} | {_budget(TARGETS[r.target])} | {r.summary} |"
        for r in runs
    ]
    for run in runs:
        lines += ["", f"Slowest of `make {run.target}`:", ""]
        lines += [f"- {seconds:.1f} s {test}" for seconds, test in sorted(run.slowest, reverse=True)[:8]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="append the section to docs/benchmarks.md")
    parser.add_argument("--only", choices=sorted(TARGETS), help="time one target")
    args = parser.parse_args()
    targets = [args.only] if args.only else list(TARGETS)
    publish(report([run_target(t) for t in targets]), args.write)


if __name__ == "__main__":
    main()
