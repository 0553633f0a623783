"""The same code on real servers: the stack of `make stack-up` (PostgreSQL, MLflow server with proxied
artifacts, Prefect server and worker, the service with 2 workers), started and stopped by these tests."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from deploy.postgres import remove_cluster
from deploy.processes import stack_processes
from deploy.stack import down, program_pids, running, supervisor_status, up
from deploy.topology import SERVICE_WORKERS, Stack, alertmanager_binary
from deploy.wait import ready
from shared.data.synthetic import schema_rows
from shared.schema import to_records
from tests.conftest import missing_program
from tests.stack import alerts_received, client_shell, deploy

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[2]
REQUESTS = 400


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # pytest's folders are private (0700), like a clone under /root or `mktemp -d`: the stack must work there
    private = tmp_path_factory.mktemp("private")
    private.chmod(0o700)
    folder = private / "checkout" / "state" / "stack"
    started = up(folder)
    try:
        with pytest.MonkeyPatch.context() as patch:  # as `eval "$(make -s stack-env)"` does for a shell
            patch.setenv("PGPASSFILE", started.client_env()["PGPASSFILE"])
            yield started
    finally:
        down(folder)
        remove_cluster(folder)


@pytest.fixture(scope="module")
def client_env(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return client_shell(stack, tmp_path_factory.mktemp("client-state"))


@pytest.fixture(scope="module")
def trained(client_env: dict[str, str]) -> str:
    command = [sys.executable, "-m", "level1_pipeline", "run"]
    done = subprocess.run(command, cwd=ROOT, env=client_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_level1_registers_a_champion_on_the_tracking_server_with_proxied_artifacts(
    trained: str, stack: Stack, client_env: dict[str, str]
) -> None:
    from mlflow import MlflowClient

    assert "model version 1: PROMOTED to champion" in trained
    client = MlflowClient(tracking_uri=stack.tracking_uri)
    version = client.get_model_version_by_alias("churn-model", "champion")
    assert str(version.source).startswith("models:/m-")
    run = client.get_run(str(version.run_id))
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")  # served by the tracking server
    assert not (Path(client_env["MLOPS_STATE_DIR"]) / "mlflow").exists()  # nothing written on the client
    assert any((stack.folder / "mlflow-artifacts").rglob("MLmodel"))


def _served_versions(base: str, timeout: float = 60) -> list[str]:
    """The version each live worker serves, once every worker serves one (each polls the registry on its own)."""
    deadline = time.monotonic() + timeout
    while True:
        metrics = httpx.get(f"{base}/metrics").text
        versions = re.findall(r'^model_version\{pid="\d+"\} (\S+)$', metrics, flags=re.MULTILINE)
        if (len(versions) == SERVICE_WORKERS and "0.0" not in versions) or time.monotonic() > deadline:
            return versions
        time.sleep(0.5)


async def _send(base: str, rows: list[dict[str, object]], token: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits, headers=headers) as client:
        ids: list[str] = []
        for start in range(0, len(rows), 8):
            replies = await asyncio.gather(
                *(client.post("/predict", json={"rows": [r]}) for r in rows[start : start + 8])
            )
            assert {r.status_code for r in replies} == {200}
            ids += [r.json()["predictions"][0]["request_id"] for r in replies]
        return ids


def test_two_worker_service_logs_every_prediction_once_in_postgres_and_counts_all(trained: str, stack: Stack) -> None:
    assert _served_versions(stack.service_url) == ["1.0"] * SERVICE_WORKERS
    # the stack starts with tokens on: without one, scoring is refused
    assert httpx.post(f"{stack.service_url}/predict", json={"rows": to_records(schema_rows(1))}).status_code == 401
    token = stack.tokens()["MLOPS_SCORING_TOKEN"]
    ids = asyncio.run(_send(stack.service_url, to_records(schema_rows(REQUESTS, seed=4)), token))
    deadline, stored = time.monotonic() + 20, list[str]()
    while len(stored) < REQUESTS and time.monotonic() < deadline:
        with psycopg.connect(stack.dsn("predictions")) as conn:
            stored = [row[0] for row in conn.execute("SELECT request_id FROM predictions")]
        time.sleep(0.2)
    assert sorted(stored) == sorted(ids)  # every prediction exactly once, nothing else
    metrics = httpx.get(f"{stack.service_url}/metrics").text
    counted = sum(
        float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith("predictions_total{")
    )
    assert counted == REQUESTS


def _state(stat: Path) -> str:
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


@pytest.fixture(scope="module")
def deployed(trained: str, client_env: dict[str, str]) -> dict[str, str]:
    return deploy(client_env)


def _flow_run_process(flow_run_id: str) -> int | None:
    """The process a worker started for the flow run (its environment names the run)."""
    marker = f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                return int(environ.parent.name)
        except OSError:
            continue
    return None


def _flow_run(env: dict[str, str], flow_run_id: str) -> Any:
    """The flow run as the stack's Prefect server has it now."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
        return client.read_flow_run(UUID(flow_run_id))


def _flow_run_state_and_time(env: dict[str, str], flow_run_id: str) -> tuple[str, float]:
    """The run's state and when the server set it (seconds since the epoch)."""
    state = _flow_run(env, flow_run_id).state
    return (state.type.value, state.timestamp.timestamp()) if state is not None else ("NONE", 0.0)


def _flow_run_state(env: dict[str, str], flow_run_id: str) -> str:
    return _flow_run_state_and_time(env, flow_run_id)[0]


def _training_runs(stack: Stack) -> dict[str, dict[str, str]]:
    """Every MLflow run of the training experiment on the stack's tracking server: id -> tags."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=stack.tracking_uri)
    experiment = client.get_experiment_by_name("churn-training")
    assert experiment is not None
    return {run.info.run_id: run.data.tags for run in client.search_runs([experiment.experiment_id])}


@dataclass(frozen=True)
class KilledRun:
    """A training deployment's run whose worker and process were killed together (a machine lost)."""

    flow_run_id: str
    tags: dict[str, str]  # of the MLflow run it had started
    killed_at: float  # time.time(), the clock the server's state times share (one machine)


@pytest.fixture(scope="module")
def killed_run(deployed: dict[str, str], stack: Stack) -> KilledRun:
    # given a training deployment's run, started by the worker
    before = _training_runs(stack)
    prefect = str(Path(sys.executable).parent / "prefect")
    started = subprocess.run(
        [prefect, "deployment", "run", "level1-training/daily-training"],
        cwd=ROOT,
        env=deployed,
        capture_output=True,
        text=True,
        timeout=60,
    )
    flow_run_id = re.search(r"UUID: ([0-9a-f-]{36})", started.stdout)
    assert flow_run_id, started.stdout
    run_id = flow_run_id[1]
    assert _wait_until(lambda: _flow_run_state(deployed, run_id) == "RUNNING", 120)
    process = _flow_run_process(run_id)
    assert process is not None
    # once it trains on the tracking server (its MLflow run is there)
    assert _wait_until(lambda: set(_training_runs(stack)) - set(before), 120)
    (tags,) = [tags for run, tags in _training_runs(stack).items() if run not in before]
    # when the worker and the run's process die together (a machine lost): nobody is left to report the end
    os.kill(program_pids(stack.folder)["worker"], signal.SIGKILL)
    os.kill(process, signal.SIGKILL)
    return KilledRun(run_id, tags, time.time())


def test_a_worker_run_trains_with_the_environment_it_carries(killed_run: KilledRun) -> None:
    # the run trained on the source the deployment carried (the stack's client settings), on the tracking server
    assert killed_run.tags["data_source"] == "synthetic"


def test_the_doctor_sees_every_server_answer_and_a_worker_online(deployed: dict[str, str], stack: Stack) -> None:
    # given the stack with its deployments (its worker restarted once above); when `make doctor` looks at it
    env = {**deployed, "MLOPS_STATE_DIR": str(stack.folder.parent)}
    command = [sys.executable, "-m", "deploy.doctor_live"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    # then every server answers, a worker is online on the pool, and the zombie automation is there
    said = {finding["what"]: finding["level"] for finding in json.loads(done.stdout)}
    assert said.get("every stack server answers") == "ok", said
    assert said.get("a worker is online on 'mlops-levels'") == "ok", said
    assert "warn" not in said.values(), said


@pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason=missing_program("prometheus", "prometheus"),
)
def test_prometheus_scrapes_the_service_and_loads_the_alert_rules(stack: Stack, trained: str) -> None:
    base = f"http://127.0.0.1:{stack.ports.prometheus}/api/v1"
    deadline, health = time.monotonic() + 60, ""
    while health != "up" and time.monotonic() < deadline:
        targets = httpx.get(f"{base}/targets").json()["data"]["activeTargets"]
        health = targets[0]["health"] if targets else ""
        time.sleep(1)
    assert health == "up"
    groups = httpx.get(f"{base}/rules").json()["data"]["groups"]
    assert {rule["name"] for group in groups for rule in group["rules"]} >= {
        "PredictionLogUnhealthy",
        "ServiceErrorRate",
    }
    if alertmanager_binary() is not None:  # what fires goes to the stack's Alertmanager
        found = httpx.get(f"{base}/alertmanagers").json()["data"]["activeAlertmanagers"]
        assert [a["url"] for a in found] == [f"{stack.alertmanager_url}/api/v2/alerts"]


def test_purge_on_postgresql(stack: Stack) -> None:
    from shared.prediction_log import create_store_engine
    from tests.level2_cicd.service.test_retention import check_purge

    with psycopg.connect(stack.admin, autocommit=True) as conn:
        conn.execute("CREATE DATABASE purge_check OWNER predictions")
    engine = create_store_engine(stack.database("predictions").rsplit("/", 1)[0] + "/purge_check")
    try:
        check_purge(engine)
    finally:
        engine.dispose()


def test_every_server_of_the_stack_listens_on_loopback_only(stack: Stack, trained: str) -> None:
    import psutil

    # given the running stack's processes (the supervisor, its servers, their children)
    pids = set(stack_processes(stack.folder))
    # when every listening socket of those processes is listed
    listening = [c for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN and c.pid in pids]
    # then every server has some, and none is reachable from another machine
    ports = {c.laddr.port for c in listening}
    assert {stack.ports.postgres, stack.ports.mlflow, stack.ports.prefect, stack.ports.service} <= ports
    assert {c.laddr.ip for c in listening} <= {"127.0.0.1", "::1"}, sorted(
        {(c.laddr.ip, c.laddr.port) for c in listening}
    )


def test_each_server_logs_in_to_its_own_database_only_and_no_password_is_on_a_command_line(
    stack: Stack, trained: str
) -> None:
    from deploy.database_roles import password

    tcp = f"127.0.0.1:{stack.ports.postgres}"
    # a login without the password is refused
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(f"postgresql://predictions@{tcp}/predictions", passfile="/dev/null", connect_timeout=5)
    # MLflow's role, with its own password, cannot open the prediction log
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(f"postgresql://mlflow@{tcp}/predictions", passfile=str(stack.passfile("mlflow")))
    # no password appears in any process's command line (what `ps` shows every local user)
    secrets = [password(stack.passfile(name)) for name in ("mlflow", "prefect", "predictions")]
    command_lines = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in stack_processes(stack.folder)]
    assert not [line for line in command_lines for secret in secrets if secret.encode() in line]


def _every_program_running(stack: Stack, timeout: float = 60) -> dict[str, int]:
    """Each program's process id once none is starting (a test before may have killed one: supervisord restarts
    it after its start delay)."""
    programs = {"postgres", "mlflow", "prefect", "worker", "service"}
    assert _wait_until(lambda: programs <= set(program_pids(stack.folder)), timeout), supervisor_status(stack.folder)
    return program_pids(stack.folder)


def _wait_until(check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def test_a_crashed_server_is_restarted_alone_and_logged(stack: Stack, trained: str) -> None:
    from deploy.wait import ready

    # given the running stack, each program's process
    before = _every_program_running(stack)
    # when the MLflow server dies at once (its whole process group, as an out-of-memory kill of the server would)
    os.killpg(before["mlflow"], signal.SIGKILL)
    # then it is serving again within a bounded time, in a new process; every other server kept its process
    assert _wait_until(lambda: ready(f"{stack.tracking_uri}/health"), 120), supervisor_status(stack.folder)
    after = program_pids(stack.folder)
    assert after["mlflow"] != before["mlflow"]
    assert {k: v for k, v in after.items() if k != "mlflow"} == {k: v for k, v in before.items() if k != "mlflow"}
    # and the restart is in the supervisor's log
    assert "exited: mlflow" in (stack.folder / "logs" / "supervisord.log").read_text()


async def _load_until(base: str, token: str, seconds: float, event: asyncio.Event) -> tuple[list[str], int]:
    """8 clients of 1-row /predict for a bounded time: the acknowledged request ids, and how many were refused."""
    headers = {"Authorization": f"Bearer {token}"}
    rows = to_records(schema_rows(64, seed=5))
    acknowledged: list[str] = []
    refused = 0
    deadline = time.monotonic() + seconds

    async def client(number: int, http: httpx.AsyncClient) -> None:
        nonlocal refused
        sent = 0
        while time.monotonic() < deadline and sent < 2000:
            sent += 1
            try:
                answer = await http.post("/predict", json={"rows": [rows[(number + sent) % len(rows)]]})
            except httpx.HTTPError:
                refused += 1
                continue
            if answer.status_code == 200:
                acknowledged.append(answer.json()["predictions"][0]["request_id"])
                if len(acknowledged) == 200:
                    event.set()  # the outage starts under load
            else:
                assert answer.status_code == 503, answer.text
                refused += 1

    async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers) as http:
        await asyncio.gather(*(client(n, http) for n in range(8)))
    return acknowledged, refused


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_acknowledged_predictions_are_stored_though_a_worker_a_backend_and_postgresql_die_under_load(
    stack: Stack, trained: str
) -> None:
    assert len(_served_versions(stack.service_url)) == SERVICE_WORKERS  # every worker serves a champion
    before = _every_program_running(stack)

    async def faults_under_load() -> tuple[list[str], int]:
        started = asyncio.Event()
        load = asyncio.create_task(_load_until(stack.service_url, stack.tokens()["MLOPS_SCORING_TOKEN"], 15, started))
        await asyncio.wait_for(started.wait(), 60)
        # when, while 8 clients are scoring, one of the service's worker processes is killed,
        os.kill(_children(before["service"])[0], signal.SIGKILL)
        await asyncio.sleep(2)
        # then the database connections of the prediction log are cut (backends killed mid-commit),
        with psycopg.connect(stack.admin, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'predictions'")
        await asyncio.sleep(2)
        # and then the PostgreSQL server itself is killed
        os.killpg(before["postgres"], signal.SIGKILL)
        return await load

    acknowledged, refused = asyncio.run(faults_under_load())
    # then scoring went on through the outage (refused with 503 while nothing could be stored: how many depends on
    # how fast PostgreSQL is back, sometimes none), and PostgreSQL is back, restarted alone
    assert len(acknowledged) + refused > 200
    assert _wait_until(
        lambda: program_pids(stack.folder).get("postgres", before["postgres"]) != before["postgres"], 120
    )
    after = program_pids(stack.folder)
    assert {k: v for k, v in after.items() if k != "postgres"} == {k: v for k, v in before.items() if k != "postgres"}

    # and every acknowledged prediction is in the log (the log may hold more: stored, then not answered in time)
    def stored() -> set[str]:
        with psycopg.connect(stack.dsn("predictions"), connect_timeout=5) as conn:
            return {row[0] for row in conn.execute("SELECT request_id FROM predictions")}

    assert _wait_until(lambda: ready(stack.dsn("predictions")), 60)
    missing = set(acknowledged) - stored()
    assert missing == set(), f"{len(missing)} of {len(acknowledged)} acknowledged predictions are not stored"
    # and the service answers again once the database is back
    token = {"Authorization": f"Bearer {stack.tokens()['MLOPS_SCORING_TOKEN']}"}
    body = {"rows": to_records(schema_rows(1))}
    assert _wait_until(
        lambda: httpx.post(f"{stack.service_url}/predict", json=body, headers=token).status_code == 200, 60
    )
    # with as many workers as before (uvicorn replaced the killed one)
    assert len(_served_versions(stack.service_url)) == SERVICE_WORKERS


def test_a_run_whose_machine_died_is_marked_crashed_within_the_silence_allowed_and_alerts(
    killed_run: KilledRun, deployed: dict[str, str], stack: Stack
) -> None:
    from deploy.zombies import SILENCE_SECONDS

    # the server marked the run killed above Crashed within the silence it allows (plus its evaluation period);
    # this test stands late in the module so that the wait overlaps the tests between (they need no such run)
    allowed = SILENCE_SECONDS + 60
    left = killed_run.killed_at + allowed - time.time()
    _wait_until(lambda: _flow_run_state(deployed, killed_run.flow_run_id) == "CRASHED", max(left, 0))
    state, since = _flow_run_state_and_time(deployed, killed_run.flow_run_id)
    assert state == "CRASHED"
    assert since - killed_run.killed_at <= allowed, f"crashed {since - killed_run.killed_at:.0f} s after the kill"
    print(f"crashed {since - killed_run.killed_at:.0f} s after the kill")
    if alertmanager_binary() is not None:  # and, though its process ran no hook, someone was told
        name = _flow_run(deployed, killed_run.flow_run_id).name
        said = alerts_received(stack, f"run {name}: crashed")
        assert any("FIRING   FlowRunFailed" in line and f"run {name}: crashed" in line for line in said), said


def test_stack_down_leaves_no_process(stack: Stack) -> None:
    # last in this module (pytest keeps file order): when the shared stack is stopped, none of its processes remain
    before = stack_processes(stack.folder)
    assert (
        len(before) >= 8
    )  # supervisord, PostgreSQL, MLflow, Prefect server and worker, service, Dask scheduler, workers
    assert running(stack.folder) == stack
    down(stack.folder)
    alive = [pid for pid in before if Path(f"/proc/{pid}").exists() and _state(Path(f"/proc/{pid}/stat")) != "Z"]
    assert alive == []
    assert running(stack.folder) is None
