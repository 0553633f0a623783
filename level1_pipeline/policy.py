"""The gate policy of the training pipeline, read from a versioned YAML file and validated."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class StrictModel(BaseModel):
    """Frozen, and unknown keys are errors: a typo in a policy file fails loudly."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class DataGatePolicy(StrictModel):
    min_rows: int = Field(ge=1)
    max_null_share: float = Field(ge=0, le=1)


class SplitPolicy(StrictModel):
    validation_share: float = Field(gt=0, lt=1)
    holdout_share: float = Field(gt=0, lt=1)

    @model_validator(mode="after")
    def _leaves_training_rows(self) -> SplitPolicy:
        if self.validation_share + self.holdout_share >= 0.9:
            raise ValueError("validation_share + holdout_share must leave at least 10% for training")
        return self


class ModelGatePolicy(StrictModel):
    min_roc_auc: float = Field(ge=0, le=1)
    max_auc_drop_vs_champion: float = Field(ge=0, le=1)


class TrainingPolicy(StrictModel):
    version: int = Field(ge=1)
    data_gate: DataGatePolicy
    split: SplitPolicy
    model_gate: ModelGatePolicy


PolicyT = TypeVar("PolicyT", bound=BaseModel)


class PolicyError(ValueError):
    """A policy file that is missing, unreadable or breaks a rule; names the file and the field."""


def load_training_policy(path: Path) -> TrainingPolicy:
    """Read and validate the policy file; raise PolicyError naming the file and each bad field."""
    return read_policy(path, TrainingPolicy)


def read_policy(path: Path, model: type[PolicyT]) -> PolicyT:
    """Any policy file: YAML validated by a strict model, errors naming the file and the fields."""
    if not path.is_file():
        raise PolicyError(f"{path}: policy file not found")
    try:
        raw = yaml.safe_load(path.read_text())
        return model.model_validate(raw)
    except yaml.YAMLError as error:
        raise PolicyError(f"{path}: not valid YAML: {error}") from None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise PolicyError(f"{path}: {problems}") from None
