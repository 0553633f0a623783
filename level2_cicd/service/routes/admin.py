"""Operators' routes: reload the models now (admin token), Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from level2_cicd.service.access import Role, requires
from level2_cicd.service.metrics import scrape_registry
from level2_cicd.service.routes.dependencies import ServiceDep
from level2_cicd.service.schemas import ModelInfo

router = APIRouter()


@router.post("/admin/reload", dependencies=[Depends(requires(Role.ADMIN))])
async def admin_reload(svc: ServiceDep) -> ModelInfo:
    """Load the champion now (token-protected); keeps the old model if loading fails."""
    await svc.reload()
    return svc.describe()


@router.get("/metrics")
async def metrics(svc: ServiceDep) -> Response:
    """Prometheus metrics: request counts and latency, model version, predictions."""
    svc.report_log_health()
    return Response(generate_latest(scrape_registry(svc.metrics)), media_type=CONTENT_TYPE_LATEST)
