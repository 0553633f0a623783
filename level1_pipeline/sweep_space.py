"""The sweep's search space (`config/sweep_space.yaml`) and the trials it draws: pure logic."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from shared.model import ModelParams
from shared.policy_file import StrictModel, read_policy


class SweepSpace(StrictModel):
    version: int = Field(ge=1)
    strategy: Literal["grid", "random"]
    trials: int = Field(ge=1, le=1000)
    seed: int = 0
    space: dict[str, list[Any]] = Field(min_length=1)

    @field_validator("space")
    @classmethod
    def _known_hyperparameters(cls, space: dict[str, list[Any]]) -> dict[str, list[Any]]:
        unknown = sorted(set(space) - set(ModelParams.model_fields))
        if unknown:
            known = ", ".join(sorted(ModelParams.model_fields))
            raise ValueError(f"unknown hyperparameters {unknown}: the recipe's are {known}")
        empty = sorted(name for name, values in space.items() if not values)
        if empty:
            raise ValueError(f"no values to try for {empty}")
        return space

    def combinations(self) -> list[dict[str, Any]]:
        names = sorted(self.space)
        return [dict(zip(names, values, strict=True)) for values in itertools.product(*(self.space[n] for n in names))]

    def draw(self) -> list[dict[str, Any]]:
        """The trials: every combination (grid), or ``trials`` distinct ones drawn with ``seed`` (random)."""
        combinations = self.combinations()
        if self.strategy == "grid":
            return combinations
        return random.Random(self.seed).sample(combinations, min(self.trials, len(combinations)))


def load_sweep_space(path: Path) -> SweepSpace:
    return read_policy(path, SweepSpace)
