"""Judging a challenger on live labels (pure logic): promote a clear winner, stop a clear loser, else wait."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from level2_cicd.monitoring.release_judge import auc, compare_ab, compare_paired, verdict_on
from shared.release_policy import Action, JudgePolicy


@pytest.fixture(scope="module")
def policy() -> JudgePolicy:
    return JudgePolicy()  # the template's defaults: a fork's tuned release policy changes nothing here


def world(n: int, skill: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels, and scores whose separation of the classes grows with ``skill`` (0: a coin)."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype(float)
    return labels, skill * labels + rng.normal(size=n)


def test_auc_is_scikit_learns_roc_auc_row_by_row() -> None:
    labels, scores = world(500, 1.0, seed=1)
    scores[:50] = scores[50:100]  # ties
    assert auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    batch = auc(np.stack([labels, labels[::-1]]), np.stack([scores, scores]))
    assert batch[1] == pytest.approx(roc_auc_score(labels[::-1], scores), abs=1e-12)


def test_a_truly_better_challenger_is_promoted_once_enough_labels_arrived(policy: JudgePolicy) -> None:
    champion, challenger = world(400, 0.5, seed=2), world(400, 1.5, seed=3)
    # with fewer than min_labelled per variant it waits, whatever the look of it
    early = verdict_on(
        compare_ab((champion[0][:200], champion[1][:200]), (challenger[0][:200], challenger[1][:200]), policy), policy
    )
    assert early.action is Action.CONTINUE
    # with enough it promotes, and says by how much
    verdict = verdict_on(compare_ab(champion, challenger, policy), policy)
    assert verdict.action is Action.PROMOTE
    assert verdict.comparison is not None
    assert verdict.comparison.low > 0
    assert "challenger better on live labels" in verdict.reason


def test_a_clearly_worse_challenger_is_stopped_early_by_the_guardrail(policy: JudgePolicy) -> None:
    # given only 150 labelled per variant (above the guardrail's 100, below min_labelled 300)
    verdict = verdict_on(compare_ab(world(150, 2.0, seed=4), world(150, 0.0, seed=5), policy), policy)
    assert verdict.action is Action.STOP
    assert "clearly worse" in verdict.reason


def test_equal_models_keep_collecting_then_stop_without_a_promotion(policy: JudgePolicy) -> None:
    labels, scores = world(6000, 1.0, seed=6)
    twin = scores + np.random.default_rng(7).normal(scale=0.01, size=len(scores))
    assert verdict_on(compare_paired(labels[:400], scores[:400], twin[:400], policy), policy).action is Action.CONTINUE
    final = verdict_on(compare_paired(labels, scores, twin, policy), policy)
    assert final.action is Action.STOP
    assert "no clear difference after 5000" in final.reason


def test_pairing_the_same_requests_narrows_the_interval(policy: JudgePolicy) -> None:
    labels, champion = world(600, 1.0, seed=8)
    challenger = champion + 0.3 * labels + np.random.default_rng(9).normal(scale=0.3, size=len(labels))
    paired = compare_paired(labels, champion, challenger, policy)
    unpaired = compare_ab((labels, champion), (labels, challenger), policy)
    assert paired.high - paired.low < unpaired.high - unpaired.low
