"""The prediction service: FastAPI serving the registry's champion, every prediction logged.

`create_app` only assembles: the running service (service.py), its routes by concern (routes/), the
refusal handler and the middleware.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from level2_cicd.service.access import BodyLimitMiddleware
from level2_cicd.service.metrics import MetricsMiddleware
from level2_cicd.service.rejections import explained, renderable
from level2_cicd.service.routes import admin, explain, info, invocations, labels, scoring
from level2_cicd.service.service import Service
from shared.runtime import prepare_process
from shared.settings import Settings, load_settings


def create_app(settings: Settings) -> FastAPI:
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        # A worker takes traffic once its first load has ended (a sibling worker may already answer on the shared
        # socket); with the registry away that load waits for its client timeout, and the worker listens after it.
        await service.first_load_attempted(settings.client_timeout_seconds)
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title=f"mlops-levels {settings.project_name} service", version="1.0", lifespan=lifespan)
    app.state.service = service
    concerns = (info, scoring, invocations, explain, labels, admin)
    for concern in concerns:
        app.include_router(concern.router)

    @app.exception_handler(RequestValidationError)
    async def refused(request: Request, error: RequestValidationError) -> JSONResponse:
        """422 naming each field and rule, renderable whatever the input held (NaN too); bad rows are counted."""
        errors = explained(list(error.errors()))
        service.reject(errors, error.body)
        return JSONResponse({"detail": renderable(jsonable_encoder(errors))}, status_code=422)

    routes = [*app.routes, *(route for concern in concerns for route in concern.router.routes)]
    known = frozenset(str(route.path) for route in routes if hasattr(route, "path"))  # the metrics' path labels
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=service.metrics, known_paths=known)
    return app


def app_from_environment() -> FastAPI:
    """Zero-argument factory for process managers (`uvicorn --factory --workers N`): settings from the environment."""
    settings = load_settings()
    prepare_process(settings)
    return create_app(settings)
