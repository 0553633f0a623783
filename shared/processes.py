"""Local server processes for entry points, tests and benchmarks: loopback only, always stopped."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


class ServerStartError(RuntimeError):
    """A server process exited or did not answer in time."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server could bind 127.0.0.1:port now (as servers do, past connections left in TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_until_ready(process: subprocess.Popen[bytes], url: str, timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail early if the process exits.

    One client for all the polls: each new client loads the system's CA bundle (~40 ms of CPU here), which,
    polled ten times a second, cost a level 2 run 5 % of its CPU (py-spy).
    """
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerStartError(f"server for {url} exited with code {process.returncode}")
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise ServerStartError(f"{url} not ready after {timeout:.0f} s")


def stop_process(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """SIGTERM (graceful shutdown), then SIGKILL if it does not exit within ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_server(
    command: list[str],
    env: dict[str, str],
    ready_url: str,
    timeout: float = 120,
    cwd: Path | None = None,
    quiet: bool = False,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait until ``ready_url`` answers, and stop it on exit (also on failure)."""
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=output, stderr=output)
    try:
        wait_until_ready(process, ready_url, timeout)
        yield process
    finally:
        stop_process(process)
