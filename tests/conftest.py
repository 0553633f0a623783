"""Suite-wide fixtures: tiny seeded data, private and quiet processes."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from shared.data.simulator import ChurnSimulator
from shared.data.source import SyntheticSource
from shared.runtime import PRIVATE_AND_QUIET
from shared.settings import Settings

for _key, _value in PRIVATE_AND_QUIET.items():
    os.environ.setdefault(_key, _value)

SMALL_ROWS_PER_DAY = 300
# Generic tests use days made from the schema alone, so they pass unchanged after a fork edits it;
# tests of the churn world itself are marked `churn` (a fork deselects them: pytest -m "not churn").
SYNTHETIC = {"data_source": "synthetic", "rows_per_day": SMALL_ROWS_PER_DAY}


@pytest.fixture(scope="session")
def small_simulator() -> ChurnSimulator:
    return ChurnSimulator(seed=7, rows_per_day=SMALL_ROWS_PER_DAY)


@pytest.fixture(scope="session")
def small_source() -> SyntheticSource:
    return SyntheticSource(Settings(seed=7, **SYNTHETIC))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def small_window(small_source: SyntheticSource) -> pd.DataFrame:
    """Fourteen days of clean, labelled data made from the schema (4,200 rows)."""
    calendar = small_source.calendar
    return small_source.rows(calendar.date_of(0), calendar.date_of(13))


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """A real Prefect API for the whole session (started once, ~17 s); no heartbeats, as in the commands."""
    from prefect.testing.utilities import prefect_test_harness

    from shared.prefect_api import without_heartbeats

    with prefect_test_harness(server_startup_timeout=120), without_heartbeats():
        yield


@pytest.fixture
def edited_copy(tmp_path: Path) -> Callable[[Path, str, str], Path]:
    """A copy of a shipped config file with one text replaced (it must occur), for bad-config tests."""

    def edit(source: Path, old: str, new: str) -> Path:
        text = source.read_text()
        assert old in text, f"{old!r} not in {source}"
        copy = tmp_path / source.name
        copy.write_text(text.replace(old, new))
        return copy

    return edit
