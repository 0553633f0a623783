"""The stack's process supervisor: supervisord's configuration, rendered from the stack's programs (pure).

One crash stays one crash: supervisord restarts a server that exits (with backoff, like compose's
`restart: unless-stopped`), logs it, and leaves the others running; `make stack-status` shows each
program's state and uptime. Each program gets only the environment it needs (the service its tokens;
nobody else any token), so the configuration file holds secrets and is written readable by its owner only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

START_SECONDS = 5  # a program up this long counts as started; a quicker exit is a failed start
START_RETRIES = 10  # failed starts in a row before supervisord gives up on a program (backoff grows 1 s each)


@dataclass(frozen=True)
class Program:
    """One server of the stack: its command (no shell), its own environment, how it wants to be stopped."""

    name: str
    command: list[str]
    environment: Mapping[str, str] = field(default_factory=dict)
    stop_signal: str = "TERM"
    stop_seconds: int = 20
    priority: int = 200  # started in ascending order, stopped in descending (the database last)


def _quoted(value: str) -> str:
    """A value for supervisord's `environment=` (quoted; its own escapes for quote and percent)."""
    return '"' + value.replace("%", "%%").replace('"', '\\"') + '"'


def _argument(value: str) -> str:
    """A command argument for supervisord (split like a shell line; `%` is its expansion marker)."""
    escaped = value.replace("%", "%%")
    return f"'{escaped}'" if any(c in escaped for c in " \t\"'") else escaped


def render(programs: list[Program], folder: Path, workdir: Path) -> str:
    """supervisord.conf for ``programs``: control socket, pid file and per-program logs under ``folder``."""
    logs = folder / "logs"
    lines = [
        "[supervisord]",
        "nodaemon=true",
        f"logfile={logs / 'supervisord.log'}",
        f"pidfile={logs / 'supervisord.pid'}",
        f"directory={workdir}",
        "",
        "[unix_http_server]",
        f"file={folder / 'supervisor.sock'}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{folder / 'supervisor.sock'}",
    ]
    for program in programs:
        lines += [
            "",
            f"[program:{program.name}]",
            "command=" + " ".join(_argument(part) for part in program.command),
            f"directory={workdir}",
            f"priority={program.priority}",
            "autostart=true",
            "autorestart=true",
            f"startsecs={START_SECONDS}",
            f"startretries={START_RETRIES}",
            f"stopsignal={program.stop_signal}",
            f"stopwaitsecs={program.stop_seconds}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={logs / (program.name + '.log')}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=2",
        ]
        if program.environment:
            pairs = ",".join(f"{key}={_quoted(value)}" for key, value in program.environment.items())
            lines.append(f"environment={pairs}")
    return "\n".join(lines) + "\n"
