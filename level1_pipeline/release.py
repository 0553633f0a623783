"""What a candidate that passed every offline gate becomes: champion, challenger, or whatever a person decides.

The training policy's ``release.candidate_becomes`` chooses. Every alias move goes through the
registry's compare-and-set promotion or ``set_alias``, so each is recorded on the version (who or
what, when, why). ``approval`` waits for a person (``sign_off.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from level1_pipeline.model_gate import GateResult
from level1_pipeline.outcome import Became
from level1_pipeline.policy import CandidatePolicy
from level1_pipeline.sign_off import wait_for_sign_off
from level1_pipeline.tags import RELEASE_TAG
from shared.registry import CHALLENGER, ChampionMovedError, Move, Registry


@dataclass(frozen=True)
class Release:
    became: Became
    champion: str | None
    why_not: str | None = None  # why it is not champion, when it was meant to be


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

    A candidate that passed is tagged ``release: pending`` at registration; this replaces the tag by what it
    became. A run that dies in between leaves ``pending``, and the next run marks it (``unreleased.py``).
    """
    if not gate.passed:
        return Release(Became.REGISTERED, registry.champion_number())
    released = _release_passed(policy, registry, version, judged_against, lock_url, run_id)
    registry.tag(version, {RELEASE_TAG: released.became})  # no longer pending: released as it became
    return released


def _release_passed(
    policy: CandidatePolicy, registry: Registry, version: str, judged_against: str | None, lock_url: str, run_id: str
) -> Release:
    by = f"training flow (run {run_id})"
    beat = f"passed every gate against champion v{judged_against}" if judged_against else "passed every gate"
    if policy.candidate_becomes == "challenger" and judged_against is not None:
        registry.set_alias(CHALLENGER, version, Move(by, f"{beat}; tested on live traffic before promotion"))
        return Release(Became.CHALLENGER, judged_against)
    if policy.candidate_becomes == "approval":
        decision = wait_for_sign_off(registry, version, policy.approval_timeout_seconds)
        if not decision.approve:
            why_not = f"rejected by {decision.approver}: {decision.reason}"
            return Release(Became.REJECTED, registry.champion_number(), why_not)
        return _promote(
            registry, version, judged_against, lock_url, Move(f"{decision.approver} (sign-off)", decision.reason)
        )
    return _promote(registry, version, judged_against, lock_url, Move(by, beat))


def _promote(registry: Registry, version: str, judged_against: str | None, lock_url: str, move: Move) -> Release:
    try:
        registry.promote_if_champion_is(version, judged_against, lock_url, move)
        return Release(Became.CHAMPION, version)
    except ChampionMovedError as lost:
        registry.tag(version, {"promotion": str(lost)})
        return Release(Became.REGISTERED, registry.champion_number(), str(lost))
