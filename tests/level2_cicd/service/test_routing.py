"""A/B routing by a stable hash of the routing key (pure logic)."""

from __future__ import annotations

import pytest

from level2_cicd.service.routing import CHALLENGER, bucket, variant_for


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_over_ten_thousand_keys_the_challenger_gets_its_share_within_two_points(share: float) -> None:
    keys = [f"customer-{i}" for i in range(10_000)]
    answered = sum(variant_for(key, share) == CHALLENGER for key in keys) / len(keys)
    assert abs(answered - share) <= 0.02


def test_a_key_always_meets_the_same_variant_and_the_edges_are_all_or_nothing() -> None:
    assert [variant_for("customer-7", 0.5) for _ in range(5)] == [variant_for("customer-7", 0.5)] * 5
    assert bucket("customer-7") == bucket("customer-7")
    assert {variant_for(f"k{i}", 0.0) for i in range(100)} == {"champion"}
    assert {variant_for(f"k{i}", 1.0) for i in range(100)} == {"challenger"}
