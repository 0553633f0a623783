"""`make settings`: every setting in force and where its value came from (environment, settings file, default)."""

from __future__ import annotations

import os
import sys

from pydantic import AliasChoices, SecretStr

from shared.settings import NAMED_AFTER_THE_PROJECT, Settings, env_file, load_env_file


def variable_names(name: str) -> list[str]:
    """The environment variables that set field ``name``: its aliases, else ``MLOPS_<NAME>``."""
    alias = Settings.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [f"MLOPS_{name.upper()}"]


def origin(name: str, environment: set[str], from_file: dict[str, str]) -> str:
    for variable in variable_names(name):
        if variable in environment:
            return f"environment ({variable})"
        if variable in from_file:
            return f"settings file ({variable})"
    return "default"


def shown(value: object) -> str:
    if isinstance(value, SecretStr):
        return "(set, hidden)"
    return "(unset)" if value is None else str(value)


def report(settings: Settings, environment: set[str], from_file: dict[str, str]) -> list[str]:
    def where(name: str) -> str:
        found = origin(name, environment, from_file)
        return "from project_name" if found == "default" and name in NAMED_AFTER_THE_PROJECT else found

    rows = [(name, shown(getattr(settings, name)), where(name)) for name in Settings.model_fields]
    width = max(len(name) for name, _, _ in rows)
    return [f"{name:<{width}}  {value}  [{where}]" for name, value, where in rows]


def main() -> int:
    environment = set(os.environ)  # before the file adds to it
    file = env_file()
    from_file = load_env_file()
    try:
        settings = Settings()
    except ValueError as invalid:
        print(f"error: {invalid}", file=sys.stderr)
        return 2
    print(f"settings file: {file if file else '(none: create .env at the project root, or set MLOPS_ENV_FILE)'}")
    print("\n".join(report(settings, environment, from_file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
