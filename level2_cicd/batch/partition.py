"""One partition of a batch: which rows honour the schema, their scores, and their prediction-log rows.

Pure logic (no files, no registry, no Dask): the job in ``job.py`` reads, writes and logs around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from shared.model import predict_proba
from shared.schema import (
    FEATURE_NAMES,
    FEATURES,
    TIME_COLUMN,
    SchemaError,
    Violation,
    broken_rules,
    parse_times,
    to_records,
    with_schema_types,
)

REASONS_COLUMN = "broken_rules"  # in the rejects file: every rule a row broke, "column: rule; ..."
ROW_COLUMN = "source_row"  # position of the row in its input partition (rejects and scored rows keep it)


@dataclass(frozen=True)
class CheckedPartition:
    """A partition split into rows that can be scored and rows that break the schema (with why)."""

    valid: pd.DataFrame  # as read: each column keeps its own type (booleans, integers, times with their offset)
    rejects: pd.DataFrame
    violations: tuple[Violation, ...]  # per (column, rule): how many rows broke it


def check_partition(frame: pd.DataFrame) -> CheckedPartition:
    """Split rows by the schema's rules; a partition missing a feature column cannot be scored at all."""
    missing = [name for name in FEATURE_NAMES if name not in frame.columns]
    if missing:
        raise SchemaError([Violation(name, "is missing") for name in missing])
    numbered = frame.reset_index(drop=True).assign(**{ROW_COLUMN: np.arange(len(frame))})
    reasons = pd.Series("", index=numbered.index, dtype="object")
    violations = []
    for spec in FEATURES:
        for rule, rows in broken_rules(spec, numbered[spec.name]):
            violations.append(Violation(spec.name, rule, int(rows.sum())))
            reasons[rows] = reasons[rows] + f"{spec.name}: {rule}; "
    broken = reasons != ""
    rejects = numbered[broken].assign(**{REASONS_COLUMN: reasons[broken].str.removesuffix("; ")})
    return CheckedPartition(numbered[~broken], rejects, tuple(violations))


def score_rows(model: Pipeline, threshold: float, valid: pd.DataFrame, version: str) -> pd.DataFrame:
    """The rows as they came (their own types) with the version's probability, decision and version number."""
    probability = predict_proba(model, with_schema_types(valid)) if len(valid) else pd.Series(dtype="float64")
    return valid.assign(
        probability=probability.to_numpy(),
        prediction=(probability.to_numpy() >= threshold).astype("int64"),
        model_version=version,
    )


def request_ids(job_id: str, partition: int, rows: pd.Series) -> list[str]:
    """Stable ids of a partition's rows in the prediction log: the same job, partition and row, the same id."""
    return [f"batch-{job_id}-{partition:05d}-{row}" for row in rows]


def log_rows(scored: pd.DataFrame, ids: list[str], served_at: datetime) -> list[dict[str, Any]]:
    """Prediction-log rows of scored rows, tagged ``batch``; the event time is the row's own when it has one."""
    if TIME_COLUMN in scored:
        times = parse_times(scored[TIME_COLUMN])  # naive UTC, like the service
        created = [t.to_pydatetime() for t in times]
    else:
        created = [served_at] * len(ids)
    answers = zip(ids, created, scored["model_version"], scored["prediction"], scored["probability"], strict=True)
    fixed = {"served_at": served_at, "source": "batch", "variant": "champion"}
    return [
        features
        | fixed
        | {"request_id": request_id, "created_at": at, "model_version": str(version)}
        | {"prediction": int(prediction), "probability": float(probability)}
        for features, (request_id, at, version, prediction, probability) in zip(
            to_records(with_schema_types(scored)), answers, strict=True
        )
    ]
