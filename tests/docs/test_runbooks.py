"""Every alert has its runbook and every runbook its alert; what a runbook tells you to run exists."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from shared.alerts import RUNBOOKS, Alarm, AlertName, Severity

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / RUNBOOKS
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"


def rule_annotations() -> dict[str, dict[str, str]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule["annotations"] for group in groups for rule in group["rules"] if "alert" in rule}


def test_every_rule_names_its_runbook_and_the_page_exists() -> None:
    for alert, said in rule_annotations().items():
        assert said.get("runbook_url") == f"{RUNBOOKS}/{alert}.md", alert
        assert (ROOT / said["runbook_url"]).is_file(), alert


def test_every_pushed_alert_names_its_runbook_and_the_page_exists() -> None:
    from datetime import UTC, datetime

    for name in AlertName:
        posted = Alarm(name, Severity.PAGE, "s").as_posted("p", datetime.now(UTC))
        assert (ROOT / posted["annotations"]["runbook_url"]).is_file(), name


def test_every_page_is_an_alert_and_the_index_lists_each_one() -> None:
    alerts = set(rule_annotations()) | {name.value for name in AlertName}
    pages = {page.stem for page in PAGES.glob("*.md")} - {"README"}
    assert pages == alerts
    index = (PAGES / "README.md").read_text()
    assert {name for name in re.findall(r"^\| \[(\w+)\]\(\1\.md\)", index, re.MULTILINE)} == alerts


def test_every_command_and_file_a_runbook_names_exists(tmp_path: Path) -> None:
    from deploy.programs import programs
    from deploy.topology import Ports, Stack
    from level2_cicd.service.routes import admin, explain, info, invocations, labels, scoring

    targets = set(re.findall(r"^([a-zA-Z0-9_-]+):.*## ", (ROOT / "Makefile").read_text(), re.MULTILINE))
    routers = (admin, explain, info, invocations, labels, scoring)
    routes = {str(getattr(route, "path", "")) for router in routers for route in router.router.routes}
    programs_named = {program.name for program in programs(Stack(tmp_path, Ports.free()), tmp_path / "data")}
    for page in PAGES.glob("*.md"):
        text = page.read_text()
        assert set(re.findall(r"make (?:-s )?([a-z][a-z0-9-]*)", text)) <= targets, page.name
        assert set(re.findall(r"\$MLOPS_SERVICE_URL(/[a-z/]+)", text)) <= routes, page.name
        assert set(re.findall(r"state/stack/logs/([a-z-]+)\.log", text)) <= programs_named, page.name
        for path in re.findall(r"`((?:config|deploy)/[\w/.-]+\.(?:yaml|yml|py))`", text):
            assert (ROOT / path).is_file(), f"{page.name}: {path}"
