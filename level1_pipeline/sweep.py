"""Level 1 sweep: trials of the search space in parallel on Dask, the best one trained like any model.

read window -> data gate (same as training) -> time split -> trials in parallel (Prefect tasks on a
`DaskTaskRunner`: a scheduler at MLOPS_DASK_ADDRESS, or a local cluster of processes) judged on the
validation days -> one MLflow child run per trial under the sweep's parent run (params, metrics,
duration; a crashed trial is a FAILED child with its error, the others go on) -> the best trial's
hyperparameters go through `training_flow`: the same data gate, model gate, registry and
compare-and-set promotion as every training, never around them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from threadpoolctl import threadpool_limits

from level1_pipeline.flow import ingest, training_flow, validate_data
from level1_pipeline.outcome import TrainingOutcome
from level1_pipeline.plots import trials_figure
from level1_pipeline.start import start_training
from level1_pipeline.steps import split_window, train
from level1_pipeline.sweep_space import load_sweep_space
from level1_pipeline.tags import code_version
from level1_pipeline.tracking import TrainingRun
from shared.dask_cluster import local_cluster_kwargs
from shared.data.windows import DataWindow, TimeSplit
from shared.metrics import classification_metrics
from shared.model import ModelParams, predict_proba
from shared.schema import LABEL_COLUMN, with_schema_types
from shared.settings import Settings, overrides_without_secrets

SELECTED_BY = "roc_auc"  # on the validation days: the holdout stays for the model gate


@dataclass(frozen=True)
class TrialResult:
    number: int
    params: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)  # on the validation days
    seconds: float = 0.0
    error: str | None = None

    @property
    def score(self) -> float | None:
        return None if self.error else self.metrics.get(SELECTED_BY)


@dataclass(frozen=True)
class SweepOutcome:
    run_id: str
    window: str
    trials: list[TrialResult]
    best: TrialResult | None
    training: TrainingOutcome | None
    reason: str


@task(name="trial", cache_policy=NO_CACHE)
def trial_task(number: int, params: dict[str, Any], training: pd.DataFrame, validation: pd.DataFrame) -> TrialResult:
    """Fit the recipe with ``params`` and judge it on the validation days (raises when the recipe refuses them)."""
    started = time.perf_counter()
    with threadpool_limits(1):  # one trial per worker process, one core each
        trained = train(TimeSplit(training, validation, validation), ModelParams(**params))
        metrics = classification_metrics(
            validation[LABEL_COLUMN], predict_proba(trained.model, validation), trained.threshold
        )
    return TrialResult(number, params, metrics, time.perf_counter() - started)


@flow(name="level1-sweep-trials")
def trials_flow(
    candidates: list[dict[str, Any]], training: pd.DataFrame, validation: pd.DataFrame
) -> list[TrialResult]:
    """Every trial at once on the flow's task runner; a trial that crashes becomes a failed result."""
    futures = [trial_task.submit(n, params, training, validation) for n, params in enumerate(candidates, start=1)]
    results = []
    for number, (params, future) in enumerate(zip(candidates, futures, strict=True), start=1):
        outcome = future.result(raise_on_failure=False)
        if isinstance(outcome, TrialResult):
            results.append(outcome)
        else:
            message = " ".join(f"{type(outcome).__name__}: {outcome}".split())  # one line, for tables and tags
            results.append(TrialResult(number, params, error=message[:500]))
    return results


def dask_runner(settings: Settings) -> Any:
    """The scheduler at ``dask_address``, or a temporary local cluster of processes bound to 127.0.0.1."""
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(cluster_kwargs=local_cluster_kwargs(settings))


@flow(name="level1-sweep", log_prints=True)
def sweep_flow(
    last_day: date | int | str | None = None,
    days: int | None = None,
    settings_overrides: dict[str, Any] | None = None,
) -> SweepOutcome:
    """Sweep the search space on one data window; train and gate the best trial like any model."""
    begun = start_training(last_day, days, settings_overrides)
    settings, window = begun.settings, begun.window
    space = load_sweep_space(settings.sweep_space_file)
    tags = {"data_window": str(window), **begun.source.lineage(), "code_version": code_version(), "sweep": "parent"}
    with TrainingRun.start(begun.experiment_id, f"sweep-{window.first}-{window.last}", tags) as parent:
        return _sweep(settings, begun.policy, space, window, parent)


def _sweep(settings: Settings, policy: Any, space: Any, window: DataWindow, parent: TrainingRun) -> SweepOutcome:
    frame = ingest(settings, window)
    validate_data(frame, policy.data_gate, parent)  # the training's own data-gate step: logged, raises on failure
    split = split_window(with_schema_types(frame), policy.split)
    candidates = space.draw()
    parent.log_params({"strategy": space.strategy, "trials": len(candidates), "seed": space.seed})
    runner = dask_runner(settings)
    results = trials_flow.with_options(task_runner=runner)(candidates, split.train, split.validation)
    log_trials(parent, results)
    scored = [r for r in results if r.score is not None]
    if not scored:
        reason = f"no trial finished ({len(results)} failed): nothing trained, the champion is unchanged"
        parent.set_tags({"sweep.result": reason})
        return SweepOutcome(parent.run_id, str(window), results, None, None, reason)
    best = max(scored, key=lambda r: r.score or 0.0)
    overrides = overrides_without_secrets(settings)
    training = training_flow(last_day=window.last, days=window.days, params=best.params, settings_overrides=overrides)
    reason = "promoted to champion" if training.promoted else "; ".join(training.gate_reasons)
    parent.set_tags(
        {"best_trial": str(best.number), "registered_version": training.version, "training_run_id": training.run_id}
    )
    parent.set_tags({"sweep.result": f"version {training.version}: {reason}"})
    return SweepOutcome(parent.run_id, str(window), results, best, training, reason)


def log_trials(parent: TrainingRun, results: list[TrialResult]) -> None:
    """One child run per trial, the table of trials and a comparison plot on the parent."""
    from mlflow.entities import Metric, Param, RunTag

    client, experiment_id = parent.client, parent.client.get_run(parent.run_id).info.experiment_id
    for result in results:
        tags = {"mlflow.parentRunId": parent.run_id, "trial": str(result.number)}
        child = client.create_run(experiment_id, run_name=f"trial-{result.number}", tags=tags)
        now = int(time.time() * 1000)
        metrics = [Metric(f"validation_{k}", float(v), now, 0) for k, v in result.metrics.items()]
        metrics.append(Metric("duration_seconds", result.seconds, now, 0))
        extra = [RunTag("error", result.error)] if result.error else []
        params = [Param(k, str(v)) for k, v in result.params.items()]
        client.log_batch(child.info.run_id, metrics=metrics, params=params, tags=extra)
        client.set_terminated(child.info.run_id, status="FAILED" if result.error else "FINISHED")
    table = [
        {"trial": r.number, **r.params, f"validation_{SELECTED_BY}": r.score, "seconds": r.seconds, "error": r.error}
        for r in results
    ]
    parent.log_dict({"selected_by": f"validation {SELECTED_BY}", "trials": table}, "trials.json")
    parent.log_figures({"plots/trials.png": trials_figure([r.number for r in results], [r.score for r in results])})
