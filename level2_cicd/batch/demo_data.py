"""A large partitioned Parquet dataset from the simulator, for batch-scoring demos and benchmarks."""

from __future__ import annotations

from pathlib import Path

from shared.data.files import write_atomically
from shared.data.scenarios import Scenario
from shared.data.simulator import ChurnSimulator
from shared.schema import LABEL_COLUMN
from shared.settings import Settings


def write_dataset(folder: Path, rows: int, partition_rows: int, settings: Settings) -> list[Path]:
    """``rows`` unlabelled rows as ``part-NNNNN.parquet`` files of at most ``partition_rows`` rows each.

    Partition ``n`` is simulated day ``simulated_today + n`` of the configured world (seed, scenario).
    An existing non-empty folder is refused: nothing is overwritten.
    """
    if rows < 1 or partition_rows < 1:
        raise ValueError(f"rows ({rows}) and partition_rows ({partition_rows}) must be at least 1")
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty: choose a new folder (nothing is overwritten)")
    scenario = Scenario.parse(settings.scenario, settings.scenario_start_day)
    written = []
    for number, first in enumerate(range(0, rows, partition_rows)):
        size = min(partition_rows, rows - first)
        world = ChurnSimulator(seed=settings.seed, rows_per_day=size, scenario=scenario)
        day = world.day(settings.simulated_today + number).drop(columns=[LABEL_COLUMN])
        written.append(write_atomically(day, folder / f"part-{number:05d}.parquet"))
    return written
