"""`retrain_by: ci`: the monitor dispatches its window; CI trains exactly that and records it in the same memory."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from level2_cicd.monitoring.decision import Decision, Status
from level2_cicd.monitoring.dispatch import retrain_payload
from level2_cicd.monitoring.history import MonitoringHistory
from shared.data.source import Calendar
from tests.conftest import environment_without

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[3]


def test_the_dispatch_carries_the_window_the_monitor_chose_as_dates() -> None:
    decision = Decision(40, Status.DECAY, True, "decay", retrain_window=(33, 37))
    payload = retrain_payload(Calendar(date(2026, 1, 1)), decision)
    assert payload | {"reason": ""} == {"day": 40, "last_day": "2026-02-07", "days": 5, "status": "decay", "reason": ""}


def test_ci_trains_the_dispatched_window_and_records_it_under_the_monitored_day(
    tmp_path: Path, a_fresh_state: Callable[[Path], Path], prefect_api: None
) -> None:
    from prefect.settings import PREFECT_API_URL

    # given the monitor's "dispatched" record for day 12
    state = a_fresh_state(tmp_path / "state")
    store = f"sqlite:///{state / 'level2' / 'predictions.db'}"
    history = MonitoringHistory(store)
    history.append({"kind": "retraining", "day": 12, "by": "ci", "status": "dispatched"})
    history.close()
    # when CI runs `make retrain MONITOR_DAY=12 LAST_DAY=... DAYS=...`
    env = environment_without("MLOPS_", "MLFLOW_TRACKING", "PREFECT_API")
    env |= {"MLOPS_STATE_DIR": str(state), "MLOPS_DATA_SOURCE": "synthetic", "MLOPS_ROWS_PER_DAY": "300"}
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())  # the session's API, as CI's job has its own server up
    command = [sys.executable, "-m", "level2_cicd.monitoring", "retrain", "--day", "12"]
    command += ["--last-day", "2024-06-28", "--days", "10"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "retrained on 2024-06-19..2024-06-28: version 1" in done.stdout
    # then the record for day 12 is the retraining itself (the cooldown counts from it), not a second one
    history = MonitoringHistory(store)
    retrainings = [r for r in history.records() if r["kind"] == "retraining"]
    history.close()
    assert len(retrainings) == 1
    assert {key: retrainings[0][key] for key in ("day", "by", "status", "version", "promoted")} == {
        "day": 12,
        "by": "ci",
        "status": "promoted",
        "version": "1",
        "promoted": True,
    }
    assert retrainings[0]["reason"].startswith("retrained on 2024-06-19..2024-06-28: version 1 promoted to champion")
