"""The stack's own alert receiver: Alertmanager's webhook, appended to a file that `make stack-status` prints.

    python -m deploy.alert_receiver --port N --file state/stack/alerts.jsonl

Used when no ``alert_webhook_url`` is set (a Slack incoming webhook, or any webhook): alerts then reach this
machine's operator instead of nobody. Binds 127.0.0.1; each notification's alerts are appended as JSON lines,
flushed and synced before Alertmanager is answered, so an alert it was told of is on disk.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Lock
from typing import Any

MAX_BODY = 1_000_000


def received_lines(notification: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    """One line per alert of an Alertmanager webhook notification: what a person reads first."""
    return [
        {
            "received_at": now.isoformat(timespec="seconds"),
            "status": alert.get("status", notification.get("status", "")),
            "alertname": alert.get("labels", {}).get("alertname", ""),
            "severity": alert.get("labels", {}).get("severity", ""),
            "summary": alert.get("annotations", {}).get("summary", ""),
            "runbook_url": alert.get("annotations", {}).get("runbook_url", ""),
            "labels": alert.get("labels", {}),
            "startsAt": alert.get("startsAt", ""),
            "endsAt": alert.get("endsAt", ""),
        }
        for alert in notification.get("alerts", [])
    ]


def in_words(line: dict[str, Any]) -> str:
    status = str(line.get("status", "")).upper()
    return f"{line.get('received_at', '')}  {status:<8} {line.get('alertname', '')} ({line.get('severity', '')}): " + (
        f"{line.get('summary', '')}  -> {line.get('runbook_url', '')}"
    )


def read_received(file: Path) -> list[dict[str, Any]]:
    """Every alert the receiver wrote to ``file``, oldest first (none before the first)."""
    if not file.is_file():
        return []
    return [json.loads(line) for line in file.read_text().splitlines() if line.strip()]


def last_received(file: Path, count: int = 10) -> list[str]:
    """The newest ``count`` alerts received, oldest first, in words (for `make stack-status`)."""
    return [in_words(line) for line in read_received(file)[-count:]]


def serve(port: int, file: Path, host: str = "127.0.0.1") -> None:
    lock = Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer(200 if self.path == "/health" else 404, b"ok\n" if self.path == "/health" else b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != "/alerts" or not 0 < length <= MAX_BODY:
                self._answer(400, b"POST /alerts with an Alertmanager webhook body\n")
                return
            try:
                lines = received_lines(json.loads(self.rfile.read(length)), datetime.now(UTC))
            except (json.JSONDecodeError, AttributeError):
                self._answer(400, b"not an Alertmanager webhook body\n")
                return
            with lock, file.open("a") as out:
                out.write("".join(json.dumps(line) + "\n" for line in lines))
                out.flush()
                os.fsync(out.fileno())
            self._answer(200, b"")

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # the file is the log

    file.parent.mkdir(parents=True, exist_ok=True)
    with ThreadingHTTPServer((host, port), Handler) as server:
        server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.alert_receiver", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (the stack); a container's 0.0.0.0")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(args.port, args.file, args.host)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
