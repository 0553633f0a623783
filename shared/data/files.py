"""Read and write tables of the shared schema: your own CSV/Parquet data, or hand-off files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from shared.schema import TIME_COLUMN, conform, parse_times

READERS: dict[str, Callable[[Path], Any]] = {".csv": pd.read_csv, ".parquet": pd.read_parquet}


def load_table(path: Path | str, require_label: bool = False) -> pd.DataFrame:
    """Load a CSV or Parquet file and check it against the schema (raises SchemaError)."""
    file = Path(path)
    reader = READERS.get(file.suffix.lower())
    if reader is None:
        raise ValueError(f"{file}: unsupported file type {file.suffix!r}; use one of {', '.join(READERS)}")
    if not file.is_file():
        raise FileNotFoundError(f"{file}: no such file")
    frame = reader(file)
    if TIME_COLUMN in frame.columns:
        frame[TIME_COLUMN] = parse_times(frame[TIME_COLUMN])
    return conform(frame, require_label=require_label)


def write_atomically(frame: pd.DataFrame, path: Path) -> Path:
    """Write a CSV/Parquet via a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix.lower() == ".parquet":
        frame.to_parquet(tmp, index=False)
    else:
        frame.to_csv(tmp, index=False)
    tmp.replace(path)
    return path
