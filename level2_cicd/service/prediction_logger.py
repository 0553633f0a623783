"""What the service writes to the prediction log, and the rule that an answer waits until it is stored."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from level2_cicd.service.acknowledgements import Acknowledgements
from level2_cicd.service.rejections import RowProblem, event_time_of
from level2_cicd.service.schemas import Prediction
from level2_cicd.service.store import PredictionStore, StoreWriteError
from shared.prediction_log import naive_utc


class NotAcknowledgedError(RuntimeError):
    """Rows were not committed in time (or not at all): the request must not be acknowledged."""


class PredictionLogger:
    """Rows for the log: answered predictions, shadow scores, refused rows and labels."""

    def __init__(self, store: PredictionStore, ack_seconds: float) -> None:
        self.store = store
        self.ack_seconds = ack_seconds
        self._acknowledgements: Acknowledgements | None = None

    def predictions(
        self,
        rows: Sequence[dict[str, Any]],
        answered: Sequence[Prediction],
        event_time: datetime | None,
        ids: Sequence[str] | None = None,
    ) -> Future[None]:
        served_at = naive_utc()
        created_at = naive_utc(event_time or served_at)
        entity_ids = ids if ids is not None else [None] * len(rows)
        return self.store.add_predictions(
            [
                {**row, **p.model_dump(), "created_at": created_at, "served_at": served_at, "source": "online"}
                | {"entity_id": entity_id}
                for row, p, entity_id in zip(rows, answered, entity_ids, strict=True)
            ]
        )

    def shadows(
        self,
        answered: Sequence[Prediction],
        probabilities: Sequence[float],
        version: str,
        threshold: float,
        event_time: datetime | None,
    ) -> None:
        served_at = naive_utc()
        created_at = naive_utc(event_time or served_at)
        self.store.add_shadows(
            [
                {"request_id": p.request_id, "created_at": created_at, "served_at": served_at}
                | {"model_version": version, "prediction": int(q >= threshold), "probability": float(q)}
                for p, q in zip(answered, probabilities, strict=True)
            ]
        )

    def rejections(self, problems: Sequence[RowProblem], body: Any) -> None:
        received = naive_utc()
        created = event_time_of(body) or received
        request_id = uuid.uuid4().hex
        self.store.add_rejections(
            [
                {"created_at": created, "received_at": received, "request_id": request_id}
                | {"row": p.row, "field": p.field, "rule": p.rule}
                for p in problems
            ]
        )

    def labels(self, fresh: dict[str, int]) -> Future[None]:
        received_at = naive_utc()
        return self.store.add_labels(
            [{"request_id": i, "label": label, "received_at": received_at} for i, label in fresh.items()]
        )

    async def acknowledged(self, stored: Future[None]) -> None:
        """Wait (bounded) until rows are committed: acknowledged means stored."""
        try:
            async with asyncio.timeout(self.ack_seconds):
                await self._waiting_on(asyncio.get_running_loop()).wait(stored)
        except StoreWriteError as error:
            raise NotAcknowledgedError(f"not stored, so not acknowledged (retry later): {error}") from None
        except TimeoutError:
            message = f"not stored within {self.ack_seconds} s, so not acknowledged (retry later)"
            raise NotAcknowledgedError(message) from None

    def _waiting_on(self, loop: asyncio.AbstractEventLoop) -> Acknowledgements:
        """The waiting room of this loop (the service's one), listening to the writer from the first wait on."""
        if self._acknowledgements is None or self._acknowledgements.loop is not loop:
            self._acknowledgements = Acknowledgements(loop)
            self.store.on_settled = self._acknowledgements.batch_settled
        return self._acknowledgements
