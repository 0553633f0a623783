"""Policy files: versioned YAML read into strict, frozen models; errors name the file and the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from shared.project import PROJECT_ROOT


class StrictModel(BaseModel):
    """Frozen, and unknown keys are errors: a typo in a policy file fails loudly."""

    model_config = ConfigDict(frozen=True, extra="forbid")


PolicyT = TypeVar("PolicyT", bound=BaseModel)


class PolicyError(ValueError):
    """A policy file that is missing, unreadable or breaks a rule; names the file and the field."""


def project_path(path: Path) -> Path:
    """A relative path as given when it exists from here, else relative to the project folder.

    Workers and services started elsewhere (a Prefect worker's temporary directory, a container's
    WORKDIR) still find the project's `config/`.
    """
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path


def read_policy(path: Path, model: type[PolicyT]) -> PolicyT:
    """Any policy file: YAML validated by a strict model, errors naming the file and the fields."""
    path = project_path(path)
    if not path.is_file():
        raise PolicyError(f"{path}: policy file not found")
    try:
        raw = yaml.safe_load(path.read_text())
        return model.model_validate(raw)
    except yaml.YAMLError as error:
        raise PolicyError(f"{path}: not valid YAML: {error}") from None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise PolicyError(f"{path}: {problems}") from None


def changed(policy: PolicyT, **changes: Any) -> PolicyT:
    """A copy of ``policy`` with ``changes``, validated by the policy's own rules (a value it does not allow raises)."""
    return type(policy).model_validate(policy.model_dump() | changes)


def write_policy(policy: BaseModel, path: Path) -> Path:
    """A policy object written as the file its loader reads back (a run logs the file it read, so the record holds)."""
    path.write_text(yaml.safe_dump(policy.model_dump(mode="json"), sort_keys=False))
    return path
