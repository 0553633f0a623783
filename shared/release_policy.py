"""The release policy: how a challenger meets live traffic (A/B or shadow) and how the monitor judges it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from shared.policy_file import StrictModel, read_policy


class Guardrail(StrictModel):
    min_labelled: int = Field(ge=10)
    max_auc_loss: float = Field(ge=0, le=1)


class JudgePolicy(StrictModel):
    min_labelled: int = Field(ge=10)
    max_labelled: int = Field(ge=10)
    confidence: float = Field(gt=0.5, lt=1)
    bootstrap_rounds: int = Field(ge=100)
    min_auc_gain: float = Field(ge=0, le=1)
    guardrail: Guardrail

    @model_validator(mode="after")
    def _ordered(self) -> JudgePolicy:
        if not self.guardrail.min_labelled <= self.min_labelled <= self.max_labelled:
            raise ValueError("need guardrail.min_labelled <= min_labelled <= max_labelled")
        return self


class LiveTestPolicy(StrictModel):
    version: int = Field(ge=1)
    mode: Literal["ab", "shadow", "off"]
    ab_share: float = Field(ge=0, le=1)
    routing_header: str = Field(min_length=1)
    judge: JudgePolicy


def load_release_policy(path: Path) -> LiveTestPolicy:
    """Read and validate the policy; raises PolicyError naming the file and each bad field."""
    return read_policy(path, LiveTestPolicy)
