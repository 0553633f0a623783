"""Local server processes for entry points, tests and benchmarks: loopback only, always stopped."""

from __future__ import annotations

import random
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


EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
SERVER_PORTS = 12000  # how many ports below the ephemeral range servers draw from (when that many are there)
FEWEST_BELOW = 4096  # fewer unprivileged ports than this below it: servers draw above it instead
_CHOOSE = random.SystemRandom()  # not the seeded module-level generator: two processes must not draw alike


def ephemeral_ports() -> range:
    """The ports the kernel hands out to connections and ``bind(0)`` (Linux's default where it cannot be read)."""
    try:
        low, high = (int(bound) for bound in EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


def server_ports() -> range:
    """Where servers get their ports: below the ephemeral range (or above it when it starts low)."""
    ephemeral = ephemeral_ports()
    if ephemeral.start - 1024 >= FEWEST_BELOW:
        return range(max(1024, ephemeral.start - SERVER_PORTS), ephemeral.start)
    return range(ephemeral.stop, 65536)


def free_port(taken: frozenset[int] = frozenset()) -> int:
    """A free TCP port on 127.0.0.1 for a server, outside the kernel's ephemeral range.

    A port from ``bind(0)`` is released before the server binds it (a server may take seconds to start), and the
    kernel hands the same range to every other process's connections and ``bind(0)`` (a Dask cluster, a test
    client): one of them took the stack's MLflow port in a parallel test run. Outside that range, only another
    server chosen the same way could, drawn at random from ~12,000 ports.
    """
    candidates = server_ports()
    for _ in range(200):
        port = _CHOOSE.choice(candidates)
        if port not in taken and port_is_free(port):
            return port
    with socket.socket() as probe:  # the range is full: any free port
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports for servers (see ``free_port``)."""
    ports: list[int] = []
    for _ in range(count):
        ports.append(free_port(frozenset(ports)))
    return ports


def port_is_free(port: int) -> bool:
    """Whether a server could bind 127.0.0.1:port now (as servers do, past connections left in TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def taken_port_error(port: int, choose: str) -> str | None:
    """What to print when 127.0.0.1:``port`` is taken by another program (``choose``: how to pick another port)."""
    if port_is_free(port):
        return None
    return f"error: 127.0.0.1:{port} is taken by another program (on macOS, AirPlay takes 5000): {choose}"


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
