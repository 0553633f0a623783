"""A deployment run checks the servers it carries before it trains, and says how to fix what it finds."""

from __future__ import annotations

import pytest

from shared.prefect_api import DeploymentTargetError, check_deployment_targets
from shared.processes import free_port
from shared.settings import Settings


@pytest.fixture
def in_a_deployment_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prefect's own runtime override: this process is a run of deployment `daily-training`."""
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "00000000-0000-0000-0000-000000000001")
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__NAME", "daily-training")


@pytest.mark.usefixtures("in_a_deployment_run")
def test_a_deployment_whose_tracking_server_moved_names_the_address_and_make_deploy() -> None:
    # given a deployment carrying the address of a stack that has moved (nothing listens there now)
    moved = f"http://127.0.0.1:{free_port()}"
    # when its run checks its targets, then it stops before training, naming the address and the fix
    with pytest.raises(DeploymentTargetError, match="make deploy") as refused:
        check_deployment_targets(Settings(tracking_uri=moved))
    assert f"carries MLFLOW_TRACKING_URI={moved}, which does not answer" in str(refused.value)


@pytest.mark.usefixtures("in_a_deployment_run")
def test_a_deployment_without_a_tracking_server_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLOPS_TRACKING_URI", raising=False)
    with pytest.raises(DeploymentTargetError, match="runs without MLFLOW_TRACKING_URI"):
        check_deployment_targets(Settings())


def test_outside_a_deployment_nothing_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # given settings carrying an address where nothing answers
    moved = Settings(tracking_uri=f"http://127.0.0.1:{free_port()}")
    # then a plain run (no deployment) goes on, while a run of a deployment with the same settings stops
    monkeypatch.delenv("PREFECT__RUNTIME__DEPLOYMENT__ID", raising=False)
    check_deployment_targets(moved)  # returns: nothing was contacted
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", "00000000-0000-0000-0000-000000000001")
    with pytest.raises(DeploymentTargetError):
        check_deployment_targets(moved)
