"""/explain: one row's answer taken apart per feature (not logged as a prediction: it decides nothing)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException

from level2_cicd.service.access import Role, requires
from level2_cicd.service.routes.dependencies import ServiceDep
from level2_cicd.service.schemas import ExplainRequest, ExplainResponse, FeatureContribution
from shared.explain import contributions

router = APIRouter(dependencies=[Depends(requires(Role.SCORING))])


@router.post("/explain")
def explain(body: ExplainRequest, svc: ServiceDep) -> ExplainResponse:
    """Why the champion answers what it does for one row: how far each feature's value moves the probability from
    the typical training value's (shared/explain.py). Not logged as a prediction: it decides nothing."""
    model = svc.variants.champion.current
    if model is None:
        raise HTTPException(503, "not ready: no champion loaded")
    if model.typical is None:
        raise HTTPException(409, f"version {model.version} was registered before explanations were logged: train anew")
    probability, found = contributions(model.score, body.row.model_dump(), model.typical)
    return ExplainResponse(
        model_version=model.version,
        probability=probability,
        contributions=[
            FeatureContribution(feature=c.feature, value=c.value, typical=c.typical, change=c.change) for c in found
        ],
    )
