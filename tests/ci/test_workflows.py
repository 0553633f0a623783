"""CI/CD as code: the workflow files are valid offline, and everything they call exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def make_targets() -> set[str]:
    return set(re.findall(r"^([a-zA-Z0-9_-]+):", (ROOT / "Makefile").read_text(), flags=re.MULTILINE))


def test_the_seven_workflows_exist() -> None:
    expected = {"ci.yml", "cd.yml", "retrain.yml", "upstream.yml", "audit.yml", "devcontainer.yml", "drills.yml"}
    assert {w.name for w in WORKFLOWS} == expected


def test_the_audit_runs_weekly_and_when_the_lock_changes_read_only() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "audit.yml").read_text())
    triggers = workflow[True]  # YAML 1.1: on
    assert "schedule" in triggers
    assert "uv.lock" in triggers["push"]["paths"]
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert "make audit" in " ".join(step.get("run", "") for step in job["steps"])


def test_upstream_runs_weekly_and_on_demand_never_commits_and_keeps_what_failed() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "upstream.yml").read_text())
    assert {"schedule", "workflow_dispatch"} == set(workflow[True])  # YAML 1.1: on
    assert workflow["permissions"] == {"contents": "read"}  # the newest lock stays in the job
    (job,) = workflow["jobs"].values()
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert "make upstream-check" in runs
    (upload,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert upload["if"] == "failure()"
    assert {"state/upstream/versions.md", "state/upstream/junit.xml"} <= set(upload["with"]["path"].split())


def test_the_scheduled_drills_are_the_long_ones_and_every_drill_runs_somewhere() -> None:
    from deploy.drill import DRILLS

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "drills.yml").read_text())
    assert {"schedule", "workflow_dispatch"} == set(workflow[True])  # YAML 1.1: on
    (job,) = workflow["jobs"].values()
    runs = " ".join(step.get("run", "") for step in job["steps"])
    (named,) = re.findall(r'make drill NAME="([^"]+)"', runs)
    assert set(named.split()) == {name for name, drill in DRILLS.items() if drill.long}  # the walks run the rest
    assert job["steps"][-1] == {"name": "Stop the stack", "if": "always()", "run": "make stack-down"}


def test_workflows_pass_the_github_workflow_schema_offline() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_make_target_a_workflow_calls_exists(workflow: Path) -> None:
    called = set(re.findall(r"\bmake (?:-\S+ )*([a-zA-Z0-9_][a-zA-Z0-9_-]*)", workflow.read_text()))  # options skipped
    assert called, f"{workflow.name} calls no make target"
    assert called <= make_targets(), f"{workflow.name} calls missing targets: {called - make_targets()}"


def test_ci_runs_the_same_targets_as_the_ci_script() -> None:
    called = re.compile(r"^\s*(?:run: )?make ([a-z-]+)\s*$", re.MULTILINE)
    ci = set(called.findall((ROOT / ".github" / "workflows" / "ci.yml").read_text()))
    script = set(called.findall((ROOT / ".ci" / "run").read_text()))
    assert {"lint", "test", "test-workshop", "test-fork"} <= script
    assert ci == script


def test_retrain_listens_to_the_monitors_dispatch() -> None:
    triggers = yaml.safe_load((ROOT / ".github" / "workflows" / "retrain.yml").read_text())[True]  # YAML 1.1: on
    assert triggers["repository_dispatch"]["types"] == ["retrain"]
    assert {"schedule", "workflow_dispatch"} <= set(triggers)


def test_prefect_deployments_point_at_real_flows() -> None:
    import importlib

    from prefect import Flow

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    for deployment in spec["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, name), Flow), deployment["name"]
