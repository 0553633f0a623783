"""What a route asks FastAPI for: the running service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from level2_cicd.service.service import Service


async def _service(request: Request) -> Service:
    # asynchronous: FastAPI runs a plain `def` dependency in its thread pool, a thread hop per request
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(_service)]
