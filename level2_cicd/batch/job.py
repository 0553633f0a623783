"""A batch job on Dask: one partition of the input per task, each written whole or not at all.

The input is a partitioned Parquet dataset (a folder of ``*.parquet`` files, a glob, or one file).
``dask.dataframe`` maps ``score_partition`` over its partitions; each task reads its partition,
splits off the rows that break the schema (to ``_rejects/``), scores the rest with the version's
model (loaded once per worker process, not per partition), appends them to the prediction log
tagged ``batch``, then moves its output into place. The output of a partition appears last and
atomically, so a partition is either fully scored (output, rejects and log rows) or absent; a
re-run skips the partitions already scored and retries the others.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from glob import glob
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from threadpoolctl import threadpool_limits

from level2_cicd.batch.partition import ROW_COLUMN, check_partition, log_rows, request_ids, score_rows
from shared.prediction_log import PREDICTIONS, create_store_engine, naive_utc
from shared.schema import SchemaError
from shared.tracking import use_tracking_uri

if TYPE_CHECKING:
    import sqlalchemy as sa
    from distributed import Client
    from sklearn.pipeline import Pipeline

REJECTS_DIR = "_rejects"  # Parquet readers skip folders starting with "_": the scored dataset stays clean
SUMMARY_COLUMNS = {
    "partition": "int64",
    "file": "object",
    "rows": "int64",
    "scored": "int64",
    "rejected": "int64",
    "status": "object",  # scored, skipped (already scored) or failed
    "detail": "object",  # broken rules with counts, or the error
    "worker": "int64",  # process id of the Dask worker that scored it
    "model_loads": "int64",  # how many times that worker process had loaded a model by then
    "seconds": "float64",  # the partition's wall time on its worker (model load included when it loaded)
}


class BatchInputError(ValueError):
    """The input or output of a batch job cannot be used; the message says which and why."""


@dataclass(frozen=True)
class ModelChoice:
    """The registered version a job scores with: read once from the registry, then fixed."""

    tracking_uri: str
    name: str
    version: str
    threshold: float


@dataclass(frozen=True)
class BatchJob:
    files: tuple[str, ...]
    output: str
    model: ModelChoice
    store_url: str | None  # the prediction log; None: do not log
    job_id: str  # from the output folder: a re-run into the same folder reuses the rows' ids

    def target(self, number: int) -> Path:
        return Path(self.output) / f"{Path(self.files[number]).stem}.parquet"

    def rejects_target(self, number: int) -> Path:
        return Path(self.output) / REJECTS_DIR / f"{Path(self.files[number]).stem}.parquet"


def input_partitions(path: str) -> list[Path]:
    """The Parquet files of a folder (recursively, skipping ``_``/``.`` names), a glob, or one file."""
    given = Path(path).expanduser()
    if given.is_dir():
        hidden = ("_", ".")
        files = [
            f for f in given.rglob("*.parquet") if not any(p.startswith(hidden) for p in f.relative_to(given).parts)
        ]
    elif given.is_file():
        files = [given]
    else:
        files = [Path(f) for f in glob(str(given))]
    if not files:
        raise BatchInputError(f"input {path!r}: no Parquet files found (give a folder of *.parquet, a glob or a file)")
    return sorted(f.resolve() for f in files)


def plan(input_path: str, output: str, model: ModelChoice, store_url: str | None) -> BatchJob:
    """The job's partitions and targets; refuses outputs that would overwrite or mix with the input."""
    files = input_partitions(input_path)
    out = Path(output).expanduser().resolve()
    if out in {f.parent for f in files} or any(out == f or out in f.parents for f in files):
        raise BatchInputError(f"output {output!r} is (or holds) the input: choose another folder, inputs are kept")
    given = Path(input_path).expanduser().resolve()
    if given.is_dir() and given in out.parents:
        raise BatchInputError(f"output {output!r} is inside the input folder: a later run would read scores as input")
    stems = [f.stem for f in files]
    twice = sorted({s for s in stems if stems.count(s) > 1})
    if twice:
        raise BatchInputError(f"input partitions share file names {twice}: their outputs would collide")
    job_id = hashlib.sha256(str(out).encode()).hexdigest()[:12]
    return BatchJob(tuple(str(f) for f in files), str(out), model, store_url, job_id)


def run(job: BatchJob, client: Client) -> pd.DataFrame:
    """Score every partition on the client's cluster; one summary row per partition, in partition order."""
    import dask.dataframe as dd

    entries = dd.from_map(_entry, list(enumerate(job.files)), meta=_entry((0, "")).iloc[:0])
    summaries = entries.map_partitions(score_partition, job=job, meta=_summary([]))
    result: pd.DataFrame = client.compute(summaries).result()
    return result.sort_values("partition").reset_index(drop=True)


def _entry(numbered: tuple[int, str]) -> pd.DataFrame:
    return pd.DataFrame({"number": [numbered[0]], "file": [numbered[1]]})


def _summary(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(SUMMARY_COLUMNS)).astype(SUMMARY_COLUMNS)


def score_partition(entries: pd.DataFrame, job: BatchJob) -> pd.DataFrame:
    """Score the partitions named in ``entries`` (one per Dask partition); never raises, reports instead."""
    return _summary(_score_one(int(number), job) for number in entries["number"])


def _score_one(number: int, job: BatchJob) -> dict[str, Any]:
    started = time.perf_counter()
    source, target = Path(job.files[number]), job.target(number)
    summary = {"partition": number, "file": source.name, "rows": 0, "scored": 0, "rejected": 0, "seconds": 0.0}
    summary |= {"status": "skipped", "detail": "", "worker": os.getpid(), "model_loads": MODEL_LOADS["count"]}
    if target.exists():
        return summary | {"detail": f"already scored: {target.name} exists"}
    try:
        frame = pd.read_parquet(source)
        checked = check_partition(frame)
        model = worker_model(job.model)
        with threadpool_limits(1):  # one task per worker process, one core each
            scored = score_rows(model, job.model.threshold, checked.valid, job.model.version)
        scored["request_id"] = request_ids(job.job_id, number, scored[ROW_COLUMN])
        _commit(job, number, scored, checked.rejects)
    except SchemaError as error:
        return summary | {"status": "failed", "detail": "; ".join(str(v) for v in error.violations)}
    except Exception as error:  # reported per partition: the other partitions go on
        return summary | {"status": "failed", "detail": " ".join(f"{type(error).__name__}: {error}".split())[:500]}
    broken = "; ".join(f"{v.column}: {v.rule} ({v.count} rows)" for v in checked.violations)
    counts = {"rows": len(frame), "scored": len(scored), "rejected": len(checked.rejects)}
    done = {"status": "scored", "detail": broken, "model_loads": MODEL_LOADS["count"]}
    return summary | counts | done | {"seconds": time.perf_counter() - started}


def _commit(job: BatchJob, number: int, scored: pd.DataFrame, rejects: pd.DataFrame) -> None:
    """Rejects and scores to temporary files, log rows in one transaction, then both files into place."""
    target, rejects_target = job.target(number), job.rejects_target(number)
    staged = [(scored, target)] + ([(rejects, rejects_target)] if len(rejects) else [])
    temporary = [path.with_name(f".{path.name}.tmp") for _, path in staged]
    try:
        for (frame, path), tmp in zip(staged, temporary, strict=True):
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(tmp, index=False)
        if job.store_url is not None:
            served_at = naive_utc()
            with worker_engine(job.store_url).begin() as conn:
                rows = log_rows(scored, list(scored["request_id"]), served_at)
                if rows:
                    conn.execute(PREDICTIONS.insert(), rows)
        for (_, path), tmp in reversed(list(zip(staged, temporary, strict=True))):  # the scored file last
            tmp.replace(path)
    finally:
        for tmp in temporary:
            tmp.unlink(missing_ok=True)


MODEL_LOADS = {"count": 0}  # per worker process


@functools.lru_cache(maxsize=2)
def worker_model(choice: ModelChoice) -> Pipeline:
    """The version's scikit-learn pipeline, loaded once per worker process."""
    import mlflow.sklearn

    use_tracking_uri(choice.tracking_uri)
    MODEL_LOADS["count"] += 1
    return mlflow.sklearn.load_model(f"models:/{choice.name}/{choice.version}")


@functools.lru_cache(maxsize=2)
def worker_engine(url: str) -> sa.Engine:
    """One engine on the prediction log per worker process."""
    return create_store_engine(url)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict(orient="records")]


def report_lines(summaries: pd.DataFrame) -> list[str]:
    """One line per partition, then the totals: what a person reads after a job."""
    lines = []
    for p in records(summaries):
        counts = f", {p['scored']}/{p['rows']} rows scored, {p['rejected']} rejected" if p["status"] == "scored" else ""
        lines.append(f"  {p['file']}: {p['status']}{counts}" + (f" ({p['detail']})" if p["detail"] else ""))
    statuses = summaries["status"].tolist()
    totals = (
        f"{int(summaries['scored'].sum())} rows scored, {int(summaries['rejected'].sum())} rejected; partitions: "
        f"{statuses.count('scored')} scored, {statuses.count('skipped')} skipped (already scored), "
        f"{statuses.count('failed')} failed"
    )
    return [*lines, totals]
