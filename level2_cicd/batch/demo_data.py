"""A large partitioned Parquet dataset from the configured data source, for batch-scoring demos and benchmarks."""

from __future__ import annotations

from pathlib import Path

from shared.data.files import write_atomically
from shared.data.source import source_from
from shared.schema import LABEL_COLUMN
from shared.settings import Settings


def write_dataset(folder: Path, rows: int, partition_rows: int, settings: Settings) -> list[Path]:
    """``rows`` unlabelled rows as ``part-NNNNN.parquet`` files of at most ``partition_rows`` rows each.

    Partition ``n`` is day ``simulated_today + n`` of the configured data source (`MLOPS_DATA_SOURCE`: the
    simulator's world with its seed and scenario, days made from a fork's schema, or its own files), so the
    partitions have the schema's columns. An existing non-empty folder is refused: nothing is overwritten.
    """
    if rows < 1 or partition_rows < 1:
        raise ValueError(f"rows ({rows}) and partition_rows ({partition_rows}) must be at least 1")
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty: choose a new folder (nothing is overwritten)")
    written = []
    for number, first in enumerate(range(0, rows, partition_rows)):
        size = min(partition_rows, rows - first)
        source = source_from(settings.model_copy(update={"rows_per_day": size}))
        day = source.calendar.date_of(settings.simulated_today + number)
        frame = source.rows(day, day).head(size).drop(columns=[LABEL_COLUMN])
        written.append(write_atomically(frame.reset_index(drop=True), folder / f"part-{number:05d}.parquet"))
    return written
