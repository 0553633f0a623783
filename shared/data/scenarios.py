"""Named changes to the simulated world, each active from a chosen day on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ScenarioName(StrEnum):
    NONE = "none"
    COVARIATE_DRIFT = "covariate_drift"
    CONCEPT_DRIFT = "concept_drift"
    DATA_QUALITY = "data_quality"


class Defect(StrEnum):
    """Kinds of broken data the ``data_quality`` scenario injects."""

    NULLS = "nulls"
    OUT_OF_RANGE = "out_of_range"
    UNSEEN_CATEGORY = "unseen_category"
    RETYPED_COLUMN = "retyped_column"
    RENAMED_COLUMN = "renamed_column"


ALL_DEFECTS: tuple[Defect, ...] = tuple(Defect)


@dataclass(frozen=True)
class Scenario:
    """A scenario and the first day it applies; days before ``start_day`` are untouched."""

    name: ScenarioName = ScenarioName.NONE
    start_day: int = 30
    defects: tuple[Defect, ...] = ALL_DEFECTS

    @classmethod
    def parse(cls, name: str, start_day: int = 30) -> Scenario:
        """Build a scenario from its name, with a clear error for unknown names."""
        try:
            return cls(ScenarioName(name), start_day)
        except ValueError:
            known = ", ".join(s.value for s in ScenarioName)
            raise ValueError(f"unknown scenario {name!r}; choose one of: {known}") from None

    def active(self, day: int) -> bool:
        return self.name is not ScenarioName.NONE and day >= self.start_day
