"""`python -m deploy.wait TARGET [TARGET ...] -- COMMAND ...`: start COMMAND once every TARGET answers.

The stack's supervisor starts its servers at once; a server that needs another one (MLflow needs its
database, the worker needs the Prefect API) waits here first, then becomes COMMAND (exec: same
process id, so the process manager stops the real server). TARGET is ``http(s)://...`` (answers
200), ``postgresql://...`` (accepts a connection) or ``tcp://host:port``.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Any
from urllib.parse import urlparse

import httpx
import psycopg

TIMEOUT_SECONDS = 180


def ready(target: str, http: Any = None) -> bool:
    """Whether ``target`` answers now; ``http``: an httpx client to reuse when polling."""
    try:
        if target.startswith(("http://", "https://")):
            if http is None:
                return httpx.get(target, timeout=2).status_code == 200
            return bool(http.get(target).status_code == 200)
        if target.startswith("postgresql://"):
            with psycopg.connect(target, connect_timeout=2):
                return True
        address = urlparse(target)
        with socket.create_connection((address.hostname or "127.0.0.1", address.port or 0), timeout=2):
            return True
    except Exception:
        return False


def first_not_ready(targets: list[str], timeout: float) -> str | None:
    """Wait (bounded by ``timeout`` in all) until every target answers; the first one that did not, or None."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as http:  # one client: each new one loads the CA bundle (~40 ms of CPU)
        for target in targets:
            while not ready(target, http):
                if time.monotonic() > deadline:
                    return target
                time.sleep(0.5)
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    targets, command = argv[:split], argv[split + 1 :]
    late = first_not_ready(targets, TIMEOUT_SECONDS)
    if late is not None:
        print(f"deploy.wait: {late} not ready after {TIMEOUT_SECONDS} s; not starting {command[0]}", file=sys.stderr)
        return 1
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
