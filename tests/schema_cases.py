"""Test data chosen from ``shared/schema.py``: the same tests hold after a fork edits its features."""

from __future__ import annotations

from typing import Any

import pytest

from shared.schema import FEATURES, Feature, Kind


def feature_of(kind: Kind | None = None, nullable: bool | None = None, numeric: bool | None = None) -> Feature:
    """The first feature of the schema with these properties; skips the test if the schema has none."""
    for spec in FEATURES:
        if kind is not None and spec.kind is not kind:
            continue
        if nullable is not None and spec.nullable is not nullable:
            continue
        if numeric is not None and spec.is_categorical is numeric:
            continue
        return spec
    pytest.skip(f"the schema has no feature with kind={kind}, nullable={nullable}, numeric={numeric}")


def too_high(spec: Feature) -> Any:
    """A value above the feature's maximum (its type kept)."""
    assert spec.maximum is not None, f"{spec.name} has no maximum"
    return int(spec.maximum) + 10 if spec.kind is Kind.INTEGER else spec.maximum + 10.0


def breaking_change() -> tuple[str, Any]:
    """One (column, value) that breaks a rule of the schema: an unknown category, else a value out of range."""
    for spec in FEATURES:
        if spec.is_categorical:
            return spec.name, "not-a-category"
    spec = next(s for s in FEATURES if s.maximum is not None)
    return spec.name, too_high(spec)
