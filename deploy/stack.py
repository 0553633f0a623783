"""`make stack-up | stack-down | stack-status | stack-env`: the production topology as local processes.

PostgreSQL (databases `mlflow`, `prefect`, `predictions`) -> MLflow tracking server on it with
proxied artifacts -> Prefect server on it -> a Prefect worker on the `mlops-levels` process pool ->
the prediction service with 2 uvicorn workers -> Prometheus scraping it and Alertmanager sending what fires (and
what the monitor and the flows push) to one receiver (when Debian's packages are installed); a Dask
scheduler with 2 worker processes for sweeps (`MLOPS_DASK_ADDRESS` in `stack-env`). The
same shape as `deploy/compose.yaml`, for machines without Docker. Every server binds 127.0.0.1 on
a free port, kept across restarts of the stack; state lives in `state/stack/` (PostgreSQL's data where its
user can reach it: deploy/postgres.py). supervisord runs them (deploy/supervisor.py): a server that dies is
restarted with backoff and logged, the others keep running. `stack-down` stops supervisord (the database
last), then anything left in the sessions of everything it started (flow runs included), by process id.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import httpx
import psycopg

from deploy.alert_receiver import last_received
from deploy.database_roles import ensure_roles, forget_roles, record_roles
from deploy.postgres import PostgresError, init_cluster, remove_cluster, trusts_local_users
from deploy.processes import forget, pid_path, stack_processes
from deploy.programs import programs
from deploy.supervisor import render
from deploy.topology import DATABASES, ROOT, Ports, Stack, StackError, alertmanager_binary, prometheus_binary
from deploy.wait import ready
from shared.processes import port_is_free
from shared.settings import ENV_FILE_VARIABLE, load_settings


def stack_folder() -> Path:
    return load_settings().state_path / "stack"


def _config_file(folder: Path) -> Path:
    return folder / "supervisord.conf"


def running(folder: Path) -> Stack | None:
    """The stack started from this folder, if its process manager is still alive."""
    pid_file, ports_file = pid_path(folder), folder / "ports.json"
    if not pid_file.is_file() or not ports_file.is_file():
        return None
    pid = int(pid_file.read_text())
    if not Path(f"/proc/{pid}").exists():
        return None
    return Stack(folder, Ports.saved(json.loads(ports_file.read_text())))


def create_databases(stack: Stack, timeout: float = 60) -> None:
    """Each database and its role (deploy/database_roles.py), once PostgreSQL accepts connections."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            ensure_roles(stack.admin, stack.folder, DATABASES)
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise StackError(f"PostgreSQL did not accept connections on port {stack.ports.postgres}") from None
            time.sleep(0.3)


def wait_healthy(stack: Stack, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(stack.health())
    with httpx.Client(timeout=2) as http:
        while pending:
            pending = {name: url for name, url in pending.items() if not ready(url, http)}
            if pending and time.monotonic() > deadline:
                log = stack.folder / "logs"
                raise StackError(f"not healthy after {timeout:.0f} s: {', '.join(pending)} (see {log})")
            time.sleep(0.5)


def up(folder: Path) -> Stack:
    """Start the stack (or return the running one); its ports are kept from an earlier start, so deployments
    and clients that recorded them stay valid."""
    if (already := running(folder)) is not None:
        return already
    folder.mkdir(parents=True, exist_ok=True)
    stack = Stack(folder, kept_ports(folder))
    (folder / "ports.json").write_text(json.dumps(asdict(stack.ports)))
    data = init_cluster(folder)
    record_roles(folder, DATABASES, legacy=trusts_local_users(data))
    (folder / "logs").mkdir(exist_ok=True)
    config = _config_file(folder)
    config.touch(mode=0o600)  # it holds the service's tokens
    config.write_text(render(programs(stack, data), folder, ROOT))
    supervisord = [str(Path(sys.executable).parent / "supervisord"), "-c", str(config)]
    # the servers read the settings files the caller reads: .env (or the one MLOPS_ENV_FILE names, or none), the
    # project's config/settings.yaml (or MLOPS_SETTINGS_FILE's) and the policy files the caller's variables name
    passed = ("PATH", "HOME", "LANG", "TZ", ENV_FILE_VARIABLE)
    environment = {key: os.environ[key] for key in passed if key in os.environ}
    environment |= {
        key: value for key, value in os.environ.items() if key.startswith("MLOPS_") and key.endswith("_FILE")
    }
    with (folder / "logs" / "supervisord.out").open("ab") as log:
        process = subprocess.Popen(
            supervisord, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT, env=environment
        )
    pid_path(folder).write_text(str(process.pid))
    try:
        create_databases(stack)
        wait_healthy(stack)
        stack_processes(folder)  # records the servers' sessions while supervisord is their ancestor
    except BaseException:
        down(folder)
        raise
    return stack


def kept_ports(folder: Path) -> Ports:
    """The ports of this stack's earlier start when they are all free again, else new free ones."""
    ports_file = folder / "ports.json"
    if ports_file.is_file():
        kept = Ports.saved(json.loads(ports_file.read_text()))
        if all(port_is_free(port) for port in asdict(kept).values()):
            return kept
        print("stack: ports of the earlier start are taken; new ones chosen (run `make deploy` again)", file=sys.stderr)
    return Ports.free()


def supervisor_status(folder: Path) -> str:
    """`supervisorctl status`: each program's state, pid and uptime (a restarted one shows a short uptime)."""
    supervisorctl = [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(_config_file(folder)), "status"]
    done = subprocess.run(supervisorctl, capture_output=True, text=True, timeout=30)
    return done.stdout


def program_pids(folder: Path) -> dict[str, int]:
    """Each running program's process id, as `supervisorctl status` reports it."""
    pids: dict[str, int] = {}
    for line in supervisor_status(folder).splitlines():
        found = re.match(r"^(\S+)\s+RUNNING\s+pid (\d+),", line)
        if found:
            pids[found[1]] = int(found[2])
    return pids


def down(folder: Path, grace: float = 60) -> list[int]:
    """Stop the supervisor (it stops its servers, the database last), then kill what is left of their sessions
    (flow runs included); returns what was killed."""
    pid_file = pid_path(folder)
    if not pid_file.is_file():
        return []
    supervisor = int(pid_file.read_text())
    stack_processes(folder)  # records the servers' sessions while the supervisor is still their parent
    if Path(f"/proc/{supervisor}").exists():
        os.kill(supervisor, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while stack_processes(folder) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = stack_processes(folder)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # the supervisor is our child when this process started it
        os.waitpid(supervisor, os.WNOHANG)
    forget(folder)
    return leftovers


def status(folder: Path) -> int:
    stack = running(folder)
    if stack is None:
        print("stack: not running (make stack-up)")
        return 1
    healthy = True
    for name, url in stack.health().items():
        up_now = ready(url)
        healthy &= up_now
        print(f"  {name:<14} {'up  ' if up_now else 'DOWN'}  {url}")
    if prometheus_binary() is None:
        print("  prometheus not installed (Debian: apt-get install prometheus)")
    if alertmanager_binary() is None:
        print("  alertmanager not installed: alerts reach nobody (Debian: apt-get install prometheus-alertmanager)")
    else:
        received = last_received(stack.alerts_file)
        where = "the stack's receiver" if load_settings().alert_webhook_url is None else "alert_webhook_url"
        print(f"alerts (Alertmanager {stack.alertmanager_url} -> {where}); the newest received here, oldest first:")
        print("\n".join(f"  {line}" for line in received) if received else "  none yet")
    print("processes (supervisord; a short uptime is a restart, see state/stack/logs/):")
    print(supervisor_status(folder), end="")
    return 0 if healthy else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = stack_folder()
    command = argv[0] if argv else "status"
    try:
        if command == "up":
            up(folder)
            print(f'stack up ({folder}); `eval "$(make -s stack-env)"` points make targets at it')
            return status(folder)
        if command == "down":
            killed = down(folder)
            print("stack down" + (f" (killed leftovers {killed})" if killed else ""))
            return 0
        if command == "remove":
            down(folder)
            removed = remove_cluster(folder)
            forget_roles(folder)
            print(f"stack stopped; PostgreSQL data removed ({removed})" if removed else "stack stopped")
            return 0
        if command == "env":
            found = running(folder)
            if found is None:
                print("echo 'stack not running: make stack-up' >&2; false")
                return 1
            for key, value in (found.client_env() | found.tokens()).items():
                print(f"export {key}={value}")
            return 0
        return status(folder)
    except (StackError, PostgresError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
