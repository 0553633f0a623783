"""What the framework itself can do on this machine: the ceilings the level 2 service is measured against.

Served like the service (uvicorn, one worker, no access log), answering a constant prediction:
- ``bare``: a plain ASGI app, no framework (reads the body, parses nothing);
- ``fastapi_parse``: FastAPI validating the service's own ``PredictRequest`` and returning a ``PredictResponse``;
- ``service_structure``: the service's own app (its routers, bearer-token dependencies, middleware, metrics,
  error handlers, model loading) whose scoring answers the constant: no model call, no log write. The gap from
  ``fastapi_parse`` is what the app's structure costs; the gap from the service, what scoring and logging cost.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from level2_cicd.service.asgi import Receive, Scope, Send
from level2_cicd.service.schemas import Prediction, PredictRequest, PredictResponse

CONSTANT = Prediction(request_id="0", prediction=0, probability=0.1, model_version="1")
ANSWER = (
    b'{"predictions":[{"request_id":"0","prediction":0,"probability":0.1,"model_version":"1","variant":"champion"}]}'
)


async def _bare(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":  # lifespan: nothing to start
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": ANSWER})


def bare() -> Any:
    """Factory of the bare ASGI app (for `uvicorn --factory`)."""
    return _bare


def fastapi_parse() -> FastAPI:
    """Factory of FastAPI parsing the service's request model and answering a constant prediction."""
    app = FastAPI()

    @app.post("/predict")
    async def predict(body: PredictRequest) -> PredictResponse:
        return PredictResponse(predictions=[CONSTANT] * len(body.rows))

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app


def service_structure() -> FastAPI:
    """Factory of the service's own app (settings from the environment) answering the constant instead of scoring."""
    from level2_cicd.service.app import app_from_environment

    app = app_from_environment()

    async def constant(rows: list[dict[str, Any]], *_: Any) -> list[Any]:  # whatever else /predict passes
        return [CONSTANT] * len(rows)

    app.state.service.predict = constant
    return app
