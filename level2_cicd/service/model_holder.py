"""The models being served: loaded from the registry's `champion` (and `challenger`) alias, swapped atomically."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from level2_cicd.service.scorer import Scorer, ScoringPath, scorer_for
from shared.explain import TYPICAL_FILE
from shared.feature_set import differences
from shared.registry import CHAMPION, Registry
from shared.tracking import REFERENCE_DIR

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from shared.registry import Registry, VersionRef

log = logging.getLogger("level2.model")


@dataclass(frozen=True)
class LoadedModel:
    """One immutable served model: swapping means replacing the whole object."""

    name: str
    version: str
    run_id: str
    threshold: float
    data_window: str
    model: Pipeline
    loaded_at: str
    scorer: Scorer  # the model's predict_proba, or the speed room's proven-equal scorer (service/scorer.py)
    typical: dict[str, Any] | None = None  # each feature's typical training value, for /explain (None: not logged)

    def score(self, rows: list[dict[str, Any]]) -> np.ndarray:
        """Probabilities of the positive label for raw feature rows."""
        return self.scorer.score(rows)


class ModelHolder:
    """Holds the version an alias points at; reloads when the alias moves, keeps the old one on failure.

    The champion's holder keeps serving when its alias disappears; the challenger's (``optional``)
    lets its model go: no challenger alias means no challenger.
    """

    def __init__(
        self, name: str, alias: str = CHAMPION, optional: bool = False, scoring: ScoringPath = ScoringPath.FAST
    ) -> None:
        self.name = name
        self.alias = alias
        self.optional = optional
        self.scoring = scoring
        self.current: LoadedModel | None = None
        self.last_error: str | None = None
        self._refused: str | None = None  # the version last refused for not fitting the schema
        self._lock = threading.Lock()  # one load at a time; readers never take it

    def refresh(self) -> bool:
        """Load the alias's version if it differs from the served model; True when a swap happened."""
        with self._lock:
            try:
                return self._refresh()
            except Exception as error:  # any failure: keep serving what we have, and say why
                self.last_error = f"loading the {self.alias} of {self.name!r} failed: {error}"
                log.error(self.last_error)
                return False

    def _refresh(self) -> bool:
        registry = Registry(self.name)
        target = registry.champion() if self.alias == CHAMPION else registry.challenger()
        if target is None:
            if self.optional:
                swapped, self.current, self.last_error = self.current is not None, None, None
                return swapped
            if self.current is None:
                self.last_error = f"no model {self.name!r} with a {CHAMPION!r} alias in the registry yet"
            return False
        if self.current is not None and self.current.version == target.version:
            return False
        if target.version == self._refused:  # already said why; the alias has not moved since
            return False
        differs = target.schema_differences
        loaded = _load(registry, target, self.scoring) if differs is None else None
        if loaded is not None and differs is None:
            differs = _untagged_differences(loaded)  # a version registered before versions carried the tag
        if loaded is None or differs is not None:
            self._refused, self.last_error = target.version, _refused(target.version, self.name, str(differs))
            log.error(self.last_error)
            return False
        old = self.current.version if self.current else None
        self.current = loaded  # a single reference assignment: requests see the old or the new model
        self.last_error = None
        log.warning("serving %s version %s as %s (was %s)", self.name, loaded.version, self.alias, old)
        return True


def _refused(version: str, name: str, differs: str) -> str:
    return (
        f"not serving version {version} of {name!r}: it does not fit the schema in force ({differs}); "
        "train a model on this schema, or serve the checkout it was trained with"
    )


def _untagged_differences(loaded: LoadedModel) -> str | None:
    names = getattr(loaded.model, "feature_names_in_", None)
    return differences(",".join(names)) if names is not None else None


def _load(registry: Registry, champion: VersionRef, scoring: ScoringPath) -> LoadedModel:
    model = registry.load(champion)  # by version number, as read above: never re-resolving the alias
    return LoadedModel(
        name=champion.name,
        version=champion.version,
        run_id=champion.run_id,
        threshold=champion.threshold,
        data_window=champion.data_window,
        model=model,
        scorer=scorer_for(model, scoring),
        typical=_typical_row(champion),
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _typical_row(ref: VersionRef) -> dict[str, Any] | None:
    """Each feature's typical value on the version's training rows (for /explain); None when it was not logged."""
    from mlflow.artifacts import load_dict
    from mlflow.exceptions import MlflowException

    try:
        return dict(load_dict(f"runs:/{ref.run_id}/{REFERENCE_DIR}/{TYPICAL_FILE}"))
    except (MlflowException, OSError):
        return None  # a version trained before it was logged: it can be served, not explained
