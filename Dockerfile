# The level 2 prediction service. Built by .github/workflows/cd.yml (`make docker-build`).
# Installs only the base dependencies (what serving needs: no Prefect, Great Expectations,
# Evidently or matplotlib); tests/level2_cicd/service/test_service_environment.py runs the
# service from exactly that environment.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    MLFLOW_DISABLE_TELEMETRY=true \
    DO_NOT_TRACK=1 \
    PYTHONPATH=/app

RUN pip install --no-cache-dir "uv==0.13.8"
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY shared ./shared
COPY level2_cicd ./level2_cicd
COPY config ./config

RUN useradd --create-home app && mkdir -p /app/state && chown app /app/state
USER app
EXPOSE 8000
# Point MLFLOW_TRACKING_URI at your registry and MLOPS_PREDICTION_STORE_URL at your database.
CMD [".venv/bin/python", "-m", "level2_cicd.service", "--host", "0.0.0.0", "--port", "8000"]
