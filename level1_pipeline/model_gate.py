"""The model gate: pure decisions on metrics against the policy and the current champion."""

from __future__ import annotations

from dataclasses import dataclass

from level1_pipeline.policy import ModelGatePolicy


@dataclass(frozen=True)
class GateResult:
    passed: bool
    checks: dict[str, bool]
    reasons: tuple[str, ...]

    def as_tags(self) -> dict[str, str]:
        tags = {f"gate.{name}": "passed" if ok else "failed" for name, ok in self.checks.items()}
        tags["gate.result"] = "passed" if self.passed else "failed"
        return tags


def judge_candidate(candidate_auc: float, champion_auc: float | None, policy: ModelGatePolicy) -> GateResult:
    """Pass when the candidate clears the floor and is no worse than the champion by the margin."""
    checks: dict[str, bool] = {}
    reasons: list[str] = []
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
    return GateResult(all(checks.values()), checks, tuple(reasons))
