"""The features a project declares (``config/schema.yaml``), and the check that data honours it.

The same declaration drives the Great Expectations suite (level 1), the service's request model
and the monitor's column mapping (level 2). A fork edits the YAML file, not this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Self

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from shared.behaviour import Effect
from shared.policy_file import PROJECT_ROOT, StrictModel, read_policy

DECLARATION_FILE = PROJECT_ROOT / "config" / "schema.yaml"
IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"  # a request field, a log column and a Python name


class Kind(StrEnum):
    INTEGER = "integer"
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    BOOLEAN = "boolean"  # true/false (or 1/0); the model reads it as 0/1


class Feature(StrictModel):
    """One model input: its type and the values it may take."""

    name: str = Field(pattern=IDENTIFIER)
    kind: Kind
    description: str = Field(min_length=1)
    minimum: int | float | None = None  # as written: an integer bound stays one (the rules print it)
    maximum: int | float | None = None
    categories: tuple[str, ...] = ()
    nullable: bool = False
    effect: Effect | None = None  # what a higher value should do to the predicted probability (shared/behaviour.py)
    sensitive: bool = False  # a protected attribute: the model gate compares its groups' ROC AUC (inclusion)

    @property
    def is_categorical(self) -> bool:
        return self.kind is Kind.CATEGORICAL

    @model_validator(mode="after")
    def _rules_fit_the_kind(self) -> Self:
        if self.kind is Kind.BOOLEAN and (self.minimum is not None or self.maximum is not None or self.categories):
            raise ValueError(f"{self.name}: a boolean feature is true or false: no minimum, maximum or categories")
        if self.is_categorical and not self.categories:
            raise ValueError(f"{self.name}: a categorical feature lists its categories")
        if self.is_categorical and (self.minimum is not None or self.maximum is not None):
            raise ValueError(f"{self.name}: a categorical feature has categories, not minimum/maximum")
        if not self.is_categorical and self.categories:
            raise ValueError(f"{self.name}: only a categorical feature has categories")
        if self.is_categorical and self.effect not in (None, Effect.NONE):
            raise ValueError(f"{self.name}: a categorical feature has no higher value: its effect may only be none")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"{self.name}: minimum {self.minimum} is above maximum {self.maximum}")
        return self


class Declaration(StrictModel):
    """What ``config/schema.yaml`` holds: the id, time and label columns and the features, in order."""

    version: int = Field(default=1, ge=1)
    id_column: str = Field(pattern=IDENTIFIER)
    time_column: str = Field(pattern=IDENTIFIER)
    label_column: str = Field(pattern=IDENTIFIER)
    features: tuple[Feature, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_are_distinct(self) -> Self:
        names = [self.id_column, self.time_column, self.label_column, *(f.name for f in self.features)]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"every column name appears once (repeated: {', '.join(repeated)})")
        return self


def read_declaration(path: Path = DECLARATION_FILE) -> Declaration:
    """The project's schema file, validated; a wrong entry raises PolicyError naming the file, key and rule."""
    return read_policy(path, Declaration)


DECLARATION = read_declaration()
FEATURES: tuple[Feature, ...] = DECLARATION.features
ID_COLUMN = DECLARATION.id_column
TIME_COLUMN = DECLARATION.time_column
LABEL_COLUMN = DECLARATION.label_column

FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
NUMERIC_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if not f.is_categorical)
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.is_categorical)
SENSITIVE_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.sensitive)


@dataclass(frozen=True)
class Violation:
    """One broken rule: which column, which rule, and some offending values."""

    column: str
    rule: str
    count: int = 0
    examples: tuple[object, ...] = ()

    def __str__(self) -> str:
        shown = f" (e.g. {', '.join(repr(v) for v in self.examples)})" if self.examples else ""
        counted = f"{self.count} rows: " if self.count else ""
        return f"column {self.column!r}: {counted}{self.rule}{shown}"


class SchemaError(ValueError):
    """Data that does not honour the schema; lists every violation found."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"  - {v}" for v in violations)
        super().__init__(f"data violates the schema ({len(violations)} problems):\n{lines}")

    @property
    def columns(self) -> list[str]:
        return [v.column for v in self.violations]


def _examples(values: pd.Series, limit: int = 3) -> tuple[object, ...]:
    return tuple(v.item() if hasattr(v, "item") else v for v in values.drop_duplicates().head(limit))


def _numeric_rules(spec: Feature, column: pd.Series) -> list[tuple[str, pd.Series]]:
    numeric = pd.to_numeric(column, errors="coerce")
    not_numbers = numeric.isna() & column.notna()
    if not_numbers.any():  # the value rules below mean nothing for values that are not numbers
        return [(f"must be {spec.kind.value}", not_numbers)]
    rules: list[tuple[str, pd.Series]] = []
    if spec.kind is Kind.INTEGER:
        rules.append(("must be a whole number", numeric.notna() & (numeric % 1 != 0)))
    low = numeric < spec.minimum if spec.minimum is not None else pd.Series(False, index=column.index)
    high = numeric > spec.maximum if spec.maximum is not None else pd.Series(False, index=column.index)
    rules.append((f"must be between {spec.minimum} and {spec.maximum}", low | high))
    return rules


def _categorical_rules(spec: Feature, column: pd.Series) -> list[tuple[str, pd.Series]]:
    return [(f"must be one of {', '.join(spec.categories)}", column.notna() & ~column.isin(spec.categories))]


def _boolean_rules(spec: Feature, column: pd.Series) -> list[tuple[str, pd.Series]]:
    return [("must be true or false (or 1 or 0)", column.notna() & ~column.map(_is_boolean).astype(bool))]


def _is_boolean(value: object) -> bool:
    return isinstance(value, bool | np.bool_) or (isinstance(value, int | float | np.number) and value in (0, 1))


RULES_OF = {Kind.CATEGORICAL: _categorical_rules, Kind.BOOLEAN: _boolean_rules}


def broken_rules(spec: Feature, column: pd.Series) -> list[tuple[str, pd.Series]]:
    """Each rule of one feature the column breaks, with the mask of the rows that break it."""
    rules = [("must not be null", column.isna())] if not spec.nullable else []
    rules += RULES_OF.get(spec.kind, _numeric_rules)(spec, column)
    return [(rule, rows) for rule, rows in rules if rows.any()]


def check_feature(spec: Feature, column: pd.Series) -> list[Violation]:
    """Every rule of one feature that a column breaks."""
    found = []
    for rule, rows in broken_rules(spec, column):
        examples = () if rule == "must not be null" else _examples(column[rows])
        found.append(Violation(spec.name, rule, int(rows.sum()), examples))
    return found


def find_violations(frame: pd.DataFrame, require_label: bool = False) -> list[Violation]:
    """All schema violations of a frame of features (and optionally the label)."""
    found: list[Violation] = []
    for spec in FEATURES:
        if spec.name not in frame.columns:
            found.append(Violation(spec.name, "is missing"))
            continue
        found.extend(check_feature(spec, frame[spec.name]))
    if require_label:
        found.extend(_check_label(frame))
    unexpected = sorted(set(frame.columns) - set(FEATURE_NAMES) - {ID_COLUMN, TIME_COLUMN, LABEL_COLUMN})
    found.extend(Violation(name, "is not in the schema") for name in unexpected)
    return found


def _check_label(frame: pd.DataFrame) -> list[Violation]:
    """Labelled (training) data also needs its id and time columns: lineage and the time split use them."""
    found = [Violation(name, "is missing") for name in (ID_COLUMN, TIME_COLUMN) if name not in frame.columns]
    if LABEL_COLUMN not in frame.columns:
        return [*found, Violation(LABEL_COLUMN, "is missing")]
    labels = frame[LABEL_COLUMN].dropna()
    wrong = labels[~labels.isin([0, 1])]
    return found + ([Violation(LABEL_COLUMN, "must be 0 or 1", len(wrong), _examples(wrong))] if len(wrong) else [])


def conform(frame: pd.DataFrame, require_label: bool = False) -> pd.DataFrame:
    """Return the frame with schema dtypes, or raise SchemaError naming every broken rule."""
    violations = find_violations(frame, require_label=require_label)
    if violations:
        raise SchemaError(violations)
    return with_schema_types(frame)


def parse_times(values: pd.Series, column: str = TIME_COLUMN) -> pd.Series:
    """Times as naive UTC, whatever zone or offset each value carries (mixed offsets in one file included).

    The one parser of every path that reads times (files, the files source, hand-off CSVs); a value
    that is not a time raises SchemaError naming the column and examples.
    """
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
    retry = parsed.isna() & values.notna()
    if retry.any():  # not ISO 8601: parse those values one by one
        parsed[retry] = pd.to_datetime(values[retry], utc=True, errors="coerce", format="mixed")
    bad = parsed.isna() & values.notna()
    if bad.any():
        rule = "is not a time (ISO 8601, e.g. 2026-01-31T09:30:00+01:00)"
        raise SchemaError([Violation(column, rule, int(bad.sum()), _examples(values[bad]))])
    return parsed.dt.tz_convert(None)


def with_schema_types(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the schema's dtypes, for data that already passed a check (the data gate)."""
    typed = frame.copy()
    for spec in FEATURES:
        if spec.is_categorical:
            typed[spec.name] = typed[spec.name].astype("object")
        elif spec.kind is Kind.BOOLEAN:
            typed[spec.name] = typed[spec.name].map(lambda v: None if pd.isna(v) else float(v)).astype("float64")
        else:
            typed[spec.name] = pd.to_numeric(typed[spec.name]).astype("float64")
    if LABEL_COLUMN in typed.columns:  # 0/1 or true/false
        typed[LABEL_COLUMN] = typed[LABEL_COLUMN].map(lambda v: None if pd.isna(v) else int(v)).astype("Int64")
    if TIME_COLUMN in typed.columns:
        typed[TIME_COLUMN] = parse_times(typed[TIME_COLUMN])
    return typed


def to_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Feature rows as plain JSON-ready dicts: None for missing values, ints for integer features, true/false for
    boolean ones."""
    kinds = {f.name: f.kind for f in FEATURES}
    columns = {name: frame[name].tolist() for name in FEATURE_NAMES}
    return [{name: _plain_value(columns[name][i], kinds[name]) for name in FEATURE_NAMES} for i in range(len(frame))]


def _plain_value(value: object, kind: Kind) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if kind is Kind.INTEGER:
        return int(value)  # type: ignore[call-overload]
    return bool(value) if kind is Kind.BOOLEAN else value
