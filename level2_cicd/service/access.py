"""Who may call what: a bearer token per role, and a cap on request bodies.

Roles: ``scoring`` (/predict, /invocations), ``labels`` (/feedback; labels steer the next
retraining), ``admin`` (/admin/reload). A role whose token is not set is open, except admin, which
is then disabled. Tokens come from settings (secrets, never logged) and are compared in constant
time. No token: 401; a wrong token: 401; the token of another role: 403.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated

from fastapi import Header, HTTPException, Request
from pydantic import SecretStr

from level2_cicd.service.asgi import ASGIApp, Message, Receive, Scope, Send
from shared.settings import Settings


class Role(StrEnum):
    SCORING = "scoring"
    LABELS = "labels"
    ADMIN = "admin"


def tokens(settings: Settings) -> dict[Role, SecretStr | None]:
    return {Role.SCORING: settings.scoring_token, Role.LABELS: settings.labels_token, Role.ADMIN: settings.admin_token}


def _matches(authorization: str, token: SecretStr | None) -> bool:
    return token is not None and secrets.compare_digest(authorization, f"Bearer {token.get_secret_value()}")


def authorize(settings: Settings, role: Role, authorization: str | None) -> None:
    """Raise the HTTP error the caller deserves, or return when it may act as ``role``."""
    known = tokens(settings)
    expected = known[role]
    if expected is None:
        if role is Role.ADMIN:
            raise HTTPException(403, "admin endpoints are disabled: set MLOPS_ADMIN_TOKEN to enable them")
        return
    if authorization is None:
        raise HTTPException(401, f"missing bearer token ({role.value} role)", headers={"WWW-Authenticate": "Bearer"})
    if _matches(authorization, expected):
        return
    if any(_matches(authorization, token) for other, token in known.items() if other is not role):
        raise HTTPException(403, f"this token may not act as the {role.value} role")
    raise HTTPException(401, "wrong bearer token", headers={"WWW-Authenticate": "Bearer"})


class BodyLimitMiddleware:
    """413 for a body larger than ``max_bytes``: from Content-Length before reading, or while it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        if declared is not None:
            await self.app(scope, receive, send)  # declared within the limit (the server enforces the length)
            return
        # Streamed without a length: read up to the limit first, then hand the buffered body to the app.
        buffered: list[Message] = []
        seen = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = f'{{"detail":"request body larger than {self.max_bytes} bytes (MLOPS_MAX_BODY_BYTES)"}}'.encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def requires(role: Role) -> Callable[..., Awaitable[None]]:
    """A route dependency: the caller must present ``role``'s bearer token (when one is set).

    Asynchronous, so FastAPI checks it on the event loop instead of handing each request to its thread pool.
    """

    async def check(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
        authorize(request.app.state.service.settings, role, authorization)

    return check
