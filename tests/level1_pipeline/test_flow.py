"""The training flow against real MLflow (SQLite in a temp dir) and a real Prefect test API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from level1_pipeline.data_gate_report import DataGateError
from shared.registry import Move, Registry
from shared.schema import FEATURE_NAMES
from tests.level1_pipeline.conftest import WEAK_BUT_ABOVE_FLOOR

MODEL = "churn-model"


def champion_version(client: MlflowClient) -> str:
    return str(client.get_model_version_by_alias(MODEL, "champion").version)


def test_first_run_registers_version_1_as_champion_with_artifacts_and_tags(train: Callable[..., Any]) -> None:
    outcome = train()
    client = MlflowClient()
    version = client.get_model_version_by_alias(MODEL, "champion")
    assert (outcome.version, outcome.promoted, str(version.version)) == ("1", True, "1")
    assert version.tags["data_window"] == "2024-06-19..2024-06-28"  # days 18-27 of the synthetic source
    assert len(version.tags["data_digest"]) >= 8
    assert version.tags["code_version"]
    assert version.tags["gate.result"] == "passed"
    run = client.get_run(outcome.run_id)
    assert float(version.tags["threshold"]) == pytest.approx(float(run.data.params["threshold"]), abs=0.005)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["holdout_roc_auc"] == pytest.approx(outcome.metrics["roc_auc"])
    assert 0.5 < run.data.metrics["baseline_holdout_roc_auc"] < 1  # the simpler model, on the same holdout
    assert version.tags["gate.vs_baseline"] == "passed"
    assert run.data.params["max_depth"] == "4"
    assert run.inputs is not None
    assert {d.dataset.name for d in run.inputs.dataset_inputs} == {"train", "holdout"}
    artifacts = {a.path for a in client.list_artifacts(outcome.run_id)} | {
        a.path for a in client.list_artifacts(outcome.run_id, "plots")
    }
    plots = {"plots/roc_curve.png", "plots/confusion_matrix.png", "plots/calibration.png"}
    assert {"model_gate.json", "slices.json", "behaviour.json", *plots} <= artifacts
    assert client.list_artifacts(outcome.run_id, "data_validation")
    shown = [a.path for a in client.list_artifacts(outcome.run_id, "reference")]
    assert sorted(shown) == ["reference/reference.parquet", "reference/reliance.json", "reference/typical.json"]


def test_logged_model_has_signature_and_loads_by_alias(given_a_champion: Callable[..., None]) -> None:
    import mlflow.pyfunc

    given_a_champion()
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    assert model.metadata.signature is not None
    assert model.metadata.signature.inputs.input_names() == list(FEATURE_NAMES)


@pytest.mark.churn
def test_data_quality_batch_fails_the_gate_and_leaves_the_champion(
    train: Callable[..., Any], overrides: dict[str, Any]
) -> None:
    train(data_source="simulator")
    with pytest.raises(DataGateError) as failed:
        train(last_day=40, scenario="data_quality", scenario_start_day=35, data_source="simulator")
    report = failed.value.report
    assert {"monthly_charges", "tenure_months", "payment_method", "support_calls_30d", "usage_hours_30d"} <= set(
        report.failed_columns
    )
    assert "crypto" in report.summary()
    client = MlflowClient()
    assert champion_version(client) == "1"
    assert len(client.search_model_versions(f"name='{MODEL}'")) == 1  # nothing trained, nothing registered
    failed_runs = client.search_runs(
        [r.experiment_id for r in client.search_experiments()], "attributes.status = 'FAILED'"
    )
    assert len(failed_runs) == 1
    assert failed_runs[0].data.tags["data_gate"] == "failed"


def test_crippled_model_is_registered_but_not_promoted(
    train: Callable[..., Any], given_a_champion: Callable[..., None]
) -> None:
    given_a_champion()
    worse = train(params={"max_iter": 1, "max_depth": 1}, experiment_name="crippled-experiment")
    client = MlflowClient()
    assert (worse.version, worse.promoted) == ("2", False)
    assert champion_version(client) == "1"
    assert client.get_model_version(MODEL, "2").tags["gate.result"] == "failed"
    assert client.get_experiment(client.get_run(worse.run_id).info.experiment_id).name == "crippled-experiment"


def test_new_data_promotes_a_winner_and_previous_points_back(
    train: Callable[..., Any], given_a_champion: Callable[..., None]
) -> None:
    # given a weak (but above the floor) champion, when a full model trains on newer days
    given_a_champion(WEAK_BUT_ABOVE_FLOOR)
    newer = train(last_day=34)
    # then it beats the champion on the same holdout and takes over; `previous` points back
    client = MlflowClient()
    assert newer.promoted
    assert champion_version(client) == newer.version == "2"
    assert str(client.get_model_version_by_alias(MODEL, "previous").version) == "1"
    assert newer.champion_metrics is not None  # the old champion was scored on the same holdout
    assert newer.metrics["roc_auc"] > newer.champion_metrics["roc_auc"]
    # and a later candidate that is not promoted reports `previous` as the registry holds it, not as unset
    worse = train(last_day=34, params={"max_iter": 1, "max_depth": 1})
    assert (worse.promoted, worse.champion_version, worse.previous_version) == (False, "2", "1")


def test_rollback_is_one_call(train: Callable[..., Any], given_a_champion: Callable[..., None]) -> None:
    given_a_champion(WEAK_BUT_ABOVE_FLOOR)
    assert train(last_day=34).promoted
    assert Registry(MODEL).rollback(Move("a test", "by hand")) == "1"
    assert champion_version(MlflowClient()) == "1"


def test_level0_and_level1_give_the_same_holdout_metrics(train: Callable[..., Any], overrides: dict[str, Any]) -> None:
    # given the same data window and seed, when both levels train, then their holdout metrics agree
    outcome = train()
    env = {**os.environ, **{f"MLOPS_{k.upper()}": str(v) for k, v in overrides.items()}}
    done = subprocess.run([sys.executable, "-m", "level0_manual.notebook"], env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    level0 = json.loads((Path(overrides["state_dir"]) / "level0" / "handoff" / "metrics.json").read_text())
    for name in ("roc_auc", "log_loss", "f1", "threshold"):
        assert level0["metrics"][name] == pytest.approx(outcome.metrics[name], abs=1e-12)
