"""The stack's long walks (`make test-workshop`), on a stack of their own: a sweep runs its trials on the stack's
Dask workers and gives the stack its champion; batch scoring runs there too and logs to PostgreSQL; each quick
drill's alert fires at the receiver and resolves (the stack's champion unmoved, nothing of the drill left); the
monitoring deployment retrains once on a drifting day and its alarm reaches the receiver.

`make drill` times the drills on a running stack; here the same drills run on a fresh one, so a rule, a route or a
hook that stops reaching the receiver fails CI.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from deploy.alert_receiver import read_received
from deploy.drill import DRILLS, run_drill
from deploy.postgres import remove_cluster
from deploy.stack import down, up
from deploy.topology import Stack, alertmanager_binary, prometheus_binary
from level2_cicd.monitoring.history import STARTS_THE_COOLDOWN, Retraining
from shared.data.source import source_from
from shared.settings import Settings
from tests.conftest import missing_program
from tests.stack import alerts_received, client_shell, deploy

pytestmark = [pytest.mark.walk, pytest.mark.stack]
ROOT = Path(__file__).resolve().parents[2]
ALERTING = pytest.mark.skipif(
    alertmanager_binary() is None or prometheus_binary() is None,
    reason=missing_program("prometheus-alertmanager", "prometheus-alertmanager prometheus"),
)
DRIFT_DAY = 35


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("drills") / "checkout" / "state" / "stack"
    started = up(folder)
    try:
        with pytest.MonkeyPatch.context() as patch:  # as `eval "$(make -s stack-env)"` does for a shell
            patch.setenv("PGPASSFILE", started.client_env()["PGPASSFILE"])
            yield started
    finally:
        down(folder)
        remove_cluster(folder)


@pytest.fixture(scope="module")
def shell(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return client_shell(stack, tmp_path_factory.mktemp("client-state"))


@pytest.fixture(scope="module")
def swept(shell: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """`make sweep` of a two-trial space from a shell with the stack's exports (MLOPS_DASK_ADDRESS among them):
    its best trial is the stack's first model, so its champion."""
    space = tmp_path_factory.mktemp("sweep") / "sweep_space.yaml"
    space.write_text("version: 1\nstrategy: grid\ntrials: 2\nspace:\n  max_depth: [2, 4]\n")
    command = [sys.executable, "-m", "level1_pipeline", "sweep"]
    env = shell | {"MLOPS_SWEEP_SPACE_FILE": str(space)}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def deployed(shell: dict[str, str], swept: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The stack serving its champion (the sweep's) with the deployments of `make deploy` registered."""
    assert swept.returncode == 0, swept.stderr[-2000:]
    return deploy(shell)


def test_a_sweep_runs_its_trials_on_the_stacks_dask_workers(
    stack: Stack, swept: subprocess.CompletedProcess[str]
) -> None:
    from distributed import Client

    # when `make sweep`'s command ran (the fixture), then it succeeded
    assert swept.returncode == 0, swept.stdout[-2000:] + swept.stderr[-3000:]
    # and its trials ran on the stack's scheduler, and the best one was trained and registered
    with Client(stack.dask_address, timeout=10) as client:
        prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert any(prefix.startswith("trial") for prefix in prefixes), prefixes
    assert re.search(r"model version \d+: ", swept.stdout)


def test_batch_scoring_runs_on_the_stacks_dask_workers_and_logs_to_postgresql(
    stack: Stack, shell: dict[str, str], swept: subprocess.CompletedProcess[str], tmp_path: Path
) -> None:
    from distributed import Client

    # given the stack's champion (the sweep's) and three partitions written by `make batch-data`'s command
    assert swept.returncode == 0, swept.stderr[-2000:]
    data = [sys.executable, "-m", "level2_cicd.batch", "data", "--rows", "600", "--partition-rows", "200"]
    made = subprocess.run([*data, "--output", str(tmp_path / "in")], cwd=ROOT, env=shell, capture_output=True)
    assert made.returncode == 0, made.stderr[-2000:]
    # when `make batch-score`'s command scores them with the stack's exports (MLOPS_DASK_ADDRESS among them)
    score = [sys.executable, "-m", "level2_cicd.batch", "score", "--input", str(tmp_path / "in")]
    command = [*score, "--output", str(tmp_path / "out")]
    done = subprocess.run(command, cwd=ROOT, env=shell, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    # then the partitions ran on the stack's scheduler and their 600 rows are in PostgreSQL's log, tagged batch
    with Client(stack.dask_address, timeout=10) as client:
        prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert any("score_partition" in prefix for prefix in prefixes), prefixes
    assert "600 rows scored, 0 rejected; partitions: 3 scored" in done.stdout
    version = re.search(r"version (\d+) of", done.stdout)
    assert version, done.stdout
    with psycopg.connect(stack.dsn("predictions")) as conn:
        query = "SELECT model_version, count(*) FROM predictions WHERE source = 'batch' GROUP BY model_version"
        assert conn.execute(query).fetchall() == [(version.group(1), 600)]


@ALERTING
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=[pytest.mark.churn] if drill.churn_world else [])
        for name, drill in sorted(DRILLS.items())
        if not drill.long
    ],
)
def test_the_drills_alert_fires_at_the_receiver_and_resolves_after_the_runbooks_recovery(
    stack: Stack, deployed: dict[str, str], name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the stack serving its champion with its deployments, the drill's training runs keeping their state here
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path))
    champion = _champion(stack)
    # when the drill's fault is caused and, once its alert arrived, recovered from
    result = run_drill(stack, name)
    # then the receiver got the alert firing, naming its runbook, and later resolved (run_drill waits, bounded)
    lines = [line for line in read_received(stack.alerts_file) if line["alertname"] == DRILLS[name].alert]
    statuses = [line["status"] for line in lines]
    assert statuses.index("firing") < len(statuses) - 1 - statuses[::-1].index("resolved")
    assert lines[statuses.index("firing")]["runbook_url"] == f"docs/runbooks/{DRILLS[name].alert}.md"
    assert result.fired_seconds > 0
    # and the stack's champion never moved, and nothing the drill made is left in the stack's folder
    assert _champion(stack) == champion
    assert not list(stack.folder.glob("drill-*"))


@pytest.mark.churn  # the simulator's covariate drift makes the drifting day (a fork has no simulator)
def test_the_monitoring_deployment_retrains_exactly_once_on_a_drifting_day(
    stack: Stack, deployed: dict[str, str]
) -> None:
    from level2_cicd.monitoring.history import MonitoringHistory
    from level2_cicd.traffic import Traffic

    # given the deployments of `make deploy`, a day of covariate drift scored by the 2-worker service into the
    # PostgreSQL log, and a policy that retrains on the first drifting day once its labels are in (at once here)
    world: dict[str, Any] = {"data_source": "simulator", "scenario": "covariate_drift", "scenario_start_day": 30}
    world |= {"rows_per_day": 300, "label_delay_days": 0, "simulated_today": DRIFT_DAY + 1}
    policy = stack.folder / "monitoring_policy.yaml"
    policy.write_text("min_labelled_days_after_alarm: 1\n")  # the template's defaults otherwise
    settings = Settings(**world, scoring_token=stack.tokens()["MLOPS_SCORING_TOKEN"])
    with httpx.Client(base_url=stack.service_url, timeout=30) as client:
        Traffic(client, source_from(settings), 0, settings).send_day(DRIFT_DAY)
    before = _versions(stack)
    # when the monitoring deployment runs for that day, and then again for the same day (a re-run)
    params = {"day": DRIFT_DAY, "settings_overrides": world | {"monitoring_policy_file": str(policy)}}
    _run_deployment(deployed, "level2-monitoring/daily-monitoring", params)
    _run_deployment(deployed, "level2-monitoring/daily-monitoring", params)
    # then exactly one model was trained, and the shared history holds one drifting window and one retraining
    assert len(set(_versions(stack)) - set(before)) == 1
    history = MonitoringHistory(stack.database("predictions"))
    records = [r for r in history.records() if r["day"] == DRIFT_DAY]
    history.close()
    assert [r["kind"] for r in records] == ["window", "retraining"]
    assert records[0]["status"] == "drift"
    assert Retraining(records[1]["status"]) in STARTS_THE_COOLDOWN  # a candidate was trained
    assert "cooldown after day 35" in records[0]["reason"]  # the re-run was held back by the retraining
    if alertmanager_binary() is not None:  # and the drift alarm reached the stack's receiver through Alertmanager
        said = alerts_received(stack, "MonitorDrift", project="churn")  # the drifted-traffic drill's are its own
        assert any("FIRING   MonitorDrift" in line for line in said)


def _run_deployment(env: dict[str, str], name: str, params: dict[str, object] | None = None) -> str:
    """`prefect deployment run NAME --watch`: a run the stack's worker picks up; its output once finished."""
    prefect = str(Path(sys.executable).parent / "prefect")
    command = [prefect, "deployment", "run", name, "--watch", "--watch-timeout", "240"]
    command += ["--params", json.dumps(params)] if params else []
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:]
    return run.stdout


def _versions(stack: Stack) -> list[int]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=stack.tracking_uri)
    return sorted(int(v.version) for v in client.search_model_versions("name='churn-model'"))


def _champion(stack: Stack) -> str:
    from mlflow import MlflowClient

    return str(
        MlflowClient(tracking_uri=stack.tracking_uri).get_model_version_by_alias("churn-model", "champion").version
    )
