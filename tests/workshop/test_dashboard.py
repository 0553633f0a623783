"""`make dashboard` in a real browser: Evidently's UI over the windows the guide's level 2 run monitored."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from shared.data.source import source_from
from shared.processes import free_port, running_server
from shared.settings import Settings
from tests.conftest import missing_program
from tests.workshop.walk import ROOT, Ran, timeline

pytestmark = [pytest.mark.churn, pytest.mark.slow]  # reads the guide walk's level 2 run
PANELS = (
    "Share of drifted features",
    "Drift score per feature",
    "Live ROC AUC on labelled predictions",
    "Rejected-row share",
    "Served model version",
)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
OFFLINE = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def rendered(url: str, folder: Path) -> str:
    """The page's DOM once headless Chromium has run its scripts and drawn the charts."""
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,2400", *OFFLINE]
    command += [f"--user-data-dir={folder}", "--virtual-time-budget=20000", "--dump-dom", url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.skipif(
    CHROMIUM is None,
    reason=missing_program("chromium", "chromium"),
)
def test_the_dashboard_draws_every_monitored_window_in_a_browser(
    walk: dict[tuple[int, int], list[Ran]], guide_state: Path, tmp_path: Path
) -> None:
    # given the windows the last level 2 run of the guide monitored (its covariate variation)
    days = [d.day for d in timeline(walk[(4, 4)][0].output)]
    # when `make dashboard` serves them and a browser opens the project's dashboard
    port = free_port()
    env = {**os.environ, "MLOPS_STATE_DIR": str(guide_state)}
    command = [sys.executable, "-m", "level2_cicd.monitoring", "dashboard", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, env, f"{base}/api/projects", timeout=90, cwd=ROOT, quiet=True):
        (project,) = httpx.get(f"{base}/api/projects").json()
        page = rendered(f"{base}/projects/{project['id']}", tmp_path / "chromium")
    # then every panel is drawn, with one point per window (the per-feature panel: one per feature and window)
    assert project["name"] == "churn-model-level2"
    for title in PANELS:
        assert title in page
    points = len(re.findall(r"MuiMarkElement-root", page))
    assert points >= len(days) * (len(PANELS) - 1)
    # and the time axis spans the monitored days
    calendar = source_from(Settings()).calendar
    assert f"{calendar.date_of(days[0])} 00:00:00" in page
