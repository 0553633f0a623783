"""The data gate: a Great Expectations 1.x suite generated from the shared schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from level1_pipeline.policy import DataGatePolicy
from shared.schema import FEATURES, LABEL_COLUMN, Feature


@dataclass(frozen=True)
class Failure:
    """One failed expectation, in words a person can act on."""

    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: tuple[Any, ...] = ()

    def __str__(self) -> str:
        where = f"column {self.column!r}" if self.column else "table"
        count = f"{self.unexpected_count} unexpected rows" if self.unexpected_count is not None else "failed"
        shown = f", e.g. {', '.join(repr(v) for v in self.examples)}" if self.examples else ""
        return f"{where}: {self.expectation}: {count}{shown}"


@dataclass(frozen=True)
class DataGateReport:
    success: bool
    rows: int
    failures: tuple[Failure, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def failed_columns(self) -> list[str]:
        return sorted({f.column for f in self.failures if f.column})

    def summary(self) -> str:
        if self.success:
            return f"data gate passed: {self.rows} rows, every expectation met"
        lines = "\n".join(f"  - {f}" for f in self.failures)
        return f"data gate FAILED on {self.rows} rows ({len(self.failures)} expectations):\n{lines}"


class DataGateError(RuntimeError):
    """Raised by the pipeline when the data gate fails; carries the report."""

    def __init__(self, report: DataGateReport) -> None:
        self.report = report
        super().__init__(report.summary())


def _feature_expectations(spec: Feature, policy: DataGatePolicy) -> list[Any]:
    import great_expectations as gx

    e = gx.expectations
    column = spec.name
    found: list[Any] = [e.ExpectColumnToExist(column=column)]
    mostly = 1.0 - policy.max_null_share if spec.nullable else 1.0
    found.append(e.ExpectColumnValuesToNotBeNull(column=column, mostly=mostly))
    if spec.is_categorical:
        found.append(e.ExpectColumnValuesToBeInSet(column=column, value_set=list(spec.categories)))
    else:
        found.append(e.ExpectColumnValuesToBeInTypeList(column=column, type_list=["float64", "int64", "Int64"]))
        found.append(e.ExpectColumnValuesToBeBetween(column=column, min_value=spec.minimum, max_value=spec.maximum))
    return found


def build_expectations(policy: DataGatePolicy) -> list[Any]:
    """Every expectation of the gate: schema rules per feature, the label, and volume."""
    import great_expectations as gx

    e = gx.expectations
    found: list[Any] = [e.ExpectTableRowCountToBeBetween(min_value=policy.min_rows)]
    for spec in FEATURES:
        found.extend(_feature_expectations(spec, policy))
    found.append(e.ExpectColumnValuesToNotBeNull(column=LABEL_COLUMN))
    found.append(e.ExpectColumnValuesToBeInSet(column=LABEL_COLUMN, value_set=[0, 1]))
    return found


def _failure(result: Any) -> Failure:
    config = result.expectation_config
    details = result.result or {}
    examples = tuple(dict.fromkeys(map(_plain, details.get("partial_unexpected_list") or [])))[:3]
    return Failure(config.type, config.kwargs.get("column"), details.get("unexpected_count"), examples)


def _plain(value: Any) -> Any:
    return None if isinstance(value, float) and value != value else value


def validate_frame(frame: pd.DataFrame, policy: DataGatePolicy) -> DataGateReport:
    """Validate a frame with a fresh ephemeral GX context; never raises on bad data."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("window")
        .add_dataframe_asset("batch")
        .add_batch_definition_whole_dataframe("all")
    )
    suite = context.suites.add(gx.ExpectationSuite(name="churn_schema", expectations=build_expectations(policy)))
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format="SUMMARY")
    failures = tuple(_failure(r) for r in result.results if not r.success)
    return DataGateReport(bool(result.success), len(frame), failures, result.to_json_dict())
