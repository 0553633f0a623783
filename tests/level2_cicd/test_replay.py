"""`make replay`: a data source's history through the running service (its end-to-end run is the fork test's)."""

from __future__ import annotations

import pytest

from level2_cicd.replay import main
from shared.processes import free_port


@pytest.fixture(autouse=True)
def _days_from_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_DATA_SOURCE", "synthetic")  # generic: a fork's schema too


def test_replay_without_a_service_says_how_to_start_one(capsys: pytest.CaptureFixture[str]) -> None:
    # given nothing listening where the replay is sent
    nowhere = f"http://127.0.0.1:{free_port()}"
    # when a day is replayed there
    code = main(["--from", "20", "--to", "20", "--url", nowhere])
    # then it stops with a clear error, not a traceback
    assert code == 2
    said = capsys.readouterr().err
    assert "no service answers" in said
    assert "make serve" in said


def test_replay_refuses_a_range_that_ends_before_it_starts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--from", "21", "--to", "20", "--url", f"http://127.0.0.1:{free_port()}"]) == 2
    assert "is after --to" in capsys.readouterr().err


def test_replay_refuses_to_send_the_prediction_log_back_to_the_service(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given the service's own log as the data source: replaying it would log every row again
    monkeypatch.setenv("MLOPS_DATA_SOURCE", "prediction_log")
    assert main(["--url", f"http://127.0.0.1:{free_port()}"]) == 2
    assert "would log every row twice" in capsys.readouterr().err
