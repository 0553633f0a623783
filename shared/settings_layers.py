"""The layers settings come from, below a command's own values (the later wins): defaults, the project's committed
settings file (``config/settings.yaml``), the machine's ``.env`` (secrets, local servers), the environment.

A wrong entry is named with its layer: the file or the variable, the key and the rule.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from dotenv import dotenv_values
from pydantic import AliasChoices, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import PydanticBaseSettingsSource

from shared.project import PROJECT_ROOT

ENV_FILE_VARIABLE = "MLOPS_ENV_FILE"
SETTINGS_FILE_VARIABLE = "MLOPS_SETTINGS_FILE"
SETTINGS_FILE = PROJECT_ROOT / "config" / "settings.yaml"
Fields = dict[str, FieldInfo]


class SettingsError(ValueError):
    """A setting that breaks a rule, named with where its value came from (file or variable) and the rule."""


def secret_names(fields: Fields) -> set[str]:
    return {name for name, field in fields.items() if "SecretStr" in str(field.annotation)}


def settings_file() -> Path | None:
    """The project's committed settings: ``MLOPS_SETTINGS_FILE`` (empty: none), else ``config/settings.yaml``."""
    named = os.environ.get(SETTINGS_FILE_VARIABLE)
    if named == "":
        return None
    if named is None:
        return SETTINGS_FILE if SETTINGS_FILE.is_file() else None
    if not Path(named).is_file():
        raise SettingsError(f"{named}: settings file not found ({SETTINGS_FILE_VARIABLE})")
    return Path(named)


def read_settings_file(path: Path, fields: Fields) -> dict[str, object]:
    """The file's settings by name; an unknown name, a secret or a file that is not a mapping is refused."""
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise SettingsError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise SettingsError(f"{path}: must map setting names to values (e.g. project_name: churn)")
    for key in raw:
        if key not in fields:
            raise SettingsError(f"{path}: {key}: not a setting (`make settings` lists them)")
        if key in secret_names(fields):
            raise SettingsError(f"{path}: {key}: a secret never goes in a committed file; put it in .env")
    return {str(key): value for key, value in raw.items()}


class ProjectSettingsFile(PydanticBaseSettingsSource):
    """The project's committed settings file as a settings source (below the environment)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[object, str, bool]:
        return None, field_name, False  # the whole file is read in __call__

    def __call__(self) -> dict[str, object]:
        return project_settings(self.settings_cls.model_fields)


def env_file() -> Path | None:
    """The machine's settings file: ``MLOPS_ENV_FILE``, else ``.env`` at the project's root; None when unset or
    absent."""
    named = os.environ.get(ENV_FILE_VARIABLE)
    path = Path(named) if named else (PROJECT_ROOT / ".env" if named is None else None)
    return path if path is not None and path.is_file() else None


def load_env_file() -> dict[str, str]:
    """Put the machine's settings file's variables into this process's environment, the environment winning.

    Any variable may be there (``MLOPS_*``, ``MLFLOW_TRACKING_URI``, ``PREFECT_API_URL``): processes
    this one starts inherit them. Returns what was taken from the file.
    """
    path = env_file()
    if path is None:
        return {}
    taken = {key: value for key, value in dotenv_values(path).items() if value is not None and key not in os.environ}
    os.environ.update(taken)
    return taken


def variable_names(name: str, fields: Fields) -> list[str]:
    """The environment variables that set field ``name``: its aliases, else ``MLOPS_<NAME>``."""
    alias = fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"MLOPS_{name.upper()}"]


def project_settings(fields: Fields) -> dict[str, object]:
    """What the project's settings file sets (empty without one)."""
    path = settings_file()
    return read_settings_file(path, fields) if path is not None else {}


def origin(name: str, fields: Fields, environment: set[str], from_env_file: dict[str, str]) -> str:
    """The layer that set ``name``: the environment, the machine's ``.env``, the project's settings file, or none."""
    return Layers(fields, environment, from_env_file, project_settings(fields)).origin(name)


@dataclass(frozen=True)
class Layers:
    """What each layer sets, read once: for naming the layer of many settings (`make settings`, an error)."""

    fields: Fields
    environment: set[str]
    from_env_file: dict[str, str]
    from_project_file: dict[str, object]

    def origin(self, name: str) -> str:
        for variable in variable_names(name, self.fields):
            if variable in self.environment:
                return f"environment ({variable})"
            if variable in self.from_env_file:
                return f"{env_file() or '.env'} ({variable})"
        return str(settings_file()) if name in self.from_project_file else "default"


def explained(error: ValidationError, fields: Fields, overridden: set[str], from_env_file: dict[str, str]) -> str:
    """Each broken rule as `<where the value came from>: <setting>: <rule>`."""
    layers = Layers(fields, set(os.environ) - set(from_env_file), from_env_file, project_settings(fields))
    lines = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else "settings"
        where = "a command's option" if name in overridden else layers.origin(name)
        lines.append(f"{where}: {name}: {problem['msg']}")
    return "invalid settings: " + "; ".join(lines)
