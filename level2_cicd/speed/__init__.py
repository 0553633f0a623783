"""The speed room: a faster scorer for the served model, optional and behind the service's one ``Scorer`` interface.

The service's plain path is the model's own ``predict_proba`` (``service/scorer.py``). With
``MLOPS_SERVING_SCORER=fast`` (the default) a model whose recipe this room understands is scored by
``fast_scorer.py`` (the fitted preprocessing replayed in NumPy) and ``compiled_trees.py`` (small batches
walk the trees as arrays), but only after a self-check shows its answers equal ``predict_proba``; any other
recipe, or any difference, keeps the plain path. A fork that changes ``shared/model.py`` need not read this.
"""

from __future__ import annotations

from typing import Any

from level2_cicd.speed.fast_scorer import CompiledScorer, verified_scorer
from shared.data.synthetic import schema_rows

SELF_CHECK_ROWS = 64


def faster_scorer(model: Any) -> CompiledScorer | None:
    """The compiled scorer of ``model`` if it reproduces ``predict_proba`` on rows made from the schema, else None."""
    return verified_scorer(model, schema_rows(SELF_CHECK_ROWS, seed=0))
