"""No secret in any log: with every token set, a training run, the service and a monitoring run write
none of them anywhere (MLflow store and artifacts, the prediction log, reports, Prefect parameters, logs)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.data.synthetic import schema_rows
from shared.schema import to_records
from shared.settings import Settings
from tests.conftest import SYNTHETIC
from tests.level2_cicd.conftest import started

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

SECRETS = {
    "MLOPS_ADMIN_TOKEN": "admin-7f3a9c",
    "MLOPS_SCORING_TOKEN": "scoring-5b21de",
    "MLOPS_LABELS_TOKEN": "labels-c0ffee",
    "MLOPS_GITHUB_TOKEN": "ghp-0badc0de",
}


def _flow_parameters() -> list[str]:
    from prefect.client.orchestration import get_client

    async def read() -> list[str]:
        async with get_client() as client:
            return [repr(run.parameters) for run in await client.read_flow_runs(limit=200)]

    return asyncio.run(read())


def test_a_full_pass_with_every_token_set_writes_none_of_them(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefect_api: None,
    caplog: pytest.LogCaptureFixture,
    capsys: Any,
    a_fresh_state: Callable[[Path], Path],
) -> None:
    from level1_pipeline.flow import training_flow
    from level2_cicd.monitoring.flow import monitoring_flow
    from level2_cicd.service.app import create_app

    # given every secret in the environment, as a deployment would have them
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    state = a_fresh_state(tmp_path / "state")
    overrides: dict[str, Any] = {"state_dir": str(state), **SYNTHETIC}
    # when level 1 trains, the service answers (right and wrong tokens), and the monitor runs a day
    training_flow(settings_overrides=overrides | {"train_days": 10})
    settings = Settings(**overrides)
    with started(create_app(settings)) as client:
        scoring = {"Authorization": f"Bearer {SECRETS['MLOPS_SCORING_TOKEN']}"}
        labels = {"Authorization": f"Bearer {SECRETS['MLOPS_LABELS_TOKEN']}"}
        rows = to_records(schema_rows(5, seed=1))
        answered = client.post("/predict", json={"rows": rows, "event_time": "2024-07-02T10:00:00"}, headers=scoring)
        assert answered.status_code == 200
        request_id = answered.json()["predictions"][0]["request_id"]
        client.post("/feedback", json={"labels": [{"request_id": request_id, "label": 1}]}, headers=labels)
        client.post("/predict", json={"rows": rows}, headers=labels)  # the wrong role's token: 403
    monitoring_flow(day=31, settings_overrides=overrides)
    # then no secret appears in any file written, any flow run's parameters, or any log line
    written = b"".join(p.read_bytes() for p in state.rglob("*") if p.is_file())
    logs = caplog.text + "".join(capsys.readouterr())
    parameters = "".join(_flow_parameters())
    for name, secret in SECRETS.items():
        assert secret.encode() not in written, f"{name} written under {state}"
        assert secret not in logs, f"{name} in the logs"
        assert secret not in parameters, f"{name} in Prefect flow parameters"
    assert written  # the scan saw what the pass wrote
    assert parameters
