"""What a training run did: what its candidate became (one name per outcome, never a string) and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from level1_pipeline.model_gate import GateResult
    from level1_pipeline.release import Release
    from level1_pipeline.steps import Scored
    from shared.data.windows import DataWindow


class Became(StrEnum):
    """What a candidate became (the version's `release` tag says it too)."""

    CHAMPION = "champion"  # serves everyone
    CHALLENGER = "challenger"  # tested on live traffic before it may serve everyone
    REJECTED = "rejected"  # by a person, or by the sign-off's timeout
    REGISTERED = "registered"  # a gate failed, or the champion moved while it was promoted (why_not says)


@dataclass(frozen=True)
class TrainingOutcome:
    """What one run did, for people (printed) and for callers (tests, the level 2 loop)."""

    run_id: str
    version: str
    promoted: bool
    champion_version: str | None
    previous_version: str | None
    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    gate_reasons: list[str] = field(default_factory=list)
    window: str = ""
    became: Became = Became.REGISTERED  # what the release policy made of it
    notes: list[str] = field(default_factory=list)  # what this run found left by earlier ones

    @classmethod
    def of_release(
        cls,
        run_id: str,
        version: str,
        released: Release,
        gate: GateResult,
        scored: tuple[Scored, Scored | None],  # the candidate and the champion on the same holdout
        window: DataWindow,
        notes: list[str],
        previous_version: str | None,
    ) -> TrainingOutcome:
        return cls(
            run_id=run_id,
            version=version,
            promoted=released.became is Became.CHAMPION,
            champion_version=released.champion,
            previous_version=previous_version,
            metrics=scored[0].metrics,
            champion_metrics=scored[1].metrics if scored[1] else None,
            gate_reasons=[*gate.reasons, *([released.why_not] if released.why_not else [])],
            window=str(window),
            became=released.became,
            notes=notes,
        )

    def in_words(self) -> str:
        """One line for the version's model card."""
        if self.promoted:
            previous = f"v{self.previous_version}" if self.previous_version else "none"
            return f"promoted to champion (previous champion: {previous})"
        if self.became is Became.CHALLENGER:
            return f"challenger of champion v{self.champion_version}: tested on live traffic before promotion"
        return f"registered, not promoted: {'; '.join(self.gate_reasons) or 'a gate failed'}"
