"""The data gate's verdict in words a person can act on: GX's validation result read into failures.

``data_gate.py`` builds the expectations and runs them; this module reads what came back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.schema import FEATURE_NAMES


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


def report_from(result: Any, rows: int) -> DataGateReport:
    """GX's validation result as the gate's report: its failures, without the ones a more basic failure explains."""
    failures = _without_repeats([f for r in result.results if not r.success for f in _failures(r)])
    return DataGateReport(bool(result.success), rows, failures, result.to_json_dict())
