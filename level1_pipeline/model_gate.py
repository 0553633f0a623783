"""The model gate: pure decisions on metrics against the policy and the current champion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from level1_pipeline.policy import ModelGatePolicy
from level1_pipeline.slice_checks import group_gaps, worse_slices
from shared.behaviour import BehaviourResult

if TYPE_CHECKING:
    from level1_pipeline.steps import Scored


@dataclass(frozen=True)
class GateResult:
    passed: bool
    checks: dict[str, bool]
    reasons: tuple[str, ...]

    def as_tags(self) -> dict[str, str]:
        tags = {f"gate.{name}": "passed" if ok else "failed" for name, ok in self.checks.items()}
        tags["gate.result"] = "passed" if self.passed else "failed"
        return tags


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
    candidate_auc, non_finite = candidate.metrics["roc_auc"], candidate.non_finite
    champion_auc = champion.metrics["roc_auc"] if champion else None
    checks: dict[str, bool] = {"finite_scores": non_finite == 0}
    reasons: list[str] = [] if non_finite == 0 else [f"{non_finite} holdout scores are NaN or infinite"]
    checks["floor"] = candidate_auc >= policy.min_roc_auc
    reasons.append(f"ROC AUC {candidate_auc:.4f} {'>=' if checks['floor'] else '<'} floor {policy.min_roc_auc:.4f}")
    if champion_auc is None:
        reasons.append("no champion yet: nothing to compare against")
    else:
        needed = champion_auc - policy.max_auc_drop_vs_champion
        checks["vs_champion"] = candidate_auc >= needed
        relation = ">=" if checks["vs_champion"] else "<"
        reasons.append(
            f"ROC AUC {candidate_auc:.4f} {relation} champion {champion_auc:.4f} - margin "
            f"{policy.max_auc_drop_vs_champion:.4f} on the same holdout"
        )
    if baseline is not None:
        baseline_auc = baseline.metrics["roc_auc"]
        needed = baseline_auc - policy.max_auc_drop_vs_baseline
        checks["vs_baseline"] = candidate_auc >= needed
        reasons.append(
            f"ROC AUC {candidate_auc:.4f} {'>=' if checks['vs_baseline'] else '<'} simpler baseline (logistic "
            f"regression) {baseline_auc:.4f} - margin {policy.max_auc_drop_vs_baseline:.4f}"
        )
    if champion is not None:
        worse = worse_slices(candidate.slices, champion.slices, policy.slices)
        checks["slices"] = not worse
        judged = f"{policy.slices.min_rows}+ rows"
        reasons += worse or [f"no slice of {judged} much worse than the champion's on the same rows"]
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
