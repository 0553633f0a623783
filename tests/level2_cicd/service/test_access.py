"""Who may write: tokens by role, bounded bodies, one label per prediction within the horizon."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from level2_cicd.service.app import create_app
from shared.data.synthetic import schema_rows
from shared.schema import to_records
from tests.level2_cicd.conftest import TOKEN, TrainedRegistry, serving, started

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

SCORING, LABELS = "scoring-secret-1", "labels-secret-2"


@pytest.fixture
def guarded(trained_registry: TrainedRegistry, tmp_path: Path) -> Iterator[TestClient]:
    settings = trained_registry.settings(
        prediction_store_url=f"sqlite:///{tmp_path / 'log.db'}",
        scoring_token=SCORING,
        labels_token=LABELS,
        max_body_bytes=4096,
    )
    with started(create_app(settings)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return to_records(schema_rows(3, seed=8))


def test_scoring_needs_the_scoring_token(guarded: TestClient, rows: list[dict[str, Any]]) -> None:
    body = {"rows": rows[:1]}
    assert guarded.post("/predict", json=body).status_code == 401
    assert guarded.post("/predict", json=body, headers=bearer("guess")).status_code == 401
    assert guarded.post("/predict", json=body, headers=bearer(LABELS)).status_code == 403  # another role's token
    assert guarded.post("/predict", json=body, headers=bearer(SCORING)).status_code == 200
    split = {"dataframe_records": rows[:1]}
    assert guarded.post("/invocations", json=split).status_code == 401
    assert guarded.post("/invocations", json=split, headers=bearer(SCORING)).status_code == 200
    explain = {"row": rows[0]}
    assert guarded.post("/explain", json=explain).status_code == 401
    assert guarded.post("/explain", json=explain, headers=bearer(LABELS)).status_code == 403
    assert guarded.post("/explain", json=explain, headers=bearer(SCORING)).status_code == 200


def test_labels_need_the_labels_token(guarded: TestClient, rows: list[dict[str, Any]]) -> None:
    served = guarded.post("/predict", json={"rows": rows[:1]}, headers=bearer(SCORING)).json()["predictions"][0]
    labels = {"labels": [{"request_id": served["request_id"], "label": 1}]}
    assert guarded.post("/feedback", json=labels).status_code == 401
    assert guarded.post("/feedback", json=labels, headers=bearer(SCORING)).status_code == 403
    assert guarded.post("/feedback", json=labels, headers=bearer(LABELS)).json() == {"accepted": 1, "stored": 1}
    assert guarded.post("/admin/reload", headers=bearer(LABELS)).status_code == 403
    assert guarded.post("/admin/reload", headers=bearer(TOKEN)).status_code == 200


def test_an_oversized_body_is_refused_before_parsing_and_the_service_stays_ready(guarded: TestClient) -> None:
    huge = b'{"rows": [' + b" " * 10_000 + b"]}"
    refused = guarded.post("/predict", content=huge, headers=bearer(SCORING) | {"content-type": "application/json"})
    assert refused.status_code == 413
    assert "4096 bytes" in refused.json()["detail"]
    streamed = guarded.post(
        "/predict", content=iter([b'{"rows": ['] + [b" " * 1000] * 10), headers=bearer(SCORING)
    )  # no Content-Length: counted as it arrives
    assert streamed.status_code == 413
    assert guarded.get("/ready").status_code == 200


def test_one_label_per_prediction_a_different_one_is_refused_and_counted(
    guarded: TestClient, rows: list[dict[str, Any]]
) -> None:
    served = guarded.post("/predict", json={"rows": rows[:2]}, headers=bearer(SCORING)).json()["predictions"]
    first = {"labels": [{"request_id": served[0]["request_id"], "label": 1}]}
    assert guarded.post("/feedback", json=first, headers=bearer(LABELS)).json() == {"accepted": 1, "stored": 1}
    # the same label again: accepted, nothing new stored
    assert guarded.post("/feedback", json=first, headers=bearer(LABELS)).json() == {"accepted": 1, "stored": 0}
    # a different one: refused, and nothing of that request stored
    flipped = {"labels": [{"request_id": served[1]["request_id"], "label": 0}, first["labels"][0] | {"label": 0}]}
    refused = guarded.post("/feedback", json=flipped, headers=bearer(LABELS))
    assert refused.status_code == 409
    assert served[0]["request_id"] in refused.json()["detail"]
    service = guarded.app.state.service  # type: ignore[attr-defined]
    assert service.store.existing_labels([served[1]["request_id"]]) == {}
    assert 'labels_refused_total{reason="conflict"} 1.0' in guarded.get("/metrics").text


def test_a_label_for_a_prediction_older_than_the_horizon_is_refused(guarded: TestClient) -> None:
    # given a prediction the log served 200 days ago
    service = guarded.app.state.service  # type: ignore[attr-defined]
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=200)
    row = to_records(schema_rows(1, seed=2))[0]
    old = {"request_id": "old-one", "created_at": long_ago, "served_at": long_ago, "model_version": "1"}
    service.store.add_predictions([row | old | {"prediction": 1, "probability": 0.9}])
    service.store.flush()
    # when its label arrives, then it is refused naming the horizon and the policy file
    refused = guarded.post(
        "/feedback", json={"labels": [{"request_id": "old-one", "label": 1}]}, headers=bearer(LABELS)
    )
    assert refused.status_code == 422
    assert "label_horizon_days = 90" in refused.json()["detail"]
    assert service.store.existing_labels(["old-one"]) == {}


def test_a_slow_trickling_client_does_not_hold_up_the_service(
    trained_registry: TrainedRegistry, tmp_path: Path
) -> None:
    # given the real service process
    with serving(trained_registry, f"sqlite:///{tmp_path / 'log.db'}") as service:
        port = service.port
        # when a client sends its body one byte at a time (bounded: 10 bytes over ~2 s, loopback only)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
            slow.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            answers = []
            for _ in range(10):
                slow.sendall(b" ")
                answers.append(httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code)
                time.sleep(0.2)
        # then everyone else is answered meanwhile
        assert answers == [200] * 10
