"""Scoring in one running service: rows in, the served version's answers out, each stored before it is acknowledged."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import HTTPException

from level2_cicd.service.batcher import NotReadyError
from level2_cicd.service.live_release import LiveRelease
from level2_cicd.service.prediction_logger import NotAcknowledgedError, PredictionLogger
from level2_cicd.service.rejections import by_field_and_rule, row_problems
from level2_cicd.service.routing import CHAMPION
from level2_cicd.service.schemas import Prediction


class Service(LiveRelease):
    """One running service scoring rows: validated rows in, the served version's answers out, each one stored in the
    prediction log before it is acknowledged. A challenger's shadow and the release watch: ``live_release.py``;
    starting, polling, readiness and stopping: ``lifecycle.py``."""

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
            self.served_by_champion(ok=False)
            raise HTTPException(500, f"the model could not score these rows: {error}") from None
        if variant == CHAMPION:
            self.served_by_champion(ok=True, version=model.version)
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
        self.shadow_after_answer(logger, rows, predictions, event_time)
        return predictions

    def reject(self, errors: list[dict[str, Any]], body: Any) -> None:
        """Count and log the rows a request was refused for (per field and rule)."""
        problems = row_problems(errors)
        if not problems:
            return
        for (field, rule), rows in by_field_and_rule(problems).items():
            self.metrics.rejected_rows.labels(field, rule).inc(rows)
        if self.logger is not None:
            self.logger.rejections(problems, body)
