"""Level 2 stands on its own feet: the service needs nothing from level 1, the monitor only its flow."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ROOT / "level2_cicd" / "service"
SERVICE_MODULES = sorted(p for p in SERVICE.rglob("*.py") if p.name != "__main__.py")  # routes/ included
TRAINING_ONLY = ("level1_pipeline", "prefect", "great_expectations", "evidently", "matplotlib", "jupytext")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_service_source_imports_nothing_from_level1() -> None:
    offenders = {
        path.name: sorted(m for m in imported_modules(path) if m.startswith("level1_pipeline"))
        for path in SERVICE.rglob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_monitor_uses_level1_only_through_its_training_flow_and_what_it_returns_or_raises() -> None:
    used = {m for path in (ROOT / "level2_cicd" / "monitoring").glob("*.py") for m in imported_modules(path)}
    contract = {"level1_pipeline.flow", "level1_pipeline.outcome", "level1_pipeline.data_gate_report"}
    assert {m for m in used if m.startswith("level1_pipeline")} <= contract


def test_loading_the_service_pulls_in_no_training_stack() -> None:
    # given a fresh interpreter, when every service module is imported, then no training-only package is loaded
    names = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in SERVICE_MODULES if p.stem != "__init__"]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({TRAINING_ONLY!r})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
