"""The drifted-traffic drill's world is its own: whatever the caller's project and log, its commands and service get
a project, model, state folder and prediction log of the drill's, and the stack's servers."""

from pathlib import Path

import pytest

from deploy.drifted_traffic import DRIFTED_DAY, WORLD, drill_environment
from deploy.topology import Ports, Stack
from shared.settings import Settings


def test_the_drills_commands_get_a_world_of_their_own_over_the_callers_and_the_stacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a stack's folder, and a shell naming its own project, model, servers and prediction log
    stack = Stack(tmp_path / "stack", Ports.free())
    stack.folder.mkdir(parents=True)
    monkeypatch.setenv("MLOPS_PROJECT_NAME", "acme")
    monkeypatch.setenv("MLOPS_MODEL_NAME", "acme-model")
    monkeypatch.setenv("MLOPS_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setenv("MLOPS_PREDICTION_STORE_URL", stack.database("predictions"))  # the stack's own log
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    # when the drill makes the environment of its commands and service
    folder = stack.folder / "drill-drifted-traffic-x"
    env = drill_environment(stack, folder, "http://127.0.0.1:1")
    # then, read as those processes read it, it is the drill's project, log and folder on the stack's servers (Prefect's
    # too), whatever the shell exported
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    seen = Settings()
    assert (seen.project_name, seen.model_name) == ("acme-drill", "acme-drill-model")
    assert seen.resolved_prediction_store_url == f"sqlite:///{folder / 'predictions.db'}"
    assert seen.state_path == folder.resolve()
    assert (seen.resolved_tracking_uri, seen.alertmanager_url) == (stack.tracking_uri, stack.alertmanager_url)
    assert seen.service_url == "http://127.0.0.1:1"
    assert seen.scoring_token is not None
    assert seen.scoring_token.get_secret_value() == stack.tokens()["MLOPS_SCORING_TOKEN"]
    assert (seen.scenario, seen.simulated_today) == (WORLD["scenario"], DRIFTED_DAY + 1)
    assert env["PREFECT_API_URL"] == stack.prefect_api
