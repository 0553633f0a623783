"""Level 2 batch scoring as a Prefect flow: choose the version, score the partitions on Dask, report.

The flow only wires steps: the registry lookup (`shared/registry.py`), the Dask job (`job.py`) and
its per-partition logic (`partition.py`). The Dask scheduler is ``MLOPS_DASK_ADDRESS`` (the
stack's), or a local cluster of ``MLOPS_DASK_WORKERS`` processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from level2_cicd.batch.job import BatchJob, ModelChoice, plan, records, report_lines, run
from shared.dask_cluster import dask_client
from shared.prefect_api import check_deployment_targets
from shared.registry import Registry, RegistryError
from shared.settings import Settings, load_settings
from shared.tracking import check_reachable, use_tracking_uri


@dataclass(frozen=True)
class BatchOutcome:
    model_version: str
    output: str
    partitions: list[dict[str, Any]]  # one summary per input partition (job.SUMMARY_COLUMNS)
    report: list[str]  # what a person reads: a line per partition, then the totals

    @property
    def failed(self) -> list[str]:
        return [p["file"] for p in self.partitions if p["status"] == "failed"]


@task(name="choose-model", cache_policy=NO_CACHE)
def choose_model_task(settings: Settings, version: str | None) -> ModelChoice:
    """The given version, or the champion's number read once (the alias may move while the job runs)."""
    registry = Registry(settings.model_name)
    ref = registry.version(version) if version else registry.champion()
    if ref is None:
        raise RegistryError(f"no champion of {settings.model_name!r} to score with: run `make level1` first")
    return ModelChoice(settings.resolved_tracking_uri, ref.name, ref.version, ref.threshold)


@task(name="score-partitions", cache_policy=NO_CACHE)
def score_partitions_task(job: BatchJob, settings: Settings) -> pd.DataFrame:
    with dask_client(settings) as client:
        return run(job, client)


@flow(name="level2-batch-scoring", log_prints=True)
def batch_scoring_flow(
    input_path: str,
    output_path: str,
    version: str | None = None,
    log_predictions: bool = True,
    settings_overrides: dict[str, Any] | None = None,
) -> BatchOutcome:
    """Score a partitioned Parquet dataset with a registered version; append the scores to the prediction log."""
    settings = load_settings(**(settings_overrides or {}))
    check_deployment_targets(settings)
    check_reachable(settings)
    use_tracking_uri(settings.resolved_tracking_uri)
    model = choose_model_task(settings, version)
    store = settings.resolved_prediction_store_url if log_predictions else None
    job = plan(input_path, output_path, model, store)
    summaries = score_partitions_task(job, settings)
    report = [f"version {model.version} of {model.name!r} -> {job.output}", *report_lines(summaries)]
    print("\n".join(report))
    _publish(summaries)
    return BatchOutcome(model.version, job.output, records(summaries), report)


def _publish(summaries: pd.DataFrame) -> None:
    """The per-partition table as a Prefect artifact: the run's page in the UI shows it."""
    from prefect.artifacts import create_table_artifact

    shown = summaries.drop(columns=["worker", "model_loads"]).round({"seconds": 2}).astype(str)
    create_table_artifact(records(shown), key="batch-scoring", description="Partitions of the job")
