"""A flow run whose process died (its worker's machine, a kill -9) is marked Crashed, not left Running, and said.

Flow runs started by a worker send a heartbeat event every ``HEARTBEAT_SECONDS`` (Prefect's
``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``, carried by the deployments in ``prefect.yaml``). This
automation, registered by ``make deploy`` on the stack's Prefect server, expects the next heartbeat
or a final state within ``SILENCE_SECONDS`` of the last one; when neither comes, the server sets
the run Crashed with a message, so the next scheduled run is not blocked behind a ghost.

A dead process runs no hook, so nobody would be told: a second automation answers every Crashed event by
calling Alertmanager (a webhook block) with the ``FlowRunFailed`` alert the flow's own hook sends, same labels,
so the flow's next completed run resolves it (shared/alerts.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.alerts import Alarm, AlertName, Severity, alerts_endpoint

HEARTBEAT_SECONDS = 30  # Prefect's minimum
SILENCE_SECONDS = 75  # two missed heartbeats and some slack
AUTOMATION = "mlops-levels: crash flow runs that stopped sending heartbeats"
CRASH_ALERT = "mlops-levels: alert Alertmanager when a flow run is marked Crashed"
WEBHOOK_BLOCK = "mlops-levels-alertmanager"
FINAL_OR_ALIVE = (
    "prefect.flow-run.heartbeat",
    "prefect.flow-run.Completed",
    "prefect.flow-run.Failed",
    "prefect.flow-run.Cancelled",
    "prefect.flow-run.Crashed",
)


def ensure_zombie_automation() -> str:
    """Create the automation on the server of PREFECT_API_URL unless it is there; returns what was done."""
    from prefect.automations import Automation
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    with get_client(sync_client=True) as client:
        if client.read_automations_by_name(name=AUTOMATION):
            return "kept"
    Automation(
        name=AUTOMATION,
        description=f"No heartbeat and no final state for {SILENCE_SECONDS} s: the run's process is gone.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect=set(FINAL_OR_ALIVE),
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=SILENCE_SECONDS),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"no heartbeat for {SILENCE_SECONDS} s: the flow run's process died (see the worker's log)",
            )
        ],
    ).create()
    return "created"


def crash_alert_payload(project: str) -> str:
    """Alertmanager's API v2 body the Prefect server renders for a crashed run: ``FlowRunFailed`` with the labels
    of the flow's own hook. It has no end: it lasts Alertmanager's ``resolve_timeout`` (26 h on the stack) unless
    the flow's next completed run resolves it first."""
    summary = "flow {{ flow.name }}, run {{ flow_run.name }}: crashed: its process died or was lost (worker's log)"
    posted = Alarm(AlertName.FLOW_RUN_FAILED, Severity.PAGE, summary, {"flow": "{{ flow.name }}"}).as_posted(
        project, datetime.now(UTC)
    )
    return json.dumps([{key: posted[key] for key in ("labels", "annotations")}])


def ensure_crash_alert(alertmanager_url: str, project: str) -> str:
    """The webhook block (Alertmanager's API) and the automation that calls it on every Crashed flow run, on the
    server of PREFECT_API_URL (local: a private address is allowed); the block is rewritten each time (the address
    may have moved), the automation kept."""
    from prefect.automations import Automation
    from prefect.blocks.webhook import Webhook
    from prefect.client.orchestration import get_client
    from prefect.events.actions import CallWebhook
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    endpoint = alerts_endpoint(alertmanager_url)
    headers = {"Content-Type": "application/json"}
    webhook = Webhook(method="POST", url=endpoint, headers=headers, allow_private_urls=True)
    block_id = webhook.save(WEBHOOK_BLOCK, overwrite=True)
    with get_client(sync_client=True) as client:
        if client.read_automations_by_name(name=CRASH_ALERT):
            return "kept"
    Automation(
        name=CRASH_ALERT,
        description="A run marked Crashed ran no hook of its own: tell Alertmanager (FlowRunFailed).",
        trigger=EventTrigger(
            expect={"prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[CallWebhook(block_document_id=block_id, payload=crash_alert_payload(project))],
    ).create()
    return "created"
