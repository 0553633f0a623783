"""Where the cores went during a load run: the load generator (a child of this process) and the server's processes."""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil


@dataclass
class CpuUse:
    """Cores used on average over the run (1.0 = one core busy the whole time)."""

    load_generator: float = 0.0
    server: dict[int, float] = field(default_factory=dict)  # process id -> cores
    wall: float = 0.0  # seconds the run lasted

    def server_seconds(self) -> float:
        """CPU seconds the server's processes used over the run."""
        return sum(self.server.values()) * self.wall

    def describe(self) -> str:
        processes = " + ".join(f"{cores:.2f}" for cores in sorted(self.server.values(), reverse=True))
        total = self.load_generator + sum(self.server.values())
        return (
            f"wrk {self.load_generator:.2f} cores, the service's processes {processes} "
            f"({total:.2f} of {psutil.cpu_count()} cores in all)"
        )


def _children_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _tree_seconds(root: int) -> dict[int, float]:
    parent = psutil.Process(root)
    seconds = {}
    for process in [parent, *parent.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        seconds[process.pid] = times.user + times.system
    return seconds


@contextmanager
def cpu_during(server_pid: int) -> Iterator[CpuUse]:
    """CPU of the server's process tree and of the children this process reaps (wrk) while the block runs."""
    use = CpuUse()
    start, children, tree = time.perf_counter(), _children_seconds(), _tree_seconds(server_pid)
    yield use
    wall = use.wall = time.perf_counter() - start
    after = _tree_seconds(server_pid)
    use.load_generator = (_children_seconds() - children) / wall
    use.server = {pid: (after[pid] - tree.get(pid, 0.0)) / wall for pid in after}
