"""MLflow's own scoring client against the live service: the protocol users of `mlflow models serve` speak."""

from __future__ import annotations

from urllib.parse import urlparse

import mlflow.pyfunc
import numpy as np
import pytest
from mlflow.pyfunc.scoring_server.client import ScoringServerClient

from shared.data.simulator import ChurnSimulator
from shared.schema import FEATURE_NAMES
from tests.level2_cicd.conftest import LiveService, TrainedRegistry


@pytest.fixture(scope="module")
def scoring_client(live_service: LiveService) -> ScoringServerClient:
    address = urlparse(live_service.base_url)
    client = ScoringServerClient(address.hostname, address.port)
    client.wait_server_ready(timeout=30)  # MLflow's client waits on /ping
    return client


def test_missing_values_sent_by_mlflows_client_score_like_mlflow_serves_them(
    scoring_client: ScoringServerClient, trained_registry: TrainedRegistry
) -> None:
    # given rows where the nullable feature is missing, as MLflow's client sends them (NaN literals)
    frame = ChurnSimulator(seed=11, rows_per_day=40).day(45)[list(FEATURE_NAMES)]
    frame.loc[frame.index[:10], "days_since_last_login"] = np.nan
    # when MLflow's scoring client calls the service
    answered = scoring_client.invoke(frame).get_predictions()
    # then the probabilities are those the pyfunc model (what `mlflow models serve` runs) gives
    mlflow.set_tracking_uri(trained_registry.tracking_uri)
    expected = mlflow.pyfunc.load_model("models:/churn-model/1").predict(frame)
    np.testing.assert_allclose(np.asarray(answered, dtype=float), np.asarray(expected), rtol=0, atol=1e-12)


def test_nan_in_a_non_nullable_feature_is_refused_with_a_readable_error(scoring_client: ScoringServerClient) -> None:
    frame = ChurnSimulator(seed=12, rows_per_day=3).day(45)[list(FEATURE_NAMES)]
    frame["monthly_charges"] = frame["monthly_charges"].astype(float)
    frame.loc[frame.index[0], "monthly_charges"] = np.nan
    with pytest.raises(Exception, match=r"error code 422.*monthly_charges"):
        scoring_client.invoke(frame)
