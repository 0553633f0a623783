"""Ground-truth labels for earlier predictions (the rules: level2_cicd/service/labels.py)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, HTTPException

from level2_cicd.service.access import Role, requires
from level2_cicd.service.labels import LabelRefusedError, distinct_labels, labels_to_store
from level2_cicd.service.routes.dependencies import ServiceDep
from level2_cicd.service.schemas import FeedbackRequest
from shared.prediction_log import naive_utc

router = APIRouter(dependencies=[Depends(requires(Role.LABELS))])


@router.post("/feedback")
async def feedback(body: FeedbackRequest, svc: ServiceDep) -> dict[str, int]:
    """Ground-truth labels for earlier request ids (they may arrive days later); stored when answered.

    One label per request id: the same label again is accepted (nothing new stored); a different
    one is refused (409). Labels of predictions served longer ago than the policy's horizon are
    refused (422). Nothing of a refused request is stored.
    """
    logger = svc.open_log()
    try:
        labels = distinct_labels((item.request_id, item.label) for item in body.labels)
        ids = list(labels)
        served = await asyncio.to_thread(logger.store.served_times, ids)  # acknowledged = already committed
        existing = await asyncio.to_thread(logger.store.existing_labels, ids)
        now = naive_utc()
        horizon = svc.data_policy.label_horizon_days
        fresh = labels_to_store(labels, served, existing, now, horizon, str(svc.settings.data_policy_file))
    except LabelRefusedError as refusal:
        svc.metrics.labels_refused.labels(refusal.kind).inc(refusal.count)
        raise HTTPException(refusal.status, refusal.message) from None
    await svc.acknowledged(logger.labels(fresh))  # labels are rare and precious: stored before the answer
    return {"accepted": len(labels), "stored": len(fresh)}
