"""The release policy: how a challenger meets live traffic (A/B or shadow) and how the monitor judges it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from shared.policy_file import StrictModel, read_policy


class Action(StrEnum):
    """What the judge says of a challenger under a live test."""

    PROMOTE = "promote"  # better on live labels: it becomes the champion
    STOP = "stop"  # worse, or no clear difference at the end: the test ends, the champion stays
    CONTINUE = "continue"  # not enough labels or no clear difference yet: the test goes on


class Guardrail(StrictModel):
    min_labelled: int = Field(default=100, ge=10)
    max_auc_loss: float = Field(default=0.02, ge=0, le=1)


class JudgePolicy(StrictModel):
    min_labelled: int = Field(default=300, ge=10)
    max_labelled: int = Field(default=5000, ge=10)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    bootstrap_rounds: int = Field(default=1000, ge=100)
    min_auc_gain: float = Field(default=0.0, ge=0, le=1)
    guardrail: Guardrail = Guardrail()

    @model_validator(mode="after")
    def _ordered(self) -> JudgePolicy:
        if not self.guardrail.min_labelled <= self.min_labelled <= self.max_labelled:
            raise ValueError("need guardrail.min_labelled <= min_labelled <= max_labelled")
        return self


class WatchPolicy(StrictModel):
    """After a promotion the service watches the new champion against the one it replaced (its own traffic)."""

    duration_seconds: float = Field(default=900, gt=0)  # how long a new champion is watched
    min_requests: int = Field(default=50, ge=1)  # requests it must have answered (or failed) before a verdict
    max_error_increase: float = Field(default=0.02, ge=0, le=1)  # failed-request share above the previous one's
    max_p99_ratio: float = Field(default=3.0, ge=1)  # p99 of its own time per scored batch over the previous one's ...
    min_p99_ms: float = Field(default=50, ge=0)  # ... and above this, before slowness counts against it


class LiveTestPolicy(StrictModel):
    """Every value has the template's default: a key a file leaves out (an older fork's file) keeps it."""

    version: int = Field(default=1, ge=1)
    mode: Literal["ab", "shadow", "off"] = "ab"
    ab_share: float = Field(default=0.5, ge=0, le=1)
    routing_header: str = Field(default="X-Routing-Key", min_length=1)
    judge: JudgePolicy = JudgePolicy()
    watch: WatchPolicy = WatchPolicy()


def load_release_policy(path: Path) -> LiveTestPolicy:
    """Read and validate the policy; raises PolicyError naming the file and each bad field."""
    return read_policy(path, LiveTestPolicy)
