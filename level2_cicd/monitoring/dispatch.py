"""Tell CI/CD to retrain: a GitHub `repository_dispatch` event that starts retrain.yml.

Sent only when the monitoring policy says `retrain_by: ci`, which needs MLOPS_GITHUB_REPOSITORY
and MLOPS_GITHUB_TOKEN: nothing leaves the machine by default.
"""

from __future__ import annotations

from typing import Any

import httpx

from level2_cicd.monitoring.decision import Decision
from shared.data.source import Calendar
from shared.settings import Settings

EVENT_TYPE = "retrain"


class DispatchError(RuntimeError):
    """GitHub refused or could not be reached; names the repository and the status."""


def send_retrain_dispatch(settings: Settings, payload: dict[str, Any], timeout: float = 10.0) -> None:
    """POST /repos/{repo}/dispatches with event type ``retrain`` and the decision as payload."""
    if not (settings.github_repository and settings.github_token):
        raise DispatchError("set MLOPS_GITHUB_REPOSITORY and MLOPS_GITHUB_TOKEN to send a retrain dispatch")
    url = f"{settings.github_api_url.rstrip('/')}/repos/{settings.github_repository}/dispatches"
    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {settings.github_token.get_secret_value()}",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    try:
        response = httpx.post(
            url, json={"event_type": EVENT_TYPE, "client_payload": payload}, headers=headers, timeout=timeout
        )
    except httpx.HTTPError as error:
        raise DispatchError(f"repository_dispatch to {settings.github_repository} failed: {error}") from None
    if response.status_code != 204:
        raise DispatchError(
            f"repository_dispatch to {settings.github_repository}: HTTP {response.status_code} {response.text[:200]}"
        )


def retrain_payload(calendar: Calendar, decision: Decision) -> dict[str, Any]:
    """What CI needs to train exactly the window the monitor chose, and to record it under the same day."""
    assert decision.retrain_window is not None
    first, last = decision.retrain_window
    return {
        "day": decision.day,
        "last_day": str(calendar.date_of(last)),
        "days": last - first + 1,
        "status": decision.status.value,
        "reason": decision.reason,
    }
