"""Batch scoring end to end: the real flow, a real local Dask cluster (2 processes), the registry's version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from level2_cicd.batch.job import REJECTS_DIR, ModelChoice, plan
from level2_cicd.batch.partition import request_ids
from shared.data.simulator import ChurnSimulator
from shared.prediction_log import PREDICTIONS, create_store_engine, read_log
from shared.schema import FEATURE_NAMES, LABEL_COLUMN
from tests.level2_cicd.conftest import TrainedRegistry

pytestmark = [
    pytest.mark.churn,
    pytest.mark.slow,
]  # breaks the churn schema's own rules; a fork with another schema deselects it

ROWS = 300


@dataclass(frozen=True)
class Batch:
    input: Path
    output: Path
    store_url: str
    overrides: dict[str, Any]

    def run(self, **extra: Any) -> Any:
        from level2_cicd.batch.flow import batch_scoring_flow

        return batch_scoring_flow(str(self.input), str(self.output), settings_overrides=self.overrides, **extra)


@pytest.fixture(scope="module")
def batch(trained_registry: TrainedRegistry, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """Four partitions: clean, two broken rows, missing a feature column, clean (its first id already logged)."""
    folder = tmp_path_factory.mktemp("batch")
    parts = [ChurnSimulator(rows_per_day=ROWS).day(40 + n).drop(columns=[LABEL_COLUMN]) for n in range(4)]
    parts[1].loc[7, "plan"] = "gold"
    parts[1].loc[8, "monthly_charges"] = -3.0
    parts[2] = parts[2].drop(columns=["contract"])
    for number, part in enumerate(parts):
        (folder / "in").mkdir(exist_ok=True)
        part.to_parquet(folder / "in" / f"part-{number:05d}.parquet")
    store_url = f"sqlite:///{folder / 'log.db'}"
    overrides: dict[str, Any] = {"state_dir": str(trained_registry.state_dir), "data_source": "synthetic"}
    overrides |= {"prediction_store_url": store_url, "dask_workers": 2}
    return Batch(folder / "in", folder / "out", store_url, overrides)


@pytest.fixture(scope="module")
def first_run(batch: Batch, prefect_api: None) -> Any:
    """The job after a row of partition 3 was already in the log: its log insert fails after its files were staged."""
    choice = ModelChoice("unused", "churn-model", "1", 0.5)
    clash = request_ids(plan(str(batch.input), str(batch.output), choice, None).job_id, 3, pd.Series([0]))[0]
    engine = create_store_engine(batch.store_url)
    with engine.begin() as conn:
        row = {"request_id": clash, "created_at": pd.Timestamp("2026-01-01"), "served_at": pd.Timestamp("2026-01-01")}
        conn.execute(PREDICTIONS.insert(), [row | {"model_version": "0", "prediction": 0, "probability": 0.0}])
    return batch.run()


def test_scores_equal_mlflow_pyfunc_of_the_same_version(
    batch: Batch, first_run: Any, trained_registry: TrainedRegistry
) -> None:
    # given the scored partitions of the champion (version 1)
    assert first_run.model_version == "1"
    scored = pd.concat([pd.read_parquet(batch.output / f"part-{n:05d}.parquet") for n in (0, 1)], ignore_index=True)

    # when MLflow's own pyfunc loader scores the same rows
    mlflow.set_tracking_uri(trained_registry.tracking_uri)
    pyfunc = mlflow.pyfunc.load_model("models:/churn-model/1")
    expected = np.asarray(pyfunc.predict(scored[list(FEATURE_NAMES)]))[:, 1]

    # then the probabilities agree to 1e-9 and the decisions follow the version's threshold
    assert len(scored) == 2 * ROWS - 2
    np.testing.assert_allclose(scored["probability"], expected, rtol=0, atol=1e-9)
    threshold = float(mlflow.MlflowClient().get_model_version("churn-model", "1").tags["threshold"])
    assert (scored["prediction"] == (scored["probability"] >= threshold)).all()
    assert set(scored["model_version"]) == {"1"}


def test_broken_rows_are_reported_per_partition_and_written_to_a_rejects_file(batch: Batch, first_run: Any) -> None:
    summary = first_run.partitions[1]
    assert (summary["status"], summary["rows"], summary["scored"], summary["rejected"]) == ("scored", ROWS, ROWS - 2, 2)
    assert "plan: must be one of basic, standard, premium (1 rows)" in summary["detail"]
    assert "monthly_charges: must be between 0.0 and 500.0 (1 rows)" in summary["detail"]
    rejects = pd.read_parquet(batch.output / REJECTS_DIR / "part-00001.parquet")
    assert rejects["source_row"].tolist() == [7, 8]
    assert rejects["plan"].tolist()[0] == "gold"


def test_bad_partitions_are_reported_and_nothing_of_them_is_written_or_logged(batch: Batch, first_run: Any) -> None:
    # a partition missing a column fails before scoring; one whose log insert fails had staged its files
    missing, clashing = first_run.partitions[2], first_run.partitions[3]
    assert (missing["status"], missing["detail"]) == ("failed", "column 'contract': is missing")
    assert clashing["status"] == "failed"
    assert "IntegrityError" in clashing["detail"]
    assert sorted(p.name for p in batch.output.rglob("*")) == sorted(
        ["part-00000.parquet", "part-00001.parquet", REJECTS_DIR, "part-00001.parquet"]
    )
    assert first_run.failed == ["part-00002.parquet", "part-00003.parquet"]


def test_the_log_gets_exactly_the_scored_rows_once_per_worker_model_and_a_rerun_adds_only_the_missing(
    batch: Batch, first_run: Any
) -> None:
    # then the log holds exactly the scored rows (plus the clashing row the test wrote), tagged batch
    log = read_log(sa.create_engine(batch.store_url))
    batch_rows = log[log["source"] == "batch"]
    scored = pd.concat([pd.read_parquet(batch.output / f"part-{n:05d}.parquet") for n in (0, 1)])
    assert sorted(batch_rows["request_id"]) == sorted(scored["request_id"])
    assert set(batch_rows["model_version"]) == {"1"}
    assert len(log) == len(scored) + 1
    # and each worker process loaded the model once, however many partitions it scored
    done = [p for p in first_run.partitions if p["status"] == "scored"]
    assert {p["model_loads"] for p in done} == {1}

    # when the missing column is restored, the clash removed and the job run again
    fixed = ChurnSimulator(rows_per_day=ROWS).day(42).drop(columns=[LABEL_COLUMN])
    fixed.to_parquet(batch.input / "part-00002.parquet")
    with sa.create_engine(batch.store_url).begin() as conn:
        conn.execute(PREDICTIONS.delete().where(PREDICTIONS.c.model_version == "0"))
    again = batch.run()

    # then only the two missing partitions are scored and the log gains exactly their rows
    assert [p["status"] for p in again.partitions] == ["skipped", "skipped", "scored", "scored"]
    log = read_log(sa.create_engine(batch.store_url))
    assert len(log) == len(scored) + 2 * ROWS
    assert log["request_id"].is_unique
