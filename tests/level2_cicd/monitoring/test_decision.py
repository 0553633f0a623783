"""The decision policy as pure logic: alarm, labels to wait for, cooldown."""

from level2_cicd.monitoring.decision import Status, WindowSummary, classify, decide
from level2_cicd.monitoring.policy import MonitoringPolicy

# The logic under test, with thresholds of its own: a fork resizing config/monitoring_policy.yaml changes nothing here.
POLICY = MonitoringPolicy.model_validate(
    {
        "version": 1,
        "min_rows": 200,
        "data_quality": {"max_rejected_share": 0.05},
        "drift": {"max_drifted_share": 0.3},
        "quality": {"min_labelled_rows": 100, "min_roc_auc": 0.72, "max_drop_vs_holdout": 0.10},
        "consecutive_windows": 1,
        "min_labelled_days_after_alarm": 5,
        "retrain_window_days": 5,
        "cooldown_days": 7,
    }
)
DELAY = 3
OK, DRIFT, DECAY = Status.OK, Status.DRIFT, Status.DECAY


def summary(**changes: object) -> WindowSummary:
    base = {"day": 10, "rows": 2000, "drift_share": 0.0, "drifted_columns": (), "labelled_rows": 2000, "roc_auc": 0.8}
    return WindowSummary(**(base | changes))  # type: ignore[arg-type]


def test_quiet_window_is_ok() -> None:
    assert classify(summary(), POLICY)[0] is OK


def test_drifted_columns_above_the_share_are_drift() -> None:
    status, reason = classify(summary(drift_share=0.5, drifted_columns=("plan", "contract")), POLICY)
    assert status is DRIFT
    assert "plan, contract" in reason


def test_low_live_quality_is_decay_and_outranks_drift() -> None:
    assert classify(summary(drift_share=0.5, roc_auc=0.6), POLICY)[0] is DECAY


def test_live_quality_far_below_the_versions_own_holdout_is_decay_even_above_the_floor() -> None:
    # given a version that scored 0.88 on its holdout, live above the floor of 0.72 at 0.76: 0.12 below, limit 0.10
    status, reason = classify(summary(roc_auc=0.76, holdout_roc_auc=0.88), POLICY)
    assert status is DECAY
    assert reason == "live ROC AUC 0.760 is 0.120 below the version's holdout 0.880 (> 0.100)"
    # a smaller gap, an unknown holdout, or too few labels raise nothing
    assert classify(summary(roc_auc=0.80, holdout_roc_auc=0.88), POLICY)[0] is OK
    assert classify(summary(roc_auc=0.76, holdout_roc_auc=None), POLICY)[0] is OK
    assert classify(summary(roc_auc=0.76, holdout_roc_auc=0.88, labelled_rows=10), POLICY)[0] is OK


def test_quality_on_too_few_labels_is_not_judged_and_too_few_rows_decide_nothing() -> None:
    assert classify(summary(roc_auc=0.6, labelled_rows=10), POLICY)[0] is OK
    assert classify(summary(rows=50), POLICY)[0] is Status.INSUFFICIENT


def test_no_alarm_no_retraining() -> None:
    assert not decide([(9, OK), (10, OK)], None, DELAY, POLICY, "").retrain


def test_alarm_waits_for_labels_of_the_new_world_then_retrains_on_them() -> None:
    # given drift from day 10, labels arriving 3 days late and 5 labelled days required
    windows = [(d, DRIFT) for d in range(10, 18)]
    waiting = decide(windows[:7], None, DELAY, POLICY, "drift")  # day 16: labels of days 10-13 only
    ready = decide(windows, None, DELAY, POLICY, "drift")  # day 17: labels of days 10-14
    assert not waiting.retrain
    assert "waiting for labels of 4/5 days" in waiting.reason
    assert ready.retrain
    assert ready.retrain_window == (10, 14)


def test_decay_dates_the_alarm_back_to_the_predictions_it_judged() -> None:
    # decay seen on day 13 is about day 10's predictions: the new world started on day 10
    windows = [(d, DECAY) for d in range(13, 18)]
    decision = decide(windows, None, DELAY, POLICY, "decay")
    assert decision.retrain
    assert decision.retrain_window == (10, 14)


def test_cooldown_blocks_a_second_retraining() -> None:
    windows = [(d, DRIFT) for d in range(20, 30)]
    assert not decide(windows, 25, DELAY, POLICY, "drift").retrain
    assert "cooldown after day 25" in decide(windows, 25, DELAY, POLICY, "drift").reason


def test_a_window_with_too_many_refused_rows_is_a_data_quality_incident_that_outranks_decay() -> None:
    broken = summary(rows=1500, rejected_rows=500, rejected_by_rule={"usage_hours_30d: missing": 500}, roc_auc=0.6)
    status, reason = classify(broken, POLICY)
    assert status is Status.DATA_QUALITY
    assert "25% of rows refused" in reason
    assert "usage_hours_30d: missing (500)" in reason


def test_refused_rows_below_the_share_do_not_make_an_incident() -> None:
    assert classify(summary(rows=2000, rejected_rows=20, rejected_by_rule={"plan: literal_error": 20}), POLICY)[0] is OK


def test_data_quality_raises_the_alarm_but_never_retrains() -> None:
    windows = [(d, DECAY) for d in range(3, 10)] + [(10, Status.DATA_QUALITY)]
    decision = decide(windows, None, DELAY, POLICY, "refused")
    assert not decision.retrain
    assert "ALARM" in decision.reason


def test_one_drifted_column_the_model_relies_on_raises_drift_and_is_named_with_its_weight() -> None:
    # given one drifted column of eight (13 % of the columns) that carries 40 % of the model's reliance
    one = summary(drift_share=1 / 8, drifted_columns=("contract",), drifted_reliance={"contract": 0.4})
    status, reason = classify(one, POLICY)
    assert status is DRIFT
    assert reason == "drifted columns carry 40% of the model's reliance (> 30%): contract 40%"


def test_columns_the_model_ignores_do_not_raise_drift_however_many() -> None:
    # given half the columns drifted, all of them ones the model barely uses
    ignored = {"plan": 0.01, "payment_method": 0.02, "usage_hours_30d": 0.03, "days_since_last_login": 0.04}
    many = summary(drift_share=0.5, drifted_columns=tuple(ignored), drifted_reliance=ignored)
    status, reason = classify(many, POLICY)
    assert status is OK
    assert reason.startswith("drifted columns carry 10% of the model's reliance: days_since_last_login 4%")


def test_a_version_without_reliance_weighs_every_column_alike() -> None:
    status, reason = classify(summary(drift_share=0.5, drifted_columns=("plan", "contract")), POLICY)
    assert (status, reason) == (DRIFT, "drifted columns carry 50% of the model's reliance (> 30%): plan, contract")


def test_a_day_without_its_labels_yet_says_which_labels_it_waited_for_and_when_its_own_are_due() -> None:
    # given the first replayed day: the predictions whose labels are due now were never served
    first = summary(labelled_rows=0, roc_auc=None, labels_of="2024-10-03", labels_due="2024-10-11")
    status, reason = classify(first, POLICY)
    assert status is OK
    assert reason.endswith(
        "; quality not judged: 0 labelled predictions served on 2024-10-03 (< 100); "
        "this day's own labels are due 2024-10-11"
    )
