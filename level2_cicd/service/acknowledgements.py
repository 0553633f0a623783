"""Requests that wait for their rows' commit, woken once per committed batch (the prediction log's waiting room).

Kept apart from ``prediction_logger.py``: the rule there is plain (an answer waits, bounded, until its rows are
stored); this is how the waiting stays cheap under load.
"""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import Future


class Acknowledgements:
    """Requests waiting on one event loop for their rows' commit, woken once per committed batch.

    Awaiting each write's future on its own (``asyncio.wrap_future``) costs one wake-up of the event loop per
    request from the writer thread; here the writer's one call per batch settles every request it committed.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._waiting: list[tuple[Future[None], asyncio.Future[None]]] = []

    def wait(self, stored: Future[None]) -> asyncio.Future[None]:
        """An event-loop future settled like ``stored`` (at once when it is done already)."""
        settled: asyncio.Future[None] = self.loop.create_future()
        if stored.done():
            _settle(settled, stored)
        else:
            self._waiting.append((stored, settled))
        return settled

    def batch_settled(self) -> None:
        """From the writer thread, after a batch's futures are set."""
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
            self.loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        still = []
        for stored, settled in self._waiting:
            if stored.done():
                _settle(settled, stored)
            else:
                still.append((stored, settled))
        self._waiting = still


def _settle(settled: asyncio.Future[None], stored: Future[None]) -> None:
    if settled.done():  # the request stopped waiting (timed out, or its client left)
        return
    error = stored.exception()
    if error is not None:
        settled.set_exception(error)
    else:
        settled.set_result(None)
