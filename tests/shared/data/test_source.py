"""The data-source interface: files of any layout give windows by date and say where "now" is."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from shared.data.source import DataSourceError, FileSource, SyntheticSource, resolve_day, source_from
from shared.schema import ID_COLUMN, LABEL_COLUMN, TIME_COLUMN
from shared.settings import Settings


@pytest.fixture
def exported(small_window: pd.DataFrame, tmp_path: Path) -> Path:
    """The window as a fork exports it: two files (CSV and Parquet), times with an offset, newest labels unknown."""
    frame = small_window.copy()
    newest = frame[TIME_COLUMN].dt.date == frame[TIME_COLUMN].dt.date.max()
    frame[LABEL_COLUMN] = frame[LABEL_COLUMN].astype(float).mask(newest)
    frame[TIME_COLUMN] = frame[TIME_COLUMN].dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")
    half = len(frame) // 2
    frame.iloc[:half].to_csv(tmp_path / "a.csv", index=False)
    frame.iloc[half:].to_parquet(tmp_path / "b.parquet", index=False)
    return tmp_path


def test_files_give_the_rows_of_a_window_by_date_in_utc(exported: Path, small_window: pd.DataFrame) -> None:
    source = FileSource(str(exported))
    first = small_window[TIME_COLUMN].dt.date.min()
    rows = source.rows(first, first)
    expected = small_window[small_window[TIME_COLUMN].dt.date == first]
    assert sorted(rows[ID_COLUMN]) == sorted(expected[ID_COLUMN])
    assert rows[TIME_COLUMN].dt.tz is None
    assert rows[TIME_COLUMN].min() == expected[TIME_COLUMN].min()  # converted back to UTC, not shifted


def test_now_is_the_newest_day_whose_labels_all_arrived(exported: Path, small_window: pd.DataFrame) -> None:
    newest = small_window[TIME_COLUMN].dt.date.max()
    assert FileSource(str(exported)).newest_labelled_day() == date.fromordinal(newest.toordinal() - 1)


def test_a_glob_picks_some_of_the_files(exported: Path) -> None:
    assert [f.name for f in FileSource(str(exported / "*.parquet")).files] == ["b.parquet"]


def test_no_files_and_files_without_event_times_are_named(tmp_path: Path, small_window: pd.DataFrame) -> None:
    with pytest.raises(DataSourceError, match=r"no \.csv or \.parquet files"):
        _ = FileSource(str(tmp_path / "nothing-*.csv")).files
    small_window.drop(columns=[TIME_COLUMN]).head(5).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(DataSourceError, match=f"column '{TIME_COLUMN}'"):
        _ = FileSource(str(tmp_path / "x.csv")).table


def test_settings_choose_the_source_and_files_need_a_path() -> None:
    assert isinstance(source_from(Settings(data_source="synthetic")), SyntheticSource)
    with pytest.raises(DataSourceError, match="MLOPS_DATA_PATH"):
        source_from(Settings(data_source="files"))


def test_days_are_given_as_dates_or_day_numbers_of_the_source() -> None:
    source = SyntheticSource(Settings(data_source="synthetic"))
    assert resolve_day(source, "2024-06-05") == date(2024, 6, 5)
    assert resolve_day(source, 4) == resolve_day(source, "4") == date(2024, 6, 5)
    with pytest.raises(DataSourceError, match="neither a date"):
        resolve_day(source, "next tuesday")


def test_one_csv_with_two_utc_offsets_reads_every_time_as_the_same_instant_in_utc(
    small_window: pd.DataFrame, tmp_path: Path
) -> None:
    from shared.data.files import load_table

    # given one CSV whose times carry two offsets (a summer and a winter export, or two offices)
    frame = small_window.head(40).copy()
    local = frame[TIME_COLUMN].dt.tz_localize("UTC")
    as_text = [
        (t.tz_convert("Europe/Paris") if i % 2 else t.tz_convert("America/New_York")).isoformat()
        for i, t in enumerate(local)
    ]
    frame[TIME_COLUMN] = as_text
    frame.to_csv(tmp_path / "mixed.csv", index=False)
    # when the files source and the hand-off reader (level 0's scorer) read it
    by_source = FileSource(str(tmp_path / "mixed.csv")).table.sort_values(ID_COLUMN)[TIME_COLUMN].tolist()
    by_reader = load_table(tmp_path / "mixed.csv").sort_values(ID_COLUMN)[TIME_COLUMN].tolist()
    # then both give the original instants, in naive UTC
    expected = small_window.head(40).sort_values(ID_COLUMN)[TIME_COLUMN].tolist()
    assert by_source == expected
    assert by_reader == expected


def test_a_value_that_is_not_a_time_is_named_with_its_column(small_window: pd.DataFrame, tmp_path: Path) -> None:
    frame = small_window.head(5).copy()
    frame[TIME_COLUMN] = frame[TIME_COLUMN].astype(str)
    frame.loc[frame.index[2], TIME_COLUMN] = "next tuesday-ish"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataSourceError, match=rf"column '{TIME_COLUMN}': 1 rows: is not a time .*next tuesday-ish"):
        _ = FileSource(str(tmp_path / "bad.csv")).table


def test_the_simulator_on_a_forks_schema_says_which_setting_to_change(monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.data import source as sources

    # given a fork's schema (other feature names) and the default source, the churn simulator
    monkeypatch.setattr(sources, "FEATURE_NAMES", ("plasma_glucose", "bmi"))
    simulator = sources.SimulatorSource(Settings(data_source="simulator", rows_per_day=20))
    # when a window is read, then the error names the setting and what to set it to
    with pytest.raises(
        DataSourceError, match=r"MLOPS_DATA_SOURCE=simulator .*plasma_glucose, bmi.*MLOPS_DATA_SOURCE=files"
    ):
        simulator.rows(simulator.calendar.origin, simulator.calendar.origin)


def test_a_files_source_is_monitored_on_its_newest_day_not_the_wall_clock(
    exported: Path, small_window: pd.DataFrame
) -> None:
    assert FileSource(str(exported)).today() == small_window[TIME_COLUMN].dt.date.max()
