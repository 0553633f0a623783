"""One typed, frozen settings object for every level, in layers (the later wins): defaults, the project's
committed settings file (``config/settings.yaml``), the machine's ``.env``, the environment, a command's flags.

Nothing happens at import: paths are only computed, never created, until an entry point asks.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared.local_state import SQLITE_PREFIX
from shared.settings_layers import (
    ENV_FILE_VARIABLE,
    PROJECT_ROOT,
    SETTINGS_FILE_VARIABLE,
    ProjectSettingsFile,
    SettingsError,
    env_file,
    explained,
    load_env_file,
    secret_names,
    settings_file,
)

__all__ = [
    "ENV_FILE_VARIABLE",
    "PROJECT_ROOT",
    "SETTINGS_FILE_VARIABLE",
    "Settings",
    "SettingsError",
    "env_file",
    "load_env_file",
    "load_settings",
    "settings_file",
]

NAMED_AFTER_THE_PROJECT = {"model_name": "{}-model", "experiment_name": "{}-training"}  # unless set themselves


class Settings(BaseSettings):
    """Every level's settings, grouped by concern: the project, data, policies, servers, the
    service, the prediction log and monitor, alerts and CI.

    Every field can be set by an ``MLOPS_<FIELD>`` environment variable; the tracking URI also
    honours MLflow's own ``MLFLOW_TRACKING_URI``.
    """

    model_config = SettingsConfigDict(env_prefix="MLOPS_", frozen=True, extra="forbid", populate_by_name=True)

    # grouped by concern, a blank line between two (their titles: CONCERN_STARTS in settings_report.py)
    project_name: str = Field(
        default="churn",
        pattern=r"^[a-z][a-z0-9-]*$",
        description="One word for the project: names the model (`<project>-model`) and the experiments "
        "(`<project>-training`, `-monitoring`) unless those are set themselves, and the service's title.",
    )
    model_name: str = Field(default="churn-model", description="Registered model name; default `<project>-model`.")
    experiment_name: str = Field(
        default="churn-training", description="MLflow experiment name; default `<project>-training`."
    )
    state_dir: Path = Field(default=Path("state"), description="Project-local folder for all generated state.")

    data_source: Literal["simulator", "files", "synthetic", "prediction_log"] = Field(
        default="simulator",
        description="Where training data comes from: the churn simulator, your files, rows made from the schema, "
        "or the service's logged predictions joined with the labels that arrived.",
    )
    data_path: str | None = Field(
        default=None, description="With data_source=files: a CSV/Parquet file, a folder of them, or a glob."
    )
    seed: int = Field(default=42, description="Seed of the simulated world.")
    rows_per_day: int = Field(default=2000, gt=0, description="Rows the simulator produces per day.")
    scenario: str = Field(default="none", description="Simulator scenario: none, covariate_drift, ...")
    scenario_start_day: int = Field(default=30, ge=0, description="Day the scenario starts changing the world.")
    simulated_today: int = Field(
        default=31, ge=1, description="The simulator's today (a day number); real sources have a real today."
    )
    label_delay_days: int = Field(default=3, ge=0, description="Days until a row's label is known.")
    train_days: int = Field(default=21, gt=2, description="Days of data in one training window.")
    last_day: int | date | None = Field(
        default=None,
        description="Last day of the default training window: a date, a day number, or empty for the newest "
        "fully labelled day of the source.",
    )
    retrain_data_source: Literal["simulator", "files", "synthetic", "prediction_log"] | None = Field(
        default=None,
        description="What level 2's retraining (monitor or `make retrain`) learns from; unset: data_source.",
    )
    allow_schema_change: bool = Field(
        default=False,
        description="Let a model of a new feature set replace a champion trained on another (it is then judged "
        "without the champion); otherwise training stops, naming the columns.",
    )

    training_policy_file: Path = Field(
        default=Path("config/training_policy.yaml"), description="Model-gate thresholds (versioned)."
    )
    release_policy_file: Path = Field(
        default=Path("config/release_policy.yaml"), description="How a challenger meets live traffic (versioned)."
    )
    monitoring_policy_file: Path = Field(
        default=Path("config/monitoring_policy.yaml"), description="Drift/decay thresholds, cooldown (versioned)."
    )
    data_policy_file: Path = Field(
        default=Path("config/data_policy.yaml"), description="Label horizon and retention of logged data (versioned)."
    )
    model_card_file: Path = Field(
        default=Path("config/model_card.yaml"), description="Intended use and known limits on every model card."
    )
    sweep_space_file: Path = Field(
        default=Path("config/sweep_space.yaml"), description="The search space of `make sweep` (versioned)."
    )

    tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MLOPS_TRACKING_URI", "MLFLOW_TRACKING_URI"),
        description="MLflow tracking URI; defaults to a SQLite file under state_dir.",
    )
    client_timeout_seconds: float = Field(
        default=15.0,
        gt=0,
        description="Timeout of one request to the MLflow and Prefect servers (and of a database connect).",
    )
    client_retries: int = Field(
        default=2,
        ge=0,
        description="Retries of a failed MLflow or Prefect request (backoff 1 s, 2 s): a lost server ends a "
        "command within about (retries + 1) x timeout, not after MLflow's default of minutes.",
    )
    dask_address: str | None = Field(
        default=None, description="Dask scheduler of sweeps (tcp://host:8786); unset: a local cluster on this machine."
    )
    dask_workers: int | None = Field(
        default=None, ge=1, description="Workers of the local cluster; unset: one per core."
    )

    service_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The running service (`make serve`'s address): `make replay` sends to it.",
    )
    model_poll_seconds: float = Field(default=5.0, gt=0, description="How often the service checks the alias.")
    serving_scorer: Literal["plain", "fast"] = Field(
        default="fast",
        description="plain: the model's own predict_proba; fast: the speed room's scorer (level2_cicd/speed/) when "
        "its self-check shows it equal to predict_proba, else plain.",
    )
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="Largest request body the service reads.")
    batch_max_rows: int = Field(default=64, ge=1, description="Most rows scored in one model call.")
    batch_max_wait_ms: float = Field(default=1.0, ge=0, description="Longest a request waits for others to batch.")
    scoring_token: SecretStr | None = Field(
        default=None, description="Bearer token of /predict and /invocations (unset: open, as on embedded defaults)."
    )
    labels_token: SecretStr | None = Field(
        default=None, description="Bearer token of /feedback: labels steer retraining (unset: open)."
    )
    admin_token: SecretStr | None = Field(default=None, description="Bearer token of POST /admin/reload.")

    level2_folder: str = Field(
        default="level2",
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Folder in state_dir of level 2's prediction log, monitor memory and reports (`make level2`'s "
        "demo keeps its own, level2-demo, so it never touches yours).",
    )
    prediction_store_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the prediction log; defaults to SQLite under state_dir."
    )
    store_flush_seconds: float = Field(default=0.2, gt=0, description="Longest the idle log writer sleeps.")
    store_ack_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Longest /predict and /feedback wait for their rows to be committed; then 503, not acknowledged.",
    )
    monitoring_dashboard: bool = Field(
        default=True, description="Add each monitored window to the Evidently dashboard (`make dashboard`)."
    )

    alertmanager_url: str | None = Field(
        default=None,
        description="Alertmanager the monitor and the flows push their alarms to (the stack's: make stack-env); "
        "unset: alarms are printed and recorded only.",
    )
    alert_webhook_url: SecretStr | None = Field(
        default=None,
        description="Where the stack's Alertmanager sends every alert: a Slack incoming webhook (hooks.slack.com) or "
        "any webhook taking Alertmanager's JSON; unset: the stack's local receiver (make stack-status shows it).",
    )
    github_repository: str | None = Field(
        default=None, description="owner/name: when set with github_token, the monitor also sends a retrain dispatch."
    )
    github_token: SecretStr | None = Field(default=None, description="Token allowed to send repository_dispatch.")
    github_api_url: str = Field(default="https://api.github.com", description="GitHub API base URL.")

    @model_validator(mode="after")
    def _names_from_the_project(self) -> Settings:
        """Model and experiment names not set themselves follow the project name (and stay 'unset': they are
        derived again wherever these settings are passed on)."""
        for name, pattern in NAMED_AFTER_THE_PROJECT.items():
            if name not in self.model_fields_set:
                object.__setattr__(self, name, pattern.format(self.project_name))  # frozen: set once, while validating
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """A command's own values, then the environment (where ``.env`` was merged), then the project's file."""
        return init_settings, env_settings, ProjectSettingsFile(settings_cls)

    @property
    def state_path(self) -> Path:
        """Absolute state folder (not created here)."""
        return self.state_dir.expanduser().resolve()

    @property
    def level0_dir(self) -> Path:
        return self.state_path / "level0"

    @property
    def mlflow_dir(self) -> Path:
        return self.state_path / "mlflow"

    @property
    def resolved_tracking_uri(self) -> str:
        """The tracking URI to use: the configured one or a SQLite file in the state folder."""
        if self.tracking_uri:
            return self.tracking_uri
        return f"sqlite:///{self.mlflow_dir / 'mlflow.db'}"

    @property
    def resolved_prediction_store_url(self) -> str:
        if self.prediction_store_url:
            return self.prediction_store_url
        return f"sqlite:///{self.level2_dir / 'predictions.db'}"

    @property
    def promotion_lock_url(self) -> str:
        """Where promoters serialise their compare-and-set: beside the registry's own SQLite store (embedded
        defaults), else in the database every process of a deployment shares (the prediction store)."""
        if self.resolved_tracking_uri.startswith(SQLITE_PREFIX):
            store = Path(self.resolved_tracking_uri.removeprefix(SQLITE_PREFIX))
            return f"{SQLITE_PREFIX}{store.parent / 'locks.db'}"
        return self.resolved_prediction_store_url

    @property
    def level2_dir(self) -> Path:
        return self.state_path / self.level2_folder

    @property
    def artifact_root(self) -> Path:
        return self.mlflow_dir / "artifacts"


def overrides_without_secrets(settings: Settings) -> dict[str, object]:
    """The settings a caller changed, as JSON-ready values, minus every secret: safe to pass as flow parameters
    (Prefect stores parameters in its database and shows them in its UI)."""
    return settings.model_dump(mode="json", exclude_unset=True, exclude=secret_names(Settings.model_fields))


def retraining_overrides(settings: Settings) -> dict[str, object]:
    """The overrides a level 2 retraining runs with: the caller's settings, its own data source."""
    overrides = overrides_without_secrets(settings)
    if settings.retrain_data_source is not None:
        overrides["data_source"] = settings.retrain_data_source
    return overrides


def load_settings(**overrides: object) -> Settings:
    """Read settings from every layer (``config/settings.yaml``, ``.env``, the environment), explicit overrides
    winning; a value that breaks a rule raises SettingsError naming where it came from."""
    from_env_file = load_env_file()
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(explained(error, Settings.model_fields, set(overrides), from_env_file)) from None
