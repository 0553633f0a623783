"""What a monitored day tells the people on call (pure): each alarming status fires its alert, an ok day resolves."""

from __future__ import annotations

import pytest

from level2_cicd.monitoring.alarms import DAY_ALARMS, alarms_of
from level2_cicd.monitoring.decision import Decision, Status
from level2_cicd.monitoring.history import Retraining
from level2_cicd.monitoring.retraining import RetrainingResult
from shared.alerts import AlertName


@pytest.mark.parametrize("status", list(DAY_ALARMS))
def test_an_alarming_day_fires_its_own_alert_with_the_decisions_reason(status: Status) -> None:
    decision = Decision(36, status, False, f"the reason of a {status.value} day")
    (alarm,) = alarms_of(decision, "2026-01-05", None)
    assert alarm.firing
    assert alarm.name is DAY_ALARMS[status][0]
    assert alarm.summary == f"2026-01-05 (day 36): the reason of a {status.value} day"


def test_an_ok_day_resolves_every_day_alarm_and_a_thin_day_says_nothing() -> None:
    resolved = alarms_of(Decision(40, Status.OK, False, "fine"), "2026-01-09", None)
    assert {a.name for a in resolved} == {name for name, _ in DAY_ALARMS.values()}
    assert not any(a.firing for a in resolved)
    assert alarms_of(Decision(41, Status.INSUFFICIENT, False, "12 rows < 200"), "2026-01-10", None) == []


@pytest.mark.parametrize(
    ("result", "firing"),
    [(Retraining.REFUSED, True), (Retraining.NOT_PROMOTED, True), (Retraining.PROMOTED, False)],
)
def test_a_retraining_without_a_new_model_fires_refused_and_one_with_a_model_resolves_it(
    result: Retraining, firing: bool
) -> None:
    decision = Decision(38, Status.DRIFT, True, "drifted; alarm since day 36: retrain on days 17-37")
    done = RetrainingResult(result, f"retrained on ...: {result.value}")
    *_, alarm = alarms_of(decision, "2026-01-07", done)
    assert alarm.name is AlertName.RETRAINING_REFUSED
    assert alarm.firing is firing
    assert alarm.summary == done.explanation


def test_a_retraining_sent_to_ci_raises_no_retraining_alarm() -> None:
    decision = Decision(38, Status.DECAY, True, "decayed")
    done = RetrainingResult(Retraining.DISPATCHED, "sent to CI")
    assert [a.name for a in alarms_of(decision, "2026-01-07", done)] == [AlertName.MONITOR_DECAY]
