"""The container a participant on Windows or a locked-down laptop opens (.devcontainer/): valid by the dev container
specification's rules for what it uses, and one in which the guide runs unchanged. No Docker engine here: the
build and the guide's first exercise inside it run in .github/workflows/devcontainer.yml."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from deploy.doctor import UI_PORTS
from workshop.kit import PYTHONS

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".devcontainer" / "devcontainer.json"
# From the specification's devContainer.base.schema.json (devcontainers/spec): every top-level property of an
# image-based container, and the rules of those this one sets.
SPEC_PROPERTIES = {
    "$schema", "name", "features", "overrideFeatureInstallOrder", "secrets", "forwardPorts", "portsAttributes",
    "otherPortsAttributes", "updateRemoteUserUID", "containerEnv", "containerUser", "mounts", "init", "privileged",
    "capAdd", "securityOpt", "remoteEnv", "remoteUser", "initializeCommand", "onCreateCommand", "updateContentCommand",
    "postCreateCommand", "postStartCommand", "postAttachCommand", "waitFor", "userEnvProbe", "hostRequirements",
    "customizations", "appPort", "runArgs", "shutdownAction", "overrideCommand", "workspaceFolder", "workspaceMount",
    "image",
}  # fmt: skip
PORT_NUMBER = {"type": "integer", "minimum": 0, "maximum": 65535}
PORT_OF_HOST = {"type": "string", "pattern": r"^([a-z0-9-]+):(\d{1,5})$"}
SIZE = {"type": "string", "pattern": r"^\d+([tgmk]b)?$"}
PORT_ATTRIBUTES = {
    "type": "object",
    "properties": {
        "label": {"type": "string"},
        "onAutoForward": {"enum": ["notify", "openBrowser", "openBrowserOnce", "openPreview", "silent", "ignore"]},
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["image"],
    "propertyNames": {"enum": sorted(SPEC_PROPERTIES)},
    "properties": {
        "name": {"type": "string"},
        "image": {"type": "string"},
        "forwardPorts": {"type": "array", "items": {"oneOf": [PORT_NUMBER, PORT_OF_HOST]}},
        "portsAttributes": {"type": "object", "patternProperties": {r"(^\d+(-\d+)?$)|(.+)": PORT_ATTRIBUTES}},
        "otherPortsAttributes": PORT_ATTRIBUTES,
        "containerEnv": {"type": "object", "additionalProperties": {"type": "string"}},
        "postCreateCommand": {"type": ["string", "array", "object"]},
        "hostRequirements": {
            "type": "object",
            "properties": {"cpus": {"type": "integer", "minimum": 1}, "memory": SIZE, "storage": SIZE},
        },
        "customizations": {"type": "object"},
    },
}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return dict(json.loads(CONFIG.read_text()))


def test_the_devcontainer_follows_the_specifications_rules(config: dict[str, Any]) -> None:
    # given the dev container definition; when it is checked against the specification's rules
    jsonschema.validate(config, SCHEMA)
    # then it passes; and the same rules refuse what a typo would write (the check itself is live)
    with pytest.raises(jsonschema.ValidationError, match="forwardPort"):
        jsonschema.validate(config | {"forwardPort": [5000]}, SCHEMA)
    with pytest.raises(jsonschema.ValidationError, match="4gigs"):
        jsonschema.validate(config | {"hostRequirements": {"memory": "4gigs"}}, SCHEMA)


def test_the_guide_runs_in_it_unchanged(config: dict[str, Any]) -> None:
    # given the container's image: a Debian with Python, git and make (the full python image), on a kit platform
    version = re.fullmatch(r"mcr\.microsoft\.com/devcontainers/python:1-(3\.\d+)-bookworm", config["image"])
    assert version is not None, config["image"]
    major, minor = map(int, version.group(1).split("."))
    assert (major, minor) in PYTHONS  # a Python of pyproject.toml's whose wheels a workshop kit holds
    # then every UI the guide opens is forwarded to the participant's browser, under its make target's name
    assert sorted(config["forwardPorts"]) == sorted(UI_PORTS.values())
    labels = {int(port): attributes["label"] for port, attributes in config["portsAttributes"].items()}
    assert all(target in labels[port] for target, port in UI_PORTS.items())
    # and opening it checks the room's needs (make doctor) without installing: the guide's first command does
    assert config["postCreateCommand"] == "make doctor"


def test_ci_builds_it_and_runs_the_first_exercise_inside() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "devcontainer.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["build-and-run"]["steps"]]
    assert any(run.startswith("devcontainer up --workspace-folder .") for run in runs)
    assert "devcontainer exec --workspace-folder . make level0" in runs
