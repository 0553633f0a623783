"""Suite-wide fixtures: tiny seeded data, private and quiet processes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pandas as pd
import pytest

from shared.data.simulator import ChurnSimulator
from shared.runtime import PRIVATE_AND_QUIET

for _key, _value in PRIVATE_AND_QUIET.items():
    os.environ.setdefault(_key, _value)

SMALL_ROWS_PER_DAY = 300


@pytest.fixture(scope="session")
def small_simulator() -> ChurnSimulator:
    return ChurnSimulator(seed=7, rows_per_day=SMALL_ROWS_PER_DAY)


@pytest.fixture(scope="session")
def small_window(small_simulator: ChurnSimulator) -> pd.DataFrame:
    """Fourteen days of clean, labelled data (4,200 rows)."""
    return small_simulator.window(0, 13)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """A real Prefect API for the whole session (started once, ~17 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
