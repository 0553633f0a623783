"""Liveness, readiness and what is served: open to every caller."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from level2_cicd.service.routes.dependencies import ServiceDep
from level2_cicd.service.schemas import ModelInfo

router = APIRouter()


@router.get("/health")
async def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(svc: ServiceDep, response: Response) -> dict[str, Any]:
    """A model is loaded, and predictions can be served and logged."""
    reason = svc.not_ready_reason()
    champion = svc.variants.champion.current
    if reason is not None or champion is None:
        response.status_code = 503
        return {"ready": False, "reason": reason}
    return {"ready": True, "model_version": champion.version}


@router.get("/ping")
async def ping() -> dict[str, str]:
    """MLflow's scoring-server liveness path, so MLflow's own clients can wait for this service."""
    return {"status": "ok"}


@router.get("/model")
async def model(svc: ServiceDep) -> ModelInfo:
    """What is being served, since when, and the last loading error if any."""
    return svc.describe()
