"""The compose file and the alert rules, checked offline (no Docker engine here: nothing is started)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import missing_program

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
TOPOLOGY = {"postgres", "storage", "mlflow", "prefect-server", "prefect-worker", "service", "prometheus", "grafana"}
TOPOLOGY |= {"dask-scheduler", "dask-worker", "alertmanager", "alert-receiver"}
GRAFANA = ROOT / "deploy" / "grafana"
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
    built = {service["image"] for service in services.values() if "build" in service}
    for name, service in services.items():
        image = service.get("image", "")
        if "build" in service:
            assert image.endswith(":local"), f"{name}: a built image gets a local name"
            continue
        if image in built:
            continue  # the project image another service builds
        tag = image.rsplit(":", 1)[-1] if ":" in image else ""
        assert re.search(r"\d", tag), f"{name}: image {image!r} is not pinned to a version"


def test_every_long_running_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    missing = [name for name, service in services.items() if name not in ONE_SHOT and "healthcheck" not in service]
    assert missing == []


def exported_metrics() -> set[str]:
    return set(re.findall(r'"([a-z_]+)",\s*\n?\s*"', (ROOT / "level2_cicd/service/metrics.py").read_text()))


def rules() -> list[dict[str, Any]]:
    return [r for group in yaml.safe_load(ALERTS.read_text())["groups"] for r in group["rules"]]


PROMETHEUS_OWN = frozenset({"up"})  # the series Prometheus writes for every scrape target itself


def known_series() -> set[str]:
    """What a rule or a panel may query: the service's metrics, Prometheus's own per target, the recorded series."""
    return exported_metrics() | PROMETHEUS_OWN | {r["record"] for r in rules() if "record" in r}


def test_rules_use_metrics_the_service_exports_or_the_rules_record() -> None:
    assert any("alert" in r for r in rules())
    assert any("record" in r for r in rules())
    for rule in rules():
        name = rule.get("alert") or rule["record"]
        base = {re.sub(r"_(bucket|count|sum)$", "", metric) for metric in metric_names(rule["expr"])}
        assert base, f"{name}: no metric found in its expression"
        assert base <= known_series(), f"{name}: {sorted(base - known_series())} neither exported nor recorded"


def test_grafana_panels_query_known_series_from_the_provisioned_data_source() -> None:
    datasource = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text())
    uid = datasource["datasources"][0]["uid"]
    dashboard = json.loads((GRAFANA / "dashboards" / "prediction-service.json").read_text())
    targets = [t for panel in dashboard["panels"] for t in panel["targets"]]
    assert targets
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == uid, panel["title"]
    for target in targets:
        unknown = {re.sub(r"_(bucket|count|sum)$", "", m) for m in metric_names(target["expr"])} - known_series()
        assert unknown == set(), f"{target['expr']}: {sorted(unknown)}"


def test_every_file_the_compose_file_mounts_exists(services: dict[str, Any]) -> None:
    mounts = [v.split(":", 1)[0] for s in services.values() for v in s.get("volumes", []) if v.startswith("./")]
    assert mounts
    assert [m for m in mounts if not (COMPOSE.parent / m).exists()] == []


def metric_names(expr: str) -> set[str]:
    """The metric names of a PromQL expression: identifiers that are not functions, keywords or labels."""
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)  # label matchers and ranges
    bare = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", bare)  # grouping labels
    words = set(re.findall(r"(?<![\w:])([a-z_][a-z0-9_:]*)(?![\w:])(?!\s*\()", bare))
    return words - {"and", "or", "unless"}


@pytest.mark.skipif(
    shutil.which("promtool") is None,
    reason=missing_program("promtool", "prometheus"),
)
def test_alert_rules_pass_promtool() -> None:
    done = subprocess.run(["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
