"""The retrain dispatch against a real HTTP server on loopback standing in for GitHub's API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest

from level2_cicd.monitoring.dispatch import DispatchError, send_retrain_dispatch
from shared.settings import Settings


class Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    status: ClassVar[int] = 204

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Recorder.received.append({"path": self.path, "auth": self.headers["Authorization"], "body": body})
        self.send_response(Recorder.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Recorder.received.clear()
    Recorder.status = 204
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_dispatch_without_repository_and_token_says_what_to_set() -> None:
    with pytest.raises(DispatchError, match="set MLOPS_GITHUB_REPOSITORY and MLOPS_GITHUB_TOKEN"):
        send_retrain_dispatch(Settings(), {"day": 1})


def test_dispatch_posts_the_retrain_event_with_the_decision(api: str) -> None:
    settings = Settings(github_repository="acme/churn", github_token="t0k", github_api_url=api)
    send_retrain_dispatch(settings, {"day": 36, "status": "decay"})
    [request] = Recorder.received
    assert request["path"] == "/repos/acme/churn/dispatches"
    assert request["auth"] == "Bearer t0k"
    assert request["body"] == {"event_type": "retrain", "client_payload": {"day": 36, "status": "decay"}}


def test_refused_dispatch_names_the_repository_and_status(api: str) -> None:
    Recorder.status = 404
    settings = Settings(github_repository="acme/churn", github_token="t0k", github_api_url=api)
    with pytest.raises(DispatchError, match="acme/churn: HTTP 404"):
        send_retrain_dispatch(settings, {})
