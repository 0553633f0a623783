"""The data gate: a Great Expectations 1.x suite generated from the shared schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from level1_pipeline.policy import DataGatePolicy
from shared.schema import FEATURE_NAMES, FEATURES, ID_COLUMN, LABEL_COLUMN, TIME_COLUMN, Feature, Kind


@dataclass(frozen=True)
class Failure:
    """One failed expectation, in words a person can act on."""

    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: tuple[Any, ...] = ()
    rule: str = ""  # the observed value against the policy setting behind the threshold, when there is one

    def __str__(self) -> str:
        where = f"column {self.column!r}" if self.column else "table"
        shown = ", ".join(repr(v) for v in self.examples)
        rule = f" ({self.rule})" if self.rule else ""
        if self.unexpected_count is None:
            return f"{where}: {self.expectation}: {shown or 'failed'}{rule}"
        shown = f", e.g. {shown}" if shown else ""
        return f"{where}: {self.expectation}: {self.unexpected_count} unexpected rows{shown}{rule}"


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
    """The rules ``shared/schema.py`` checks for one feature, as GX expectations (same rules, same order)."""
    import great_expectations as gx

    from level1_pipeline.expectations import ExpectColumnValuesToBeNumbers, ExpectColumnValuesToBeWholeNumbers

    e = gx.expectations
    column = spec.name
    found: list[Any] = [e.ExpectColumnToExist(column=column)]
    mostly = 1.0 - policy.max_null_share if spec.nullable else 1.0
    found.append(e.ExpectColumnValuesToNotBeNull(column=column, mostly=mostly))
    if spec.is_categorical:
        found.append(e.ExpectColumnValuesToBeInSet(column=column, value_set=list(spec.categories)))
        return found
    if spec.kind is Kind.BOOLEAN:
        found.append(e.ExpectColumnValuesToBeInSet(column=column, value_set=[0, 1]))  # True == 1, False == 0
        return found
    found.append(ExpectColumnValuesToBeNumbers(column=column))
    if spec.kind is Kind.INTEGER:
        found.append(ExpectColumnValuesToBeWholeNumbers(column=column))
    found.append(e.ExpectColumnValuesToBeBetween(column=column, min_value=spec.minimum, max_value=spec.maximum))
    return found


def build_expectations(policy: DataGatePolicy) -> list[Any]:
    """Every expectation of the gate: volume, the table's columns, schema rules per feature, the label."""
    import great_expectations as gx

    e = gx.expectations
    allowed = [*FEATURE_NAMES, ID_COLUMN, TIME_COLUMN, LABEL_COLUMN]
    found: list[Any] = [
        e.ExpectTableRowCountToBeBetween(min_value=policy.min_rows),
        e.ExpectTableColumnsToMatchSet(column_set=allowed, exact_match=True),
    ]
    for spec in FEATURES:
        found.extend(_feature_expectations(spec, policy))
    found.append(e.ExpectColumnValuesToNotBeNull(column=LABEL_COLUMN))
    found.append(e.ExpectColumnValuesToBeInSet(column=LABEL_COLUMN, value_set=[0, 1]))
    return found


# A failure of the key rule hides the rules that only repeat it on the same column.
_MASKS = {
    "expect_column_to_exist": None,  # a missing column: nothing else about it is worth reading
    "expect_column_values_to_be_numbers": {
        "expect_column_values_to_be_whole_numbers",
        "expect_column_values_to_be_between",
    },
}


def _table_columns(details: dict[str, Any]) -> list[Failure]:
    """Columns the schema does not know, and missing id/time/label columns (features have their own rule)."""
    mismatched = (details.get("details") or {}).get("mismatched") or {}
    unexpected = tuple(mismatched.get("unexpected") or ())
    missing = tuple(c for c in mismatched.get("missing") or () if c not in FEATURE_NAMES)
    found = [Failure("columns not in the schema", None, None, unexpected)] if unexpected else []
    return found + ([Failure("columns missing", None, None, missing)] if missing else [])


def _failures(result: Any) -> list[Failure]:
    config = result.expectation_config
    details = result.result or {}
    if config.type == "expect_table_columns_to_match_set":
        return _table_columns(details)
    return [_failure(config, details)]


def _failure(config: Any, details: dict[str, Any]) -> Failure:
    if config.type == "expect_table_row_count_to_be_between":
        rule = f"{details.get('observed_value')} rows, fewer than data_gate.min_rows = {config.kwargs['min_value']}"
        return Failure(config.type, None, None, (), rule)
    examples = tuple(dict.fromkeys(map(_plain, details.get("partial_unexpected_list") or [])))[:3]
    mostly = config.kwargs.get("mostly")
    rule = f"more than data_gate.max_null_share = {1 - mostly:.2f}" if mostly is not None and mostly < 1 else ""
    return Failure(config.type, config.kwargs.get("column"), details.get("unexpected_count"), examples, rule)


def _without_repeats(failures: list[Failure]) -> tuple[Failure, ...]:
    """Drop failures a more basic failure on the same column already explains."""
    hidden: dict[str, set[str] | None] = {}
    for failure in failures:
        if failure.column and failure.expectation in _MASKS:
            hidden[failure.column] = _MASKS[failure.expectation]

    def repeats(failure: Failure) -> bool:
        if failure.column not in hidden:
            return False
        masked = hidden[failure.column]
        return failure.expectation in masked if masked is not None else failure.expectation != "expect_column_to_exist"

    return tuple(f for f in failures if not repeats(f))


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
    suite = context.suites.add(gx.ExpectationSuite(name="feature_schema", expectations=build_expectations(policy)))
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format="SUMMARY")
    failures = _without_repeats([f for r in result.results if not r.success for f in _failures(r)])
    return DataGateReport(bool(result.success), len(frame), failures, result.to_json_dict())
