"""The monitor's side of a live test: read the challenger's labelled traffic, judge it, act on the verdict.

Acting goes through the registry like every alias move: a promotion is the same compare-and-set as
a training's (it fails if the champion moved meanwhile), a stop removes the ``challenger`` alias;
both are recorded on the version with the monitored day and the comparison as the reason.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime

import numpy as np
import pandas as pd

from level2_cicd.monitoring.outcome import LiveTest
from level2_cicd.monitoring.release_judge import Verdict, collecting, compare_ab, compare_paired, verdict_on
from shared.prediction_log import create_store_engine, read_live_test
from shared.registry import CHALLENGER, ChampionMovedError, Move, Registry, VersionRef
from shared.release_policy import Action, LiveTestPolicy, load_release_policy
from shared.settings import Settings


def live_test_start(registry: Registry, challenger: VersionRef) -> datetime:
    """When the challenger alias was last set on this version (its trail), as naive UTC like the log."""
    sets = [m["at"] for m in registry.trail(challenger.version) if m["alias"] == CHALLENGER and m["action"] == "set"]
    if not sets:  # set by hand outside the registry adapter: judge everything it answered
        return datetime.min
    return pd.Timestamp(sets[-1]).tz_convert("UTC").tz_localize(None).to_pydatetime()


def pairs(rows: pd.DataFrame, mode: str, champion: str, challenger: str) -> tuple[np.ndarray, ...]:
    """The labelled rows of each side: (labels, champion scores, labels, challenger scores)."""
    if mode == "shadow":
        both = rows[(rows["model_version"] == champion) & (rows["shadow_version"] == challenger)]
        labels = both["label"].to_numpy(dtype=float)
        return labels, both["probability"].to_numpy(), labels, both["shadow_probability"].to_numpy(dtype=float)
    a = rows[(rows["variant"] == "champion") & (rows["model_version"] == champion)]
    b = rows[(rows["variant"] == "challenger") & (rows["model_version"] == challenger)]
    return (
        a["label"].to_numpy(dtype=float),
        a["probability"].to_numpy(),
        b["label"].to_numpy(dtype=float),
        b["probability"].to_numpy(),
    )


def judge_live_test(
    store_url: str, registry: Registry, champion: VersionRef, challenger: VersionRef, policy: LiveTestPolicy
) -> Verdict:
    """The verdict on the challenger's labelled traffic since its test started."""
    engine = create_store_engine(store_url)
    try:
        rows = read_live_test(engine, live_test_start(registry, challenger))
    finally:
        engine.dispose()
    a_labels, a_scores, b_labels, b_scores = pairs(rows, policy.mode, champion.version, challenger.version)
    labelled = min(len(a_labels), len(b_labels))
    judge = policy.judge
    if labelled < judge.guardrail.min_labelled:
        return collecting(labelled, judge.guardrail.min_labelled)
    if policy.mode == "shadow":
        return verdict_on(compare_paired(a_labels, a_scores, b_scores, judge), judge)
    return verdict_on(compare_ab((a_labels, a_scores), (b_labels, b_scores), judge), judge)


def act(
    registry: Registry, verdict: Verdict, champion: VersionRef, challenger: VersionRef, lock_url: str, day: int
) -> str:
    """Carry out the verdict; returns the champion's version afterwards."""
    move = Move(f"monitor (day {day})", verdict.reason)
    if verdict.action is Action.PROMOTE:
        with suppress(ChampionMovedError):  # another promotion won: the challenger stays, tested against it
            registry.promote_if_champion_is(challenger.version, champion.version, lock_url, move)
    elif verdict.action is Action.STOP:
        registry.drop_alias(CHALLENGER, move)
    return registry.champion_number() or champion.version


def run_live_test(settings: Settings, champion: VersionRef, day: int) -> LiveTest | None:
    """Judge the challenger on its labelled live traffic and act on the verdict; None without a live test."""
    policy = load_release_policy(settings.release_policy_file)
    registry = Registry(settings.model_name)
    challenger = registry.challenger()
    if challenger is None or policy.mode == "off":
        return None
    store = settings.resolved_prediction_store_url
    verdict = judge_live_test(store, registry, champion, challenger, policy)
    after = act(registry, verdict, champion, challenger, settings.promotion_lock_url, day)  # as every promoter
    return LiveTest(policy.mode, challenger.version, verdict, after)
