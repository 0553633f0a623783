"""Scoring in one running service: rows in, the served version's answers out, each stored before it is acknowledged."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from typing import Any

from fastapi import HTTPException

from level2_cicd.service.batcher import NotReadyError
from level2_cicd.service.lifecycle import Lifecycle
from level2_cicd.service.prediction_logger import NotAcknowledgedError, PredictionLogger
from level2_cicd.service.rejections import by_field_and_rule, row_problems
from level2_cicd.service.routing import CHAMPION, SHADOW
from level2_cicd.service.schemas import Prediction

log = logging.getLogger("level2.service")


class Service(Lifecycle):
    """One running service scoring rows: validated rows in, the served version's answers out, each one stored in the
    prediction log before it is acknowledged. Starting, polling, readiness and stopping: ``lifecycle.py``."""

    def open_log(self) -> PredictionLogger:
        """The prediction log, or 503: the service never answers what it cannot log."""
        if self.logger is None:
            raise HTTPException(503, f"not ready: {self.store_error}")
        return self.logger

    async def acknowledged(self, stored: Any) -> None:
        """Answer only once stored: otherwise 503, nothing acknowledged."""
        try:
            await self.open_log().acknowledged(stored)
        except NotAcknowledgedError as error:
            raise HTTPException(503, str(error)) from None

    async def predict(
        self,
        rows: list[dict[str, Any]],
        event_time: datetime | None,
        routing_key: str | None = None,
        ids: list[str] | None = None,
    ) -> list[Prediction]:
        """Score with the variant the routing key's hash picks (a request without a key is routed on its own)."""
        logger = self.open_log()
        try:
            model, probabilities, variant = await self.variants.score(rows, routing_key or uuid.uuid4().hex)
        except NotReadyError as error:
            raise HTTPException(503, f"not ready: {error}") from None
        except Exception as error:  # the model failed on these rows: counted against it, nothing acknowledged
            self._served_by_champion(ok=False)
            raise HTTPException(500, f"the model could not score these rows: {error}") from None
        if variant == CHAMPION:
            self._served_by_champion(ok=True, version=model.version)
        predictions = [
            Prediction(
                request_id=uuid.uuid4().hex,
                prediction=int(p >= model.threshold),
                probability=float(p),
                model_version=model.version,
                variant=variant,
            )
            for p in probabilities
        ]
        await self.acknowledged(logger.predictions(rows, predictions, event_time, ids))
        for p in predictions:
            self.metrics.predictions.labels(str(p.prediction), p.variant).inc()
            self.metrics.probability.labels(p.variant).observe(p.probability)
        if self.variants.shadowing:
            shadow = asyncio.get_running_loop().create_task(self._shadow(logger, rows, predictions, event_time))
            self._shadows.add(shadow)
            shadow.add_done_callback(self._shadows.discard)
        return predictions

    def _served_by_champion(self, ok: bool, version: str | None = None) -> None:
        """Feed the release watch; a breach rolls the new champion back (``lifecycle.py``)."""
        current = self.variants.champion.current
        if (version := version or (current.version if current else None)) is not None:
            self.watch.served(version, ok)
            self.roll_back_if_breached()

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

    def reject(self, errors: list[dict[str, Any]], body: Any) -> None:
        """Count and log the rows a request was refused for (per field and rule)."""
        problems = row_problems(errors)
        if not problems:
            return
        for (field, rule), rows in by_field_and_rule(problems).items():
            self.metrics.rejected_rows.labels(field, rule).inc(rows)
        if self.logger is not None:
            self.logger.rejections(problems, body)
