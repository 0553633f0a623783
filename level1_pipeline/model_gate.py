"""The model gate: a pure decision on the scored candidate against the policy, the champion and a baseline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from level1_pipeline.policy import ModelGatePolicy
from level1_pipeline.slice_checks import group_gaps, worse_slices
from level1_pipeline.steps import Scored
from shared.behaviour import BehaviourResult


@dataclass(frozen=True)
class GateResult:
    passed: bool
    checks: dict[str, bool]
    reasons: tuple[str, ...]


def judge_candidate(
    candidate: Scored,
    champion: Scored | None,
    policy: ModelGatePolicy,
    baseline: Scored | None = None,
    behaviour: Sequence[BehaviourResult] = (),
    sensitive: tuple[str, ...] = (),
) -> GateResult:
    """Pass when the candidate's scores on the holdout are all numbers, it clears the floor, is no worse than the
    champion (scored on the same holdout) by the margin, no worse than a simpler baseline by its margin, no slice of
    the holdout is much worse than the champion's same slice, no group of a sensitive column lags the others, and it
    behaves as the schema declares (``effect:``)."""
    auc, non_finite = candidate.metrics["roc_auc"], candidate.non_finite
    checks: dict[str, bool] = {"finite_scores": non_finite == 0}
    reasons: list[str] = [] if non_finite == 0 else [f"{non_finite} holdout scores are NaN or infinite"]
    checks["floor"] = auc >= policy.min_roc_auc
    reasons.append(f"ROC AUC {auc:.4f} {'>=' if checks['floor'] else '<'} floor {policy.min_roc_auc:.4f}")
    if champion is None:
        reasons.append("no champion yet: nothing to compare against")
    else:
        champion_auc, margin = champion.metrics["roc_auc"], policy.max_auc_drop_vs_champion
        checks["vs_champion"], why = _no_worse(auc, "champion", champion_auc, margin)
        reasons.append(f"{why} on the same holdout")
        worse = worse_slices(candidate.slices, champion.slices, policy.slices)
        checks["slices"] = not worse
        reasons += worse or [f"no slice of {policy.slices.min_rows}+ rows much worse than the champion's same slice"]
    if baseline is not None:
        baseline_auc, margin = baseline.metrics["roc_auc"], policy.max_auc_drop_vs_baseline
        checks["vs_baseline"], why = _no_worse(auc, "simpler baseline (logistic regression)", baseline_auc, margin)
        reasons.append(why)
    if sensitive:
        gaps = group_gaps(candidate.slices, sensitive, policy.inclusion)
        checks["inclusion"] = not gaps
        reasons += gaps or [
            f"ROC AUC within {policy.inclusion.max_auc_gap} across the groups of {', '.join(sensitive)}"
        ]
    if behaviour:
        failed = [str(result) for result in behaviour if not result.passed]
        checks["behaviour"] = not failed
        reasons += failed or [f"behaves as the schema declares ({', '.join(r.feature for r in behaviour)})"]
    return GateResult(all(checks.values()), checks, tuple(reasons))


def _no_worse(auc: float, than: str, other: float, margin: float) -> tuple[bool, str]:
    """Whether the candidate's ROC AUC reaches another model's less the margin, and the comparison in words."""
    passed = auc >= other - margin
    return passed, f"ROC AUC {auc:.4f} {'>=' if passed else '<'} {than} {other:.4f} - margin {margin:.4f}"
