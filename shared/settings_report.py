"""`make settings`: every setting in force and the layer its value came from (later layers win):
default < the project's settings file (config/settings.yaml, committed) < .env (this machine, secrets) < environment.
"""

from __future__ import annotations

import argparse
import os
import sys

from pydantic import SecretStr

from shared.settings import NAMED_AFTER_THE_PROJECT, Settings, env_file, load_env_file, load_settings, settings_file
from shared.settings_layers import Layers, project_settings

# The settings by concern, as the class declares them: each concern's title at its first field (`make settings`).
CONCERN_STARTS = {
    "project_name": "the project: its name, what it names, where its state lives",
    "data_source": "data: the source, the simulated world, the training window",
    "training_policy_file": "policies: versioned files of the project's judgement",
    "tracking_uri": "servers: tracking, the clients' limits, Dask",
    "service_url": "level 2: the service",
    "level2_folder": "level 2: the prediction log and the monitor",
    "alertmanager_url": "alerts and CI",
}


def shown(value: object) -> str:
    if isinstance(value, SecretStr):
        return "(set, hidden)"
    return "(unset)" if value is None else str(value)


def report(settings: Settings, environment: set[str], from_env_file: dict[str, str]) -> list[str]:
    layers = Layers(Settings.model_fields, environment, from_env_file, project_settings(Settings.model_fields))

    def where(name: str) -> str:
        found = layers.origin(name)
        return "from project_name" if found == "default" and name in NAMED_AFTER_THE_PROJECT else found

    width = max(len(name) for name in Settings.model_fields)
    lines = []
    for name in Settings.model_fields:
        if name in CONCERN_STARTS:
            lines.append(f"-- {CONCERN_STARTS[name]}")
        lines.append(f"{name:<{width}}  {shown(getattr(settings, name))}  [{where(name)}]")
    return lines


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    environment = set(os.environ)  # before .env adds to it
    try:
        project = settings_file()
        machine = env_file()
        from_env_file = load_env_file()
        settings = load_settings()
    except ValueError as invalid:
        print(f"error: {invalid}", file=sys.stderr)
        return 2
    print("layers (a later one wins): default < project settings file < .env < environment")
    print(f"project settings file (committed): {project or '(none: config/settings.yaml, or MLOPS_SETTINGS_FILE)'}")
    print(f"machine settings file (.env, not committed: secrets, local servers): {machine or '(none)'}")
    print("\n".join(report(settings, environment, from_env_file)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
