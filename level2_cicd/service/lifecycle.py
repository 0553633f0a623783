"""What keeps one service running: its prediction log opened, its models polled and hot-swapped, its readiness,
what /model says, and a clean stop. The scoring itself is ``service.py``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time

from sqlalchemy.exc import SQLAlchemyError

from level2_cicd.service.data_policy import load_data_policy
from level2_cicd.service.metrics import ServiceMetrics
from level2_cicd.service.model_holder import LoadedModel
from level2_cicd.service.prediction_logger import PredictionLogger
from level2_cicd.service.release_watch import ReleaseWatch
from level2_cicd.service.schemas import ChallengerInfo, ModelInfo, ReleaseInfo
from level2_cicd.service.store import PredictionStore
from level2_cicd.service.variants import Variants
from shared.alerts import Alarm, AlertError, AlertName, Severity, send
from shared.prediction_log import StoreSchemaError
from shared.registry import ChampionMovedError, Move, Registry, RegistryError
from shared.release_policy import load_release_policy
from shared.settings import Settings
from shared.tracking import use_tracking_uri

log = logging.getLogger("level2.service")


class Lifecycle:
    """The variants a service serves, the log it writes, its metrics and policies, from start to stop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = ServiceMetrics()
        release = load_release_policy(settings.release_policy_file)
        self.watch = ReleaseWatch(release.watch)  # a new champion on probation (release_watch.py)
        self.variants = Variants(settings, release, on_scored=self.watch.scored)
        self._rolling_back: asyncio.Task[None] | None = None
        self.data_policy = load_data_policy(settings.data_policy_file)
        self.logger: PredictionLogger | None = None
        self.store_error: str | None = None
        self._shadows: set[asyncio.Task[None]] = set()  # shadow scorings still running (awaited on stop)
        self._poller: asyncio.Task[None] | None = None
        self._health_reporter: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()

    @property
    def store(self) -> PredictionStore | None:
        return self.logger.store if self.logger is not None else None

    async def start(self) -> None:
        use_tracking_uri(self.settings.resolved_tracking_uri)
        self.logger = self._open_log()
        self.variants.start()
        # The model loads in the background: the process listens once the first attempt has ended or after one
        # client timeout (/health 200, /ready 503 with the reason until a model is loaded), even while the registry
        # is away, keeps trying every poll, and stops on SIGTERM meanwhile.
        self._poller = asyncio.get_running_loop().create_task(self._poll())
        self._health_reporter = asyncio.get_running_loop().create_task(self._report_log_health_every_second())

    def _open_log(self) -> PredictionLogger | None:
        """The prediction log, or None with the reason kept for /ready (the service never serves unlogged)."""
        try:
            store = PredictionStore(
                self.settings.resolved_prediction_store_url,
                self.settings.store_flush_seconds,
                on_dropped=self.metrics.log_dropped_rows.inc,
                stuck_seconds=self.settings.store_ack_seconds,  # a write waiting longer has made a request a 503
            )
        except (StoreSchemaError, SQLAlchemyError) as error:
            self.store_error = f"prediction log unusable: {error}"
            log.error(self.store_error)
            return None
        return PredictionLogger(store, self.settings.store_ack_seconds)

    async def stop(self) -> None:
        for task in (self._poller, self._health_reporter):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await asyncio.gather(*self._shadows, return_exceptions=True)  # their rows are logged before the store closes
        await self.variants.stop()
        if self.store is not None:
            self.store.close()  # flushes every queued prediction and label

    def not_ready_reason(self) -> str | None:
        """Why this process should not get traffic now, or None."""
        if self.store is None:
            return self.store_error or "prediction log not open"
        if self.variants.champion.current is None:
            return self.variants.champion.last_error or "loading the model (first attempt under way)"
        return self.store.problem()

    async def reload(self) -> bool:
        before = self.variants.champion.current
        swapped = await self.variants.reload()
        champion, challenger = self.variants.champion.current, self.variants.challenger.current
        if swapped and champion is not None:
            self.watch.swapped(champion.version, before.version if before else None, time.monotonic())
        if champion is not None:
            self.metrics.model_version.set(float(champion.version))
        if self.variants.release.mode != "off":
            self.metrics.challenger_version.set(float(challenger.version) if challenger else float("nan"))
        return swapped

    async def _poll(self) -> None:
        while True:
            first = self.variants.champion.current is None
            await self.reload()
            self._first_attempt.set()
            if first and self.variants.champion.current is not None:
                # Start-up objects (MLflow, sklearn, pandas, the model) never die: keep them out of the
                # collector's full passes, which otherwise stall the event loop for tens of milliseconds.
                gc.collect()
                gc.freeze()
            self.roll_back_if_breached()  # also when no request came since the last verdict (checks are spaced)
            await asyncio.sleep(self.settings.model_poll_seconds)

    async def first_load_attempted(self, timeout: float) -> bool:
        """Wait (bounded) until the first attempt to load the models has ended; whether a champion is loaded."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt.wait(), timeout)
        return self.variants.champion.current is not None

    def roll_back_if_breached(self) -> None:
        """After a request and each poll: when the watched champion breached its watch, roll it back once (off the
        request)."""
        watched = self.watch.watched
        if watched is None or self._rolling_back is not None:
            return
        why = self.watch.breach(time.monotonic())
        if why is not None:
            self._rolling_back = asyncio.get_running_loop().create_task(self._roll_back(watched.version, why))

    async def _roll_back(self, version: str, why: str) -> None:
        """Champion back to ``previous`` by compare-and-set, the reason on both versions, an alert; then reload."""
        move = Move(f"the service's release watch (pid {os.getpid()})", why)
        registry = Registry(self.settings.model_name)
        try:
            restored = await asyncio.to_thread(
                registry.rollback_if_champion_is, version, self.settings.promotion_lock_url, move
            )
            log.error("%s: champion is version %s again", why, restored)
            alarm = Alarm(AlertName.RELEASE_ROLLED_BACK, Severity.PAGE, f"{why}; champion is version {restored}")
            log.warning(await asyncio.to_thread(send, self.settings, [alarm]))
        except ChampionMovedError as moved:  # a sibling worker or a person was first: follow the alias
            log.warning("%s", moved)
        except (RegistryError, AlertError, OSError) as error:
            log.error("release watch: %s; rolling back failed: %s", why, error)
        finally:
            self._rolling_back = None
        await self.reload()

    async def _report_log_health_every_second(self) -> None:
        """Apart from the poll: a reload may wait on a registry whose database is the one that hangs."""
        while True:
            self.report_log_health()
            await asyncio.sleep(1.0)

    def report_log_health(self) -> None:
        self.metrics.log_healthy.set(0 if self.store is None or self.store.problem() else 1)

    def describe(self) -> ModelInfo:
        """What is served, since when, the last loading errors, and the release in force."""
        champion, challenger = self.variants.champion, self.variants.challenger
        release = self.variants.release
        return ModelInfo(
            name=champion.name,
            ready=champion.current is not None,
            last_error=champion.last_error,
            **(_served(champion.current).model_dump() if champion.current is not None else {}),
            challenger=_served(challenger.current) if challenger.current is not None else None,
            challenger_error=challenger.last_error,
            release=ReleaseInfo(
                mode=release.mode,
                challenger_share=self.variants.challenger_share(),
                routing_header=release.routing_header,
            ),
        )


def _served(model: LoadedModel) -> ChallengerInfo:
    return ChallengerInfo(
        version=model.version,
        run_id=model.run_id,
        data_window=model.data_window,
        threshold=model.threshold,
        loaded_at=model.loaded_at,
    )
