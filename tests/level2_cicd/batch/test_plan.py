"""Planning a batch job: which files are its partitions, and outputs that would harm the input are refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from level2_cicd.batch.job import BatchInputError, ModelChoice, plan

MODEL = ModelChoice("sqlite:///unused.db", "churn-model", "1", 0.5)


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    for name in ("a/part-1.parquet", "b/part-2.parquet", "_rejects/old.parquet", ".hidden.parquet"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"x": [1]}).to_parquet(folder / name)
    return folder


def test_partitions_are_the_folders_parquet_files_in_order_without_hidden_ones(dataset: Path, tmp_path: Path) -> None:
    job = plan(str(dataset), str(tmp_path / "out"), MODEL, None)
    assert [Path(f).relative_to(dataset).as_posix() for f in job.files] == ["a/part-1.parquet", "b/part-2.parquet"]
    assert job.target(1) == tmp_path / "out" / "part-2.parquet"
    assert plan(str(dataset), str(tmp_path / "out"), MODEL, None).job_id == job.job_id  # a re-run keeps its ids


@pytest.mark.parametrize("where", ["in", "in/a", "in/scored"])
def test_an_output_that_is_holds_or_sits_inside_the_input_is_refused(where: str, dataset: Path) -> None:
    with pytest.raises(BatchInputError, match="output"):
        plan(str(dataset), str(dataset.parent / where), MODEL, None)


def test_no_parquet_files_and_colliding_names_are_refused(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(BatchInputError, match="no Parquet files found"):
        plan(str(tmp_path / "nothing-here"), str(tmp_path / "out"), MODEL, None)
    pd.DataFrame({"x": [1]}).to_parquet(dataset / "b" / "part-1.parquet")
    with pytest.raises(BatchInputError, match=r"share file names \['part-1'\]"):
        plan(str(dataset), str(tmp_path / "out"), MODEL, None)
