"""The tracking adapter's reading of errors: a lost server is named, anything else is not mistaken for one."""

from __future__ import annotations

import pytest

from shared.processes import free_port
from shared.settings import Settings
from shared.tracking import lost_server


def test_a_request_to_a_vanished_mlflow_server_is_named_as_the_lost_mlflow_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given MLflow's own client talking to a server that is gone (nothing listens on its port)
    from mlflow import MlflowClient

    uri = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever MLflow raises is what users meet
        MlflowClient(tracking_uri=uri).get_run("0" * 32)
    # when the command reads the error
    said = lost_server(raised.value, Settings(tracking_uri=uri))
    # then it names the MLflow server and how it was lost
    assert said is not None
    assert said.startswith(f"the MLflow server at {uri} (")
    assert "Connection refused" in said or "ConnectionRefused" in said


def test_an_error_that_is_not_a_lost_connection_is_not_called_one() -> None:
    def failing_step() -> None:
        try:
            int("x")
        except ValueError as inner:
            raise RuntimeError("a step failed") from inner

    with pytest.raises(RuntimeError) as raised:
        failing_step()
    assert lost_server(raised.value, Settings()) is None
