"""The model gate: pure decisions on metrics against the policy and the current champion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from level1_pipeline.policy import ModelGatePolicy
from level1_pipeline.slice_checks import Slices, group_gaps, worse_slices
from shared.behaviour import BehaviourResult


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
    candidate_auc: float,
    champion_auc: float | None,
    policy: ModelGatePolicy,
    slices: tuple[Slices, Slices | None] = ({}, None),
    non_finite: int = 0,
    behaviour: Sequence[BehaviourResult] = (),
    baseline_auc: float | None = None,
    sensitive: tuple[str, ...] = (),
) -> GateResult:
    """Pass when the candidate's scores are all numbers, it clears the floor, is no worse than the champion by the
    margin, no worse than a simpler baseline by its margin, no slice of the holdout is much worse than the champion's
    same slice, and it behaves as the schema declares (``effect:``)."""
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
    if baseline_auc is not None:
        needed = baseline_auc - policy.max_auc_drop_vs_baseline
        checks["vs_baseline"] = candidate_auc >= needed
        reasons.append(
            f"ROC AUC {candidate_auc:.4f} {'>=' if checks['vs_baseline'] else '<'} simpler baseline (logistic "
            f"regression) {baseline_auc:.4f} - margin {policy.max_auc_drop_vs_baseline:.4f}"
        )
    candidate_slices, champion_slices = slices
    if champion_slices is not None:
        worse = worse_slices(candidate_slices, champion_slices, policy.slices)
        checks["slices"] = not worse
        judged = f"{policy.slices.min_rows}+ rows"
        reasons += worse or [f"no slice of {judged} much worse than the champion's on the same rows"]
    if sensitive:
        gaps = group_gaps(candidate_slices, sensitive, policy.inclusion)
        checks["inclusion"] = not gaps
        reasons += gaps or [
            f"ROC AUC within {policy.inclusion.max_auc_gap} across the groups of {', '.join(sensitive)}"
        ]
    if behaviour:
        failed = [str(result) for result in behaviour if not result.passed]
        checks["behaviour"] = not failed
        reasons += failed or [f"behaves as the schema declares ({', '.join(r.feature for r in behaviour)})"]
    return GateResult(all(checks.values()), checks, tuple(reasons))
