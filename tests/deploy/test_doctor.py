"""`make doctor`: each check says ok, warn or BLOCKER with what to do (the stack part: tests/stack)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import doctor

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a process of its own
def test_the_doctor_runs_with_the_systems_python_and_passes_here() -> None:
    # given this checkout; when the doctor runs as make does (python3, no environment activated)
    done = subprocess.run(["python3", "deploy/doctor.py"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    # then it passes, one line per check, none a blocker
    assert done.returncode == 0, done.stdout + done.stderr
    assert "python 3." in done.stdout
    assert "BLOCKER" not in done.stdout


def test_a_lock_newer_than_the_environment_is_a_warning_naming_make_setup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("pyproject.toml", ".venv/.synced", "uv.lock"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    later = (tmp_path / ".venv" / ".synced").stat().st_mtime + 10
    os.utime(tmp_path / "uv.lock", (later, later))
    monkeypatch.setattr(doctor, "ROOT", tmp_path)
    found = doctor.environment_in_sync()
    assert (found.level, found.fix) == ("warn", "make setup")


def test_a_taken_port_of_the_last_stack_is_named_with_make_deploy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a stopped stack whose MLflow port another program holds now
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        (tmp_path / "state" / "stack").mkdir(parents=True)
        (tmp_path / "state" / "stack" / "ports.json").write_text(json.dumps({"mlflow": port}))
        monkeypatch.setattr(doctor, "ROOT", tmp_path)
        found = doctor.kept_ports()
    assert found.level == "warn"
    assert f"mlflow {port}" in found.what
    assert "make deploy" in found.fix


@pytest.mark.slow  # a process of its own
def test_invalid_settings_are_a_blocker_naming_the_setting() -> None:
    env = {**os.environ, "MLOPS_TRAIN_DAYS": "two"}
    done = subprocess.run(
        [sys.executable, "deploy/doctor.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert "BLOCKER  settings invalid" in done.stdout
    assert "train_days" in done.stdout


# Each prerequisite hidden in turn: the doctor names it and says what to do.


def test_a_python_outside_the_supported_range_is_a_blocker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "PYTHONS", ((3, 99), (3, 100)))  # the running Python is now too old
    found = doctor.python_version()
    assert found.level == "BLOCKER"
    assert "install Python 3.11-3.13" in found.fix


def test_too_little_disk_is_a_blocker_and_little_disk_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "FREE_DISK_GB", (1e9, 2e9))  # more than any disk has
    assert doctor.free_disk().level == "BLOCKER"
    monkeypatch.setattr(doctor, "FREE_DISK_GB", (0.0, 1e9))
    found = doctor.free_disk()
    assert (found.level, found.fix) == ("warn", "state/ grows with runs: make reset clears it")


def test_an_environment_never_installed_names_make_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "ROOT", tmp_path)  # a fresh clone: no .venv
    found = doctor.environment_in_sync()
    assert found.level == "warn"
    assert found.fix.startswith("make setup")


def test_postgresql_missing_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor, "POSTGRES_BIN", tmp_path)  # no binaries there
    monkeypatch.setenv("PATH", str(tmp_path))  # and none on the PATH
    found = doctor.postgres()
    assert found.level == "warn"
    assert "apt-get install postgresql-15" in found.fix


@pytest.mark.slow  # a process of its own
def test_chromium_and_prometheus_hidden_from_the_path_are_named_with_the_command(tmp_path: Path) -> None:
    # given a PATH that holds only the system's python3 (no chromium, prometheus, promtool)
    (tmp_path / "python3").symlink_to(
        sys.executable if Path("/usr/bin/python3").is_file() is False else "/usr/bin/python3"
    )
    env = {**os.environ, "PATH": str(tmp_path)}
    # when the doctor runs as make runs it
    done = subprocess.run(
        ["python3", "deploy/doctor.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    # then it names the three programs and the one command that installs them
    assert "not installed: chromium, prometheus, promtool" in done.stdout
    assert "sudo apt-get install -y chromium prometheus" in done.stdout


def _start_ui(target: str, port: int) -> int:
    """The entry point behind ``target`` (a UI `make doctor` checks), asked for ``port``."""
    from deploy import ui
    from level2_cicd.monitoring.__main__ import main as monitoring
    from level2_cicd.service.__main__ import main as service
    from workshop.notebook import main as notebook

    starts = {
        "make mlflow-ui": lambda: ui.main(["mlflow", str(port)]),
        "make prefect-server": lambda: ui.main(["prefect", str(port)]),
        "make serve": lambda: service(["--port", str(port)]),
        "make dashboard": lambda: monitoring(["dashboard", "--port", str(port)]),
        "make notebook": lambda: notebook(["--port", str(port), "--no-browser"]),
    }
    return starts[target]()


@pytest.mark.parametrize("target", sorted(doctor.UI_PORTS))
def test_a_taken_ui_port_is_an_error_naming_the_port(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    # given another program listening where the UI would go
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        # when the UI is asked for that port, then it stops at once, exit 1, naming the port (and, for the
        # workshop's UIs, how to choose another) instead of failing silently or moving elsewhere
        assert _start_ui(target, port) == 1
    said = capsys.readouterr().err
    assert f"127.0.0.1:{port} is taken by another program" in said
    if target != "make serve":
        assert f"{target} " in said


def test_the_doctor_warns_of_a_taken_ui_port(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        monkeypatch.setattr(doctor, "UI_PORTS", {"make mlflow-ui": port})
        found = doctor.ui_ports()
    assert found.level == "warn"
    assert found.what == f"taken by another program now: make mlflow-ui {port} (on macOS, AirPlay takes 5000)"
