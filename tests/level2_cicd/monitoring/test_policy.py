from pathlib import Path

import pytest

from level2_cicd.monitoring.policy import PolicyError, load_monitoring_policy

SHIPPED = Path(__file__).parents[3] / "config" / "monitoring_policy.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitoring.yaml"
    path.write_text(text)
    return path


def test_shipped_policy_is_valid() -> None:
    assert load_monitoring_policy(SHIPPED).cooldown_days >= 0


def test_wrong_key_is_named(tmp_path: Path) -> None:
    text = SHIPPED.read_text().replace("cooldown_days:", "cooldown:")
    with pytest.raises(PolicyError, match="cooldown: Extra inputs are not permitted"):
        load_monitoring_policy(write(tmp_path, text))


def test_wrong_value_is_named(tmp_path: Path) -> None:
    text = SHIPPED.read_text().replace("max_drifted_share: 0.3", "max_drifted_share: 3")
    with pytest.raises(PolicyError, match=r"drift\.max_drifted_share"):
        load_monitoring_policy(write(tmp_path, text))


def test_missing_key_is_named(tmp_path: Path) -> None:
    text = SHIPPED.read_text().replace("min_rows: 200", "")
    with pytest.raises(PolicyError, match="min_rows: Field required"):
        load_monitoring_policy(write(tmp_path, text))
