"""Alarms pushed to Alertmanager (API v2): the one place every alert of the project reaches someone from.

The service is scraped by Prometheus, whose rules (``deploy/prometheus/alerts.yml``) send its alerts there. The
monitor and the flows are batch jobs that nobody scrapes (a Pushgateway would only hold their last value): they
push their alarms themselves, with an end time, so an alarm nobody renews resolves on its own, and a day that says
the world is fine resolves it at once. Each alert names its runbook (``docs/runbooks/<alertname>.md``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx

from shared.settings import Settings, load_settings

RUNBOOKS = "docs/runbooks"
DAILY = timedelta(hours=26)  # a daily job's alarm outlives the next day's run by two hours, then resolves


class AlertName(StrEnum):
    """The alerts the jobs push (the service's come from Prometheus's rules)."""

    MONITOR_DRIFT = "MonitorDrift"
    MONITOR_DECAY = "MonitorDecay"
    MONITOR_DATA_QUALITY = "MonitorDataQuality"
    MONITOR_SKEW = "MonitorSkew"
    RETRAINING_REFUSED = "RetrainingRefused"
    FLOW_RUN_FAILED = "FlowRunFailed"
    RELEASE_ROLLED_BACK = "ReleaseRolledBack"


class Severity(StrEnum):
    PAGE = "page"  # someone acts now
    TICKET = "ticket"  # someone acts today


class AlertError(RuntimeError):
    """Alertmanager did not take the alarms (after the project's retries); names the address and the answer."""


@dataclass(frozen=True)
class Alarm:
    name: AlertName
    severity: Severity
    summary: str  # what happened, with its numbers (a decision's reason)
    labels: dict[str, str] = field(default_factory=dict)  # what tells two alerts of one name apart (a flow's name)
    firing: bool = True  # False: resolved now
    lasts: timedelta = DAILY

    def as_posted(self, project: str, now: datetime) -> dict[str, Any]:
        labels = {"alertname": self.name.value, "severity": self.severity.value, "project": project} | self.labels
        ends = now + self.lasts if self.firing else now
        return {
            "labels": labels,
            "annotations": {"summary": self.summary, "runbook_url": f"{RUNBOOKS}/{self.name.value}.md"},
            "startsAt": now.isoformat(),
            "endsAt": ends.isoformat(),
        }


def alerts_endpoint(url: str) -> str:
    """Alertmanager's API v2 for alerts: POST fires or resolves them, GET lists them."""
    return f"{url.rstrip('/')}/api/v2/alerts"


def active(url: str, name: str, timeout: float) -> list[dict[str, Any]]:
    """The alerts named ``name`` Alertmanager holds active now (neither silenced nor inhibited)."""
    query = {"filter": f'alertname="{name}"', "active": "true", "silenced": "false", "inhibited": "false"}
    answer = httpx.get(alerts_endpoint(url), params=query, timeout=timeout)
    answer.raise_for_status()
    return list(answer.json())


def push(url: str, alarms: list[Alarm], project: str, timeout: float, retries: int) -> None:
    """POST the alarms to Alertmanager; a transport error or a 5xx is retried ``retries`` times, then raised."""
    if not alarms:
        return
    now = datetime.now(UTC)
    body = [alarm.as_posted(project, now) for alarm in alarms]
    endpoint = alerts_endpoint(url)
    problem = ""
    for attempt in range(retries + 1):
        try:
            answer = httpx.post(endpoint, json=body, timeout=timeout)
        except httpx.HTTPError as error:
            problem = f"{type(error).__name__}: {error}"
        else:
            if answer.status_code < 300:
                return
            problem = f"HTTP {answer.status_code} {answer.text[:200]}"
            if answer.status_code < 500:
                break  # refused as sent: retrying changes nothing
        if attempt < retries:
            time.sleep(min(2**attempt, 5))
    names = ", ".join(f"{a.name.value}{'' if a.firing else ' (resolved)'}" for a in alarms)
    raise AlertError(f"Alertmanager at {url} did not take {names}: {problem}")


def send(settings: Settings, alarms: list[Alarm]) -> str:
    """Push the alarms to the settings' Alertmanager, if one is set; says what was done either way."""
    if not alarms:
        return "no alarm to send"
    names = ", ".join(f"{a.name.value} {'firing' if a.firing else 'resolved'}" for a in alarms)
    if settings.alertmanager_url is None:
        return f"alarms not sent (no alertmanager_url; `make stack-env` sets the stack's): {names}"
    timeout, retries = settings.client_timeout_seconds, settings.client_retries
    push(settings.alertmanager_url, alarms, settings.project_name, timeout, retries)
    return f"alarms sent to {settings.alertmanager_url}: {names}"


def flow_failed(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect hook (``on_failure``, ``on_crashed``): ``FlowRunFailed`` for this flow, by the run's own settings."""
    _flow_alarm(flow, flow_run, state, firing=True)


def flow_completed(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect hook (``on_completion``): the flow's ``FlowRunFailed`` resolved: it ran to its end again."""
    _flow_alarm(flow, flow_run, state, firing=False)


FLOW_HOOKS: dict[str, Any] = {
    "on_failure": [flow_failed],
    "on_crashed": [flow_failed],
    "on_completion": [flow_completed],
}


def _flow_alarm(flow: Any, flow_run: Any, state: Any, firing: bool) -> None:
    settings = load_settings(**(flow_run.parameters.get("settings_overrides") or {}))
    summary = f"flow {flow.name}, run {flow_run.name}: {state.type.value.lower()}: {(state.message or '')[:500]}"
    send(settings, [Alarm(AlertName.FLOW_RUN_FAILED, Severity.PAGE, summary, {"flow": flow.name}, firing)])
