"""The service image's environment (base dependencies only, as the Dockerfile installs) really serves."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from shared.data.synthetic import schema_rows
from shared.schema import to_records
from tests.level2_cicd.conftest import TrainedRegistry, serving

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

ROOT = Path(__file__).resolve().parents[3]
UV = ROOT / ".tools" / "uv" / "bin" / "uv"
TRAINING_ONLY = ("prefect", "great_expectations", "evidently", "matplotlib", "flask", "notebook", "pytest")


@pytest.fixture(scope="module")
def service_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment synced from the lock with the base dependencies only (what the image gets)."""
    if not UV.is_file():
        pytest.fail(f"{UV} missing: run `make setup`")
    venv = tmp_path_factory.mktemp("service-env") / "venv"
    # without the Makefile's UV_COMPILE_BYTECODE: compiling the whole environment (~20 s of CPU) for the few modules
    # the service imports (compiled as it imports them) would slow the suite, not test anything more
    kept = {key: value for key, value in os.environ.items() if key != "UV_COMPILE_BYTECODE"}
    env = kept | {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_LINK_MODE": "copy"}
    command = [str(UV), "sync", "--frozen", "--no-default-groups", "--no-install-project", "--quiet"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return venv / "bin" / "python"


def test_service_environment_has_no_training_stack(service_python: Path) -> None:
    code = f"import importlib.util as u; print([m for m in {TRAINING_ONLY!r} if u.find_spec(m)])"
    done = subprocess.run([str(service_python), "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_service_runs_and_predicts_from_the_service_environment(
    service_python: Path, trained_registry: TrainedRegistry, tmp_path: Path
) -> None:
    # given the registry trained by level 1, when the service starts from the image's environment
    with serving(trained_registry, f"sqlite:///{tmp_path / 'log.db'}", python=str(service_python)) as service:
        rows = to_records(schema_rows(5, seed=3))
        response = httpx.post(f"{service.base_url}/predict", json={"rows": rows}, timeout=30)
    # then it serves the champion
    assert response.status_code == 200, response.text
    assert [p["model_version"] for p in response.json()["predictions"]] == ["1"] * len(rows)
