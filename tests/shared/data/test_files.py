from pathlib import Path

import pandas as pd
import pytest

from shared.data.files import load_table
from shared.schema import TIME_COLUMN, SchemaError
from tests.schema_cases import breaking_change


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_own_data_loads_with_schema_types(small_window: pd.DataFrame, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"mine{suffix}"
    frame = small_window.head(100)
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path, index=False)
    loaded = load_table(path, require_label=True)
    assert len(loaded) == 100
    assert loaded[TIME_COLUMN].dtype.kind == "M"


def test_bad_own_data_names_the_column(small_window: pd.DataFrame, tmp_path: Path) -> None:
    column, value = breaking_change()
    path = tmp_path / "bad.csv"
    small_window.head(20).assign(**{column: value}).to_csv(path, index=False)
    with pytest.raises(SchemaError, match=rf"'{column}'.*{value}"):
        load_table(path)


def test_unsupported_file_type_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_table(tmp_path / "x.xlsx")
