"""MLflow's own scoring client against the live service: the protocol users of `mlflow models serve` speak."""

from __future__ import annotations

from urllib.parse import urlparse

import mlflow.pyfunc
import numpy as np
import pytest
from mlflow.pyfunc.scoring_server.client import ScoringServerClient

from shared.data.synthetic import schema_rows
from tests.level2_cicd.conftest import LiveService, TrainedRegistry
from tests.schema_cases import feature_of


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
    frame = schema_rows(40, seed=11)
    frame.loc[frame.index[:10], feature_of(nullable=True).name] = np.nan
    # when MLflow's scoring client calls the service
    answered = scoring_client.invoke(frame).get_predictions()
    # then the probabilities are those the pyfunc model (what `mlflow models serve` runs) gives
    mlflow.set_tracking_uri(trained_registry.tracking_uri)
    expected = mlflow.pyfunc.load_model("models:/churn-model/1").predict(frame)
    np.testing.assert_allclose(np.asarray(answered, dtype=float), np.asarray(expected), rtol=0, atol=1e-12)


def test_nan_in_a_non_nullable_feature_is_refused_with_a_readable_error(scoring_client: ScoringServerClient) -> None:
    required = feature_of(nullable=False, numeric=True).name
    frame = schema_rows(3, seed=12)
    frame[required] = frame[required].astype(float)
    frame.loc[frame.index[0], required] = np.nan
    with pytest.raises(Exception, match=rf"error code 422.*{required}"):
        scoring_client.invoke(frame)
