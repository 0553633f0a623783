"""The stack's programs: each server's command and its own environment, for the supervisor (deploy/supervisor.py)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import SecretStr

from deploy.postgres import server_command as postgres_server
from deploy.supervisor import Program
from deploy.topology import (
    DASK_WORKERS,
    ROOT,
    SERVICE_WORKERS,
    WORK_POOL,
    Stack,
    alertmanager_binary,
    prometheus_binary,
)
from shared.runtime import PRIVATE_AND_QUIET, client_limits
from shared.settings import load_settings
from shared.settings_environment import environment_for


def _args(*groups: list[str]) -> list[str]:
    return [part for group in groups for part in group]


@dataclass(frozen=True)
class _Common:
    """What several programs share: the wait wrapper, the quiet bounded environment, the clients' addresses."""

    stack: Stack
    wait: list[str]
    quiet: dict[str, str]
    clients: dict[str, str]
    bin_dir: Path


def programs(stack: Stack, data: Path) -> list[Program]:
    """Every server of the stack; each waits for what it needs, then execs the real server. Each gets only the
    environment it needs: the service its tokens, the worker (and so every flow run) the clients' addresses."""
    common = _Common(
        stack,
        [sys.executable, "-m", "deploy.wait"],
        PRIVATE_AND_QUIET | client_limits(load_settings()),
        stack.client_env(),
        Path(sys.executable).parent,
    )
    postgres = Program("postgres", postgres_server(data, stack.ports.postgres), stop_signal="INT", priority=100)
    servers = [_mlflow(common), _prefect(common), _worker(common), _service(common)]
    return [postgres, *servers, *_dask(common), *_prometheus(stack), *_alerting(common)]


def _mlflow(c: _Common) -> Program:
    stack = c.stack
    return Program(
        "mlflow",
        _args(
            [*c.wait, stack.dsn("mlflow"), "--", str(c.bin_dir / "mlflow"), "server"],
            ["--backend-store-uri", stack.database("mlflow"), "--serve-artifacts"],
            ["--artifacts-destination", str(stack.folder / "mlflow-artifacts"), "--host", "127.0.0.1"],
            ["--port", str(stack.ports.mlflow), "--workers", "1"],
        ),
        c.quiet | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "PGPASSFILE": str(stack.passfile("mlflow"))},
    )


def _prefect(c: _Common) -> Program:
    stack = c.stack
    return Program(
        "prefect",
        _args(
            [*c.wait, stack.dsn("prefect"), "--", str(c.bin_dir / "prefect"), "server", "start"],
            ["--host", "127.0.0.1", "--port", str(stack.ports.prefect)],
        ),
        c.quiet
        | {"PREFECT_HOME": str(stack.folder / "prefect")}
        | {"PREFECT_API_DATABASE_CONNECTION_URL": stack.database("prefect", "asyncpg")}
        | {"PGPASSFILE": str(stack.passfile("prefect"))},
    )


def _worker(c: _Common) -> Program:
    stack = c.stack
    return Program(
        "worker",  # Prefect's worker ignores SIGTERM for a long time; SIGINT stops it
        _args(
            [*c.wait, f"{stack.prefect_api}/health", f"{stack.tracking_uri}/health", "--"],
            [str(c.bin_dir / "prefect"), "worker", "start", "--pool", WORK_POOL, "--type", "process"],
        ),
        c.quiet | c.clients | {"PREFECT_HOME": str(stack.folder / "prefect-worker")},
        stop_signal="INT",
        priority=300,
    )


def _service(c: _Common) -> Program:
    stack = c.stack
    return Program(
        "service",
        _args(
            [*c.wait, f"{stack.tracking_uri}/health", stack.dsn("predictions"), "--", sys.executable],
            ["-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(stack.ports.service)],
            ["--workers", str(SERVICE_WORKERS)],
        ),
        c.quiet | c.clients | environment_for(state_dir=stack.folder / "service") | stack.tokens(),
        priority=300,
    )


def _dask(c: _Common) -> list[Program]:
    stack = c.stack
    loopback_only = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    scheduler = [str(c.bin_dir / "dask"), "scheduler", "--port", str(stack.ports.dask), *loopback_only]
    workers = _args(
        [*c.wait, stack.dask_address, "--", str(c.bin_dir / "dask"), "worker", stack.dask_address],
        ["--nworkers", str(DASK_WORKERS), "--nthreads", "1", *loopback_only],
        ["--local-directory", str(stack.folder / "dask")],
    )
    return [
        Program("dask-scheduler", scheduler, c.quiet),
        Program(
            "dask-workers",
            workers,
            c.quiet | {"PGPASSFILE": str(stack.passfile("predictions"))},  # batch scoring appends to the log
            priority=300,
        ),
    ]


def _prometheus(stack: Stack) -> list[Program]:
    """Prometheus scraping the service, when Debian's package is installed."""
    if (binary := prometheus_binary()) is None:
        return []
    config = write_prometheus_config(stack)
    command = [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{stack.ports.prometheus}"]
    return [Program("prometheus", [*command, f"--storage.tsdb.path={stack.folder / 'prometheus-data'}"])]


def write_prometheus_config(stack: Stack) -> Path:
    """Scrape the service every 5 s, evaluate the rules as often, and send what fires to the stack's Alertmanager."""
    config = stack.folder / "prometheus.yml"
    alerting = (
        "alerting:\n  alertmanagers:\n    - static_configs:\n"
        f"        - targets: ['127.0.0.1:{stack.ports.alertmanager}']\n"
        if alertmanager_binary()
        else ""
    )
    config.write_text(
        "global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\n"
        f"rule_files:\n  - {ROOT / 'deploy' / 'prometheus' / 'alerts.yml'}\n"
        + alerting
        + "scrape_configs:\n  - job_name: prediction-service\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{stack.ports.service}']\n"
    )
    return config


def _alerting(c: _Common) -> list[Program]:
    """Alertmanager (when Debian's package is installed) and the stack's own receiver it sends to by default."""
    if (binary := alertmanager_binary()) is None:
        return []
    stack = c.stack
    config = write_alertmanager_config(stack, alert_webhook(load_settings().alert_webhook_url))
    command = [binary, f"--config.file={config}", f"--storage.path={stack.folder / 'alertmanager-data'}"]
    command += [f"--web.listen-address=127.0.0.1:{stack.ports.alertmanager}", "--cluster.listen-address="]
    receiver = [sys.executable, "-m", "deploy.alert_receiver", "--port", str(stack.ports.alert_receiver)]
    return [
        Program("alertmanager", command),
        Program("alert-receiver", [*receiver, "--file", str(stack.alerts_file)], c.quiet, priority=150),
    ]


def alert_webhook(url: SecretStr | None) -> str | None:
    return url.get_secret_value() if url is not None else None


def write_alertmanager_config(
    stack: Stack, webhook: str | None, group_wait: str = "5s", group_interval: str = "30s"
) -> Path:
    """One route to one receiver: the settings' webhook (Slack's format for hooks.slack.com), else the stack's own.

    Grouped by alert name, sent ``group_wait`` after the first alert of a group, changes (resolutions too) at most
    every ``group_interval``; the file may hold the webhook's secret URL, so only its owner reads it."""
    if webhook is None:
        receiver: dict[str, Any] = {
            "webhook_configs": [{"url": f"http://127.0.0.1:{stack.ports.alert_receiver}/alerts"}]
        }
    elif urlsplit(webhook).hostname == "hooks.slack.com":
        each = "{{ .Status | toUpper }} {{ .Labels.alertname }}: {{ .Annotations.summary }}"
        text = "{{ range .Alerts }}" + each + "\n{{ end }}"
        receiver = {"slack_configs": [{"api_url": webhook, "text": text}]}
    else:
        receiver = {"webhook_configs": [{"url": webhook}]}
    for configs in receiver.values():
        for entry in configs:
            entry["send_resolved"] = True
    config = {
        "global": {"resolve_timeout": "26h"},  # an alert sent without an end (a crashed run's): a day, as a flow's
        "route": {
            "receiver": "on-call",
            "group_by": ["alertname"],
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": "4h",
        },
        "receivers": [{"name": "on-call", **receiver}],
    }
    path = stack.folder / "alertmanager.yml"
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
