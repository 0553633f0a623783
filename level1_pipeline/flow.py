"""The level 1 training flow: Prefect only wires the steps; each step is a task.

ingest -> validate data (gate) -> split -> train -> evaluate -> validate model (gate)
-> register every model -> promote only a model that passed every gate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from level1_pipeline import plots
from level1_pipeline.data_gate import DataGateError, DataGateReport, validate_frame
from level1_pipeline.model_card import CardText, facts_from_run, load_card_text, render_card
from level1_pipeline.model_gate import GateResult, judge_candidate
from level1_pipeline.outcome import Became
from level1_pipeline.policy import TrainingPolicy, load_training_policy
from level1_pipeline.release import RELEASE_TAG, release_candidate, unreleased_versions
from level1_pipeline.steps import (
    Scored,
    TrainedModel,
    ingest_window,
    model_input_example,
    score_holdout,
    split_window,
    train,
)
from level1_pipeline.tags import run_tags, version_tags
from level1_pipeline.tracking import TrainingRun
from shared.data.source import source_from, training_window
from shared.data.windows import DataWindow, TimeSplit
from shared.model import ModelParams
from shared.prefect_api import check_deployment_targets
from shared.registry import Registry, RegistryError
from shared.reliance import reliance
from shared.schema import FEATURE_NAMES, LABEL_COLUMN, with_schema_types
from shared.settings import Settings, load_settings
from shared.slices import SliceScore
from shared.tracking import REFERENCE_DIR, RELIANCE_FILE, connect

__all__ = ["Became", "DataGateError", "DataGateReport", "TrainingOutcome", "training_flow"]  # what other levels use


@dataclass(frozen=True)
class TrainingOutcome:
    """What one run did, for people (printed) and for callers (tests, the level 2 loop)."""

    run_id: str
    version: str
    promoted: bool
    champion_version: str | None
    previous_version: str | None
    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    gate_reasons: list[str] = field(default_factory=list)
    window: str = ""
    became: Became = Became.REGISTERED  # what the release policy made of it
    notes: list[str] = field(default_factory=list)  # what this run found left by earlier ones


def _transient(task: Any, run: Any, state: Any) -> bool:
    """Retry reads that may succeed next time (network, timeouts), never deterministic failures."""
    error = state.data
    return isinstance(error, OSError) and not isinstance(error, FileNotFoundError | PermissionError | IsADirectoryError)


@task(name="ingest", retries=2, retry_delay_seconds=2, retry_condition_fn=_transient, cache_policy=NO_CACHE)
def ingest_task(settings: Settings, window: DataWindow) -> pd.DataFrame:
    return ingest_window(settings, window)


@task(name="validate-data", cache_policy=NO_CACHE)
def validate_data_task(frame: pd.DataFrame, policy: TrainingPolicy, run: TrainingRun) -> DataGateReport:
    report = validate_frame(frame, policy.data_gate)
    run.log_dict(report.raw, "data_validation/result.json")
    run.set_tags({"data_gate": "passed" if report.success else "failed"})
    create_markdown_artifact(f"```\n{report.summary()}\n```", key="data-gate", description="Data gate")
    if not report.success:
        raise DataGateError(report)
    return report


@task(name="split", cache_policy=NO_CACHE)
def split_task(frame: pd.DataFrame, policy: TrainingPolicy, run: TrainingRun) -> tuple[TimeSplit, str]:
    split = split_window(with_schema_types(frame), policy.split)  # the gate above checked every rule
    digest = run.log_dataset(split.train, name="train", context="training")
    run.log_dataset(split.holdout, name="holdout", context="evaluation")
    run.log_reference(split.train[list(FEATURE_NAMES)])
    return split, digest


@task(name="train", cache_policy=NO_CACHE)
def train_task(split: TimeSplit, params: ModelParams, run: TrainingRun) -> TrainedModel:
    trained = train(split, params)
    run.log_params({**params.model_dump(), "threshold": trained.threshold})
    return trained


@task(name="evaluate", cache_policy=NO_CACHE)
def evaluate_task(trained: TrainedModel, holdout: pd.DataFrame, run: TrainingRun) -> Scored:
    scored = score_holdout(trained.model, holdout, trained.threshold)
    run.log_metrics(scored.metrics, prefix="holdout_")
    run.log_dict({name: asdict(score) for name, score in scored.slices.items()}, "slices.json")
    shares = reliance(trained.model, holdout)
    run.log_dict(shares, f"{REFERENCE_DIR}/{RELIANCE_FILE}")  # what the monitor weighs drifted columns by
    labels, probabilities = holdout[LABEL_COLUMN], scored.scores
    run.log_figures(
        {
            "plots/roc_curve.png": plots.roc_figure(labels, probabilities),
            "plots/confusion_matrix.png": plots.confusion_figure(labels, probabilities, trained.threshold),
            "plots/calibration.png": plots.calibration_figure(labels, probabilities),
            "plots/reliance.png": plots.reliance_figure(shares),
        }
    )
    return scored


@dataclass(frozen=True)
class JudgedChampion:
    """The champion a candidate was compared with, and how it did on the candidate's holdout."""

    version: str | None
    metrics: dict[str, float] | None
    slices: dict[str, SliceScore] | None = None  # on the candidate's holdout


@task(name="evaluate-champion", cache_policy=NO_CACHE)
def evaluate_champion_task(
    registry: Registry, holdout: pd.DataFrame, run: TrainingRun, allow_schema_change: bool
) -> JudgedChampion:
    champion = registry.champion()
    if champion is None:
        return JudgedChampion(None, None)
    if (differs := champion.schema_differences) is not None:
        if not allow_schema_change:
            raise RegistryError(
                f"champion version {champion.version} was trained on another feature set ({differs}). Nothing was "
                "registered. To replace it by a model of this schema, judged without the champion, set "
                "MLOPS_ALLOW_SCHEMA_CHANGE=true"
            )
        run.set_tags({"schema_change_from_champion": champion.version})
        return JudgedChampion(champion.version, None)  # no comparison across feature sets; promotion still CAS
    scored = score_holdout(registry.load(champion), holdout, champion.threshold)
    run.log_metrics(scored.metrics, prefix="champion_holdout_")
    run.set_tags({"compared_with_champion_version": champion.version})
    return JudgedChampion(champion.version, scored.metrics, scored.slices)


@task(name="validate-model", cache_policy=NO_CACHE)
def validate_model_task(
    candidate: Scored, champion: JudgedChampion, policy: TrainingPolicy, run: TrainingRun
) -> GateResult:
    champion_auc = champion.metrics["roc_auc"] if champion.metrics else None
    slices = (candidate.slices, champion.slices)
    gate = judge_candidate(candidate.metrics["roc_auc"], champion_auc, policy.model_gate, slices, candidate.non_finite)
    run.set_tags(gate.as_tags())
    run.log_dict({"passed": gate.passed, "checks": gate.checks, "reasons": list(gate.reasons)}, "model_gate.json")
    return gate


@task(name="register", cache_policy=NO_CACHE)
def register_task(
    trained: TrainedModel, split: TimeSplit, tags: dict[str, str], registry: Registry, run: TrainingRun
) -> str:
    model_uri, model_id = run.log_model(trained.model, model_input_example(split.holdout))
    return str(registry.register(model_uri, model_id, run.run_id, tags).version)


@task(name="find-unreleased", cache_policy=NO_CACHE)
def unreleased_task(registry: Registry, settings: Settings, run: TrainingRun) -> list[str]:
    """Versions earlier runs left between their gates and their release: marked and said, never promoted here."""
    import time

    # The release step makes a few registry calls, each bounded by (retries + 1) x timeout.
    bound = 4 * (settings.client_retries + 1) * settings.client_timeout_seconds
    notes = unreleased_versions(registry, run.run_id, bound, time.time())
    for note in notes:
        get_run_logger().warning(note)
    return notes


@task(name="model-card", cache_policy=NO_CACHE)
def model_card_task(registry: Registry, version: str, outcome: str, text: CardText) -> None:
    """Describe the version in the registry (MLflow UI) from what its run logged."""
    facts = facts_from_run(registry.client, registry.name, version, outcome)
    registry.describe(version, render_card(facts, text))


def _outcome_text(outcome: TrainingOutcome) -> str:
    if outcome.promoted:
        previous = f"v{outcome.previous_version}" if outcome.previous_version else "none"
        return f"promoted to champion (previous champion: {previous})"
    if outcome.became is Became.CHALLENGER:
        return f"challenger of champion v{outcome.champion_version}: tested on live traffic before promotion"
    return f"registered, not promoted: {'; '.join(outcome.gate_reasons) or 'a gate failed'}"


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
    settings = load_settings(**(settings_overrides or {}))
    check_deployment_targets(settings)
    policy = load_training_policy(settings.training_policy_file)
    card_text = load_card_text(settings.model_card_file)
    source = source_from(settings)
    window = training_window(source, settings, last_day, days)
    model_params = ModelParams(**(params or {}))
    experiment_id = connect(settings)
    registry = Registry(settings.model_name)
    tags = run_tags(window, source.lineage())
    run = TrainingRun.start(experiment_id, f"train-{window.first}-{window.last}", tags)
    try:
        notes = unreleased_task(registry, settings, run)
        outcome = _train_and_gate(settings, policy, window, model_params, registry, run, notes)
        model_card_task(registry, outcome.version, _outcome_text(outcome), card_text)
    except BaseException:
        run.finish(succeeded=False)
        raise
    run.finish(succeeded=True)
    _report(outcome)
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
    judged = evaluate_champion_task(registry, split.holdout, run, settings.allow_schema_change)
    gate = validate_model_task(evaluation, judged, policy, run)
    tags = version_tags(window, digest, trained, gate)
    version = register_task(trained, split, tags, registry, run)
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
        champion_metrics=judged.metrics,
        gate_reasons=[*gate.reasons, *([release.why_not] if release.why_not else [])],
        window=str(window),
        became=release.became,
        notes=notes,
    )


def _report(outcome: TrainingOutcome) -> None:
    logger = get_run_logger()
    verdict = "promoted to champion" if outcome.promoted else "registered, NOT promoted"
    logger.info("version %s %s; champion is version %s", outcome.version, verdict, outcome.champion_version)
