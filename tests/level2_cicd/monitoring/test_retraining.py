"""What a retraining became, in one line with the gate's numbers (pure: no training here)."""

from level1_pipeline.data_gate_report import DataGateReport, Failure
from level1_pipeline.outcome import Became, TrainingOutcome
from level2_cicd.monitoring.history import Retraining
from level2_cicd.monitoring.retraining import refused, trained


def outcome(became: Became, reasons: list[str]) -> TrainingOutcome:
    window = "2024-10-01..2024-10-05"
    return TrainingOutcome("run", "3", became is Became.CHAMPION, "2", "1", {}, None, reasons, window, became)


def test_a_window_the_data_gate_refused_says_the_rows_and_the_minimum_and_starts_no_cooldown() -> None:
    rule = "15164 rows, fewer than data_gate.min_rows = 31500"
    report = DataGateReport(False, 15164, (Failure("expect_table_row_count_to_be_between", None, None, (), rule),))
    done = refused(report, "2024-10-01..2024-10-05", "config/training_policy.yaml")
    assert done.result is Retraining.REFUSED
    assert "refused by the data gate (config/training_policy.yaml)" in done.explanation
    assert "15164 rows, fewer than data_gate.min_rows = 31500" in done.explanation
    assert done.explanation.endswith("no candidate, so no cooldown: the next monitored day tries again")


def test_a_candidate_the_champion_kept_out_says_the_numbers() -> None:
    reasons = ["ROC AUC 0.7010 >= floor 0.6500", "ROC AUC 0.7010 < champion 0.7450 - margin 0.0050 on the same holdout"]
    done = trained(outcome(Became.REGISTERED, reasons))
    assert done.result is Retraining.NOT_PROMOTED
    assert done.explanation == (
        "retrained on 2024-10-01..2024-10-05: version 3 registered, not promoted: " + "; ".join(reasons)
    )


def test_a_promoted_candidate_says_so() -> None:
    done = trained(outcome(Became.CHAMPION, ["ROC AUC 0.8000 >= floor 0.7500"]))
    assert (done.result, done.version) == (Retraining.PROMOTED, "3")
    assert "version 3 promoted to champion" in done.explanation
