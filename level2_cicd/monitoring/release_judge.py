"""Judge a challenger on live labels: bootstrap interval of the ROC AUC difference, then promote, stop or wait.

Pure logic. A/B: the variants answered different requests, so each is resampled on its own.
Shadow: both scored the same requests, so the pairs are resampled together (a paired bootstrap).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import rankdata

from shared.release_policy import Action, JudgePolicy


@dataclass(frozen=True)
class Comparison:
    """Challenger minus champion on the labelled predictions of the test so far."""

    labelled: int  # per variant (the smaller of the two under A/B)
    champion_auc: float
    challenger_auc: float
    difference: float
    low: float
    high: float

    def __str__(self) -> str:
        return (
            f"ROC AUC {self.challenger_auc:.3f} vs {self.champion_auc:.3f} ({self.difference:+.3f}, "
            f"interval [{self.low:+.3f}, {self.high:+.3f}], {self.labelled} labelled per variant)"
        )


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str
    comparison: Comparison | None = None

    def as_dict(self) -> dict[str, object]:
        return {"action": self.action.value, "reason": self.reason} | (
            asdict(self.comparison) if self.comparison else {}
        )


def auc(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of ``scores`` (2-D) against the same row of ``labels`` (Mann-Whitney, ties averaged)."""
    ranks = rankdata(scores, axis=-1)
    positives = labels.sum(axis=-1)
    negatives = labels.shape[-1] - positives
    with np.errstate(invalid="ignore", divide="ignore"):
        return ((ranks * labels).sum(axis=-1) - positives * (positives + 1) / 2) / (positives * negatives)


def _interval(differences: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    low, high = np.nanpercentile(differences, [tail, 100 - tail])
    return float(low), float(high)


def compare_ab(
    champion: tuple[np.ndarray, np.ndarray],
    challenger: tuple[np.ndarray, np.ndarray],
    policy: JudgePolicy,
    seed: int = 0,
) -> Comparison:
    """Unpaired: (labels, probabilities) of each variant's own requests, each resampled on its own."""
    rng = np.random.default_rng(seed)
    estimates = []
    for labels, scores in (champion, challenger):
        picks = rng.integers(0, len(labels), size=(policy.bootstrap_rounds, len(labels)))
        estimates.append((float(auc(labels, scores)), auc(labels[picks], scores[picks])))
    (a, a_rounds), (b, b_rounds) = estimates
    low, high = _interval(b_rounds - a_rounds, policy.confidence)
    return Comparison(min(len(champion[0]), len(challenger[0])), a, b, b - a, low, high)


def compare_paired(
    labels: np.ndarray, champion: np.ndarray, challenger: np.ndarray, policy: JudgePolicy, seed: int = 0
) -> Comparison:
    """Paired: both variants scored the same labelled requests; the pairs are resampled together."""
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(labels), size=(policy.bootstrap_rounds, len(labels)))
    a, b = float(auc(labels, champion)), float(auc(labels, challenger))
    differences = auc(labels[picks], challenger[picks]) - auc(labels[picks], champion[picks])
    low, high = _interval(differences, policy.confidence)
    return Comparison(len(labels), a, b, b - a, low, high)


def collecting(labelled: int, needed: int) -> Verdict:
    return Verdict(Action.CONTINUE, f"collecting labels: {labelled} of {needed} per variant")


def verdict_on(comparison: Comparison, policy: JudgePolicy) -> Verdict:
    """Promote a clear winner, stop a clear loser (early past the guardrail's sample), else keep collecting."""
    n, guard = comparison.labelled, policy.guardrail
    if n < guard.min_labelled:
        return collecting(n, guard.min_labelled)
    if comparison.high < -guard.max_auc_loss:
        return Verdict(Action.STOP, f"challenger clearly worse: {comparison}", comparison)
    if n < policy.min_labelled:
        return Verdict(Action.CONTINUE, f"collecting labels: {comparison}", comparison)
    if comparison.low > policy.min_auc_gain:
        return Verdict(Action.PROMOTE, f"challenger better on live labels: {comparison}", comparison)
    if comparison.high < 0:
        return Verdict(Action.STOP, f"challenger worse on live labels: {comparison}", comparison)
    if n >= policy.max_labelled:
        return Verdict(
            Action.STOP, f"no clear difference after {policy.max_labelled} labelled: {comparison}", comparison
        )
    return Verdict(Action.CONTINUE, f"no clear difference yet: {comparison}", comparison)
