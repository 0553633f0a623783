"""Settings as the environment of a process this one starts: the child's own ``Settings`` reads them back."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from shared.settings import Settings
from shared.settings_layers import SettingsError, secret_names, variable_names


def as_environment(settings: Settings) -> dict[str, str]:
    """The one serialisation of settings for a process this one starts: every value set (in any layer), as the
    variables the child's own ``Settings`` reads, secrets included (they stay in the child's environment)."""
    values = settings.model_dump(mode="json", exclude_unset=True)
    secrets = {name: getattr(settings, name) for name in secret_names(Settings.model_fields) if name in values}
    values |= {name: secret.get_secret_value() for name, secret in secrets.items() if secret is not None}
    return {variable_names(name, Settings.model_fields)[0]: str(value) for name, value in values.items()}


def environment_for(**values: object) -> dict[str, str]:
    """The variables that give a process these few settings (a stack's addresses, a drill's data), each name checked
    to be a setting and each value against its rule: a misspelt or renamed one is an error here, not a variable the
    child silently ignores."""
    fields, problems = Settings.model_fields, []
    for name, value in values.items():
        if name not in fields:
            problems.append(f"{name}: not a setting (shared/settings.py)")
            continue
        field = fields[name]
        rule: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        try:
            TypeAdapter(rule).validate_python(value)
        except ValidationError as error:
            problems.append(f"{name}={value!r}: {error.errors()[0]['msg']}")
    if problems:
        raise SettingsError("; ".join(problems))
    return {variable_names(name, fields)[0]: str(value) for name, value in values.items()}
