"""After a promotion, the new champion on probation: its failures and latency against the champion it replaced.

Pure bookkeeping, fed by the service with each champion-answered request's outcome (``service.py``) and the
model's own time per scored batch (``batcher.py``: queueing under load is not the model's fault). Each
worker watches its own traffic; the first to see a breach rolls the release back (a compare-and-set in the
registry, ``lifecycle.py``), so the others find the alias moved and follow.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from shared.release_policy import WatchPolicy

KEPT = 2000  # the newest outcomes kept per version: the replaced champion's baseline
CHECK_EVERY = 0.5  # seconds between verdicts: a p99 of 2,000 times costs ~150 us, too much for every request


@dataclass
class _Outcomes:
    failed: deque[bool] = field(default_factory=lambda: deque(maxlen=KEPT))
    seconds: deque[float] = field(default_factory=lambda: deque(maxlen=KEPT))

    @property
    def error_share(self) -> float:
        return sum(self.failed) / len(self.failed) if self.failed else 0.0

    @property
    def p99_ms(self) -> float | None:
        return float(np.percentile(np.asarray(self.seconds), 99)) * 1000 if self.seconds else None


@dataclass(frozen=True)
class Watched:
    version: str
    replaced: str
    until: float  # monotonic seconds


class ReleaseWatch:
    def __init__(self, policy: WatchPolicy) -> None:
        self.policy = policy
        self.watched: Watched | None = None
        self._outcomes: dict[str, _Outcomes] = {}
        self._next_check = float("-inf")

    def served(self, version: str, ok: bool) -> None:
        """One request the champion ``version`` answered (``ok``) or failed."""
        self._outcomes.setdefault(version, _Outcomes()).failed.append(not ok)

    def scored(self, version: str, seconds: float) -> None:
        """How long the model ``version`` took to score one batch: its own time, not the queue's (load-free)."""
        self._outcomes.setdefault(version, _Outcomes()).seconds.append(seconds)

    def swapped(self, version: str, replaced: str | None, now: float) -> None:
        """The champion changed: watch the new one (a first load replaces nothing and is not watched)."""
        self.watched = Watched(version, replaced, now + self.policy.duration_seconds) if replaced else None
        self._outcomes[version] = _Outcomes()  # judged on what it does from now on

    def breach(self, now: float) -> str | None:
        """Why the watched champion must go (None: no breach, or no verdict yet); ends the watch when it says so."""
        watched = self.watched
        if watched is None:
            return None
        if now > watched.until:
            self.watched = None  # it passed its watch
            return None
        if now < self._next_check:
            return None
        self._next_check = now + CHECK_EVERY
        mine = self._outcomes.get(watched.version, _Outcomes())
        if len(mine.failed) < self.policy.min_requests:
            return None
        theirs = self._outcomes.get(watched.replaced, _Outcomes())
        why = self._errors(mine, theirs) or self._latency(mine, theirs)
        if why is not None:
            self.watched = None
            return f"version {watched.version} rolled back to {watched.replaced} within its watch: {why}"
        return None

    def _errors(self, mine: _Outcomes, theirs: _Outcomes) -> str | None:
        limit = theirs.error_share + self.policy.max_error_increase
        if mine.error_share <= limit:
            return None
        return (
            f"{mine.error_share:.1%} of {len(mine.failed)} requests failed (version replaced: "
            f"{theirs.error_share:.1%}; at most {limit:.1%})"
        )

    def _latency(self, mine: _Outcomes, theirs: _Outcomes) -> str | None:
        if mine.p99_ms is None or theirs.p99_ms is None:
            return None
        limit = max(theirs.p99_ms * self.policy.max_p99_ratio, self.policy.min_p99_ms)
        if mine.p99_ms <= limit:
            return None
        replaced = f"version replaced: {theirs.p99_ms:.0f} ms; at most {limit:.0f} ms"
        return f"p99 {mine.p99_ms:.0f} ms of model time over {len(mine.seconds)} batches ({replaced})"
