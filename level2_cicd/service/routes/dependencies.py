"""What a route asks FastAPI for: the running service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from level2_cicd.service.service import Service


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(_service)]
