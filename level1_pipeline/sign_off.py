"""A person's sign-off on a candidate that passed every gate (the training policy's ``candidate_becomes: approval``).

The flow run pauses with a typed form (Prefect's ``pause_flow_run(wait_for_input=...)``): a person answers
in the Prefect UI (the run's Resume button) or with ``make approve`` / ``make reject``; no answer within
the timeout rejects. The decision, the approver and the reason become the version's tags.
"""

from __future__ import annotations

import sys

from prefect import get_run_logger
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from prefect.runtime import flow_run
from prefect.settings import PREFECT_API_URL
from pydantic import Field

from shared.registry import Registry

APPROVAL_TAG = "approval"  # pending, approved or rejected
APPROVAL_RUN_TAG = "approval_flow_run"  # the paused flow run a sign-off resumes
APPROVAL_API_TAG = "approval_api"  # the Prefect API that run lives on
POLL_SECONDS = 2


class SignOff(RunInput):
    """The form a person fills in to release (or not) a candidate that passed every gate."""

    approve: bool = Field(description="Promote this version to champion?")
    reason: str = Field(min_length=1, description="Why: kept on the version as its governance trail.")
    approver: str = Field(min_length=1, description="Who decides.")


def wait_for_sign_off(registry: Registry, version: str, timeout: int) -> SignOff:
    """Pause this flow run until a person answers the form; no answer within ``timeout`` s is a rejection."""
    tags = {APPROVAL_TAG: "pending", APPROVAL_RUN_TAG: str(flow_run.id), APPROVAL_API_TAG: str(PREFECT_API_URL.value())}
    registry.tag(version, tags)
    ask = (
        f"version {version} passed every gate and waits for sign-off (up to {timeout} s): "
        f'make approve VERSION={version} REASON="..." or make reject VERSION={version} REASON="...", '
        f"or Resume flow run {flow_run.id} in the Prefect UI"
    )
    get_run_logger().warning(ask)  # on the run's page
    sys.stderr.write(ask + "\n")  # on the terminal of the person who started it
    sys.stderr.flush()
    try:
        decision = pause_flow_run(
            wait_for_input=SignOff, timeout=timeout, poll_interval=POLL_SECONDS, key=f"sign-off-v{version}"
        )
    except FlowPauseTimeout:
        decision = SignOff(approve=False, reason=f"no sign-off within {timeout} s", approver="timeout")
    verdict = {APPROVAL_TAG: "approved" if decision.approve else "rejected"}
    verdict |= {"approval_by": decision.approver, "approval_reason": decision.reason[:500]}
    registry.tag(version, verdict)
    return decision
