"""What every benchmark prints: the machine it ran on, and its Markdown section (appended to docs/benchmarks.md)."""

from __future__ import annotations

import os
import platform

from shared.project import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def publish(report: str, write: bool) -> None:
    """Print the section; with ``write``, append it to docs/benchmarks.md."""
    print(report)
    if write:
        with BENCHMARKS.open("a") as out:
            out.write(report + "\n")
