from collections.abc import Callable
from pathlib import Path

import pytest

from level1_pipeline.policy import PolicyError, load_training_policy

SHIPPED = Path(__file__).parents[2] / "config" / "training_policy.yaml"
Edit = Callable[[Path, str, str], Path]


def test_shipped_policy_is_valid() -> None:
    policy = load_training_policy(SHIPPED)
    assert 0 < policy.model_gate.min_roc_auc < 1


def test_unknown_key_is_named(edited_copy: Edit) -> None:
    with pytest.raises(PolicyError, match=r"model_gate\.min_auc: Extra inputs are not permitted"):
        load_training_policy(edited_copy(SHIPPED, "min_roc_auc:", "min_auc:"))


def test_out_of_range_value_is_named(edited_copy: Edit) -> None:
    with pytest.raises(PolicyError, match=r"data_gate\.max_null_share"):
        load_training_policy(edited_copy(SHIPPED, "max_null_share: 0.10", "max_null_share: 1.5"))


def test_split_must_leave_training_rows(edited_copy: Edit) -> None:
    with pytest.raises(PolicyError, match="at least 10% for training"):
        load_training_policy(edited_copy(SHIPPED, "holdout_share: 0.15", "holdout_share: 0.8"))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match=r"nope\.yaml: policy file not found"):
        load_training_policy(tmp_path / "nope.yaml")
