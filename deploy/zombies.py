"""A flow run whose process died (its worker's machine, a kill -9) is marked Crashed, not left Running.

Flow runs started by a worker send a heartbeat event every ``HEARTBEAT_SECONDS`` (Prefect's
``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``, carried by the deployments in ``prefect.yaml``). This
automation, registered by ``make deploy`` on the stack's Prefect server, expects the next heartbeat
or a final state within ``SILENCE_SECONDS`` of the last one; when neither comes, the server sets
the run Crashed with a message, so the next scheduled run is not blocked behind a ghost.
"""

from __future__ import annotations

from datetime import timedelta

HEARTBEAT_SECONDS = 30  # Prefect's minimum
SILENCE_SECONDS = 75  # two missed heartbeats and some slack
AUTOMATION = "mlops-levels: crash flow runs that stopped sending heartbeats"
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
