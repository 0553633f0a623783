"""How a served model turns raw rows into probabilities: one interface, two paths.

The plain path is the model's own ``predict_proba``. The faster path lives in its own room
(``level2_cicd/speed/``) and is taken only when it reproduces ``predict_proba`` (``MLOPS_SERVING_SCORER``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import pandas as pd

from level2_cicd.speed import faster_scorer
from shared.schema import FEATURE_NAMES


class ScoringPath(StrEnum):
    PLAIN = "plain"  # the model's predict_proba on a frame
    FAST = "fast"  # the speed room's scorer when its self-check passes, else plain


class Scorer(Protocol):
    def score(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        """Positive-class probabilities of raw feature rows (None for a missing value)."""
        ...


@dataclass(frozen=True)
class PlainScorer:
    model: Any  # the registry's pipeline

    def score(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        frame = pd.DataFrame.from_records(list(rows), columns=list(FEATURE_NAMES))
        return np.asarray(self.model.predict_proba(frame)[:, 1])


def scorer_for(model: Any, path: ScoringPath) -> Scorer:
    """The scorer the service uses for ``model``: the speed room's when asked for and proven equal, else plain."""
    fast = faster_scorer(model) if path is ScoringPath.FAST else None
    return fast if fast is not None else PlainScorer(model)
