"""The level 1 training flow: ingest -> data gate -> split -> train -> evaluate -> model gate -> register -> release.

Prefect only wires: each step is a plain function (``steps.py``, the gates, ``release.py``) run as a task, one box
per step in Prefect's UI, and the flow logs what each step found to the MLflow run (``tracking.py``).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from level1_pipeline import data_gate, model_card, model_gate, steps, unreleased
from level1_pipeline.data_gate_report import DataGateError
from level1_pipeline.outcome import TrainingOutcome
from level1_pipeline.policy import DataGatePolicy
from level1_pipeline.release import release_candidate
from level1_pipeline.start import start_training
from level1_pipeline.tags import run_tags, version_tags
from level1_pipeline.tracking import TrainingRun
from shared.alerts import FLOW_HOOKS
from shared.model import ModelParams
from shared.orchestration import step, transient
from shared.registry import Registry
from shared.reliance import reliance
from shared.schema import SENSITIVE_FEATURES, with_schema_types

ingest = step(steps.ingest_window, "ingest", retries=2, retry_delay_seconds=2, retry_condition_fn=transient)
split_window = step(steps.split_window, "split")
train = step(steps.train, "train")
evaluate = step(steps.score_holdout, "evaluate")
explain = step(reliance, "reliance")  # what the model relies on: the monitor weighs drift by it
evaluate_baseline = step(steps.score_baseline, "train-baseline")  # a simpler model on the same rows
check_behaviour = step(steps.check_candidate_behaviour, "check-behaviour")
evaluate_champion = step(steps.score_champion, "evaluate-champion")
judge = step(model_gate.judge_candidate, "validate-model")
register = step(Registry.register, "register")
release = step(release_candidate, "release")
find_unreleased = step(unreleased.unreleased_versions, "find-unreleased")  # runs that died left them: marked
describe = step(model_card.describe_version, "model-card")  # the version's card, from what its run logged


@task(name="validate-data", cache_policy=NO_CACHE)
def validate_data(frame: pd.DataFrame, policy: DataGatePolicy, run: TrainingRun) -> None:
    """The data gate, logged; nothing is trained on data that broke a rule (the sweep gates its window here too)."""
    report = data_gate.validate_frame(frame, policy)
    run.log_data_gate(report)
    create_markdown_artifact(f"```\n{report.summary()}\n```", key="data-gate", description="Data gate")
    if not report.success:
        raise DataGateError(report)


@flow(name="level1-training", log_prints=True, **FLOW_HOOKS)
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
    settings, policy, window = begun.settings, begun.policy, begun.window
    card_text = model_card.load_card_text(settings.model_card_file)  # a broken card file stops the run before it starts
    registry, logger = Registry(settings.model_name), get_run_logger()
    tags = run_tags(window, begun.source.lineage())
    with TrainingRun.start(begun.experiment_id, f"train-{window.first}-{window.last}", tags) as run:
        notes = find_unreleased(registry, run.run_id, unreleased.release_bound_seconds(settings), time.time())
        for note in notes:
            logger.warning(note)
        frame = ingest(settings, window)
        validate_data(frame, policy.data_gate, run)
        split = split_window(with_schema_types(frame), policy.split)  # the gate above checked every rule
        digest = run.log_split(split)
        trained = train(split, ModelParams(**(params or {})))
        run.log_params({**trained.params.model_dump(), "threshold": trained.threshold})
        candidate = evaluate(trained.model, split.holdout, trained.threshold)
        run.log_evaluation(candidate, explain(trained.model, split.holdout), split.holdout, trained.threshold)
        baseline = evaluate_baseline(split)
        run.log_metrics(baseline.metrics, prefix="baseline_holdout_")
        behaviour = check_behaviour(trained.model, split.holdout, policy.model_gate.behaviour)
        run.log_behaviour(behaviour)
        champion = evaluate_champion(registry, split.holdout, settings.allow_schema_change)
        run.log_champion(champion)
        gate = judge(candidate, champion.scored, policy.model_gate, baseline, behaviour, SENSITIVE_FEATURES)
        run.log_gate(gate)
        model_uri, model_id = run.log_model(trained.model, split.holdout)
        tags = version_tags(window, digest, trained, gate)
        version = str(register(registry, model_uri, model_id, run.run_id, tags).version)
        lock = settings.promotion_lock_url  # beside the registry, or the database every promoter shares
        released = release(policy.release, registry, version, gate, champion.version, lock, run.run_id)
        previous = registry.previous_number()  # as the registry holds it, promoted or not
        outcome = TrainingOutcome.of_release(
            run.run_id, version, released, gate, (candidate, champion.scored), window, notes, previous
        )
        describe(registry, outcome.version, outcome.in_words(), card_text)
    logger.info("version %s: %s; champion is version %s", outcome.version, outcome.in_words(), outcome.champion_version)
    return outcome
