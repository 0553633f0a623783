"""Process defaults of entry points."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PROBE = """
import jsonschema, sys
jsonschema.validate({"a": 1}, {"type": "object", "properties": {"a": {"type": "integer"}}})
print("iri" in jsonschema.FormatChecker.checkers, "rfc3987_syntax" in sys.modules and sys.modules["rfc3987_syntax"])
"""


@pytest.mark.slow  # a fresh process
def test_no_process_compiles_jsonschemas_unused_iri_checker() -> None:
    # given a fresh process of the locked environment (pyproject.toml overrides rfc3987-syntax away)
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    # then jsonschema still validates, without the iri format (nothing here checks it) and without its module
    assert done.stdout.split() == ["False", "False"]


@pytest.fixture
def local_server() -> Iterator[str]:
    """A plain HTTP server on a free loopback port, answering 200 to every GET."""

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_proxy_for_the_outside_world_does_not_carry_the_projects_loopback_servers(
    monkeypatch: pytest.MonkeyPatch, local_server: str
) -> None:
    import httpx
    import requests

    from shared.runtime import loopback_without_proxy

    # given a laptop behind a proxy (here one where nothing listens) that exempts only its own intranet
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(key, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "intranet.example")
    monkeypatch.setenv("no_proxy", "intranet.example")
    with pytest.raises((httpx.ProxyError, httpx.ConnectError)):  # what Prefect's client met before
        httpx.get(local_server, timeout=5)
    # when an entry point prepares its process
    loopback_without_proxy()
    # then Prefect's (httpx) and MLflow's (requests) clients reach a loopback server directly, the intranet stays
    assert httpx.get(local_server, timeout=5).status_code == 200
    assert requests.get(local_server, timeout=5).status_code == 200
    assert "intranet.example" in os.environ["NO_PROXY"].split(",")
