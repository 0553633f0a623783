"""The compose file and the alert rules, checked offline (no Docker engine here: nothing is started)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
TOPOLOGY = {"postgres", "storage", "mlflow", "prefect-server", "prefect-worker", "service", "prometheus"}
ONE_SHOT = {"create-bucket"}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text())["services"])


def test_compose_file_follows_the_compose_spec() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_part_of_the_topology_is_a_service(services: dict[str, Any]) -> None:
    assert set(services) >= TOPOLOGY


def test_every_image_is_pinned(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image = service.get("image", "")
        if "build" in service:
            assert image.endswith(":local"), f"{name}: a built image gets a local name"
            continue
        tag = image.rsplit(":", 1)[-1] if ":" in image else ""
        assert re.search(r"\d", tag), f"{name}: image {image!r} is not pinned to a version"


def test_every_long_running_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    missing = [name for name, service in services.items() if name not in ONE_SHOT and "healthcheck" not in service]
    assert missing == []


def test_alert_rules_use_metrics_the_service_exports() -> None:
    exported = set(re.findall(r'"([a-z_]+)",\s*\n?\s*"', (ROOT / "level2_cicd/service/metrics.py").read_text()))
    rules = [r for group in yaml.safe_load(ALERTS.read_text())["groups"] for r in group["rules"]]
    assert rules
    for rule in rules:
        base = {re.sub(r"_(bucket|count|sum)$", "", name) for name in metric_names(rule["expr"])}
        assert base, f"{rule['alert']}: no metric found in its expression"
        assert base <= exported, f"{rule['alert']}: {sorted(base - exported)} not exported by the service"


def metric_names(expr: str) -> set[str]:
    """The metric names of a PromQL expression: identifiers that are not functions, keywords or labels."""
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)  # label matchers and ranges
    bare = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", bare)  # grouping labels
    words = set(re.findall(r"\b([a-z_][a-z0-9_]*)\b(?!\s*\()", bare))
    return words - {"and", "or", "unless"}


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (Debian: prometheus)")
def test_alert_rules_pass_promtool() -> None:
    done = subprocess.run(["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
