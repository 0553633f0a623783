"""Label intake rules, without a server: what is stored, what is refused and why."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from level2_cicd.service.labels import LabelRefusedError, distinct_labels, labels_to_store

NOW = datetime(2026, 3, 1, 12, 0)
HORIZON = 30


def to_store(labels: dict[str, int], served: dict[str, datetime], existing: dict[str, int]) -> dict[str, int]:
    return labels_to_store(labels, served, existing, NOW, HORIZON, "config/data_policy.yaml")


def test_the_same_id_twice_with_the_same_label_is_one_label() -> None:
    assert distinct_labels([("a", 1), ("b", 0), ("a", 1)]) == {"a": 1, "b": 0}


def test_the_same_id_twice_with_two_labels_is_a_conflict() -> None:
    with pytest.raises(LabelRefusedError) as refused:
        distinct_labels([("a", 1), ("a", 0)])
    assert (refused.value.status, refused.value.kind, refused.value.count) == (409, "conflict", 1)


def test_only_labels_not_stored_yet_are_returned() -> None:
    # given two served predictions, one already labelled with the same label
    served = {"a": NOW - timedelta(days=1), "b": NOW - timedelta(days=2)}
    # when both labels arrive (again, for "a"), then only "b" is new
    assert to_store({"a": 1, "b": 0}, served, {"a": 1}) == {"b": 0}


def test_unknown_ids_are_refused_and_named() -> None:
    with pytest.raises(LabelRefusedError) as refused:
        to_store({"a": 1, "ghost": 0, "phantom": 1}, {"a": NOW}, {})
    assert (refused.value.status, refused.value.kind, refused.value.count) == (404, "unknown", 2)
    assert "ghost, phantom" in refused.value.message


def test_labels_of_predictions_older_than_the_horizon_are_refused_naming_the_policy() -> None:
    served = {"fresh": NOW - timedelta(days=HORIZON), "stale": NOW - timedelta(days=HORIZON, seconds=1)}
    with pytest.raises(LabelRefusedError) as refused:
        to_store({"fresh": 1, "stale": 1}, served, {})
    assert (refused.value.status, refused.value.kind, refused.value.count) == (422, "too_old", 1)
    assert "label_horizon_days = 30 in config/data_policy.yaml" in refused.value.message
    assert "stale" in refused.value.message
    assert "fresh" not in refused.value.message


def test_a_different_label_for_a_labelled_prediction_is_a_conflict_and_nothing_is_stored() -> None:
    served = {"a": NOW, "b": NOW}
    with pytest.raises(LabelRefusedError) as refused:
        to_store({"a": 0, "b": 1}, served, {"a": 1})
    assert (refused.value.status, refused.value.kind, refused.value.count) == (409, "conflict", 1)
    assert "already labelled differently: a" in refused.value.message
