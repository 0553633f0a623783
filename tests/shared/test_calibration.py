"""Thresholds sized from the data: the rules (pure), the in-place file edit, and the template's own values."""

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from deploy.calibrate import measured, write
from level1_pipeline.policy import TrainingPolicy, load_training_policy
from level2_cicd.monitoring.policy import MonitoringPolicy
from shared.calibration import Baseline, DataProfile, auc_standard_error, profile, proposals
from shared.config_edit import set_value
from shared.schema import LABEL_COLUMN, TIME_COLUMN, with_schema_types
from shared.settings import Settings


def test_a_value_is_set_in_place_and_every_other_line_kept() -> None:
    text = "# a policy\nversion: 1\n\ndata_gate:\n  min_rows: 10   # old words\n  max_null_share: 0.1\nsplit:\n  x: 1\n"
    edited = set_value(text, "data_gate.min_rows", 1500, "why")
    assert edited == text.replace("  min_rows: 10   # old words", "  min_rows: 1500  # why")


def test_a_missing_key_is_added_under_its_parent_or_with_it() -> None:
    text = "version: 1\nquality:\n  min_roc_auc: 0.7\ndrift:\n  max_drifted_share: 0.3\n"
    edited = set_value(set_value(text, "quality.min_labelled_rows", 50, "a"), "model_gate.min_roc_auc", 0.6, "b")
    assert edited.splitlines()[1:4] == ["quality:", "  min_roc_auc: 0.7", "  min_labelled_rows: 50  # a"]
    assert edited.splitlines()[-2:] == ["model_gate:", "  min_roc_auc: 0.6  # b"]


def test_the_label_delay_is_measured_from_the_unlabelled_newest_days(small_window: pd.DataFrame) -> None:
    # given fourteen days whose newest five have no labels yet
    rows = with_schema_types(small_window)
    today = rows[TIME_COLUMN].dt.date.max()
    newest_labelled = today - timedelta(days=5)
    rows.loc[rows[TIME_COLUMN].dt.date > newest_labelled, LABEL_COLUMN] = pd.NA
    # when the history is measured, then the delay is five days and the labelled share counts only due days
    measured_data = profile(rows, today, newest_labelled)
    assert measured_data.label_delay_days == 5
    assert measured_data.labelled_share == 1.0
    assert measured_data.rows_per_day == rows.groupby(rows[TIME_COLUMN].dt.date).size().median()
    (delay,) = [p for p in proposals(measured_data, Baseline((0.7, 0.72)), 10, 5, 3) if p.key == "label_delay_days"]
    assert (delay.file, delay.value) == ("settings.yaml", 5)
    assert "(was 3)" in delay.reason


def test_floors_follow_the_baseline_and_the_days_noise() -> None:
    data = profile_of(rows_per_day=3000, positive_rate=0.3)
    found = {p.key: p for p in proposals(data, Baseline((0.70, 0.71)), 21, 5, 5)}
    assert found["model_gate.min_roc_auc"].value == 0.65  # 0.705 - 0.05, down to a multiple of 0.05
    error = auc_standard_error(0.705, 900, 2100)
    assert found["quality.min_roc_auc"].value == round(0.65 - 3 * error, 2)
    assert found["data_gate.min_rows"].value == 1500  # 10 % of 5 days x 3,000
    assert "0.700, 0.710" in found["model_gate.min_roc_auc"].reason


def profile_of(rows_per_day: float, positive_rate: float) -> DataProfile:
    first = date(2024, 1, 1)
    return DataProfile(30, rows_per_day, first, first + timedelta(days=29), first, None, positive_rate, 1.0, 0.0, None)


def test_proposals_are_written_into_the_files_given(tmp_path: Path) -> None:
    # given copies of a policy and a settings file (a test never writes the project's own)
    (tmp_path / "training_policy.yaml").write_text("version: 1\ndata_gate:\n  min_rows: 1000  # old\n")
    settings_file = tmp_path / "settings.yaml"
    settings_file.write_text("project_name: x\n")
    found = proposals(profile_of(3000, 0.3), Baseline((0.80, 0.82)), 21, 5, 3)
    found = [p for p in found if p.file == "training_policy.yaml"]
    written = write(found, date(2026, 12, 4), config=tmp_path, settings_file=settings_file)
    policy = load_training_policy(tmp_path / "training_policy.yaml")
    assert written == [tmp_path / "training_policy.yaml"]
    assert (policy.data_gate.min_rows, policy.model_gate.min_roc_auc) == (1500, 0.75)
    assert "# calibrated 2026-12-04: 10% of the smallest window" in (tmp_path / "training_policy.yaml").read_text()


@pytest.mark.churn
@pytest.mark.slow
def test_on_the_templates_own_data_it_proposes_what_ships() -> None:
    shipped = {
        "training_policy.yaml": TrainingPolicy().model_dump(),
        "monitoring_policy.yaml": MonitoringPolicy().model_dump(),
    }
    for proposal in measured(Settings()):
        section = shipped[proposal.file]
        *parents, key = proposal.key.split(".")
        for parent in parents:
            section = section[parent]
        assert section[key] == proposal.value, proposal
