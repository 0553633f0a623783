"""What one monitored day tells the people on call: its decision and its retraining as alarms (pure).

A drifting, decaying, broken or skewed day fires its alarm, renewed by every such day; a day judged fine resolves
them all (a day with too few rows says nothing either way). A retraining that gave no champion or challenger fires
``RetrainingRefused``; one that did resolves it. Sent by the flow (``flow.py``) through ``shared/alerts.py``.
"""

from __future__ import annotations

from level2_cicd.monitoring.decision import Decision, Status
from level2_cicd.monitoring.history import Retraining
from level2_cicd.monitoring.retraining import RetrainingResult
from shared.alerts import Alarm, AlertName, Severity

DAY_ALARMS = {
    Status.DRIFT: (AlertName.MONITOR_DRIFT, Severity.TICKET),
    Status.DECAY: (AlertName.MONITOR_DECAY, Severity.PAGE),
    Status.DATA_QUALITY: (AlertName.MONITOR_DATA_QUALITY, Severity.PAGE),
    Status.SKEW: (AlertName.MONITOR_SKEW, Severity.PAGE),
}
GAVE_A_MODEL = frozenset({Retraining.PROMOTED, Retraining.CHALLENGER})


def alarms_of(decision: Decision, date: str, retraining: RetrainingResult | None) -> list[Alarm]:
    """The alarms to send for a monitored day (``date``) and, when it retrained, for what the retraining became."""
    found: list[Alarm] = []
    if decision.status in DAY_ALARMS:
        name, severity = DAY_ALARMS[decision.status]
        found.append(Alarm(name, severity, f"{date} (day {decision.day}): {decision.reason}"))
    elif decision.status is Status.OK:
        found += [Alarm(name, severity, f"{date}: judged ok", firing=False) for name, severity in DAY_ALARMS.values()]
    if retraining is not None and retraining.result is not Retraining.DISPATCHED:
        firing = retraining.result not in GAVE_A_MODEL
        found.append(Alarm(AlertName.RETRAINING_REFUSED, Severity.TICKET, retraining.explanation, firing=firing))
    return found
