"""Requests the service refuses: a 422 a client can always read, and what was wrong with which rows.

Rows that break the schema are the first sign of a data-quality problem upstream, so they are
counted per field and rule (in /metrics and the prediction store), not only answered with 422.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from shared.prediction_log import naive_utc
from shared.schema import FEATURE_NAMES, ID_COLUMN, LABEL_COLUMN, TIME_COLUMN

ROW_CONTAINERS = ("rows", "dataframe_records", "dataframe_split")
UNKNOWN_FIELD = "unknown_field"  # bounded metric labels: a client may send any key
# The table's other columns, sent as they sit in it: named in metrics, and told where they belong instead.
NOT_INPUTS = {
    ID_COLUMN: "is the table's id column, not a model input: send it in the request's ids list (optional), not in rows",
    TIME_COLUMN: "is when the rows happened: send it once as the request's event_time, not in each row",
    LABEL_COLUMN: "is the label: send it later to /feedback with the prediction's request_id",
}

_MOMENT = TypeAdapter(datetime)


def event_time_of(body: Any) -> datetime | None:
    """The event time a refused request gave, as the log stores it, if readable."""
    value = body.get("event_time") if isinstance(body, dict) else None
    try:
        return naive_utc(_MOMENT.validate_python(value)) if value is not None else None
    except ValidationError:
        return None


def renderable(value: Any) -> Any:
    """The value with non-finite floats spelled as text: JSON responses may not contain NaN or Infinity."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: renderable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [renderable(item) for item in value]
    return value


@dataclass(frozen=True)
class RowProblem:
    """One broken rule of one row of a request."""

    row: int
    field: str
    rule: str


def row_problems(errors: list[dict[str, Any]]) -> list[RowProblem]:
    """The validation errors that concern a row's feature (not the request's envelope)."""
    found: list[RowProblem] = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        if len(loc) < 3 or loc[0] != "body" or loc[1] not in ROW_CONTAINERS or not isinstance(loc[2], int):
            continue
        field = str(loc[3]) if len(loc) > 3 else "row"
        if field not in FEATURE_NAMES and field not in NOT_INPUTS and field != "row":
            field = UNKNOWN_FIELD
        found.append(RowProblem(loc[2], field, str(error.get("type", "invalid"))))
    return found


def explained(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The errors, with what to send instead where a row carries the table's id, time or label column."""
    told = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        column = str(loc[-1]) if loc else ""
        if error.get("type") == "extra_forbidden" and column in NOT_INPUTS:
            error = {**error, "msg": f"{column} {NOT_INPUTS[column]}"}
        told.append(error)
    return told


def by_field_and_rule(problems: list[RowProblem]) -> Counter[tuple[str, str]]:
    """Rows per (field, rule): a row breaking two rules counts once under each."""
    return Counter({key: len(rows) for key, rows in _rows_by_key(problems).items()})


def _rows_by_key(problems: list[RowProblem]) -> dict[tuple[str, str], set[int]]:
    rows: dict[tuple[str, str], set[int]] = {}
    for problem in problems:
        rows.setdefault((problem.field, problem.rule), set()).add(problem.row)
    return rows
