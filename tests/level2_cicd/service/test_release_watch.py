"""A new champion on probation (pure): its failures and latency against the champion it replaced."""

from __future__ import annotations

from level2_cicd.service.release_watch import ReleaseWatch
from shared.release_policy import WatchPolicy

POLICY = WatchPolicy(duration_seconds=60, min_requests=10, max_error_increase=0.05, max_p99_ratio=3, min_p99_ms=20)


def a_watch_after(replaced_errors: int = 0, replaced_seconds: float = 0.01) -> ReleaseWatch:
    watch = ReleaseWatch(POLICY)
    for request in range(100):  # the old champion's own traffic: the baseline
        watch.served("1", request >= replaced_errors)
        watch.scored("1", replaced_seconds)
    watch.swapped("2", "1", now=0)
    return watch


def test_a_champion_failing_more_than_the_one_it_replaced_is_named_with_both_shares() -> None:
    watch = a_watch_after(replaced_errors=1)
    for request in range(10):
        watch.served("2", request % 3 != 0)  # 4 of 10 fail
    why = watch.breach(now=5)
    assert why == (
        "version 2 rolled back to 1 within its watch: "
        "40.0% of 10 requests failed (version replaced: 1.0%; at most 6.0%)"
    )
    assert watch.watched is None  # one verdict


def test_no_verdict_before_min_requests_nor_after_the_watch_and_a_slow_one_is_caught_by_p99() -> None:
    watch = a_watch_after()
    for _ in range(9):
        watch.served("2", False)
    assert watch.breach(now=5) is None  # 9 < min_requests
    watch.served("2", True)
    assert watch.breach(now=61) is None  # the watch is over: it passed
    assert watch.watched is None
    slow = a_watch_after(replaced_seconds=0.010)
    for _ in range(10):
        slow.served("2", True)
        slow.scored("2", 0.080)
    assert "p99 80 ms of model time over 10 batches (version replaced: 10 ms; at most 30 ms)" in str(slow.breach(now=5))


def test_a_first_load_is_not_watched_and_a_champion_as_good_as_the_last_passes() -> None:
    watch = ReleaseWatch(POLICY)
    watch.swapped("1", None, now=0)
    assert watch.watched is None
    good = a_watch_after(replaced_errors=2)
    for request in range(50):
        good.served("2", request != 0)
        good.scored("2", 0.012)
    assert good.breach(now=5) is None
