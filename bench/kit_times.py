"""Benchmark: a workshop room installing from the kit with no network (`make bench-kit`).

Makes a kit for this machine's platform and Python (downloads kept in state/kit/ for the next run), then, in a
throw-away 0700 folder with every proxy pointing nowhere, an unroutable index and a fresh HOME, does what a
participant does: unpack, clone from the kit's bundle, `make level0 KIT=...` (uv and the base packages from the
kit), then `make level1` (the rest from the remembered kit, then training). Reports clone -> level 0's result and
clone -> level 1's champion, and the sizes of this machine's kit and of the full kit (every platform and Python).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import machine, publish
from shared.project import PROJECT_ROOT
from workshop import kit_install
from workshop.kit import PYTHONS, Platform, Target, no_network, wheels_for
from workshop.make_kit import locked_packages


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds ``command`` took; its failure stops the benchmark with its output."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - start


def full_kit_megabytes(folder: Path) -> float:
    packages = locked_packages(PROJECT_ROOT, folder)
    targets = [Target(platform, python) for platform in Platform for python in PYTHONS]
    return sum(wheel.size for wheel in wheels_for(packages, targets)) / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(prog="make bench-kit", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="append the result to docs/benchmarks.md")
    args = parser.parse_args()
    here = kit_install.this_machine()
    if here is None:
        raise SystemExit(f"the kit has no platform for {sys.platform} {os.uname().machine}")
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    with tempfile.TemporaryDirectory(prefix="bench-kit-") as scratch:
        folder = Path(scratch)
        make = [sys.executable, "-m", "workshop.make_kit", str(folder / "out"), "--platforms", here]
        making = timed([*make, "--pythons", python], PROJECT_ROOT)
        (archive,) = (folder / "out").glob("mlops-levels-kit-*.tar")
        room = folder / "room"
        room.mkdir(mode=0o700)
        (room / "home").mkdir()
        env = no_network(str(room / "home"), os.environ["PATH"])
        bundle = "mlops-levels-kit/mlops-levels.bundle"
        unpack = timed(["tar", "-xf", str(archive)], room, env) + timed(["git", "clone", "-q", bundle, "x"], room, env)
        level0 = timed(["make", "level0", "KIT=../mlops-levels-kit"], room / "x", env)
        level1 = timed(["make", "level1"], room / "x", env)
        size = archive.stat().st_size / 1e6
        full = full_kit_megabytes(folder)
    rows = [
        f"## A room from the kit, no network ({datetime.now(UTC):%Y-%m-%d}, {machine()})",
        "",
        f"`make bench-kit`: a kit for {here} Python {python} ({size:,.0f} MB; the full kit, 3 platforms x Python "
        f"3.11-3.13: {full:,.0f} MB of wheels), made in {making:.0f} s with its downloads cached; "
        "then a participant with every proxy pointing nowhere, an unroutable index and a fresh HOME:",
        "",
        "| step | wall time (s) | from the clone (s) |",
        "| --- | --- | --- |",
        f"| unpack the kit, clone its bundle | {unpack:.0f} | {unpack:.0f} |",
        f"| `make level0 KIT=../mlops-levels-kit` (uv, base packages, level 0's result) | {level0:.0f} | "
        f"{unpack + level0:.0f} |",
        f"| `make level1` (the rest of the lock, then a champion) | {level1:.0f} | {unpack + level0 + level1:.0f} |",
        "",
    ]
    publish("\n".join(rows), args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
