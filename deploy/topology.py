"""The stack's shape: its servers' ports and addresses, what a client needs, the service's tokens (no processes)."""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from deploy.database_roles import passfile, roles
from deploy.postgres import admin_conninfo, data_folder_for
from shared.processes import free_ports
from shared.project import PROJECT_ROOT
from shared.settings_environment import environment_for

ROOT = PROJECT_ROOT
DATABASES = ("mlflow", "prefect", "predictions")
WORK_POOL = "mlops-levels"
DASK_WORKERS = 2  # sweeps' trials run on these processes
SERVICE_WORKERS = 2
TOKEN_VARIABLES = ("MLOPS_SCORING_TOKEN", "MLOPS_LABELS_TOKEN", "MLOPS_ADMIN_TOKEN")  # the stack starts with tokens on


class StackError(RuntimeError):
    """The stack cannot start or stop as asked; the message says what is missing or wrong."""


@dataclass(frozen=True)
class Ports:
    postgres: int
    mlflow: int
    prefect: int
    service: int
    prometheus: int
    dask: int
    alertmanager: int
    alert_receiver: int

    @classmethod
    def free(cls) -> Ports:
        return cls(*free_ports(len(fields(cls))))

    @classmethod
    def saved(cls, ports: dict[str, Any]) -> Ports:
        """The ports a stack recorded; a server added since its start gets a free port of its own."""
        names = [f.name for f in fields(cls)]
        missing = [name for name in names if name not in ports]
        fresh = dict(zip(missing, free_ports(len(missing)), strict=True)) if missing else {}
        return cls(**{name: int(ports.get(name, fresh.get(name, 0))) for name in names})


@dataclass(frozen=True)
class Stack:
    folder: Path
    ports: Ports

    def role(self, database: str) -> str:
        """The role a server logs in as to ``database`` (deploy/database_roles.py)."""
        return roles(self.folder, DATABASES).get(database, database)

    def dsn(self, database: str) -> str:
        """libpq URL of ``database`` as its role, naming its password file (no password in it)."""
        where = f"{self.role(database)}@127.0.0.1:{self.ports.postgres}/{database}"
        return f"postgresql://{where}?passfile={self.passfile(database)}"

    @property
    def admin(self) -> str:
        """The superuser over the cluster's Unix socket: roles and databases are made through it."""
        return admin_conninfo(data_folder_for(self.folder), self.ports.postgres)

    def database(self, name: str, driver: str = "psycopg") -> str:
        """SQLAlchemy URL of ``name`` as its role; no password in it (``passfile``)."""
        return f"postgresql+{driver}://{self.role(name)}@127.0.0.1:{self.ports.postgres}/{name}"

    def passfile(self, database: str) -> Path:
        """The password file (``PGPASSFILE``) of ``database``'s role: only its servers get it."""
        return passfile(self.folder, database, self.role(database))

    @property
    def tracking_uri(self) -> str:
        return f"http://127.0.0.1:{self.ports.mlflow}"

    @property
    def prefect_api(self) -> str:
        return f"http://127.0.0.1:{self.ports.prefect}/api"

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.service}"

    def client_env(self) -> dict[str, str]:
        """What a client (make level1, make deploy, a worker) needs to use this stack."""
        tools = {"MLFLOW_TRACKING_URI": self.tracking_uri, "PREFECT_API_URL": self.prefect_api}  # their own names
        tools["PGPASSFILE"] = str(self.passfile("predictions"))
        alerts = {"alertmanager_url": self.alertmanager_url} if alertmanager_binary() else {}
        addresses = {"prediction_store_url": self.database("predictions"), "dask_address": self.dask_address}
        return tools | environment_for(**addresses, service_url=self.service_url, **alerts)

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.alertmanager}"

    @property
    def alerts_file(self) -> Path:
        """What the stack's own receiver got from Alertmanager (deploy/alert_receiver.py)."""
        return self.folder / "alerts.jsonl"

    @property
    def dask_address(self) -> str:
        return f"tcp://127.0.0.1:{self.ports.dask}"

    @property
    def secrets_file(self) -> Path:
        return self.folder / "secrets.env"

    def tokens(self) -> dict[str, str]:
        """The service's tokens (scoring, labels, admin), made at the first start, kept readable by the owner only."""
        if not self.secrets_file.is_file():
            made = {name: secrets.token_urlsafe(24) for name in TOKEN_VARIABLES}
            self.secrets_file.touch(mode=0o600)
            self.secrets_file.write_text("".join(f"{key}={value}\n" for key, value in made.items()))
        lines = self.secrets_file.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def health(self) -> dict[str, str]:
        """Where each server says it is up."""
        found = {
            "postgres": self.dsn("predictions"),
            "mlflow": f"{self.tracking_uri}/health",
            "prefect": f"{self.prefect_api}/health",
            "service": f"{self.service_url}/health",  # /ready waits for a champion: train one first
            "dask": self.dask_address,
        }
        if prometheus_binary():
            found["prometheus"] = f"http://127.0.0.1:{self.ports.prometheus}/-/ready"
        if alertmanager_binary():
            found["alertmanager"] = f"{self.alertmanager_url}/-/ready"
            found["alert-receiver"] = f"http://127.0.0.1:{self.ports.alert_receiver}/health"
        return found


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


def alertmanager_binary() -> str | None:
    """Debian's package names it prometheus-alertmanager; upstream's release, alertmanager."""
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
