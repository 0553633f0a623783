"""Scoring: the service's own /predict (MLflow's /invocations: ``invocations.py``; /explain: ``explain.py``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from level2_cicd.service.access import Role, requires
from level2_cicd.service.routes.dependencies import ServiceDep
from level2_cicd.service.schemas import PredictRequest, PredictResponse

router = APIRouter(dependencies=[Depends(requires(Role.SCORING))])


@router.post("/predict")
async def predict(body: PredictRequest, svc: ServiceDep, request: Request) -> PredictResponse:
    """Score one or many rows; each prediction gets a request id for later feedback.

    Under an A/B test the routing header (config/release_policy.yaml, default X-Routing-Key)
    picks the variant: the same key always meets the same model.
    """
    rows = [row.model_dump() for row in body.rows]
    key = request.headers.get(svc.variants.release.routing_header)
    return PredictResponse(predictions=await svc.predict(rows, body.event_time, key, body.ids))
