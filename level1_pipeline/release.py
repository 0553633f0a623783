"""What a candidate that passed every offline gate becomes: champion, challenger, or whatever a person decides.

The training policy's ``release.candidate_becomes`` chooses. Every alias move goes through the
registry's compare-and-set promotion or ``set_alias``, so each is recorded on the version (who or
what, when, why). With ``approval`` the flow run pauses with a typed form (Prefect's
``pause_flow_run(wait_for_input=...)``): a person answers in the Prefect UI (the run's Resume
button) or with ``make approve`` / ``make reject``; no answer within the timeout rejects. The
decision, the approver and the reason become the version's tags.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from prefect.input import RunInput
from pydantic import Field

from level1_pipeline.model_gate import GateResult
from level1_pipeline.outcome import Became
from level1_pipeline.policy import CandidatePolicy
from shared.registry import CHALLENGER, ChampionMovedError, Move, Registry

APPROVAL_TAG = "approval"  # pending, approved or rejected
APPROVAL_RUN_TAG = "approval_flow_run"  # the paused flow run a sign-off resumes
APPROVAL_API_TAG = "approval_api"  # the Prefect API that run lives on
RELEASE_TAG = "release"  # pending from registration until the release step ends, then what the version became
RELEASE_REASON_TAG = "release_reason"
PENDING = "pending"
INTERRUPTED = "interrupted"
POLL_SECONDS = 2


class SignOff(RunInput):
    """The form a person fills in to release (or not) a candidate that passed every gate."""

    approve: bool = Field(description="Promote this version to champion?")
    reason: str = Field(min_length=1, description="Why: kept on the version as its governance trail.")
    approver: str = Field(min_length=1, description="Who decides.")


@dataclass(frozen=True)
class Release:
    became: Became
    champion: str | None
    previous: str | None
    why_not: str | None = None  # why it is not champion, when it was meant to be


def release_outlived(run_status: str, age_seconds: float, bound_seconds: float) -> bool:
    """A pending release is over when its run has ended, or when it is older than any release step lasts."""
    return run_status != "RUNNING" or age_seconds > bound_seconds


def unreleased_versions(registry: Registry, this_run_id: str, bound_seconds: float, now: float) -> list[str]:
    """Find versions that passed every gate but whose run ended before releasing them; mark them and say so.

    A version that waits for a person's sign-off is not unreleased. One still inside its bound is only
    reported: its run may still be releasing it.
    """
    said = []
    for found in registry.versions_tagged(RELEASE_TAG, PENDING):
        version, tags = str(found.version), dict(found.tags or {})
        if tags.get(APPROVAL_TAG) == PENDING or found.run_id == this_run_id:
            continue
        age = now - int(found.creation_timestamp or 0) / 1000
        if not release_outlived(registry.run_status(str(found.run_id)), age, bound_seconds):
            said.append(
                f"version {version} passed every gate {age:.0f} s ago and is not released yet (its run may "
                f"still be releasing it; after {bound_seconds:.0f} s a run marks it {INTERRUPTED})"
            )
            continue
        reason = (
            f"its training run {found.run_id} ended before releasing it (a lost server or a killed process); "
            f"found by run {this_run_id}"
        )
        registry.tag(version, {RELEASE_TAG: INTERRUPTED, RELEASE_REASON_TAG: reason})
        said.append(
            f"version {version} passed every gate but was never released: {reason}. "
            "It stays registered, not champion; train again to release a new candidate"
        )
    return said


def release_candidate(
    policy: CandidatePolicy,
    registry: Registry,
    version: str,
    gate: GateResult,
    judged_against: str | None,
    lock_url: str,
    run_id: str,
) -> Release:
    """Give the candidate the role the policy says; a failed gate never moves an alias.

    The caller then replaces the candidate's ``release: pending`` tag by what it became; a run that dies
    in between leaves ``pending``, and the next run marks it (``unreleased_versions``).
    """
    if not gate.passed:
        return Release(Became.REGISTERED, registry.champion_number(), None)
    by = f"training flow (run {run_id})"
    beat = f"passed every gate against champion v{judged_against}" if judged_against else "passed every gate"
    if policy.candidate_becomes == "challenger" and judged_against is not None:
        registry.set_alias(CHALLENGER, version, Move(by, f"{beat}; tested on live traffic before promotion"))
        return Release(Became.CHALLENGER, judged_against, None)
    if policy.candidate_becomes == "approval":
        decision = wait_for_sign_off(registry, version, policy.approval_timeout_seconds)
        if not decision.approve:
            return Release(
                Became.REJECTED, registry.champion_number(), None, f"rejected by {decision.approver}: {decision.reason}"
            )
        return _promote(
            registry, version, judged_against, lock_url, Move(f"{decision.approver} (sign-off)", decision.reason)
        )
    return _promote(registry, version, judged_against, lock_url, Move(by, beat))


def _promote(registry: Registry, version: str, judged_against: str | None, lock_url: str, move: Move) -> Release:
    try:
        moved = registry.promote_if_champion_is(version, judged_against, lock_url, move)
        return Release(Became.CHAMPION, version, moved)
    except ChampionMovedError as lost:
        registry.tag(version, {"promotion": str(lost)})
        return Release(Became.REGISTERED, registry.champion_number(), None, str(lost))


def wait_for_sign_off(registry: Registry, version: str, timeout: int) -> SignOff:
    """Pause this flow run until a person answers the form; no answer within ``timeout`` s is a rejection."""
    from prefect import get_run_logger
    from prefect.exceptions import FlowPauseTimeout
    from prefect.flow_runs import pause_flow_run
    from prefect.runtime import flow_run
    from prefect.settings import PREFECT_API_URL

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
