"""The gate policy of the training pipeline, read from a versioned YAML file and validated."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from shared.behaviour import Limits
from shared.policy_file import PolicyError, StrictModel, read_policy


class DataGatePolicy(StrictModel):
    min_rows: int = Field(default=1000, ge=1)
    max_null_share: float = Field(default=0.10, ge=0, le=1)


class SplitPolicy(StrictModel):
    validation_share: float = Field(default=0.15, gt=0, lt=1)
    holdout_share: float = Field(default=0.15, gt=0, lt=1)

    @model_validator(mode="after")
    def _leaves_training_rows(self) -> SplitPolicy:
        if self.validation_share + self.holdout_share >= 0.9:
            raise ValueError("validation_share + holdout_share must leave at least 10% for training")
        return self


class SlicePolicy(StrictModel):
    """A candidate much worse than the champion on one slice of the holdout is refused (shared/slices.py)."""

    min_rows: int = Field(default=300, ge=1)  # a slice with fewer holdout rows is shown, not judged
    max_auc_drop_vs_champion: float = Field(default=0.05, ge=0, le=1)  # ... and never less than `errors` standard
    errors: float = Field(default=3.0, ge=0)  # errors of the difference: a slice's noise is not a refusal


class BehaviourPolicy(StrictModel):
    """The checks of what the model does with a feature, as ``config/schema.yaml`` declares (shared/behaviour.py)."""

    rows: int = Field(default=2000, ge=10)  # holdout rows each rule is checked on (at most)
    tolerance: float = Field(default=Limits.tolerance, ge=0, le=1)  # a probability move smaller than this is no move
    min_mean_effect: float = Field(
        default=Limits.min_mean_effect, ge=0, le=1
    )  # raises/lowers: the mean move the declared way
    max_against_share: float = Field(
        default=Limits.max_against_share, ge=0, le=1
    )  # raises/lowers: rows moving the other way
    max_moved_share: float = Field(
        default=Limits.max_moved_share, ge=0, le=1
    )  # none: rows whose answer moves when shuffled

    def limits(self) -> Limits:
        return Limits(self.tolerance, self.min_mean_effect, self.max_against_share, self.max_moved_share)


class InclusionPolicy(StrictModel):
    """The groups of each column `config/schema.yaml` marks `sensitive: true` (ML Test Score model.7)."""

    min_rows: int = Field(default=300, ge=1)  # a group with fewer holdout rows is shown, not judged
    max_auc_gap: float = Field(default=0.10, ge=0, le=1)  # best group's ROC AUC minus the worst's, at most


class ModelGatePolicy(StrictModel):
    min_roc_auc: float = Field(default=0.75, ge=0, le=1)
    max_auc_drop_vs_champion: float = Field(default=0.005, ge=0, le=1)
    max_auc_drop_vs_baseline: float = Field(default=0.05, ge=0, le=1)  # vs a logistic regression on the same rows
    slices: SlicePolicy = SlicePolicy()
    behaviour: BehaviourPolicy = BehaviourPolicy()
    inclusion: InclusionPolicy = InclusionPolicy()


class CandidatePolicy(StrictModel):
    """What a candidate that passed every offline gate becomes."""

    candidate_becomes: Literal["champion", "challenger", "approval"] = "champion"
    approval_timeout_seconds: int = Field(default=86_400, ge=1)  # no decision by then rejects


class TrainingPolicy(StrictModel):
    """Every value has the template's default: a key a file leaves out (an older fork's file) keeps it."""

    version: int = Field(default=1, ge=1)
    data_gate: DataGatePolicy = DataGatePolicy()
    split: SplitPolicy = SplitPolicy()
    model_gate: ModelGatePolicy = ModelGatePolicy()
    release: CandidatePolicy = CandidatePolicy()


def load_training_policy(path: Path) -> TrainingPolicy:
    """Read and validate the policy file; raise PolicyError naming the file and each bad field."""
    return read_policy(path, TrainingPolicy)


__all__ = ["PolicyError", "TrainingPolicy", "load_training_policy"]
