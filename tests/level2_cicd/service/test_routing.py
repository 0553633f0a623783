"""A/B routing by a stable hash of the routing key (pure logic)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from level2_cicd.service.routing import CHALLENGER, bucket, variant_for


def _buckets_in_a_new_process(keys: list[str], hash_seed: str) -> list[float]:
    script = f"from level2_cicd.service.routing import bucket; print([bucket(k) for k in {keys!r}])"
    done = subprocess.run(
        [sys.executable, "-c", script], env=os.environ | {"PYTHONHASHSEED": hash_seed}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return list(ast.literal_eval(done.stdout))


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_over_ten_thousand_keys_the_challenger_gets_its_share_within_two_points(share: float) -> None:
    keys = [f"customer-{i}" for i in range(10_000)]
    answered = sum(variant_for(key, share) == CHALLENGER for key in keys) / len(keys)
    assert abs(answered - share) <= 0.02


def test_a_key_meets_the_same_variant_in_every_process_and_the_edges_are_all_or_nothing() -> None:
    # given the buckets of some keys computed in other processes (each with its own string-hash seed, as two
    # service workers or a restarted service have)
    keys = [f"customer-{i}" for i in range(20)]
    elsewhere = [_buckets_in_a_new_process(keys, hash_seed) for hash_seed in ("1", "2")]
    # then this process puts each key in the same bucket
    assert elsewhere == [[bucket(key) for key in keys]] * 2
    assert {variant_for(f"k{i}", 0.0) for i in range(100)} == {"champion"}
    assert {variant_for(f"k{i}", 1.0) for i in range(100)} == {"challenger"}
