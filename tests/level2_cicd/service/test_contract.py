"""Contract tests through the ASGI app (lifespan included) against a real SQLite MLflow registry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from level2_cicd.service.app import create_app
from level2_cicd.service.store import read_log
from shared.data.simulator import ChurnSimulator
from shared.schema import FEATURE_NAMES, to_records
from tests.level2_cicd.conftest import TOKEN, TrainedRegistry


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return to_records(ChurnSimulator(seed=99, rows_per_day=50).day(40))


@pytest.fixture
def client(trained_registry: TrainedRegistry, tmp_path: Path) -> Iterator[TestClient]:
    settings = trained_registry.settings(prediction_store_url=f"sqlite:///{tmp_path / 'log.db'}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_predict_scores_one_or_many_rows_with_version_and_request_ids(
    client: TestClient, rows: list[dict[str, Any]]
) -> None:
    one = client.post("/predict", json={"rows": rows[:1]}).json()["predictions"]
    many = client.post("/predict", json={"rows": rows[:20]}).json()["predictions"]
    assert len(one) == 1
    assert len(many) == 20
    assert {p["model_version"] for p in many} == {"1"}
    assert len({p["request_id"] for p in one + many}) == 21
    assert all(0 <= p["probability"] <= 1 and p["prediction"] in (0, 1) for p in many)


def test_predict_invocations_and_the_registry_model_agree(client: TestClient, rows: list[dict[str, Any]]) -> None:
    predicted = [p["probability"] for p in client.post("/predict", json={"rows": rows}).json()["predictions"]]
    split = {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [[r[c] for c in FEATURE_NAMES] for r in rows]}}
    by_split = [p[1] for p in client.post("/invocations", json=split).json()["predictions"]]
    by_records = [p[1] for p in client.post("/invocations", json={"dataframe_records": rows}).json()["predictions"]]
    direct = mlflow.sklearn.load_model("models:/churn-model@champion").predict_proba(
        pd.DataFrame.from_records(rows, columns=list(FEATURE_NAMES))
    )[:, 1]
    np.testing.assert_allclose(predicted, direct, rtol=0, atol=1e-12)
    np.testing.assert_allclose(by_split, direct, rtol=0, atol=1e-12)
    np.testing.assert_allclose(by_records, direct, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("change", "field", "error_type"),
    [
        ({"tenure_months": 500}, "tenure_months", "less_than_equal"),
        ({"monthly_charges": "cheap"}, "monthly_charges", "float_parsing"),
        ({"contract": "lifetime"}, "contract", "literal_error"),
        ({"usage_hours_30d": None}, "usage_hours_30d", "float_type"),
        ({"support_calls_30d": 1.5}, "support_calls_30d", "int_from_float"),
        ({"surprise": 1}, "surprise", "extra_forbidden"),
    ],
)
def test_bad_rows_get_422_naming_field_and_rule_and_service_keeps_serving(
    client: TestClient, rows: list[dict[str, Any]], change: dict[str, Any], field: str, error_type: str
) -> None:
    response = client.post("/predict", json={"rows": [rows[0] | change]})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert (errors[0]["loc"][-1], errors[0]["type"]) == (field, error_type)
    assert client.post("/predict", json={"rows": rows[:1]}).status_code == 200


def test_missing_feature_is_named(client: TestClient, rows: list[dict[str, Any]]) -> None:
    row = {k: v for k, v in rows[0].items() if k != "plan"}
    errors = client.post("/predict", json={"rows": [row]}).json()["detail"]
    assert (errors[0]["loc"][-1], errors[0]["type"]) == ("plan", "missing")


def test_invocations_validate_like_predict(client: TestClient, rows: list[dict[str, Any]]) -> None:
    response = client.post("/invocations", json={"dataframe_records": [rows[0] | {"plan": "gold"}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "dataframe_records", 0, "plan"]


def test_feedback_labels_join_their_predictions(
    client: TestClient, rows: list[dict[str, Any]], trained_registry: TrainedRegistry
) -> None:
    predictions = client.post("/predict", json={"rows": rows[:5]}).json()["predictions"]
    labels = [{"request_id": p["request_id"], "label": i % 2} for i, p in enumerate(predictions[:3])]
    assert client.post("/feedback", json={"labels": labels}).json() == {"accepted": 3}
    service = client.app.state.service  # type: ignore[attr-defined]
    service.store.flush()
    log = read_log(service.store.engine).set_index("request_id")
    assert log.loc[[p["request_id"] for p in predictions[:3]], "label"].tolist() == [0, 1, 0]
    assert log.loc[predictions[4]["request_id"], "label"] != log.loc[predictions[4]["request_id"], "label"]  # NaN


def test_feedback_for_unknown_request_id_is_refused(client: TestClient) -> None:
    response = client.post("/feedback", json={"labels": [{"request_id": "nope", "label": 1}]})
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_health_ready_model_and_metrics(client: TestClient, rows: list[dict[str, Any]]) -> None:
    client.post("/predict", json={"rows": rows[:3]})
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"ready": True, "model_version": "1"}
    model = client.get("/model").json()
    assert (model["version"], model["data_window"], model["last_error"]) == ("1", "18-27", None)
    metrics = client.get("/metrics").text
    assert 'http_requests_total{path="/predict",status="200"} 1.0' in metrics
    assert "model_version 1.0" in metrics
    assert "prediction_probability_count 3.0" in metrics


def test_admin_reload_needs_the_token(client: TestClient) -> None:
    assert client.post("/admin/reload").status_code == 401
    assert client.post("/admin/reload", headers={"Authorization": "Bearer wrong"}).status_code == 401
    reloaded = client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
    assert reloaded.status_code == 200
    assert reloaded.json()["version"] == "1"


def test_without_a_champion_the_service_starts_not_ready_and_says_why(
    tmp_path: Path, rows: list[dict[str, Any]], trained_registry: TrainedRegistry
) -> None:
    settings = trained_registry.settings(model_name="never-trained", prediction_store_url=f"sqlite:///{tmp_path}/l.db")
    with TestClient(create_app(settings)) as empty:
        ready = empty.get("/ready")
        assert ready.status_code == 503
        assert "no model 'never-trained'" in ready.json()["reason"]
        assert empty.post("/predict", json={"rows": rows[:1]}).status_code == 503
        assert empty.get("/health").status_code == 200


def test_a_champion_that_fails_to_load_leaves_the_old_model_serving(
    client: TestClient, rows: list[dict[str, Any]], trained_registry: TrainedRegistry
) -> None:
    from mlflow import MlflowClient

    registry = MlflowClient()
    broken = registry.create_model_version("churn-model", source=str(trained_registry.state_dir / "no-such-model"))
    registry.set_registered_model_alias("churn-model", "champion", broken.version)
    try:
        reloaded = client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        served = client.post("/predict", json={"rows": rows[:2]}).json()["predictions"]
    finally:
        registry.set_registered_model_alias("churn-model", "champion", "1")
    assert reloaded["version"] == "1"
    assert "loading the champion of 'churn-model' failed" in reloaded["last_error"]
    assert {p["model_version"] for p in served} == {"1"}
