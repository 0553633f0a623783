"""A/B routing: a stable hash of the routing key picks the variant, so one key always meets the same model."""

from __future__ import annotations

import hashlib

CHAMPION = "champion"
CHALLENGER = "challenger"
SHADOW = "shadow"


def bucket(key: str) -> float:
    """Where ``key`` falls in [0, 1): the first 8 bytes of its SHA-256 (stable across processes and restarts)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def variant_for(key: str, challenger_share: float) -> str:
    """The challenger for keys in the first ``challenger_share`` of the hash space, else the champion."""
    return CHALLENGER if bucket(key) < challenger_share else CHAMPION
