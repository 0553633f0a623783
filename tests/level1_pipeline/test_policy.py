"""The training policy file: strict, every key named on error. The policies are the test's own: a fork's tuned
config/training_policy.yaml changes nothing here."""

from collections.abc import Callable
from pathlib import Path

import pytest

from level1_pipeline.policy import PolicyError, load_training_policy

Write = Callable[[str], Path]


def test_unknown_key_is_named(written_policy: Write) -> None:
    with pytest.raises(PolicyError, match=r"model_gate\.min_auc: Extra inputs are not permitted"):
        load_training_policy(written_policy("model_gate:\n  min_auc: 0.7\n"))


def test_out_of_range_value_is_named(written_policy: Write) -> None:
    with pytest.raises(PolicyError, match=r"data_gate\.max_null_share: Input should be less than or equal to 1"):
        load_training_policy(written_policy("data_gate:\n  max_null_share: 1.5\n"))


def test_split_must_leave_training_rows(written_policy: Write) -> None:
    with pytest.raises(PolicyError, match="at least 10% for training"):
        load_training_policy(written_policy("split:\n  validation_share: 0.15\n  holdout_share: 0.8\n"))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"nope\.yaml: policy file not found"):
        load_training_policy(tmp_path / "nope.yaml")
