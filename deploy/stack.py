"""`make stack-up | stack-down | stack-status | stack-env`: the production topology as local processes.

PostgreSQL (databases `mlflow`, `prefect`, `predictions`) -> MLflow tracking server on it with
proxied artifacts -> Prefect server on it -> a Prefect worker on the `mlops-levels` process pool ->
the prediction service with 2 uvicorn workers -> Prometheus scraping it (when installed); a Dask
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
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from deploy.postgres import PostgresError, init_cluster, remove_cluster
from deploy.postgres import server_command as postgres_server
from deploy.supervisor import Program, render
from shared.processes import free_port, port_is_free
from shared.runtime import PRIVATE_AND_QUIET, client_limits
from shared.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
DATABASES = ("mlflow", "prefect", "predictions")
WORK_POOL = "mlops-levels"
DASK_WORKERS = 2  # sweeps' trials run on these processes
SERVICE_WORKERS = 2
TOKEN_VARIABLES = ("MLOPS_SCORING_TOKEN", "MLOPS_LABELS_TOKEN", "MLOPS_ADMIN_TOKEN")  # the stack starts with tokens on


class StackError(RuntimeError):
    """The stack cannot start or stop as asked; the message says what is missing or wrong."""


@dataclass(frozen=True)
class Ports:
    postgres: int
    mlflow: int
    prefect: int
    service: int
    prometheus: int
    dask: int

    @classmethod
    def free(cls) -> Ports:
        return cls(*(free_port() for _ in range(6)))


@dataclass(frozen=True)
class Stack:
    folder: Path
    ports: Ports

    @property
    def postgres_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports.postgres}"

    def database(self, name: str, driver: str = "psycopg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.ports.postgres}/{name}"

    @property
    def tracking_uri(self) -> str:
        return f"http://127.0.0.1:{self.ports.mlflow}"

    @property
    def prefect_api(self) -> str:
        return f"http://127.0.0.1:{self.ports.prefect}/api"

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.service}"

    def client_env(self) -> dict[str, str]:
        """What a client (make level1, make deploy, a worker) needs to use this stack."""
        return {
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "PREFECT_API_URL": self.prefect_api,
            "MLOPS_PREDICTION_STORE_URL": self.database("predictions"),
            "MLOPS_DASK_ADDRESS": self.dask_address,
        }

    @property
    def dask_address(self) -> str:
        return f"tcp://127.0.0.1:{self.ports.dask}"

    @property
    def secrets_file(self) -> Path:
        return self.folder / "secrets.env"

    def tokens(self) -> dict[str, str]:
        """The service's tokens (scoring, labels, admin), made at the first start, kept readable by the owner only."""
        if not self.secrets_file.is_file():
            made = {name: secrets.token_urlsafe(24) for name in TOKEN_VARIABLES}
            self.secrets_file.touch(mode=0o600)
            self.secrets_file.write_text("".join(f"{key}={value}\n" for key, value in made.items()))
        lines = self.secrets_file.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def health(self) -> dict[str, str]:
        """Where each server says it is up."""
        found = {
            "postgres": f"{self.postgres_url}/predictions",
            "mlflow": f"{self.tracking_uri}/health",
            "prefect": f"{self.prefect_api}/health",
            "service": f"{self.service_url}/health",  # /ready waits for a champion: train one first
            "dask": self.dask_address,
        }
        if prometheus_binary():
            found["prometheus"] = f"http://127.0.0.1:{self.ports.prometheus}/-/ready"
        return found


def stack_folder() -> Path:
    return load_settings().state_path / "stack"


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


def _args(*groups: list[str]) -> list[str]:
    return [part for group in groups for part in group]


def programs(stack: Stack, data: Path) -> list[Program]:
    """Every server of the stack; each waits for what it needs, then execs the real server. Each gets only the
    environment it needs: the service its tokens, the worker (and so every flow run) the clients' addresses."""
    wait = [sys.executable, "-m", "deploy.wait"]
    quiet = PRIVATE_AND_QUIET | client_limits(load_settings())
    clients = stack.client_env()
    bin_dir = Path(sys.executable).parent
    loopback_only = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    found = [
        Program("postgres", postgres_server(data, stack.ports.postgres), stop_signal="INT", priority=100),
        Program(
            "mlflow",
            _args(
                [*wait, f"{stack.postgres_url}/mlflow", "--", str(bin_dir / "mlflow"), "server"],
                ["--backend-store-uri", stack.database("mlflow"), "--serve-artifacts"],
                ["--artifacts-destination", str(stack.folder / "mlflow-artifacts"), "--host", "127.0.0.1"],
                ["--port", str(stack.ports.mlflow), "--workers", "1"],
            ),
            quiet | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        ),
        Program(
            "prefect",
            _args(
                [*wait, f"{stack.postgres_url}/prefect", "--", str(bin_dir / "prefect"), "server", "start"],
                ["--host", "127.0.0.1", "--port", str(stack.ports.prefect)],
            ),
            quiet
            | {"PREFECT_HOME": str(stack.folder / "prefect")}
            | {"PREFECT_API_DATABASE_CONNECTION_URL": stack.database("prefect", "asyncpg")},
        ),
        Program(
            "worker",  # Prefect's worker ignores SIGTERM for a long time; SIGINT stops it
            _args(
                [*wait, f"{stack.prefect_api}/health", f"{stack.tracking_uri}/health", "--"],
                [str(bin_dir / "prefect"), "worker", "start", "--pool", WORK_POOL, "--type", "process"],
            ),
            quiet | clients | {"PREFECT_HOME": str(stack.folder / "prefect-worker")},
            stop_signal="INT",
            priority=300,
        ),
        Program(
            "service",
            _args(
                [*wait, f"{stack.tracking_uri}/health", f"{stack.postgres_url}/predictions", "--", sys.executable],
                ["-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(stack.ports.service)],
                ["--workers", str(SERVICE_WORKERS)],
            ),
            quiet | clients | {"MLOPS_STATE_DIR": str(stack.folder / "service")} | stack.tokens(),
            priority=300,
        ),
        Program(
            "dask-scheduler",
            [str(bin_dir / "dask"), "scheduler", "--port", str(stack.ports.dask), *loopback_only],
            quiet,
        ),
        Program(
            "dask-workers",
            _args(
                [*wait, stack.dask_address, "--", str(bin_dir / "dask"), "worker", stack.dask_address],
                ["--nworkers", str(DASK_WORKERS), "--nthreads", "1", *loopback_only],
                ["--local-directory", str(stack.folder / "dask")],
            ),
            quiet,
            priority=300,
        ),
    ]
    if (binary := prometheus_binary()) is not None:
        config = write_prometheus_config(stack)
        command = [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{stack.ports.prometheus}"]
        found.append(Program("prometheus", [*command, f"--storage.tsdb.path={stack.folder / 'prometheus-data'}"]))
    return found


def write_prometheus_config(stack: Stack) -> Path:
    config = stack.folder / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 5s\n"
        f"rule_files:\n  - {ROOT / 'deploy' / 'prometheus' / 'alerts.yml'}\n"
        "scrape_configs:\n  - job_name: prediction-service\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{stack.ports.service}']\n"
    )
    return config


def _pid_file(folder: Path) -> Path:
    """The supervisor's process id as this module recorded it (supervisord removes its own pid file when it stops,
    and stopping must still find what it started)."""
    return folder / "stack.pid"


def _config_file(folder: Path) -> Path:
    return folder / "supervisord.conf"


def running(folder: Path) -> Stack | None:
    """The stack started from this folder, if its process manager is still alive."""
    pid_file, ports_file = _pid_file(folder), folder / "ports.json"
    if not pid_file.is_file() or not ports_file.is_file():
        return None
    pid = int(pid_file.read_text())
    if not Path(f"/proc/{pid}").exists():
        return None
    return Stack(folder, Ports(**json.loads(ports_file.read_text())))


def create_databases(stack: Stack, timeout: float = 60) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(f"{stack.postgres_url}/postgres", autocommit=True, connect_timeout=2) as conn:
                existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
                for name in DATABASES:
                    if name not in existing:
                        conn.execute(f'CREATE DATABASE "{name}"')
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise StackError(f"PostgreSQL did not accept connections on port {stack.ports.postgres}") from None
            time.sleep(0.3)


def wait_healthy(stack: Stack, timeout: float = 240) -> None:
    from deploy.wait import ready

    deadline = time.monotonic() + timeout
    pending = dict(stack.health())
    while pending:
        pending = {name: url for name, url in pending.items() if not ready(url)}
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
    (folder / "logs").mkdir(exist_ok=True)
    config = _config_file(folder)
    config.touch(mode=0o600)  # it holds the service's tokens
    config.write_text(render(programs(stack, data), folder, ROOT))
    supervisord = [str(Path(sys.executable).parent / "supervisord"), "-c", str(config)]
    environment = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
    with (folder / "logs" / "supervisord.out").open("ab") as log:
        process = subprocess.Popen(
            supervisord, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT, env=environment
        )
    _pid_file(folder).write_text(str(process.pid))
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
        kept = Ports(**json.loads(ports_file.read_text()))
        if all(port_is_free(port) for port in asdict(kept).values()):
            return kept
        print("stack: ports of the earlier start are taken; new ones chosen (run `make deploy` again)", file=sys.stderr)
    return Ports.free()


def supervisor_status(folder: Path) -> str:
    """`supervisorctl status`: each program's state, pid and uptime (a restarted one shows a short uptime)."""
    supervisorctl = [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(_config_file(folder)), "status"]
    done = subprocess.run(supervisorctl, capture_output=True, text=True, timeout=30)
    return done.stdout


def _proc_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields of /proc/pid/stat after the command name) of every live process."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            yield int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):
            continue


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
    pid_file = _pid_file(folder)
    if not pid_file.is_file():
        return []
    stats = dict(_proc_stats())  # one look at /proc for both the sessions and their members
    sessions = _record_sessions(folder, int(pid_file.read_text()), stats)
    return [pid for pid, fields in stats.items() if int(fields[3]) in sessions and fields[0] != "Z"]


def down(folder: Path, grace: float = 60) -> list[int]:
    """Stop the supervisor (it stops its servers, the database last), then kill what is left of their sessions
    (flow runs included); returns what was killed."""
    pid_file = _pid_file(folder)
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
    pid_file.unlink(missing_ok=True)
    _sessions_file(folder).unlink(missing_ok=True)
    return leftovers


def status(folder: Path) -> int:
    from deploy.wait import ready

    stack = running(folder)
    if stack is None:
        print("stack: not running (make stack-up)")
        return 1
    healthy = True
    for name, url in stack.health().items():
        up_now = ready(url)
        healthy &= up_now
        print(f"  {name:<10} {'up  ' if up_now else 'DOWN'}  {url}")
    if prometheus_binary() is None:
        print("  prometheus not installed (Debian: apt-get install prometheus)")
    print("processes (supervisord; a short uptime is a restart, see state/stack/logs/):")
    print(supervisor_status(folder), end="")
    return 0 if healthy else 1


def main(argv: list[str]) -> int:
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
    sys.exit(main(sys.argv[1:]))
