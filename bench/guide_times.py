"""Benchmark: the wall time of every command the README and the workshop guide time, in the guide's order.

Run with `make bench-guide` (add `ARGS=--long` for `make compare` and the guide's optional `make test-workshop`).
The commands are read from `docs/workshop.md` (`workshop/guide.py`), so the times follow the guide.
Each command runs as a participant types it, in one throw-away state folder shared by the whole
walk (so `make level1` twice finds its first run, as in the room). Prints a Markdown section;
`--write` appends it to docs/benchmarks.md, where the README and the guide take their times.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.report import machine, publish
from shared.project import PROJECT_ROOT
from shared.settings_environment import environment_for
from workshop.guide import SLOW, read_guide, walked

ROOT = PROJECT_ROOT


@dataclass(frozen=True)
class Step:
    command: str
    expected_exit: int = 0


def guide_walk(long: bool) -> list[Step]:
    """The guide's commands in its order (exercise 3's gate failure exits 3), plus its setup's check when long."""
    steps = [
        Step(command, 3 if "--scenario data_quality" in command else 0)
        for step in read_guide()
        for command in step.commands
        if walked(command, long=True) and (long or " ".join(command.split()[:2]) not in SLOW)
    ]
    return [*steps, Step("make test-workshop")] if long else steps


def participant_env(state: Path) -> dict[str, str]:
    """The environment of a participant's terminal on embedded defaults, with its own state folder."""
    servers = ("PREFECT_API_URL", "MLFLOW_TRACKING_URI", "PREFECT_HOME", "MLOPS_")
    make = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")  # `make bench-guide ARGS=...` is not the room's
    env = {k: v for k, v in os.environ.items() if not k.startswith(servers) and k not in make}
    return env | environment_for(state_dir=state)


def timed(step: Step, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(step.command, shell=True, env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    elapsed = time.perf_counter() - start
    if done.returncode != step.expected_exit:
        raise RuntimeError(f"{step.command} exited {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}")
    return elapsed


def measure(long: bool) -> str:
    subprocess.run(["make", "setup"], cwd=ROOT, check=True, capture_output=True)  # installing is not the walk
    rows = []
    with tempfile.TemporaryDirectory(prefix="guide-walk-") as scratch:
        env = participant_env(Path(scratch))
        for step in guide_walk(long):
            seconds = timed(step, env)
            rows.append(f"| `{step.command}` | {seconds:.0f} |")
            print(rows[-1], file=sys.stderr)
    today = datetime.now(UTC).date().isoformat()
    lines = [
        f"## Workshop guide and README times ({today})",
        "",
        f"`make bench-guide{' ARGS=--long' if long else ''}` on {machine()}: each command as typed in the guide,",
        "in its order, one fresh state folder for the walk, embedded defaults (no servers running).",
        "",
        "| command | wall time (s) |",
        "| --- | --- |",
        *rows,
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--long", action="store_true", help="also time `make compare` and `make test-workshop`")
    parser.add_argument("--write", action="store_true", help="append the result to docs/benchmarks.md")
    args = parser.parse_args()
    report = measure(args.long)
    publish(report, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
