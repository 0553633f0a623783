"""The models a request may meet: the champion, and a challenger under the release policy (A/B or shadow)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from level2_cicd.service.batcher import Batcher
from level2_cicd.service.model_holder import LoadedModel, ModelHolder
from level2_cicd.service.routing import CHALLENGER, CHAMPION, variant_for
from level2_cicd.service.scorer import ScoringPath
from level2_cicd.service.threads import in_daemon_thread
from shared.registry import CHALLENGER as CHALLENGER_ALIAS
from shared.release_policy import LiveTestPolicy
from shared.settings import Settings

log = logging.getLogger("level2.service")


class Variants:
    """Champion and challenger, each with its batcher; picks who answers and falls back to the champion."""

    def __init__(
        self, settings: Settings, release: LiveTestPolicy, on_scored: Callable[[str, float], None] | None = None
    ) -> None:
        self.release = release
        scoring = ScoringPath(settings.serving_scorer)
        self.champion = ModelHolder(settings.model_name, scoring=scoring)
        self.challenger = ModelHolder(settings.model_name, CHALLENGER_ALIAS, optional=True, scoring=scoring)
        wait = settings.batch_max_wait_ms / 1000
        self._batchers = {
            CHAMPION: Batcher(self.champion, settings.batch_max_rows, wait, on_scored),  # its model time: the watch
            CHALLENGER: Batcher(self.challenger, settings.batch_max_rows, wait),
        }

    def start(self) -> None:
        for batcher in self._batchers.values():
            batcher.start()

    async def stop(self) -> None:
        for batcher in self._batchers.values():
            await batcher.stop()

    async def reload(self) -> bool:
        """Load what the registry's aliases name now; whether the champion changed."""
        swapped = await in_daemon_thread(self.champion.refresh)
        if self.release.mode != "off":  # a challenger that fails to load leaves the champion answering everything
            await in_daemon_thread(self.challenger.refresh)
        return swapped

    @property
    def shadowing(self) -> bool:
        return self.release.mode == "shadow" and self.challenger.current is not None

    def challenger_share(self) -> float:
        """Share of traffic the challenger answers now: the policy's A/B share while one is loaded, else 0."""
        if self.release.mode != "ab" or self.challenger.current is None:
            return 0.0
        return self.release.ab_share

    async def score(self, rows: list[dict[str, Any]], routing_key: str) -> tuple[LoadedModel, Any, str]:
        """The model that scored, its probabilities, and the variant that answered (the key's hash picks it)."""
        if variant_for(routing_key, self.challenger_share()) == CHALLENGER:
            try:
                return (*await self._batchers[CHALLENGER].score(rows), CHALLENGER)
            except Exception as error:  # gone or failing: the champion answers instead, and it is logged
                log.error("challenger could not score, the champion answers: %s", error)
        return (*await self._batchers[CHAMPION].score(rows), CHAMPION)

    async def shadow_score(self, rows: list[dict[str, Any]]) -> tuple[LoadedModel, Any]:
        """The challenger's scores of rows the champion answered."""
        return await self._batchers[CHALLENGER].score(rows)
