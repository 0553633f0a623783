"""The prediction service: FastAPI serving the registry's champion, every prediction logged."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import SQLAlchemyError

from level2_cicd.service.access import BodyLimitMiddleware, Role, authorize
from level2_cicd.service.batcher import Batcher, NotReadyError
from level2_cicd.service.data_policy import load_data_policy
from level2_cicd.service.metrics import MetricsMiddleware, ServiceMetrics, scrape_registry
from level2_cicd.service.model_holder import LoadedModel, ModelHolder
from level2_cicd.service.rejections import by_field_and_rule, explained, renderable, row_problems
from level2_cicd.service.routing import CHALLENGER as CHALLENGER_VARIANT
from level2_cicd.service.routing import CHAMPION as CHAMPION_VARIANT
from level2_cicd.service.routing import SHADOW as SHADOW_VARIANT
from level2_cicd.service.routing import variant_for
from level2_cicd.service.schemas import (
    ChallengerInfo,
    FeatureRow,
    FeedbackRequest,
    InvocationsRequest,
    ModelInfo,
    Prediction,
    PredictRequest,
    PredictResponse,
    ReleaseInfo,
)
from level2_cicd.service.store import PredictionStore, StoreWriteError
from level2_cicd.service.threads import in_daemon_thread
from shared.prediction_log import StoreSchemaError
from shared.registry import CHALLENGER as CHALLENGER_ALIAS
from shared.release_policy import load_release_policy
from shared.settings import Settings

log = logging.getLogger("level2.service")


class Service:
    """Everything one running app holds: model, batcher, store, metrics."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.holder = ModelHolder(settings.model_name)
        self.challenger = ModelHolder(settings.model_name, CHALLENGER_ALIAS, optional=True)
        self.release = load_release_policy(settings.release_policy_file)
        self.metrics = ServiceMetrics()
        self.batcher = Batcher(self.holder, settings.batch_max_rows, settings.batch_max_wait_ms / 1000)
        self.challenger_batcher = Batcher(self.challenger, settings.batch_max_rows, settings.batch_max_wait_ms / 1000)
        self._shadows: set[asyncio.Task[None]] = set()  # shadow scorings still running (awaited on stop)
        self.store: PredictionStore | None = None
        self.store_error: str | None = None
        self.data_policy = load_data_policy(settings.data_policy_file)
        self._poller: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()

    async def start(self) -> None:
        from threadpoolctl import threadpool_limits

        from shared.tracking import use_tracking_uri

        # One OpenMP thread for the model: on few cores, spinning OpenMP workers compete with the
        # event loop and push p99 latency from ~20 ms to over 100 ms (measured, 2 cores).
        threadpool_limits(limits=1, user_api="openmp")
        use_tracking_uri(self.settings.resolved_tracking_uri)
        self.store = self._open_store()
        self.batcher.start()
        self.challenger_batcher.start()
        # The model loads in the background: the process listens once the first attempt has ended or after one
        # client timeout (/health 200, /ready 503 with the reason until a model is loaded), even while the registry
        # is away, keeps trying every poll, and stops on SIGTERM meanwhile.
        self._poller = asyncio.get_running_loop().create_task(self._poll())

    def _open_store(self) -> PredictionStore | None:
        """The prediction log, or None with the reason kept for /ready (the service never serves unlogged)."""
        try:
            return PredictionStore(
                self.settings.resolved_prediction_store_url,
                self.settings.store_flush_seconds,
                on_dropped=self.metrics.log_dropped_rows.inc,
            )
        except (StoreSchemaError, SQLAlchemyError) as error:
            self.store_error = f"prediction log unusable: {error}"
            log.error(self.store_error)
            return None

    def not_ready_reason(self) -> str | None:
        """Why this process should not get traffic now, or None."""
        if self.store is None:
            return self.store_error or "prediction log not open"
        if self.holder.current is None:
            return self.holder.last_error or "loading the model (first attempt under way)"
        return self.store.problem()

    def reject(self, errors: list[dict[str, Any]], body: Any) -> None:
        """Count and log the rows a request was refused for (per field and rule)."""
        problems = row_problems(errors)
        if not problems:
            return
        for (field, rule), rows in by_field_and_rule(problems).items():
            self.metrics.rejected_rows.labels(field, rule).inc(rows)
        if self.store is None:
            return
        received = datetime.now(UTC).replace(tzinfo=None)
        created = _event_time(body.get("event_time") if isinstance(body, dict) else None) or received
        request_id = uuid.uuid4().hex
        self.store.add_rejections(
            [
                {"created_at": created, "received_at": received, "request_id": request_id}
                | {"row": p.row, "field": p.field, "rule": p.rule}
                for p in problems
            ]
        )

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        await asyncio.gather(*self._shadows, return_exceptions=True)  # their rows are logged before the store closes
        await self.batcher.stop()
        await self.challenger_batcher.stop()
        if self.store is not None:
            self.store.close()  # flushes every queued prediction and label

    async def reload(self) -> bool:
        swapped = await in_daemon_thread(self.holder.refresh)
        if self.holder.current is not None:
            self.metrics.model_version.set(float(self.holder.current.version))
        if self.release.mode != "off":  # a challenger that fails to load leaves the champion answering everything
            await in_daemon_thread(self.challenger.refresh)
            challenger = self.challenger.current
            self.metrics.challenger_version.set(float(challenger.version) if challenger else float("nan"))
        return swapped

    def challenger_share(self) -> float:
        """Share of traffic the challenger answers now: the policy's A/B share while one is loaded, else 0."""
        if self.release.mode != "ab" or self.challenger.current is None:
            return 0.0
        return self.release.ab_share

    async def _poll(self) -> None:
        while True:
            first = self.holder.current is None
            await self.reload()
            self._first_attempt.set()
            if first and self.holder.current is not None:
                # Start-up objects (MLflow, sklearn, pandas, the model) never die: keep them out of the
                # collector's full passes, which otherwise stall the event loop for tens of milliseconds.
                gc.collect()
                gc.freeze()
            self.report_log_health()
            await asyncio.sleep(self.settings.model_poll_seconds)

    async def first_load_attempted(self, timeout: float) -> bool:
        """Wait (bounded) until the first attempt to load the models has ended; whether a champion is loaded."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt.wait(), timeout)
        return self.holder.current is not None

    def report_log_health(self) -> None:
        self.metrics.log_healthy.set(0 if self.store is None or self.store.problem() else 1)

    async def predict(
        self, rows: list[dict[str, Any]], event_time: datetime | None, routing_key: str | None = None
    ) -> list[Prediction]:
        """Score with the variant the routing key's hash picks (a request without a key is routed on its own)."""
        if self.store is None:
            raise HTTPException(503, f"not ready: {self.store_error}")
        chosen = variant_for(routing_key or uuid.uuid4().hex, self.challenger_share())
        try:
            model, probabilities, variant = await self._score(rows, chosen)
        except NotReadyError as error:
            raise HTTPException(503, f"not ready: {error}") from None
        predictions = [
            Prediction(
                request_id=uuid.uuid4().hex,
                prediction=int(p >= model.threshold),
                probability=float(p),
                model_version=model.version,
                variant=variant,
            )
            for p in probabilities
        ]
        await self.stored(self._log(rows, predictions, model, event_time))
        self._count(predictions)
        if self.release.mode == "shadow" and self.challenger.current is not None:
            shadow = asyncio.get_running_loop().create_task(self._shadow(rows, predictions, event_time))
            self._shadows.add(shadow)
            shadow.add_done_callback(self._shadows.discard)
        return predictions

    async def _score(self, rows: list[dict[str, Any]], variant: str) -> tuple[LoadedModel, Any, str]:
        """The model that scored, the probabilities, and the variant that answered."""
        if variant == CHALLENGER_VARIANT:
            try:
                return (*await self.challenger_batcher.score(rows), CHALLENGER_VARIANT)
            except Exception as error:  # gone or failing: the champion answers instead, and it is logged
                log.error("challenger could not score, the champion answers: %s", error)
        return (*await self.batcher.score(rows), CHAMPION_VARIANT)

    async def _shadow(
        self, rows: list[dict[str, Any]], answered: list[Prediction], event_time: datetime | None
    ) -> None:
        """The challenger scores what the champion answered, after the answer; logged once per request, never raised."""
        try:
            model, probabilities = await self.challenger_batcher.score(rows)
            served_at = datetime.now(UTC).replace(tzinfo=None)
            created_at = as_naive_utc(event_time) if event_time else served_at
            scores = [(p.request_id, float(q)) for p, q in zip(answered, probabilities, strict=True)]
            assert self.store is not None
            self.store.add_shadows(
                [
                    {"request_id": request_id, "created_at": created_at, "served_at": served_at}
                    | {"model_version": model.version, "prediction": int(q >= model.threshold), "probability": q}
                    for request_id, q in scores
                ]
            )
            for _, q in scores:
                self.metrics.shadow_predictions.labels(str(int(q >= model.threshold))).inc()
                self.metrics.probability.labels(SHADOW_VARIANT).observe(q)
        except Exception as error:  # off the response path: the answer was already given
            log.error("shadow scoring failed (nothing logged for %d rows): %s", len(rows), error)

    def _log(
        self, rows: list[dict[str, Any]], predictions: list[Prediction], model: LoadedModel, event_time: datetime | None
    ) -> Future[None]:
        served_at = datetime.now(UTC).replace(tzinfo=None)
        created_at = as_naive_utc(event_time) if event_time else served_at
        assert self.store is not None
        return self.store.add_predictions(
            [
                {**row, **p.model_dump(exclude={"model_version"}), "model_version": model.version}
                | {"created_at": created_at, "served_at": served_at, "source": "online", "variant": p.variant}
                for row, p in zip(rows, predictions, strict=True)
            ]
        )

    async def stored(self, stored: Future[None]) -> None:
        """Wait (bounded) until rows are committed: acknowledged means stored; otherwise 503, nothing acknowledged."""
        try:
            await asyncio.wait_for(asyncio.wrap_future(stored), self.settings.store_ack_seconds)
        except StoreWriteError as error:
            raise HTTPException(503, f"not stored, so not acknowledged (retry later): {error}") from None
        except TimeoutError:
            seconds = self.settings.store_ack_seconds
            raise HTTPException(503, f"not stored within {seconds} s, so not acknowledged (retry later)") from None

    def _count(self, predictions: list[Prediction]) -> None:
        for p in predictions:
            self.metrics.predictions.labels(str(p.prediction), p.variant).inc()
            self.metrics.probability.labels(p.variant).observe(p.probability)


def as_naive_utc(moment: datetime) -> datetime:
    """The log stores naive UTC: an aware time is converted (not just stripped); a naive one is taken as UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


_MOMENT = TypeAdapter(datetime)


def _event_time(value: Any) -> datetime | None:
    """The event time of a refused request, if it gave a readable one."""
    try:
        return as_naive_utc(_MOMENT.validate_python(value)) if value is not None else None
    except ValidationError:
        return None


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(_service)]


def rows_from_invocation(body: InvocationsRequest) -> list[dict[str, Any]]:
    """Rows of MLflow's `dataframe_split` / `dataframe_records`, validated like /predict's."""
    if (body.dataframe_split is None) == (body.dataframe_records is None):
        raise HTTPException(422, "give exactly one of dataframe_split or dataframe_records")
    if body.dataframe_split is not None:
        split = body.dataframe_split
        raw = [dict(zip(split.columns, values, strict=False)) for values in split.data]
        where = "dataframe_split"
    else:
        raw = body.dataframe_records or []
        where = "dataframe_records"
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, row in enumerate(raw):
        try:
            rows.append(FeatureRow.model_validate(row).model_dump())
        except ValidationError as error:
            errors += [{**e, "loc": ("body", where, index, *e["loc"])} for e in error.errors(include_url=False)]
    if errors:
        raise RequestValidationError(errors)
    return rows


def create_app(settings: Settings) -> FastAPI:
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        # A worker takes traffic once its first load has ended (a sibling worker may already answer on the shared
        # socket); with the registry away that load waits for its client timeout, and the worker listens after it.
        await service.first_load_attempted(settings.client_timeout_seconds)
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title="mlops-levels churn service", version="1.0", lifespan=lifespan)
    app.state.service = service

    @app.get("/health")
    async def health() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/ready")
    async def ready(svc: ServiceDep, response: Response) -> dict[str, Any]:
        """A model is loaded, and predictions can be served and logged."""
        reason = svc.not_ready_reason()
        if reason is not None or svc.holder.current is None:
            response.status_code = 503
            return {"ready": False, "reason": reason}
        return {"ready": True, "model_version": svc.holder.current.version}

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        """MLflow's scoring-server liveness path, so MLflow's own clients can wait for this service."""
        return {"status": "ok"}

    @app.get("/model")
    async def model(svc: ServiceDep) -> ModelInfo:
        """What is being served, since when, and the last loading error if any."""
        current = svc.holder.current
        info = ModelInfo(name=svc.holder.name, ready=current is not None, last_error=svc.holder.last_error)
        if current is not None:
            info = info.model_copy(
                update={
                    "version": current.version,
                    "run_id": current.run_id,
                    "data_window": current.data_window,
                    "threshold": current.threshold,
                    "loaded_at": current.loaded_at,
                }
            )
        challenger = svc.challenger.current
        release = ReleaseInfo(
            mode=svc.release.mode, challenger_share=svc.challenger_share(), routing_header=svc.release.routing_header
        )
        update: dict[str, Any] = {"release": release, "challenger_error": svc.challenger.last_error}
        if challenger is not None:
            update["challenger"] = ChallengerInfo(
                version=challenger.version,
                run_id=challenger.run_id,
                data_window=challenger.data_window,
                threshold=challenger.threshold,
                loaded_at=challenger.loaded_at,
            )
        return info.model_copy(update=update)

    @app.post("/predict", dependencies=[Depends(requires(Role.SCORING))])
    async def predict(body: PredictRequest, svc: ServiceDep, request: Request) -> PredictResponse:
        """Score one or many rows; each prediction gets a request id for later feedback.

        Under an A/B test the routing header (config/release_policy.yaml, default X-Routing-Key)
        picks the variant: the same key always meets the same model.
        """
        rows = [row.model_dump() for row in body.rows]
        key = request.headers.get(svc.release.routing_header)
        return PredictResponse(predictions=await svc.predict(rows, body.event_time, key))

    @app.post("/invocations", dependencies=[Depends(requires(Role.SCORING))])
    async def invocations(body: InvocationsRequest, svc: ServiceDep, request: Request) -> dict[str, Any]:
        """MLflow's scoring protocol; answers like `mlflow models serve` of the same model."""
        key = request.headers.get(svc.release.routing_header)
        predictions = await svc.predict(rows_from_invocation(body), None, key)
        return {"predictions": [[1.0 - p.probability, p.probability] for p in predictions]}

    @app.post("/feedback", dependencies=[Depends(requires(Role.LABELS))])
    async def feedback(body: FeedbackRequest, svc: ServiceDep) -> dict[str, int]:
        """Ground-truth labels for earlier request ids (they may arrive days later); stored when answered.

        One label per request id: the same label again is accepted (nothing new stored); a different
        one is refused (409). Labels of predictions served longer ago than the policy's horizon are
        refused (422). Nothing of a refused request is stored.
        """
        if svc.store is None:
            raise HTTPException(503, f"not ready: {svc.store_error}")
        labels = {item.request_id: item.label for item in body.labels}
        if any(labels[item.request_id] != item.label for item in body.labels):
            svc.metrics.labels_refused.labels("conflict").inc()
            raise HTTPException(409, "the same request_id is given two different labels in this request")
        served = await asyncio.to_thread(svc.store.served_times, list(labels))  # acknowledged = already committed
        unknown = sorted(set(labels) - set(served))
        if unknown:
            svc.metrics.labels_refused.labels("unknown").inc(len(unknown))
            raise HTTPException(404, f"unknown request_id(s): {', '.join(unknown[:10])}")
        now = datetime.now(UTC).replace(tzinfo=None)
        horizon = svc.data_policy.label_horizon_days
        too_old = sorted(i for i, at in served.items() if now - at > timedelta(days=horizon))
        if too_old:
            svc.metrics.labels_refused.labels("too_old").inc(len(too_old))
            where = f"label_horizon_days = {horizon} in {svc.settings.data_policy_file}"
            raise HTTPException(422, f"predictions served more than {horizon} days ago ({where}): {too_old[:10]}")
        existing = await asyncio.to_thread(svc.store.existing_labels, list(labels))
        conflicts = sorted(i for i, label in labels.items() if i in existing and existing[i] != label)
        if conflicts:
            svc.metrics.labels_refused.labels("conflict").inc(len(conflicts))
            raise HTTPException(409, f"request_id(s) already labelled differently: {', '.join(conflicts[:10])}")
        fresh = {i: label for i, label in labels.items() if i not in existing}  # the same label again: already stored
        new = [{"request_id": i, "label": label, "received_at": now} for i, label in fresh.items()]
        await svc.stored(svc.store.add_labels(new))  # labels are rare and precious: stored before the answer
        return {"accepted": len(labels), "stored": len(new)}

    @app.post("/admin/reload", dependencies=[Depends(requires(Role.ADMIN))])
    async def admin_reload(svc: ServiceDep) -> ModelInfo:
        """Load the champion now (token-protected); keeps the old model if loading fails."""
        await svc.reload()
        return await model(svc)

    @app.get("/metrics")
    async def metrics(svc: ServiceDep) -> Response:
        """Prometheus metrics: request counts and latency, model version, predictions."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        svc.report_log_health()
        return Response(generate_latest(scrape_registry(svc.metrics)), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(RequestValidationError)
    async def refused(request: Request, error: RequestValidationError) -> JSONResponse:
        """422 naming each field and rule, renderable whatever the input held (NaN too); bad rows are counted."""
        errors = explained(list(error.errors()))
        service.reject(errors, error.body)
        return JSONResponse({"detail": renderable(jsonable_encoder(errors))}, status_code=422)

    known = frozenset(route.path for route in app.routes if hasattr(route, "path"))
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=service.metrics, known_paths=known)
    return app


def app_from_environment() -> FastAPI:
    """Zero-argument factory for process managers (`uvicorn --factory --workers N`): settings from the environment."""
    from shared.runtime import prepare_process
    from shared.settings import load_settings

    settings = load_settings()
    prepare_process(settings)
    return create_app(settings)


def requires(role: Role) -> Callable[..., None]:
    """A route dependency: the caller must present ``role``'s bearer token (when one is set)."""

    def check(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
        authorize(request.app.state.service.settings, role, authorization)

    return check
