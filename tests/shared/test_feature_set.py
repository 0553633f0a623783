"""How a model's feature set and the schema's are compared (pure logic; where it is enforced: registry, service)."""

from __future__ import annotations

from shared.feature_set import differences, feature_set
from shared.schema import FEATURE_NAMES, FEATURES, Feature, Kind


def test_the_schemas_own_feature_set_matches_itself_in_any_order() -> None:
    assert differences(feature_set()) is None
    assert differences(feature_set(reversed(FEATURES))) is None


def test_a_column_added_removed_or_of_another_kind_is_named() -> None:
    # given a model trained before a column was added, one removed, and the first one of another kind
    first = FEATURES[0]
    before, now = ("numeric", "categorical") if first.is_categorical else ("categorical", "numeric")
    trained = [f for f in FEATURES if f.name != FEATURES[-1].name]
    trained += [Feature(name="legacy_score", kind=Kind.NUMERIC, description="gone since")]
    trained = [
        f.model_copy(update={"kind": Kind(before) if before == "categorical" else Kind.NUMERIC}) if f is first else f
        for f in trained
    ]
    # when compared with the schema, then each difference names its columns
    said = differences(feature_set(trained))
    assert said == (
        "trained on columns the schema no longer has: legacy_score; "
        f"the schema has columns the model never saw: {FEATURES[-1].name}; "
        f"columns of another kind now: {first.name} ({before} -> {now})"
    )


def test_names_only_from_an_untagged_model_compare_names_not_kinds() -> None:
    assert differences(",".join(FEATURE_NAMES)) is None
    assert differences(",".join(FEATURE_NAMES[1:])) == f"the schema has columns the model never saw: {FEATURE_NAMES[0]}"
