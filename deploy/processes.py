"""Every process a stack started, found by the sessions of the supervisor's descendants (read from /proc), so
that stopping ends them all, flow runs included, by process id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path


def pid_path(folder: Path) -> Path:
    """The supervisor's process id as this module recorded it (supervisord removes its own pid file when it stops,
    and stopping must still find what it started)."""
    return folder / "stack.pid"


def _proc_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields of /proc/pid/stat after the command name) of every live process."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            yield int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):
            continue


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant of it, parents before their children (a server's workers, PostgreSQL's
    backends: they may sit in sessions of their own, so a signal to ``root``'s group misses them)."""
    children: dict[int, list[int]] = {}
    for pid, fields in _proc_stats():
        children.setdefault(int(fields[1]), []).append(pid)
    tree, pending = [], [root]
    while pending:
        pid = pending.pop(0)
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def stopped(pids: list[int]) -> list[int]:
    """Those of ``pids`` stopped by a signal now (state T)."""
    states = dict(_proc_stats())
    return [pid for pid in pids if pid in states and states[pid][0] == "T"]


def _sessions_file(folder: Path) -> Path:
    return folder / "sessions.json"


def _record_sessions(folder: Path, supervisor: int, stats: dict[int, list[str]]) -> set[int]:
    """The supervisor's session and the sessions of all its descendants (a flow run or a server may start one of
    its own), added to those recorded earlier: once the supervisor is gone, they are no longer its descendants."""
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    sessions, pending = {supervisor}, [supervisor]
    while pending:
        for child in children.get(pending.pop(), []):
            sessions.add(int(stats[child][3]))
            pending.append(child)
    file = _sessions_file(folder)
    known = set(json.loads(file.read_text())) if file.is_file() else set()
    if not sessions <= known:
        file.write_text(json.dumps(sorted(sessions | known)))
    return sessions | known


def stack_processes(folder: Path) -> list[int]:
    """Process ids of everything the stack in ``folder`` runs: the supervisor, its servers and their children."""
    pid_file = pid_path(folder)
    if not pid_file.is_file():
        return []
    stats = dict(_proc_stats())  # one look at /proc for both the sessions and their members
    sessions = _record_sessions(folder, int(pid_file.read_text()), stats)
    return [pid for pid, fields in stats.items() if int(fields[3]) in sessions and fields[0] != "Z"]


def forget(folder: Path) -> None:
    """The stack in ``folder`` is stopped: drop what was recorded of its processes."""
    pid_path(folder).unlink(missing_ok=True)
    _sessions_file(folder).unlink(missing_ok=True)
