"""What the framework itself can do on this machine: the ceilings the level 2 service is measured against.

Served like the service (uvicorn, one worker, no access log), answering a constant prediction:
- ``bare``: a plain ASGI app, no framework (reads the body, parses nothing);
- ``fastapi_parse``: FastAPI validating the service's own ``PredictRequest`` and returning a ``PredictResponse``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from level2_cicd.service.asgi import Receive, Scope, Send
from level2_cicd.service.schemas import Prediction, PredictRequest, PredictResponse

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
    constant = Prediction(request_id="0", prediction=0, probability=0.1, model_version="1")

    @app.post("/predict")
    async def predict(body: PredictRequest) -> PredictResponse:
        return PredictResponse(predictions=[constant] * len(body.rows))

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    return app
