"""The prediction-log source: logged predictions joined with the labels that arrived, as training rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from level1_pipeline.data_gate import validate_frame
from level1_pipeline.policy import TrainingPolicy
from shared.data.prediction_log_source import PredictionLogSource
from shared.data.source import DataSourceError, source_from
from shared.data.synthetic import schema_rows
from shared.prediction_log import LABELS, PREDICTIONS, create_store_engine
from shared.schema import FEATURE_NAMES, ID_COLUMN, LABEL_COLUMN, TIME_COLUMN, find_violations
from shared.settings import Settings

FIRST = date(2026, 3, 1)
PER_DAY = 20


def _log(url: str, days: int, labelled_days: int) -> dict[str, int]:
    """Log ``days`` days of predictions; label those of the first ``labelled_days`` days but one row a day.

    Returns the labels given, by request id.
    """
    engine = create_store_engine(url)
    features = schema_rows(days * PER_DAY, seed=5).astype(object)
    rows: list[dict[str, Any]] = []
    labels: dict[str, int] = {}
    for i, values in enumerate(features.to_dict("records")):
        day, moment = i // PER_DAY, datetime.combine(FIRST + timedelta(days=i // PER_DAY), datetime.min.time())
        request_id = f"r{i}"
        row = {str(k): (None if pd.isna(v) else v) for k, v in values.items()}
        rows.append(row | {"request_id": request_id, "created_at": moment, "served_at": moment})
        rows[-1] |= {"model_version": "1", "prediction": 0, "probability": 0.5}
        if day < labelled_days and i % PER_DAY != 0:
            labels[request_id] = i % 2
    with engine.begin() as conn:
        conn.execute(sa.insert(PREDICTIONS), rows)
        if labels:
            arrived = datetime.combine(FIRST, datetime.min.time())
            conn.execute(
                sa.insert(LABELS), [{"request_id": r, "label": y, "received_at": arrived} for r, y in labels.items()]
            )
    engine.dispose()
    return labels


def test_only_labelled_predictions_become_rows_that_pass_the_schema(tmp_path: Path) -> None:
    # given three logged days, the first two labelled (but one row a day whose label never came)
    url = f"sqlite:///{tmp_path / 'log.db'}"
    labels = _log(url, days=3, labelled_days=2)
    source = source_from(Settings(data_source="prediction_log", prediction_store_url=url))
    # when the source is asked for the whole window
    rows = source.rows(FIRST, FIRST + timedelta(days=2))
    # then it gives the labelled rows only, in the schema's columns, with the labels that arrived
    assert len(rows) == 2 * (PER_DAY - 1)
    assert list(rows.columns) == [ID_COLUMN, TIME_COLUMN, *FEATURE_NAMES, LABEL_COLUMN]
    assert {type(name) for name in rows.columns} == {str}  # scikit-learn drops feature names of other types
    assert find_violations(rows, require_label=True) == []
    assert rows.set_index(ID_COLUMN)[LABEL_COLUMN].to_dict() == labels
    # and "now" is the newest labelled day; its calendar starts on the first logged day
    assert (source.newest_labelled_day(), source.today()) == (FIRST + timedelta(days=1), FIRST + timedelta(days=2))
    assert source.calendar.date_of(0) == FIRST


def test_lineage_names_the_store_without_its_password() -> None:
    source = PredictionLogSource("postgresql+psycopg://mlops:s3cret@db:5432/predictions")
    assert source.lineage() == {
        "data_source": "prediction_log",
        "prediction_store": "postgresql+psycopg://mlops:***@db:5432/predictions",
    }


def test_no_log_or_no_labels_yet_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"no prediction log at sqlite:///.*: serve predictions first"):
        PredictionLogSource(f"sqlite:///{tmp_path / 'none.db'}").today()
    url = f"sqlite:///{tmp_path / 'log.db'}"
    _log(url, days=1, labelled_days=0)
    with pytest.raises(DataSourceError, match="no labelled predictions yet"):
        PredictionLogSource(url).newest_labelled_day()


def test_a_window_with_too_few_labelled_rows_is_refused_by_the_data_gate(tmp_path: Path) -> None:
    # given a day of the log whose labelled rows are fewer than the training policy's minimum
    url = f"sqlite:///{tmp_path / 'log.db'}"
    _log(url, days=1, labelled_days=1)
    rows = PredictionLogSource(url).rows(FIRST, FIRST)
    # when the data gate judges it, then it is refused, saying how many rows and the policy's minimum
    report = validate_frame(rows, TrainingPolicy().data_gate)
    assert not report.success
    assert f"{PER_DAY - 1}" in report.summary()
    assert "min_rows" in report.summary()
