from collections.abc import Callable
from pathlib import Path

import pytest

from level2_cicd.monitoring.policy import PolicyError, load_monitoring_policy

SHIPPED = Path(__file__).parents[3] / "config" / "monitoring_policy.yaml"
Edit = Callable[[Path, str, str], Path]


def test_shipped_policy_is_valid() -> None:
    assert load_monitoring_policy(SHIPPED).cooldown_days >= 0


def test_wrong_key_is_named(edited_copy: Edit) -> None:
    with pytest.raises(PolicyError, match="cooldown: Extra inputs are not permitted"):
        load_monitoring_policy(edited_copy(SHIPPED, "cooldown_days:", "cooldown:"))


def test_wrong_value_is_named(edited_copy: Edit) -> None:
    with pytest.raises(PolicyError, match=r"drift\.max_drifted_share"):
        load_monitoring_policy(edited_copy(SHIPPED, "max_drifted_share: 0.3", "max_drifted_share: 3"))


def test_missing_key_is_named(edited_copy: Edit) -> None:
    with pytest.raises(PolicyError, match="min_rows: Field required"):
        load_monitoring_policy(edited_copy(SHIPPED, "\nmin_rows:", "\n# min_rows:"))
