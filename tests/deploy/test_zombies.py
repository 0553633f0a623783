"""The zombie-run automation and the heartbeats the deployments send agree (the live check is in tests/stack)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml

from deploy.zombies import HEARTBEAT_SECONDS, SILENCE_SECONDS

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def test_every_deployment_sends_heartbeats_often_enough_for_the_automation_to_wait_two_of_them() -> None:
    # given the deployments of prefect.yaml
    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text())["deployments"]
    # then each carries the heartbeat the automation was built for, and the silence allowed spans two heartbeats
    frequencies = {
        d["name"]: d["work_pool"]["job_variables"]["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] for d in deployments
    }
    assert set(frequencies.values()) == {str(HEARTBEAT_SECONDS)}, frequencies
    assert SILENCE_SECONDS > 2 * HEARTBEAT_SECONDS


def test_a_crashed_runs_alert_is_the_one_its_flows_hook_sends_so_the_next_completed_run_resolves_it() -> None:
    import json

    import jinja2

    from deploy.zombies import crash_alert_payload
    from shared.alerts import Alarm, AlertName, Severity

    # given the payload the Prefect server renders for a crashed run of a flow (Jinja, as its automations do)
    rendered = jinja2.Template(crash_alert_payload("canary")).render(
        flow={"name": "level1-training"}, flow_run={"name": "brave-fox"}
    )
    (alert,) = json.loads(rendered)  # then it is the JSON Alertmanager's API takes
    # with the labels of the flow's own FlowRunFailed (its hooks' alarm, resolved by its next completed run)
    hook = Alarm(AlertName.FLOW_RUN_FAILED, Severity.PAGE, "", {"flow": "level1-training"}).as_posted("canary", NOW)
    assert alert["labels"] == hook["labels"]
    assert alert["annotations"]["runbook_url"] == hook["annotations"]["runbook_url"]
    assert "run brave-fox: crashed" in alert["annotations"]["summary"]
    assert "endsAt" not in alert  # it lasts Alertmanager's resolve_timeout unless resolved first
