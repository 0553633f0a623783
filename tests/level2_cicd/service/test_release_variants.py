"""A challenger on live traffic, in a real service process: A/B by routing key, or shadow behind the champion."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import mlflow
import pytest
import sqlalchemy as sa
import yaml

from level2_cicd.monitoring.policy import MonitoringPolicy
from level2_cicd.service.routing import variant_for
from shared.data.synthetic import schema_rows
from shared.prediction_log import SHADOW, read_log
from shared.registry import CHALLENGER, Move, Registry
from shared.release_policy import Action, LiveTestPolicy
from shared.schema import to_records
from tests.level2_cicd.conftest import LiveService, TrainedRegistry, serving

SHARE = 0.3
ROWS = to_records(schema_rows(3, seed=5))


def release_policy(folder: Path, mode: str) -> str:
    policy = LiveTestPolicy(mode=mode, ab_share=SHARE).model_dump()
    path = folder / f"release-{mode}.yaml"
    path.write_text(yaml.safe_dump(policy))
    return str(path)


@pytest.fixture(scope="module")
def challenger(trained_registry: TrainedRegistry) -> Iterator[Registry]:
    """Version 2 is the challenger of champion 1 for this module; the alias goes at the end."""
    mlflow.set_tracking_uri(trained_registry.tracking_uri)
    registry = Registry("churn-model")
    registry.set_alias(CHALLENGER, "2", Move("a test", "live test"))
    yield registry
    registry.drop_alias(CHALLENGER, Move("a test", "module done"))


def service_in(mode: str, registry: TrainedRegistry, folder: Path) -> Any:
    store = f"sqlite:///{folder / f'{mode}.db'}"
    return serving(registry, store, MLOPS_RELEASE_POLICY_FILE=release_policy(folder, mode))


@pytest.fixture(scope="module")
def ab_service(
    challenger: Registry, trained_registry: TrainedRegistry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    with service_in("ab", trained_registry, tmp_path_factory.mktemp("ab")) as service:
        yield service


@pytest.fixture(scope="module")
def shadow_service(
    challenger: Registry, trained_registry: TrainedRegistry, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveService]:
    with service_in("shadow", trained_registry, tmp_path_factory.mktemp("shadow")) as service:
        yield service


def predict(service: LiveService, key: str | None = None, rows: list[dict[str, Any]] = ROWS) -> list[dict[str, Any]]:
    headers = {"X-Routing-Key": key} if key else {}
    answer = httpx.post(f"{service.base_url}/predict", json={"rows": rows}, headers=headers, timeout=30)
    answer.raise_for_status()
    predictions: list[dict[str, Any]] = answer.json()["predictions"]
    return predictions


def test_ab_routes_each_key_by_its_hash_logs_variant_and_version_and_shows_the_split(ab_service: LiveService) -> None:
    # when 60 customers send a request each, and one of them sends three
    answers = {f"customer-{i}": predict(ab_service, f"customer-{i}") for i in range(60)}
    again = [predict(ab_service, "customer-7")[0]["variant"] for _ in range(3)]
    # then each key met the variant its hash picks (the challenger, version 2, for about 30% of keys), always
    for key, predictions in answers.items():
        expected = variant_for(key, SHARE)
        assert {(p["variant"], p["model_version"]) for p in predictions} == {
            (expected, "2" if expected == "challenger" else "1")
        }
    assert again == [answers["customer-7"][0]["variant"]] * 3
    assert 0 < sum(p[0]["variant"] == "challenger" for p in answers.values()) < 60
    # and the log has each prediction with the variant and version that answered it
    httpx.get(f"{ab_service.base_url}/ready", timeout=10)
    log = read_log(sa.create_engine(ab_service.store_url)).set_index("request_id")
    for predictions in answers.values():
        for p in predictions:
            assert (log.loc[p["request_id"], "variant"], log.loc[p["request_id"], "model_version"]) == (
                p["variant"],
                p["model_version"],
            )
    # and /model shows both models and the split; the metrics carry the variant
    model = httpx.get(f"{ab_service.base_url}/model", timeout=10).json()
    assert (model["version"], model["challenger"]["version"]) == ("1", "2")
    assert model["release"] == {"mode": "ab", "challenger_share": SHARE, "routing_header": "X-Routing-Key"}
    metrics = httpx.get(f"{ab_service.base_url}/metrics", timeout=10).text
    assert 'variant="challenger"' in metrics
    assert 'variant="champion"' in metrics


def test_shadow_never_changes_the_answer_and_is_logged_once_per_request(
    shadow_service: LiveService, ab_service: LiveService
) -> None:
    # when requests are answered with a challenger in shadow
    answered = [p for i in range(20) for p in predict(shadow_service, f"customer-{i}")]
    # then every answer is the champion's (version 1, the same probability an A/B champion answer gives)
    assert {(p["variant"], p["model_version"]) for p in answered} == {("champion", "1")}
    champion_key = next(f"customer-{i}" for i in range(100) if variant_for(f"customer-{i}", SHARE) == "champion")
    assert [p["probability"] for p in predict(shadow_service)] == [
        p["probability"] for p in predict(ab_service, champion_key)
    ]
    # and the challenger's scores of exactly those requests are logged once each, as version 2
    engine = sa.create_engine(shadow_service.store_url)
    ids = {p["request_id"] for p in answered}
    shadows: list[Any] = []
    for _ in range(50):  # written off the response path, flushed within store_flush_seconds
        with engine.connect() as conn:
            shadows = list(conn.execute(sa.select(SHADOW.c.request_id, SHADOW.c.model_version)))
        if ids <= {row[0] for row in shadows}:
            break
        time.sleep(0.2)
    logged = [row for row in shadows if row[0] in ids]
    assert sorted(row[0] for row in logged) == sorted(ids)
    assert {row[1] for row in logged} == {"2"}


def test_a_challenger_that_cannot_load_leaves_the_champion_answering_everything(
    challenger: Registry, trained_registry: TrainedRegistry, tmp_path: Path
) -> None:
    # given a challenger version whose model files do not exist
    broken = challenger.client.create_model_version("churn-model", source=str(tmp_path / "no-such-model"))
    challenger.client.set_model_version_tag("churn-model", broken.version, "threshold", "0.5")
    challenger.set_alias(CHALLENGER, str(broken.version), Move("a test", "broken on purpose"))
    try:
        # when an A/B service starts with it
        with service_in("ab", trained_registry, tmp_path) as service:
            answers = [p for i in range(30) for p in predict(service, f"customer-{i}")]
            model = httpx.get(f"{service.base_url}/model", timeout=10).json()
    finally:
        challenger.set_alias(CHALLENGER, "2", Move("a test", "back to the module's challenger"))
    # then the champion answered every request, and /model says why there is no challenger
    assert {(p["variant"], p["model_version"]) for p in answers} == {("champion", "1")}
    assert model["challenger"] is None
    assert model["release"]["challenger_share"] == 0.0
    assert "loading the challenger of 'churn-model' failed" in model["challenger_error"]


def test_the_monitor_stops_a_clearly_worse_challenger_on_its_live_labels(
    ab_service: LiveService, challenger: Registry, trained_registry: TrainedRegistry, tmp_path: Path, prefect_api: None
) -> None:
    """Last in this module: the monitor removes the module's challenger (the crippled version 2)."""
    import mlflow.sklearn

    from level2_cicd.monitoring.flow import monitoring_flow
    from shared.model import predict_proba

    # given a world where the champion is right (each customer's label is version 1's own decision)
    champion = mlflow.sklearn.load_model("models:/churn-model/1")
    rows = schema_rows(800, seed=11)
    truth = (predict_proba(champion, rows) >= challenger.version("1").threshold).astype(int).tolist()
    records, day, labels = to_records(rows), "2024-07-20", []
    for start in range(0, len(records), 10):  # 80 customers, 10 rows each, on one day
        body = {"rows": records[start : start + 10], "event_time": f"{day}T12:00:00"}
        answer = httpx.post(f"{ab_service.base_url}/predict", json=body, headers={"X-Routing-Key": f"c{start}"})
        labels += [
            {"request_id": p["request_id"], "label": y}
            for p, y in zip(answer.json()["predictions"], truth[start : start + 10], strict=True)
        ]
    assert httpx.post(f"{ab_service.base_url}/feedback", json={"labels": labels}, timeout=30).status_code == 200
    # when the monitor runs that day (a policy that never retrains: only the live test is judged)
    policy = MonitoringPolicy(min_rows=100_000).model_dump()
    (tmp_path / "monitoring.yaml").write_text(yaml.safe_dump(policy))
    overrides = {
        "state_dir": str(trained_registry.state_dir),
        "data_source": "synthetic",
        "prediction_store_url": ab_service.store_url,
        "release_policy_file": release_policy(tmp_path, "ab"),
        "monitoring_policy_file": str(tmp_path / "monitoring.yaml"),
        "monitoring_dashboard": False,
    }
    outcome = monitoring_flow(day=day, settings_overrides=overrides)
    # then it stopped the test: the challenger alias is gone, with the monitor's reason on version 2
    assert outcome.live_test is not None
    assert outcome.live_test.verdict.action is Action.STOP
    assert "worse" in outcome.live_test.verdict.reason
    assert (challenger.challenger(), challenger.champion_number()) == (None, "1")
    move = challenger.trail("2")[-1]
    assert (move["alias"], move["action"]) == ("challenger", "removed")
    assert move["by"].startswith("monitor (day ")
    # and the day's facts carry the serving version's offline holdout ROC AUC, as its run logged it, beside the live one
    from mlflow import MlflowClient

    logged = MlflowClient().get_run(challenger.version("1").run_id).data.metrics["holdout_roc_auc"]
    assert outcome.summary.holdout_roc_auc == pytest.approx(logged)
