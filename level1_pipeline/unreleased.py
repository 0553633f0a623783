"""Versions an earlier run left between its gates and its release (a lost server, a killed process).

Registration tags a version that passed every gate ``release: pending``; the release step replaces it by
what the version became. A run that dies in between leaves ``pending``: the next run finds it, marks it
``interrupted`` with the reason and says so. Such a version is never promoted after the fact.
"""

from __future__ import annotations

from level1_pipeline.sign_off import APPROVAL_TAG
from level1_pipeline.tags import INTERRUPTED, PENDING, RELEASE_REASON_TAG, RELEASE_TAG
from shared.registry import Registry
from shared.settings import Settings


def release_bound_seconds(settings: Settings) -> float:
    """How long a release step can last: a few registry calls, each bounded by (retries + 1) x timeout."""
    return 4 * (settings.client_retries + 1) * settings.client_timeout_seconds


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
