"""The demo's timeline line for a day: a retraining that made no version says why, not `v None`."""

from level2_cicd.timeline import DayRecord, format_row

REFUSED = "retraining on 2026-02-03..2026-02-07 refused by the data gate (...): 900 rows, fewer than data_gate.min_rows"


def test_a_refused_retraining_reads_as_refused_with_its_reason() -> None:
    day = DayRecord(40, 2000, 0.0, 0.55, "decay", "1", True, None, False, "alarm since day 33", retraining=REFUSED)
    line = format_row(day)
    assert "RETRAINING REFUSED: retraining on 2026-02-03..2026-02-07 refused by the data gate" in line
    assert "vNone" not in line


def test_a_promoted_retraining_reads_as_before() -> None:
    day = DayRecord(40, 2000, 0.0, 0.55, "decay", "2", True, "2", True, "alarm since day 33: retrain on days 33-37")
    assert "RETRAINED -> v2 promoted; alarm since day 33: retrain on days 33-37" in format_row(day)
