"""The one data-source interface every level reads training and reference data through.

A source answers two questions: which rows fall on the days ``first``..``last`` (dates, both
included; raw, as the source has them: the data gate checks them next), and where "now" is (the
newest day whose labels have all arrived, the default end of a training window). Day numbers are
a convenience of one calendar per source (day 0 is its first day), used by the monitor's pure logic
and by the simulator; the edges (CLI, flows, version tags) speak dates.

Implementations: the churn simulator, files (CSV/Parquet, one or many), synthetic days made
from the schema alone (what generic tests use, so they follow a fork's schema), and the prediction
log (what the service served, with the labels that came back: `prediction_log_source.py`); chosen by settings
(``MLOPS_DATA_SOURCE``). Nothing else constructs a simulator or reads data files.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pandas as pd

from shared.data.scenarios import Scenario
from shared.data.simulator import ChurnSimulator
from shared.data.synthetic import schema_day
from shared.data.windows import DataWindow
from shared.schema import FEATURE_NAMES, LABEL_COLUMN, TIME_COLUMN, SchemaError, parse_times
from shared.settings import Settings

if TYPE_CHECKING:
    from shared.data.simulator import ChurnSimulator


@dataclass(frozen=True)
class Calendar:
    """Day numbers of one source: day 0 is ``origin``."""

    origin: date

    def date_of(self, day: int) -> date:
        return self.origin + timedelta(days=day)

    def day_of(self, moment: date) -> int:
        return (moment - self.origin).days

    def start_of(self, day: int) -> datetime:
        """Midnight (naive UTC) at the start of ``day``."""
        return datetime.combine(self.date_of(day), datetime.min.time())


class DataSource(Protocol):
    """Where rows come from: a window of days, and "now"."""

    @property
    def calendar(self) -> Calendar: ...

    def rows(self, first: date, last: date) -> pd.DataFrame:
        """Raw rows whose event time falls on ``first``..``last`` (both included), in time order."""
        ...

    def newest_labelled_day(self) -> date:
        """The newest day whose labels have all arrived: where a default training window ends."""
        ...

    def today(self) -> date:
        """The day the monitor looks at when none is given."""
        ...

    def lineage(self) -> dict[str, str]:
        """What to record about the data's origin on every run (tags)."""
        ...


class DataSourceError(ValueError):
    """A source that cannot be read as configured; the message names the setting or the file."""


@dataclass(frozen=True)
class SimulatorSource:
    """The seeded churn simulator (see ``simulator.py``); its "today" is a setting, so runs repeat."""

    settings: Settings

    @cached_property
    def simulator(self) -> ChurnSimulator:
        scenario = Scenario.parse(self.settings.scenario, self.settings.scenario_start_day)
        return ChurnSimulator(seed=self.settings.seed, rows_per_day=self.settings.rows_per_day, scenario=scenario)

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.simulator.start_date)

    def rows(self, first: date, last: date) -> pd.DataFrame:
        first_day, last_day = self.calendar.day_of(first), self.calendar.day_of(last)
        if first_day < 0:
            raise DataSourceError(f"the simulator starts on {self.calendar.origin}; asked for {first}")
        window = self.simulator.window(first_day, last_day)
        if len(set(FEATURE_NAMES) - set(window.columns)) > len(FEATURE_NAMES) / 2:  # another table, not a defect
            raise DataSourceError(
                "MLOPS_DATA_SOURCE=simulator makes the churn world's columns, not the ones shared/schema.py declares "
                f"({', '.join(FEATURE_NAMES)}): set MLOPS_DATA_SOURCE=files with MLOPS_DATA_PATH (your data), or "
                "synthetic (rows made from the schema), in the environment or in .env (make settings shows them)"
            )
        return window

    def newest_labelled_day(self) -> date:
        return self.calendar.date_of(self.settings.simulated_today - self.settings.label_delay_days - 1)

    def today(self) -> date:
        return self.calendar.date_of(self.settings.simulated_today)

    def lineage(self) -> dict[str, str]:
        s = self.settings
        return {"data_source": "simulator", "seed": str(s.seed), "scenario": s.scenario}


@dataclass(frozen=True)
class SyntheticSource:
    """Labelled days made from ``shared/schema.py`` alone: any fork's schema has data for its generic tests."""

    settings: Settings
    origin: date = date(2024, 6, 1)

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.origin)

    def rows(self, first: date, last: date) -> pd.DataFrame:
        calendar, s = self.calendar, self.settings
        days = range(calendar.day_of(first), calendar.day_of(last) + 1)
        frames = [schema_day(s.seed, d, s.rows_per_day, pd.Timestamp(calendar.start_of(d))) for d in days]
        return pd.concat(frames, ignore_index=True)

    def newest_labelled_day(self) -> date:
        return self.calendar.date_of(self.settings.simulated_today - self.settings.label_delay_days - 1)

    def today(self) -> date:
        return self.calendar.date_of(self.settings.simulated_today)

    def lineage(self) -> dict[str, str]:
        return {"data_source": "synthetic", "seed": str(self.settings.seed)}


READERS = {".csv": pd.read_csv, ".parquet": pd.read_parquet}


@dataclass(frozen=True)
class FileSource:
    """CSV or Parquet files with an event-time column: one file, a folder of them, or a glob pattern."""

    pattern: str

    @cached_property
    def files(self) -> tuple[Path, ...]:
        path = Path(self.pattern)
        candidates = sorted(path.iterdir()) if path.is_dir() else [Path(p) for p in sorted(glob.glob(self.pattern))]
        found = tuple(p for p in candidates if p.suffix.lower() in READERS and p.is_file())
        if not found:
            raise DataSourceError(f"MLOPS_DATA_PATH={self.pattern!r}: no .csv or .parquet files found there")
        return found

    @cached_property
    def table(self) -> pd.DataFrame:
        """Every file, read once per process; event times as naive UTC."""
        frames = [READERS[f.suffix.lower()](f) for f in self.files]  # type: ignore[operator]
        table = pd.concat(frames, ignore_index=True)
        if TIME_COLUMN not in table.columns:
            raise DataSourceError(f"{self.pattern}: column {TIME_COLUMN!r} (event time) is missing")
        try:
            table[TIME_COLUMN] = parse_times(table[TIME_COLUMN])
        except SchemaError as not_times:
            raise DataSourceError(f"{self.pattern}: {not_times.violations[0]}") from None
        return table.sort_values(TIME_COLUMN, kind="stable").reset_index(drop=True)

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.table[TIME_COLUMN].min().date())

    def rows(self, first: date, last: date) -> pd.DataFrame:
        days = self.table[TIME_COLUMN].dt.date
        return self.table[(days >= first) & (days <= last)].reset_index(drop=True)

    def newest_labelled_day(self) -> date:
        days = self.table[TIME_COLUMN].dt.date
        if LABEL_COLUMN not in self.table.columns:
            raise DataSourceError(f"{self.pattern}: column {LABEL_COLUMN!r} (the label) is missing")
        unlabelled = days[self.table[LABEL_COLUMN].isna()]
        if len(unlabelled):
            return min(unlabelled) - timedelta(days=1)
        return max(days)

    def today(self) -> date:
        """The newest day in the files (a history exported once, or a folder that grows every day)."""
        return max(self.table[TIME_COLUMN].dt.date)

    def lineage(self) -> dict[str, str]:
        return {"data_source": "files", "data_path": self.pattern, "data_files": str(len(self.files))}


def source_from(settings: Settings) -> DataSource:
    """The data source the settings choose."""
    if settings.data_source == "prediction_log":
        from shared.data.prediction_log_source import PredictionLogSource

        return PredictionLogSource(settings.resolved_prediction_store_url)
    if settings.data_source == "files":
        if not settings.data_path:
            raise DataSourceError("MLOPS_DATA_SOURCE=files needs MLOPS_DATA_PATH (a file, a folder or a glob)")
        return FileSource(settings.data_path)
    if settings.data_source == "synthetic":
        return SyntheticSource(settings)
    return SimulatorSource(settings)


def resolve_day(source: DataSource, day: date | int | str | None) -> date:
    """A date from what a user gave: a date, an ISO date string, a day number of the source, or None (now)."""
    if day is None:
        return source.newest_labelled_day()
    if isinstance(day, date):
        return day
    if isinstance(day, int) or (isinstance(day, str) and day.lstrip("-").isdigit()):
        return source.calendar.date_of(int(day))
    try:
        return date.fromisoformat(day)
    except ValueError:
        raise DataSourceError(f"{day!r} is neither a date (YYYY-MM-DD) nor a day number") from None


def training_window(
    source: DataSource, settings: Settings, last_day: date | int | str | None, days: int | None
) -> DataWindow:
    """The window a training (or a sweep) learns from: ``days`` (default ``train_days``) ending on ``last_day``
    (default ``settings.last_day``, else the source's newest fully labelled day)."""
    end = resolve_day(source, last_day if last_day is not None else settings.last_day)
    return DataWindow.ending_on(end, days or settings.train_days)
