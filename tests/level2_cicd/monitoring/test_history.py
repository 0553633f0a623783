"""The monitor's memory in the shared database: re-running a day replaces, retraining resets the streak."""

from __future__ import annotations

from pathlib import Path

from level2_cicd.monitoring.decision import Status
from level2_cicd.monitoring.history import MonitoringHistory


def test_rerunning_a_day_replaces_its_record_and_a_retraining_starts_a_new_streak(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    history = MonitoringHistory(url)
    history.append({"kind": "window", "day": 5, "status": "ok", "reason": "first run"})
    history.append({"kind": "window", "day": 5, "status": "drift", "reason": "re-run"})
    history.append({"kind": "window", "day": 6, "status": "decay", "reason": ""})
    assert history.windows_since_last_retraining() == [(5, Status.DRIFT), (6, Status.DECAY)]
    history.append({"kind": "retraining", "day": 6, "version": "2", "promoted": True})
    history.append({"kind": "window", "day": 7, "status": "ok", "reason": ""})
    history.close()
    # a second process (another worker, another deployment run) sees the same memory
    other = MonitoringHistory(url)
    assert other.last_retrain_day() == 6
    assert other.windows_since_last_retraining() == [(7, Status.OK)]
    assert len([r for r in other.records() if r["kind"] == "window"]) == 3
    other.close()


def test_a_refused_retraining_starts_no_cooldown_and_the_streak_goes_on(tmp_path: Path) -> None:
    from level2_cicd.monitoring.history import Retraining
    from level2_cicd.monitoring.retraining import RetrainingResult

    history = MonitoringHistory(f"sqlite:///{tmp_path / 'log.db'}")
    history.append(RetrainingResult(Retraining.PROMOTED, "retrained: version 2 promoted", "2").record(3, by="prefect"))
    history.append({"kind": "window", "day": 8, "status": "drift", "reason": ""})
    # when the retraining of day 8 is refused by the data gate
    history.append(RetrainingResult(Retraining.REFUSED, "refused: 900 rows < 1000").record(8, by="prefect"))
    history.append({"kind": "window", "day": 9, "status": "drift", "reason": ""})
    # then the cooldown still counts from day 3 and the alarm's streak since then goes on
    assert history.last_retrain_day() == 3
    assert history.windows_since_last_retraining() == [(8, Status.DRIFT), (9, Status.DRIFT)]
    history.close()
