"""The monitoring policy file: strict, every key named on error, the template's defaults for what it leaves out.
The policies are the test's own: a fork's tuned config/monitoring_policy.yaml changes nothing here."""

from collections.abc import Callable
from pathlib import Path

import pytest

from level2_cicd.monitoring.policy import MonitoringPolicy, PolicyError, load_monitoring_policy

Write = Callable[[str], Path]


def test_wrong_key_is_named(written_policy: Write) -> None:
    with pytest.raises(PolicyError, match="cooldown: Extra inputs are not permitted"):
        load_monitoring_policy(written_policy("version: 1\ncooldown: 3\n"))


def test_wrong_value_is_named(written_policy: Write) -> None:
    with pytest.raises(PolicyError, match=r"drift\.max_drifted_share: Input should be less than or equal to 1"):
        load_monitoring_policy(written_policy("drift:\n  max_drifted_share: 3\n"))


def test_a_key_left_out_keeps_the_templates_default(written_policy: Write) -> None:
    # given a fork's older file that sets one value and knows nothing of the others
    policy = load_monitoring_policy(written_policy("version: 1\nmin_rows: 5\nquality:\n  min_labelled_rows: 7\n"))
    # then its values are in force and every other key has the template's default
    assert (policy.min_rows, policy.quality.min_labelled_rows) == (5, 7)
    assert policy.model_dump(exclude={"min_rows", "quality"}) == MonitoringPolicy().model_dump(
        exclude={"min_rows", "quality"}
    )
    assert policy.quality.min_roc_auc == MonitoringPolicy().quality.min_roc_auc
