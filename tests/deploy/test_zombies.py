"""The zombie-run automation and the heartbeats the deployments send agree (the live check is in tests/stack)."""

from __future__ import annotations

from pathlib import Path

import yaml

from deploy.zombies import HEARTBEAT_SECONDS, SILENCE_SECONDS

ROOT = Path(__file__).resolve().parents[2]


def test_every_deployment_sends_heartbeats_often_enough_for_the_automation_to_wait_two_of_them() -> None:
    # given the deployments of prefect.yaml
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    # then each carries the heartbeat the automation was built for, and the silence allowed spans two heartbeats
    frequencies = {
        d["name"]: d["work_pool"]["job_variables"]["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] for d in deployments
    }
    assert set(frequencies.values()) == {str(HEARTBEAT_SECONDS)}, frequencies
    assert SILENCE_SECONDS > 2 * HEARTBEAT_SECONDS
