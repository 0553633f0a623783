"""The stack's long walks (`make test-workshop`), on a stack of their own: each drill's alert fires at the receiver
and resolves; then a sweep runs its trials on the stack's Dask workers.

`make drill` times the drills on a running stack; here the same drills run on a fresh one, so a rule, a route or a
hook that stops reaching the receiver fails CI. The sweep comes last (it registers a model the drills do not need).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.alert_receiver import read_received
from deploy.drill import DRILLS, run_drill
from deploy.postgres import remove_cluster
from deploy.stack import down, up
from deploy.topology import Stack, alertmanager_binary, prometheus_binary
from tests.conftest import missing_program
from tests.stack import client_shell

pytestmark = [pytest.mark.walk, pytest.mark.stack]
ROOT = Path(__file__).resolve().parents[2]
ALERTING = pytest.mark.skipif(
    alertmanager_binary() is None or prometheus_binary() is None,
    reason=missing_program("prometheus-alertmanager", "prometheus-alertmanager prometheus"),
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("drills") / "checkout" / "state" / "stack"
    started = up(folder)
    try:
        yield started
    finally:
        down(folder)
        remove_cluster(folder)


@ALERTING
@pytest.mark.parametrize("name", sorted(DRILLS))
def test_the_drills_alert_fires_at_the_receiver_and_resolves_after_the_runbooks_recovery(
    stack: Stack, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path))  # the drill's training runs keep their state here
    # when the drill's fault is caused and, once its alert arrived, recovered from
    result = run_drill(stack, name)
    # then the receiver got the alert firing, naming its runbook, and later resolved (run_drill waits, bounded)
    lines = [line for line in read_received(stack.alerts_file) if line["alertname"] == DRILLS[name].alert]
    statuses = [line["status"] for line in lines]
    assert statuses.index("firing") < len(statuses) - 1 - statuses[::-1].index("resolved")
    assert lines[statuses.index("firing")]["runbook_url"] == f"docs/runbooks/{DRILLS[name].alert}.md"
    assert result.fired_seconds > 0


def test_a_sweep_runs_its_trials_on_the_stacks_dask_workers(stack: Stack, tmp_path: Path) -> None:
    from distributed import Client

    # given a two-trial search space and the stack's exports (MLOPS_DASK_ADDRESS among them), as a shell has them
    space = tmp_path / "sweep_space.yaml"
    space.write_text("version: 1\nstrategy: grid\ntrials: 2\nspace:\n  max_depth: [2, 4]\n")
    env = client_shell(stack, tmp_path / "state") | {"MLOPS_SWEEP_SPACE_FILE": str(space)}
    # when `make sweep`'s command runs
    command = [sys.executable, "-m", "level1_pipeline", "sweep"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    # then its trials ran on the stack's scheduler, and the best one was trained and registered
    with Client(stack.dask_address, timeout=10) as client:
        prefixes = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
    assert any(prefix.startswith("trial") for prefix in prefixes), prefixes
    assert re.search(r"model version \d+: ", done.stdout)
