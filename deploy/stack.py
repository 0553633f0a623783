"""`make stack-up | stack-down | stack-status | stack-env`: the production topology as local processes.

PostgreSQL (databases `mlflow`, `prefect`, `predictions`) -> MLflow tracking server on it with
proxied artifacts -> Prefect server on it -> a Prefect worker on the `mlops-levels` process pool ->
the prediction service with 2 uvicorn workers -> Prometheus scraping it (when installed); a Dask
scheduler with 2 worker processes for sweeps (`MLOPS_DASK_ADDRESS` in `stack-env`). The
same shape as `deploy/compose.yaml`, for machines without Docker. Every server binds 127.0.0.1 on
a free port; state lives in `state/stack/` (PostgreSQL's data where its user can reach it:
deploy/postgres.py). honcho (a Procfile process manager) runs them;
`stack-down` stops honcho, then anything left in the sessions of honcho and of everything it started (honcho
starts each server in a session of its own), by process id.
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
from shared.processes import free_port
from shared.runtime import PRIVATE_AND_QUIET
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


def procfile(stack: Stack, data: Path) -> str:
    """One line per server; each waits for what it needs, then execs the real server."""
    wait = f"{sys.executable} -m deploy.wait"
    quiet = " ".join(f"{k}={v}" for k, v in PRIVATE_AND_QUIET.items())
    clients = " ".join(f"{k}={v}" for k, v in stack.client_env().items())
    postgres = " ".join(postgres_server(data, stack.ports.postgres))
    bin_dir = Path(sys.executable).parent
    lines = {
        "postgres": postgres,
        "mlflow": f"env {quiet} MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false {wait} {stack.postgres_url}/mlflow -- "
        f"{bin_dir}/mlflow server --backend-store-uri {stack.database('mlflow')} --serve-artifacts "
        f"--artifacts-destination {stack.folder / 'mlflow-artifacts'} --host 127.0.0.1 "
        f"--port {stack.ports.mlflow} --workers 1",
        "prefect": f"env {quiet} PREFECT_HOME={stack.folder / 'prefect'} "
        f"PREFECT_API_DATABASE_CONNECTION_URL={stack.database('prefect', 'asyncpg')} "
        f"{wait} {stack.postgres_url}/prefect -- {bin_dir}/prefect server start --host 127.0.0.1 "
        f"--port {stack.ports.prefect}",
        "worker": f"env {quiet} {clients} PREFECT_HOME={stack.folder / 'prefect-worker'} "
        f"{wait} {stack.prefect_api}/health {stack.tracking_uri}/health -- "
        f"{bin_dir}/prefect worker start --pool {WORK_POOL} --type process",
        "service": f"env {quiet} {clients} MLOPS_STATE_DIR={stack.folder / 'service'} "
        f"{wait} {stack.tracking_uri}/health {stack.postgres_url}/predictions -- "
        f"{sys.executable} -m level2_cicd.service --host 127.0.0.1 --port {stack.ports.service} "
        f"--workers {SERVICE_WORKERS}",
        "dask-scheduler": f"env {quiet} {bin_dir}/dask scheduler --host 127.0.0.1 --port {stack.ports.dask} "
        "--no-dashboard --dashboard-address 127.0.0.1:0",  # its HTTP endpoint stays on loopback, a free port
        "dask-workers": f"env {quiet} {wait} {stack.dask_address} -- {bin_dir}/dask worker {stack.dask_address} "
        f"--nworkers {DASK_WORKERS} --nthreads 1 --host 127.0.0.1 --no-dashboard --dashboard-address 127.0.0.1:0 "
        f"--local-directory {stack.folder / 'dask'}",
    }
    if (binary := prometheus_binary()) is not None:
        config = write_prometheus_config(stack)
        lines["prometheus"] = (
            f"{binary} --config.file={config} --web.listen-address=127.0.0.1:{stack.ports.prometheus} "
            f"--storage.tsdb.path={stack.folder / 'prometheus-data'}"
        )
    return "".join(f"{name}: {command}\n" for name, command in lines.items())


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
    return folder / "honcho.pid"


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
            log = stack.folder / "honcho.log"
            raise StackError(f"not healthy after {timeout:.0f} s: {', '.join(pending)} (see {log})")
        time.sleep(0.5)


def up(folder: Path) -> Stack:
    if (already := running(folder)) is not None:
        return already
    folder.mkdir(parents=True, exist_ok=True)
    stack = Stack(folder, Ports.free())
    (folder / "ports.json").write_text(json.dumps(asdict(stack.ports)))
    data = init_cluster(folder)
    (folder / "Procfile").write_text(procfile(stack, data))
    stack.tokens()  # made once; honcho hands them to the processes from the file, never on a command line
    honcho = [str(Path(sys.executable).parent / "honcho"), "start", "-f", str(folder / "Procfile"), "-d", str(ROOT)]
    honcho += ["-e", str(stack.secrets_file)]
    with (folder / "honcho.log").open("ab") as log:
        process = subprocess.Popen(honcho, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
    _pid_file(folder).write_text(str(process.pid))
    try:
        create_databases(stack)
        wait_healthy(stack)
        stack_processes(folder)  # records the servers' sessions while honcho is their ancestor
    except BaseException:
        down(folder)
        raise
    return stack


def _proc_stats() -> Iterator[tuple[int, list[str]]]:
    """(pid, the fields of /proc/pid/stat after the command name) of every live process."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            yield int(stat.parent.name), stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):
            continue


def _sessions_file(folder: Path) -> Path:
    return folder / "sessions.json"


def _record_sessions(folder: Path, honcho: int, stats: dict[int, list[str]]) -> set[int]:
    """honcho's session and the sessions of all its descendants (honcho starts each Procfile line in a new
    one), added to those recorded earlier: once honcho is gone, its servers are no longer its descendants."""
    children: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        children.setdefault(int(fields[1]), []).append(pid)
    sessions, pending = {honcho}, [honcho]
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
    """Process ids of everything the stack in ``folder`` runs: honcho, its servers and their children."""
    pid_file = _pid_file(folder)
    if not pid_file.is_file():
        return []
    stats = dict(_proc_stats())  # one look at /proc for both the sessions and their members
    sessions = _record_sessions(folder, int(pid_file.read_text()), stats)
    return [pid for pid, fields in stats.items() if int(fields[3]) in sessions and fields[0] != "Z"]


def down(folder: Path, grace: float = 30) -> list[int]:
    """Stop honcho (it stops its servers), then kill what is left of their sessions; returns what was killed."""
    pid_file = _pid_file(folder)
    if not pid_file.is_file():
        return []
    honcho = int(pid_file.read_text())
    stack_processes(folder)  # records the servers' sessions while honcho is still their parent
    if Path(f"/proc/{honcho}").exists():
        os.kill(honcho, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while stack_processes(folder) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = stack_processes(folder)
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # honcho is our child when this process started it
        os.waitpid(honcho, os.WNOHANG)
    pid_file.unlink()
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
        if command == "env":
            found = running(folder)
            if found is None:
                print("echo 'stack not running: make stack-up' >&2; false")
                return 1
            for key, value in (found.client_env() | found.tokens()).items():
                print(f"export {key}={value}")
            return 0
        return status(folder)
        if command == "remove":
            down(folder)
            removed = remove_cluster(folder)
            print(f"stack stopped; PostgreSQL data removed ({removed})" if removed else "stack stopped")
            return 0
    except (StackError, PostgresError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
