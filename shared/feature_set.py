"""Which feature set a model was trained on, and how it differs from the schema in force.

Every registered version carries its feature set as a tag (``features``: ``name:kind`` pairs, kind
``numeric`` or ``categorical``, the two ways the model treats a column). Wherever a model is served,
promoted or rolled back to, the tag is compared with the schema: a model and a schema that disagree
are refused with the columns named, never served silently.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.schema import FEATURES, Feature, Kind

FEATURES_TAG = "features"
KIND_TAG = {Kind.CATEGORICAL: "categorical", Kind.BOOLEAN: "boolean"}  # integer and numeric: "numeric", as ever


def feature_set(features: Iterable[Feature] = FEATURES) -> str:
    """The schema's feature set as a tag value."""
    return ",".join(f"{f.name}:{KIND_TAG.get(f.kind, 'numeric')}" for f in features)


def _parse(value: str) -> dict[str, str]:
    pairs = (item.partition(":") for item in value.split(",") if item)
    return {name: kind or "?" for name, _, kind in pairs}


def differences(trained: str, schema: str | None = None) -> str | None:
    """How ``trained`` differs from the schema's feature set, in words; None when they match.

    ``trained`` may be names only (``a,b,c``, read from an untagged model): then kinds are not compared.
    """
    before, now = _parse(trained), _parse(schema if schema is not None else feature_set())
    found = []
    if gone := [name for name in before if name not in now]:
        found.append(f"trained on columns the schema no longer has: {', '.join(gone)}")
    if new := [name for name in now if name not in before]:
        found.append(f"the schema has columns the model never saw: {', '.join(new)}")
    known = [name for name in before if name in now and "?" not in (before[name], now[name])]
    if changed := [f"{name} ({before[name]} -> {now[name]})" for name in known if before[name] != now[name]]:
        found.append(f"columns of another kind now: {', '.join(changed)}")
    return "; ".join(found) or None
