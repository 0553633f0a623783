"""Contract tests through the ASGI app (lifespan included) against a real SQLite MLflow registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from level2_cicd.service.app import create_app
from shared.data.synthetic import schema_rows
from shared.prediction_log import PREDICTIONS, read_log, read_rejections
from shared.schema import FEATURE_NAMES, FEATURES, Kind, to_records
from tests.level2_cicd.conftest import TOKEN, TrainedRegistry, started
from tests.schema_cases import breaking_change, feature_of, too_high


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return to_records(schema_rows(50, seed=99))


@pytest.fixture
def client(trained_registry: TrainedRegistry, tmp_path: Path) -> Iterator[TestClient]:
    settings = trained_registry.settings(prediction_store_url=f"sqlite:///{tmp_path / 'log.db'}")
    with started(create_app(settings)) as test_client:
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


def bad_changes() -> list[tuple[dict[str, Any], str, str]]:
    """(change to a valid row, field named, pydantic error type): one per rule kind the schema has."""
    first = {kind: next((f for f in FEATURES if f.kind is kind), None) for kind in Kind}
    required_number = next((f for f in FEATURES if not f.is_categorical and not f.nullable), None)
    cases: list[tuple[dict[str, Any], str, str]] = [({"surprise": 1}, "surprise", "extra_forbidden")]
    if (integer := first[Kind.INTEGER]) is not None:
        cases += [({integer.name: too_high(integer)}, integer.name, "less_than_equal")]
        cases += [({integer.name: 1.5}, integer.name, "int_from_float")]
    if (number := first[Kind.NUMERIC]) is not None:
        cases += [({number.name: "cheap"}, number.name, "float_parsing")]
    if (category := first[Kind.CATEGORICAL]) is not None:
        cases += [({category.name: "not-a-category"}, category.name, "literal_error")]
    if required_number is not None:
        kind = "int_type" if required_number.kind is Kind.INTEGER else "float_type"
        cases += [({required_number.name: None}, required_number.name, kind)]
    return cases


@pytest.mark.parametrize(("change", "field", "error_type"), bad_changes())
def test_bad_rows_get_422_naming_field_and_rule_and_service_keeps_serving(
    client: TestClient, rows: list[dict[str, Any]], change: dict[str, Any], field: str, error_type: str
) -> None:
    response = client.post("/predict", json={"rows": [rows[0] | change]})
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert (errors[0]["loc"][-1], errors[0]["type"]) == (field, error_type)
    assert client.post("/predict", json={"rows": rows[:1]}).status_code == 200


def test_missing_feature_is_named(client: TestClient, rows: list[dict[str, Any]]) -> None:
    dropped = FEATURE_NAMES[-1]
    row = {k: v for k, v in rows[0].items() if k != dropped}
    errors = client.post("/predict", json={"rows": [row]}).json()["detail"]
    assert (errors[0]["loc"][-1], errors[0]["type"]) == (dropped, "missing")


def test_invocations_validate_like_predict(client: TestClient, rows: list[dict[str, Any]]) -> None:
    column, value = breaking_change()
    response = client.post("/invocations", json={"dataframe_records": [rows[0] | {column: value}]})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "dataframe_records", 0, column]


def test_feedback_labels_join_their_predictions(
    client: TestClient, rows: list[dict[str, Any]], trained_registry: TrainedRegistry
) -> None:
    predictions = client.post("/predict", json={"rows": rows[:5]}).json()["predictions"]
    labels = [{"request_id": p["request_id"], "label": i % 2} for i, p in enumerate(predictions[:3])]
    assert client.post("/feedback", json={"labels": labels}).json() == {"accepted": 3, "stored": 3}
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
    assert (model["version"], model["data_window"], model["last_error"]) == ("1", "2024-06-19..2024-06-28", None)
    metrics = client.get("/metrics").text
    assert 'http_requests_total{path="/predict",status="200"} 1.0' in metrics
    assert "model_version 1.0" in metrics
    assert 'prediction_probability_count{variant="champion"} 3.0' in metrics


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
    with started(create_app(settings)) as empty:
        ready = empty.get("/ready")
        assert ready.status_code == 503
        assert "no model 'never-trained'" in ready.json()["reason"]
        assert empty.post("/predict", json={"rows": rows[:1]}).status_code == 503
        assert empty.get("/health").status_code == 200


def _reload_with_champion(
    client: TestClient, version: str, rows: list[dict[str, Any]]
) -> tuple[dict[str, Any], set[str]]:
    """Point `champion` at ``version``, reload, score two rows; version 1 is champion again afterwards.
    Returns the reload's answer and the versions that served the rows."""
    from mlflow import MlflowClient

    registry = MlflowClient()
    registry.set_registered_model_alias("churn-model", "champion", version)
    try:
        reloaded = client.post("/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}).json()
        served = client.post("/predict", json={"rows": rows[:2]}).json()["predictions"]
    finally:
        registry.set_registered_model_alias("churn-model", "champion", "1")
    return reloaded, {p["model_version"] for p in served}


def test_a_champion_that_fails_to_load_leaves_the_old_model_serving(
    client: TestClient, rows: list[dict[str, Any]], trained_registry: TrainedRegistry
) -> None:
    from mlflow import MlflowClient

    broken = MlflowClient().create_model_version(
        "churn-model", source=str(trained_registry.state_dir / "no-such-model")
    )
    reloaded, served = _reload_with_champion(client, str(broken.version), rows)
    assert reloaded["version"] == "1"
    assert "loading the champion of 'churn-model' failed" in reloaded["last_error"]
    assert served == {"1"}


def test_a_champion_trained_on_another_feature_set_is_not_served_and_the_columns_are_named(
    client: TestClient, rows: list[dict[str, Any]]
) -> None:
    from mlflow import MlflowClient

    from shared.feature_set import FEATURES_TAG, feature_set
    from shared.schema import FEATURES

    # given a champion whose registration says it was trained with one more column than the schema has
    registry = MlflowClient()
    served_now = registry.get_model_version("churn-model", "1")
    assert served_now.tags[FEATURES_TAG] == feature_set()  # the training flow records its feature set
    other = {**served_now.tags, FEATURES_TAG: feature_set(FEATURES) + ",region:categorical"}
    newer = registry.create_model_version("churn-model", source=str(served_now.source), tags=other)
    # when the service looks for its champion
    reloaded, served = _reload_with_champion(client, str(newer.version), rows)
    # then it keeps the version that fits and says which columns the new one lacks
    assert reloaded["version"] == "1"
    assert f"not serving version {newer.version}" in reloaded["last_error"]
    assert "trained on columns the schema no longer has: region" in reloaded["last_error"]
    assert served == {"1"}


def test_nan_for_a_non_nullable_feature_is_a_422_naming_it_not_a_500(
    client: TestClient, rows: list[dict[str, Any]]
) -> None:
    # given a body as Python's json writes a missing value (a bare NaN literal)
    required = feature_of(nullable=False, numeric=True).name
    body = json.dumps({"rows": [rows[0] | {required: float("nan")}]})
    # when it is posted
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    # then the answer is a readable 422 naming the field, with the input spelled as text
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert (error["loc"][-1], error["input"]) == (required, "nan")
    assert error["type"] in ("finite_number", "int_from_float")  # pydantic's words for a float or an integer field


def test_nan_for_a_nullable_feature_is_a_missing_value(client: TestClient, rows: list[dict[str, Any]]) -> None:
    nullable = feature_of(nullable=True).name
    with_nan = json.dumps({"rows": [rows[0] | {nullable: float("nan")}]})
    with_null = {"rows": [rows[0] | {nullable: None}]}
    by_nan = client.post("/predict", content=with_nan, headers={"content-type": "application/json"})
    by_null = client.post("/predict", json=with_null)
    assert by_nan.status_code == 200, by_nan.text
    assert by_nan.json()["predictions"][0]["probability"] == by_null.json()["predictions"][0]["probability"]


def test_timezone_aware_event_time_is_stored_in_utc(client: TestClient, rows: list[dict[str, Any]]) -> None:
    answer = client.post("/predict", json={"rows": rows[:1], "event_time": "2026-03-01T10:30:00+02:00"}).json()
    service = client.app.state.service  # type: ignore[attr-defined]
    service.store.flush()
    log = read_log(service.store.engine).set_index("request_id")
    assert log.loc[answer["predictions"][0]["request_id"], "created_at"] == pd.Timestamp("2026-03-01 08:30:00")


def test_invocations_carry_the_event_time_in_mlflows_params(client: TestClient, rows: list[dict[str, Any]]) -> None:
    # given MLflow's scoring body with inference params saying when the rows happened
    body = {"dataframe_records": rows[:3], "params": {"event_time": "2026-03-02T10:30:00+02:00"}}
    # when it is scored, then its rows are logged at that moment (in UTC)
    assert client.post("/invocations", json=body).status_code == 200
    service = client.app.state.service  # type: ignore[attr-defined]
    service.store.flush()
    log = read_log(service.store.engine)
    assert (log["created_at"] == pd.Timestamp("2026-03-02 08:30:00")).sum() == 3
    # and a parameter the service does not know is named, not ignored
    unknown = client.post("/invocations", json={"dataframe_records": rows[:1], "params": {"temperature": 1}})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "params", "temperature"]


def test_rejected_rows_are_counted_per_field_and_rule_in_metrics_and_the_log(
    client: TestClient, rows: list[dict[str, Any]]
) -> None:
    # given a request of three rows, two of them broken (one in two rules)
    column, value = breaking_change()
    rule = "literal_error" if isinstance(value, str) else "less_than_equal"
    low = next(f for f in FEATURES if f.minimum is not None and f.name != column)
    assert low.minimum is not None
    bad = [rows[0] | {column: value}, rows[1], rows[2] | {column: value, low.name: low.minimum - 1}]
    # when it is refused
    response = client.post("/predict", json={"rows": bad, "event_time": "2026-02-01T00:00:00"})
    assert response.status_code == 422
    # then /metrics counts rows per field and rule, and the log keeps them under the request's event time
    metrics = client.get("/metrics").text
    assert f'rejected_rows_total{{field="{column}",rule="{rule}"}} 2.0' in metrics
    assert f'rejected_rows_total{{field="{low.name}",rule="greater_than_equal"}} 1.0' in metrics
    service = client.app.state.service  # type: ignore[attr-defined]
    service.store.flush()
    stored = read_rejections(service.store.engine, datetime(2026, 2, 1), datetime(2026, 2, 2))
    found = sorted(zip(stored["row"], stored["field"], strict=True))
    assert found == sorted([(0, column), (2, column), (2, low.name)])


def test_rows_sent_as_the_table_has_them_are_told_where_the_id_and_time_belong(
    client: TestClient, rows: list[dict[str, Any]]
) -> None:
    from shared.schema import ID_COLUMN, TIME_COLUMN

    # given a row as it sits in the table: with its id and its event time
    row = rows[0] | {ID_COLUMN: "c-17", TIME_COLUMN: "2026-02-01T10:00:00+01:00"}
    # when it is posted
    response = client.post("/predict", json={"rows": [row]})
    # then the 422 says where each belongs, and the metrics name those columns (not "unknown_field")
    assert response.status_code == 422
    said = {error["loc"][-1]: error["msg"] for error in response.json()["detail"]}
    assert "send it in the request's ids list (optional), not in rows" in said[ID_COLUMN]
    assert "send it once as the request's event_time" in said[TIME_COLUMN]
    metrics = client.get("/metrics").text
    assert f'rejected_rows_total{{field="{ID_COLUMN}",rule="extra_forbidden"}}' in metrics


def test_a_failing_log_writer_shows_in_ready_and_metrics_and_nothing_is_acknowledged(
    client: TestClient, rows: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]
    served = client.post("/predict", json={"rows": rows[:2]}).json()["predictions"]
    service.store.flush()

    def disk_full(*args: Any) -> None:
        raise OSError("No space left on device")

    # given a log whose writes fail with an error that is not SQLAlchemy's
    monkeypatch.setattr(service.store, "_insert", disk_full)
    monkeypatch.setattr(service.store, "attempts", 2)
    # when labels arrive, then they are not acknowledged as stored
    labels = {"labels": [{"request_id": served[0]["request_id"], "label": 1}]}
    refused = client.post("/feedback", json=labels)
    assert refused.status_code == 503
    assert "No space left on device" in refused.json()["detail"]
    # and predictions are not acknowledged either (a client retries; nothing answered is lost)
    unlogged = client.post("/predict", json={"rows": rows[:3]})
    assert unlogged.status_code == 503
    assert "not acknowledged" in unlogged.json()["detail"]
    # and the service says it is not ready, and counts the rows it could not store, with its writer still alive
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert "could not store 3 rows" in ready.json()["reason"]
    metrics = client.get("/metrics").text
    assert "prediction_log_dropped_rows_total 4.0" in metrics
    assert "prediction_log_healthy 0.0" in metrics
    # when the database recovers, then the next write clears the alarm
    monkeypatch.undo()
    assert client.post("/feedback", json=labels).status_code == 200
    assert client.get("/ready").status_code == 200


def test_a_log_table_from_an_older_schema_keeps_the_service_unready_instead_of_losing_rows(
    tmp_path: Path, rows: list[dict[str, Any]], trained_registry: TrainedRegistry
) -> None:
    # given a prediction table created before a feature was added to the schema
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        columns = ", ".join(f"{c.name} TEXT" for c in PREDICTIONS.columns if c.name != FEATURE_NAMES[-1])
        conn.exec_driver_sql(f"CREATE TABLE predictions ({columns})")
    engine.dispose()
    # when the service starts on it
    with started(create_app(trained_registry.settings(prediction_store_url=url))) as old:
        ready = old.get("/ready")
        predicted = old.post("/predict", json={"rows": rows[:1]})
    # then it is not ready, says which column is missing, and answers no prediction it cannot log
    assert ready.status_code == 503
    assert "table 'predictions'" in ready.json()["reason"]
    assert f"missing columns {FEATURE_NAMES[-1]}" in ready.json()["reason"]
    assert predicted.status_code == 503


def test_explain_moves_each_feature_to_its_typical_value_and_logs_no_prediction(
    client: TestClient, rows: list[dict[str, Any]]
) -> None:
    from mlflow.artifacts import load_dict

    from shared.registry import Registry

    # given the champion's typical training values, as its run logged them
    champion = Registry("churn-model").champion()
    assert champion is not None
    typical = load_dict(f"runs:/{champion.run_id}/reference/typical.json")
    # when one row is explained
    answer = client.post("/explain", json={"row": rows[0]})
    assert answer.status_code == 200, answer.text
    explained = answer.json()
    # then its probability is the one /predict gives, and each feature's change is the model's own answer to the row
    # with that feature set to its typical value, largest move first
    predicted = client.post("/predict", json={"rows": rows[:1]}).json()["predictions"][0]
    assert explained["probability"] == pytest.approx(predicted["probability"], abs=1e-9)
    assert [c["feature"] for c in explained["contributions"]] == sorted(
        FEATURE_NAMES,
        key=lambda name: -abs(next(c["change"] for c in explained["contributions"] if c["feature"] == name)),
    )
    model = mlflow.sklearn.load_model(champion.model_uri)
    heaviest = explained["contributions"][0]
    moved = pd.DataFrame([{**rows[0], heaviest["feature"]: typical[heaviest["feature"]]}])[list(FEATURE_NAMES)]
    expected = explained["probability"] - model.predict_proba(moved)[:, 1][0]
    assert heaviest["change"] == pytest.approx(expected, abs=1e-6)
    assert heaviest["typical"] == typical[heaviest["feature"]]
    # and the explanation is not a prediction: the log holds only the /predict one; a bad row is a 422 as anywhere
    service = client.app.state.service  # type: ignore[attr-defined]
    service.store.flush()
    assert read_log(service.store.engine)["request_id"].tolist() == [predicted["request_id"]]
    assert client.post("/explain", json={"row": {**rows[0], "nope": 1}}).status_code == 422
