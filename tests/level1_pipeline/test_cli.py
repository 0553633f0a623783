"""`make level1`'s command, as a user meets it: a real process, embedded defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from level1_pipeline.cli import main
from shared.processes import free_port


@pytest.fixture(autouse=True)
def own_prefect_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """In-process CLI calls set process defaults; keep them from leaking into other tests."""
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))


def test_level1_command_runs_end_to_end_on_embedded_defaults(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "PREFECT_HOME", "MLFLOW_TRACKING"))}
    env |= {"MLOPS_STATE_DIR": str(tmp_path / "state"), "MLOPS_ROWS_PER_DAY": "300", "MLOPS_TRAIN_DAYS": "10"}
    env["MLOPS_DATA_SOURCE"] = "synthetic"  # data made from the schema: this test holds for a fork's schema too
    done = subprocess.run(
        [sys.executable, "-m", "level1_pipeline", "run"], env=env, capture_output=True, text=True, timeout=400
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "model version 1: PROMOTED to champion" in done.stdout
    assert (tmp_path / "state" / "mlflow" / "mlflow.db").is_file()
    assert (tmp_path / "state" / "prefect").is_dir()  # Prefect's home stays in the state folder


def test_unreachable_tracking_server_fails_fast_naming_the_uri(monkeypatch, tmp_path: Path, capsys) -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path))
    assert main(["run"]) == 2
    assert f"MLflow tracking server at {uri} is unreachable" in capsys.readouterr().err


def test_unknown_hyperparameter_is_refused_with_the_known_ones(capsys) -> None:
    assert main(["run", "--param", "depth=3"]) == 2
    assert "unknown hyperparameter(s) depth" in capsys.readouterr().err


def test_rollback_with_nothing_to_roll_back_to_says_so_without_a_traceback(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path))
    assert main(["rollback"]) == 2
    err = capsys.readouterr().err
    assert "nothing to roll back to: 'churn-model' has no 'previous' version" in err
    assert "Traceback" not in err


@pytest.mark.churn
def test_a_failing_data_gate_prints_one_clean_report_and_exits_3(tmp_path: Path) -> None:
    # given broken upstream data (renamed and retyped columns, bad values) in the window
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "PREFECT_HOME", "MLFLOW_TRACKING"))}
    env |= {"MLOPS_STATE_DIR": str(tmp_path / "state"), "MLOPS_ROWS_PER_DAY": "300", "MLOPS_TRAIN_DAYS": "10"}
    command = [sys.executable, "-m", "level1_pipeline", "run", "--scenario", "data_quality", "--last-day", "40"]
    # when level 1 runs on it
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=400)
    # then the terminal shows the report once, each problem once, no traceback, and the exit code says why
    output = done.stdout + done.stderr
    assert done.returncode == 3, output[-3000:]
    assert "Traceback" not in output
    assert output.count("data gate FAILED") == 1
    assert "columns not in the schema: 'usage_hrs'" in output  # the renamed column is named
    assert "'0 calls'" in output or "'1 calls'" in output  # the retyped column shows its text values
    assert len(output.strip().splitlines()) < 15
