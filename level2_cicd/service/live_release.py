"""A release under watch, beside the answer: the champion's answers feed the release watch (a breach rolls a new
champion back), and a challenger in shadow scores what the champion answered, after the answer."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from level2_cicd.service.lifecycle import Lifecycle
from level2_cicd.service.prediction_logger import PredictionLogger
from level2_cicd.service.routing import SHADOW
from level2_cicd.service.schemas import Prediction

log = logging.getLogger("level2.service")


class LiveRelease(Lifecycle):
    """What the service does for a release under watch or a challenger in shadow (``service.py`` calls it)."""

    def served_by_champion(self, ok: bool, version: str | None = None) -> None:
        """Feed the release watch; a breach rolls the new champion back (``lifecycle.py``)."""
        current = self.variants.champion.current
        if (version := version or (current.version if current else None)) is not None:
            self.watch.served(version, ok)
            self.roll_back_if_breached()

    def shadow_after_answer(
        self, logger: PredictionLogger, rows: list[dict[str, Any]], answered: list[Prediction], when: datetime | None
    ) -> None:
        """Start the challenger's shadow scoring of these rows, when one is in shadow (awaited on stop)."""
        if self.variants.shadowing:
            shadow = asyncio.get_running_loop().create_task(self._shadow(logger, rows, answered, when))
            self._shadows.add(shadow)
            shadow.add_done_callback(self._shadows.discard)

    async def _shadow(
        self, logger: PredictionLogger, rows: list[dict[str, Any]], answered: list[Prediction], when: datetime | None
    ) -> None:
        """The challenger scores what the champion answered, after the answer; logged once per request, never raised."""
        try:
            model, probabilities = await self.variants.shadow_score(rows)
            logger.shadows(answered, probabilities, model.version, model.threshold, when)
            for q in probabilities:
                self.metrics.shadow_predictions.labels(str(int(q >= model.threshold))).inc()
                self.metrics.probability.labels(SHADOW).observe(float(q))
        except Exception as error:  # off the response path: the answer was already given
            log.error("shadow scoring failed (nothing logged for %d rows): %s", len(rows), error)
