# Project images, built by .github/workflows/cd.yml (`make docker-build`) and deploy/compose.yaml.
#   target `service` (default): the prediction service, base dependencies only (no Prefect, Great
#     Expectations, Evidently or matplotlib); tests/level2_cicd/service/test_service_environment.py
#     runs the service from exactly that environment.
#   target `pipeline`: everything (the `pipeline` extra), for Prefect workers running the flows.
FROM python:3.11-slim AS base
ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    MLFLOW_DISABLE_TELEMETRY=true \
    DO_NOT_TRACK=1 \
    PYTHONPATH=/app
RUN pip install --no-cache-dir "uv==0.13.8" && useradd --create-home app
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./

FROM base AS pipeline
RUN uv sync --frozen --no-default-groups --extra pipeline --no-install-project
COPY shared ./shared
COPY level0_manual ./level0_manual
COPY level1_pipeline ./level1_pipeline
COPY level2_cicd ./level2_cicd
COPY deploy ./deploy
COPY config ./config
COPY prefect.yaml ./
ENV PATH=/app/.venv/bin:$PATH
RUN mkdir -p /app/state && chown app /app/state
USER app

FROM base AS service
RUN uv sync --frozen --no-default-groups --no-install-project
COPY shared ./shared
COPY level2_cicd ./level2_cicd
COPY config ./config
RUN mkdir -p /app/state && chown app /app/state
USER app
EXPOSE 8000
# Point MLFLOW_TRACKING_URI at your registry and MLOPS_PREDICTION_STORE_URL at your database.
CMD [".venv/bin/python", "-m", "level2_cicd.service", "--host", "0.0.0.0", "--port", "8000"]
