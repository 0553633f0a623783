"""The level 1 training flow: Prefect only wires the steps; each step is a task.

ingest -> validate data (gate) -> split -> train -> evaluate -> validate model (gate)
-> register every model -> promote only a model that passed every gate.
Each task calls a plain step (``steps.py``, the gates, ``release.py``) and logs what it found (``tracking.py``).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from level1_pipeline.data_gate import validate_frame
from level1_pipeline.data_gate_report import DataGateError, DataGateReport
from level1_pipeline.model_card import CardText, facts_from_run, load_card_text, render_card
from level1_pipeline.model_gate import GateResult, judge_candidate
from level1_pipeline.outcome import Became, TrainingOutcome
from level1_pipeline.policy import TrainingPolicy
from level1_pipeline.release import release_candidate
from level1_pipeline.start import start_training
from level1_pipeline.steps import (
    JudgedChampion,
    Scored,
    TrainedModel,
    check_candidate_behaviour,
    ingest_window,
    model_input_example,
    score_baseline,
    score_champion,
    score_holdout,
    split_window,
    train,
)
from level1_pipeline.tags import RELEASE_TAG, run_tags, version_tags
from level1_pipeline.tracking import TrainingRun
from level1_pipeline.unreleased import release_bound_seconds, unreleased_versions
from shared.behaviour import BehaviourResult
from shared.data.windows import DataWindow, TimeSplit
from shared.model import ModelParams
from shared.registry import Registry
from shared.reliance import reliance
from shared.schema import SENSITIVE_FEATURES, with_schema_types
from shared.settings import Settings

__all__ = ["Became", "DataGateError", "DataGateReport", "TrainingOutcome", "training_flow"]  # what other levels use


def _transient(task: Any, run: Any, state: Any) -> bool:
    """Retry reads that may succeed next time (network, timeouts), never deterministic failures."""
    error = state.data
    return isinstance(error, OSError) and not isinstance(error, FileNotFoundError | PermissionError | IsADirectoryError)


@task(name="ingest", retries=2, retry_delay_seconds=2, retry_condition_fn=_transient, cache_policy=NO_CACHE)
def ingest_task(settings: Settings, window: DataWindow) -> pd.DataFrame:
    return ingest_window(settings, window)


@task(name="validate-data", cache_policy=NO_CACHE)
def validate_data_task(frame: pd.DataFrame, policy: TrainingPolicy, run: TrainingRun) -> None:
    report = validate_frame(frame, policy.data_gate)
    run.log_data_gate(report)
    create_markdown_artifact(f"```\n{report.summary()}\n```", key="data-gate", description="Data gate")
    if not report.success:
        raise DataGateError(report)  # nothing is trained on data that broke a rule


@task(name="split", cache_policy=NO_CACHE)
def split_task(frame: pd.DataFrame, policy: TrainingPolicy, run: TrainingRun) -> tuple[TimeSplit, str]:
    split = split_window(with_schema_types(frame), policy.split)  # the gate above checked every rule
    return split, run.log_split(split)


@task(name="train", cache_policy=NO_CACHE)
def train_task(split: TimeSplit, params: ModelParams, run: TrainingRun) -> TrainedModel:
    trained = train(split, params)
    run.log_params({**params.model_dump(), "threshold": trained.threshold})
    return trained


@task(name="evaluate", cache_policy=NO_CACHE)
def evaluate_task(trained: TrainedModel, holdout: pd.DataFrame, run: TrainingRun) -> Scored:
    scored = score_holdout(trained.model, holdout, trained.threshold)
    run.log_evaluation(scored, reliance(trained.model, holdout), holdout, trained.threshold)
    return scored


@task(name="train-baseline", cache_policy=NO_CACHE)
def baseline_task(split: TimeSplit, run: TrainingRun) -> float:
    """A simpler model on the same rows: the candidate must not be much worse than it."""
    baseline = score_baseline(split)
    run.log_metrics(baseline.metrics, prefix="baseline_holdout_")
    return baseline.metrics["roc_auc"]


@task(name="check-behaviour", cache_policy=NO_CACHE)
def behaviour_task(
    trained: TrainedModel, holdout: pd.DataFrame, policy: TrainingPolicy, run: TrainingRun
) -> list[BehaviourResult]:
    results = check_candidate_behaviour(trained.model, holdout, policy.model_gate.behaviour)
    run.log_behaviour(results)
    return results


@task(name="evaluate-champion", cache_policy=NO_CACHE)
def evaluate_champion_task(registry: Registry, holdout: pd.DataFrame, run: TrainingRun, allow: bool) -> JudgedChampion:
    judged = score_champion(registry, holdout, allow_schema_change=allow)
    run.log_champion(judged)
    return judged


@task(name="validate-model", cache_policy=NO_CACHE)
def validate_model_task(
    candidate: Scored,
    baseline_auc: float,
    behaviour: list[BehaviourResult],
    champion: JudgedChampion,
    policy: TrainingPolicy,
    run: TrainingRun,
) -> GateResult:
    theirs = champion.scored
    gate = judge_candidate(
        candidate.metrics["roc_auc"],
        theirs.metrics["roc_auc"] if theirs else None,
        policy.model_gate,
        (candidate.slices, theirs.slices if theirs else None),
        candidate.non_finite,
        behaviour,
        baseline_auc,
        SENSITIVE_FEATURES,
    )
    run.log_gate(gate)
    return gate


@task(name="register", cache_policy=NO_CACHE)
def register_task(
    trained: TrainedModel, split: TimeSplit, tags: dict[str, str], registry: Registry, run: TrainingRun
) -> str:
    model_uri, model_id = run.log_model(trained.model, model_input_example(split.holdout))
    return str(registry.register(model_uri, model_id, run.run_id, tags).version)


@task(name="find-unreleased", cache_policy=NO_CACHE)
def unreleased_task(registry: Registry, settings: Settings, run: TrainingRun, now: float) -> list[str]:
    """Versions earlier runs left between their gates and their release: marked and said, never promoted here."""
    notes = unreleased_versions(registry, run.run_id, release_bound_seconds(settings), now)
    for note in notes:
        get_run_logger().warning(note)
    return notes


@task(name="model-card", cache_policy=NO_CACHE)
def model_card_task(registry: Registry, outcome: TrainingOutcome, text: CardText) -> None:
    """Describe the version in the registry (MLflow UI) from what its run logged."""
    facts = facts_from_run(registry.client, registry.name, outcome.version, outcome.in_words())
    registry.describe(outcome.version, render_card(facts, text))


@flow(name="level1-training", log_prints=True)
def training_flow(
    last_day: date | int | str | None = None,
    days: int | None = None,
    params: dict[str, Any] | None = None,
    settings_overrides: dict[str, Any] | None = None,
) -> TrainingOutcome:
    """Train, gate, register and (if it earns it) promote one model on one data window.

    The window ends on ``last_day`` (a date, or a day number of the source), by default on the
    newest day of the source whose labels have all arrived.
    """
    begun = start_training(last_day, days, settings_overrides)
    settings, window = begun.settings, begun.window
    card_text = load_card_text(settings.model_card_file)  # a broken card file stops the run before it starts
    registry = Registry(settings.model_name)
    tags = run_tags(window, begun.source.lineage())
    run = TrainingRun.start(begun.experiment_id, f"train-{window.first}-{window.last}", tags)
    try:
        notes = unreleased_task(registry, settings, run, now=time.time())
        outcome = _train_and_gate(settings, begun.policy, window, ModelParams(**(params or {})), registry, run, notes)
        model_card_task(registry, outcome, card_text)
    except BaseException:
        run.finish(succeeded=False)
        raise
    run.finish(succeeded=True)
    verdict = "promoted to champion" if outcome.promoted else "registered, NOT promoted"
    get_run_logger().info("version %s %s; champion is version %s", outcome.version, verdict, outcome.champion_version)
    return outcome


def _train_and_gate(
    settings: Settings,
    policy: TrainingPolicy,
    window: DataWindow,
    params: ModelParams,
    registry: Registry,
    run: TrainingRun,
    notes: list[str],
) -> TrainingOutcome:
    frame = ingest_task(settings, window)
    validate_data_task(frame, policy, run)
    split, digest = split_task(frame, policy, run)
    trained = train_task(split, params, run)
    evaluation = evaluate_task(trained, split.holdout, run)
    baseline_auc = baseline_task(split, run)
    behaviour = behaviour_task(trained, split.holdout, policy, run)
    judged = evaluate_champion_task(registry, split.holdout, run, settings.allow_schema_change)
    gate = validate_model_task(evaluation, baseline_auc, behaviour, judged, policy, run)
    version = register_task(trained, split, version_tags(window, digest, trained, gate), registry, run)
    lock = settings.promotion_lock_url  # beside the registry, or the database every promoter shares
    release = release_candidate(policy.release, registry, version, gate, judged.version, lock, run.run_id)
    if gate.passed:
        registry.tag(version, {RELEASE_TAG: release.became})  # no longer pending: released as it became
    return TrainingOutcome(
        run_id=run.run_id,
        version=version,
        promoted=release.became is Became.CHAMPION,
        champion_version=release.champion,
        previous_version=registry.previous_number(),  # as the registry holds it, promoted or not
        metrics=evaluation.metrics,
        champion_metrics=theirs.metrics if (theirs := judged.scored) else None,
        gate_reasons=[*gate.reasons, *([release.why_not] if release.why_not else [])],
        window=str(window),
        became=release.became,
        notes=notes,
    )
