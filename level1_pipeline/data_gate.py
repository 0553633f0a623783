"""The data gate: a Great Expectations 1.x suite made from ``config/schema.yaml``; read by ``data_gate_report.py``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from level1_pipeline.data_gate_report import DataGateReport, report_from
from level1_pipeline.policy import DataGatePolicy
from shared.schema import FEATURE_NAMES, FEATURES, ID_COLUMN, LABEL_COLUMN, TIME_COLUMN, Feature, Kind


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
    return report_from(result, len(frame))
