"""The workshop guide, walked as a participant would: its commands, in its order, in one fresh state folder.

Every command of `docs/workshop.md` that finishes by itself is run (exercise 4's `make level2`, its
covariate variation, then its A/B release); every claim after **You should see** must be in that command's
output, every file a step names must exist, and exercise 4's day numbers must be the timeline's.
"""

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
from tests.workshop.conftest import YOUR_OWN_LEVEL2
from tests.workshop.walk import Ran, run, timeline
from workshop.guide import read_guide

# The guide tells the churn world's story (a fork rewrites both). The walk runs every guide command in the first
# test's setup: minutes, longer while other test files run beside it.
pytestmark = [pytest.mark.churn, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
MAKE_TARGET = re.compile(r"^([a-zA-Z0-9_-]+):.*## ", re.MULTILINE)


def test_every_make_command_of_the_guide_is_a_documented_target() -> None:
    targets = set(MAKE_TARGET.findall((ROOT / "Makefile").read_text()))
    named = {c.split()[1] for step in read_guide() for c in step.commands if c.startswith("make ")}
    assert named
    assert named <= targets


def test_every_walked_command_exits_as_the_guide_says(walk: dict[tuple[int, int], list[Ran]]) -> None:
    failing_on_purpose = {(3, 1)}  # the data gate refuses the batch: exit 3
    for key, runs in walk.items():
        for ran in runs:
            assert ran.exit_code == (3 if key in failing_on_purpose else 0), f"{ran.command}:\n{ran.output[-3000:]}"


def test_the_walk_keeps_what_it_made_in_its_state_folder(
    walk: dict[tuple[int, int], list[Ran]], guide_state: Path
) -> None:
    assert (guide_state / "mlflow" / "mlflow.db").is_file()  # embedded MLflow
    assert (guide_state / "prefect").is_dir()  # Prefect's home, not ~/.prefect
    assert (guide_state / "level2-demo" / "predictions.db").is_file()  # make level2's own folder


def test_make_level2_leaves_your_own_level2_state_in_place(
    walk: dict[tuple[int, int], list[Ran]], guide_state: Path
) -> None:
    # given a participant's own level 2 session before the walk (tests/workshop/conftest.py), then its file survived
    # every `make level2` of the guide
    assert (guide_state / YOUR_OWN_LEVEL2).read_text() == "a make serve / make replay session of yours"


def test_level2_retrains_on_what_its_service_logged(walk: dict[tuple[int, int], list[Ran]], guide_state: Path) -> None:
    from mlflow import MlflowClient

    # the retraining's lineage names the prediction log: it learned from served, labelled predictions
    client = MlflowClient(tracking_uri=f"sqlite:///{guide_state / 'mlflow' / 'mlflow.db'}")
    retrained = client.get_model_version("churn-model-level2", "2")
    tags = client.get_run(str(retrained.run_id)).data.tags
    assert tags["data_source"] == "prediction_log"
    assert tags["prediction_store"] == f"sqlite:///{guide_state / 'level2-demo' / 'predictions.db'}"
    assert "- data_source: `prediction_log`" in (retrained.description or "")  # its model card says so


def test_exercise_4_gives_the_same_lesson_again_in_a_fresh_run(walk: dict[tuple[int, int], list[Ran]]) -> None:
    # the release run (4.5) starts from a fresh level 2 state in the same world, after the covariate variation
    # ran in between: until its retraining it lives exactly the days of the first `make level2`
    first, again = timeline(walk[(4, 1)][0].output), timeline(walk[(4, 5)][0].output)
    retrained = next(d.day for d in first if d.note.startswith("RETRAINED"))
    before = [d for d in first if d.day < retrained]
    assert len(before) >= 10
    assert before == [d for d in again if d.day < retrained]


def test_exercise_4_days_are_the_ones_the_guide_names(walk: dict[tuple[int, int], list[Ran]]) -> None:
    text = next(s.text for s in read_guide() if (s.exercise, s.number) == (4, 1))
    ok_until = int(re.search(r"`ok` until day (\d+)", text)[1])  # type: ignore[index]
    decay_from = int(re.search(r"`decay` from day (\d+)", text)[1])  # type: ignore[index]
    version, retrained_on = map(int, re.search(r"`RETRAINED -> v(\d+) promoted`\s+on day (\d+)", text).groups())  # type: ignore[union-attr]
    auc, recovered_from = re.search(r"live AUC back near ([\d.]+) from day (\d+)", text).groups()  # type: ignore[union-attr]
    days = {d.day: d for d in timeline(walk[(4, 1)][0].output)}
    assert {d.status for n, d in days.items() if n <= ok_until} == {"ok"}
    assert days[decay_from].status == "decay"
    assert [n for n, d in days.items() if d.note.startswith("RETRAINED")] == [retrained_on]
    assert days[retrained_on].note.startswith(f"RETRAINED -> v{version} promoted; ")
    assert "retrain on days" in days[retrained_on].note  # the decision's reason is on the line too
    assert {d.serving for n, d in days.items() if n < retrained_on} == {"1"}
    assert {d.serving for n, d in days.items() if n >= retrained_on} == {str(version)}
    assert all(abs((d.auc or 0) - float(auc)) <= 0.03 for n, d in days.items() if n >= int(recovered_from))


def test_the_covariate_variation_drifts_on_its_onset_and_its_retraining_is_not_promoted(
    walk: dict[tuple[int, int], list[Ran]],
) -> None:
    text = next(s.text for s in read_guide() if (s.exercise, s.number) == (4, 4))
    drift_from = int(re.search(r"`drift` from day (\d+)", text)[1])  # type: ignore[index]
    days = {d.day: d for d in timeline(walk[(4, 4)][0].output)}
    assert {d.status for n, d in days.items() if n < drift_from} == {"ok"}
    assert days[drift_from].status == "drift"
    retrainings = [d for d in days.values() if d.note.startswith("RETRAINED")]
    assert len(retrainings) == 1
    assert "NOT promoted" in retrainings[0].note
    assert {d.serving for d in days.values()} == {"1"}  # a retrained model that loses leaves the champion serving


def test_the_ab_release_promotes_the_challenger_only_after_its_live_test(
    walk: dict[tuple[int, int], list[Ran]],
) -> None:
    text = next(s.text for s in read_guide() if (s.exercise, s.number) == (4, 5))
    version, made_on = map(int, re.search(r"`RETRAINED -> v(\d+) CHALLENGER`\s+on day (\d+)", text).groups())  # type: ignore[union-attr]
    promoted_on = int(re.search(r"on day (\d+)\s+`PROMOTED after its live test`", text)[1])  # type: ignore[index]
    days = {d.day: d for d in timeline(walk[(4, 5)][0].output)}
    # the retrained model became a challenger; the champion kept serving while labels of the test arrived
    assert days[made_on].note.startswith(f"RETRAINED -> v{version} CHALLENGER")
    assert {d.serving for n, d in days.items() if n < promoted_on} == {"1"}
    assert all("collecting labels" in days[n].note for n in range(made_on + 1, promoted_on))
    # then the live test promoted it with the whole interval of the AUC difference above zero
    verdict = days[promoted_on].note
    assert verdict.startswith(f"PROMOTED after its live test ab v{version}: challenger better on live labels")
    low = float(re.search(r"interval \[([+-][\d.]+),", verdict)[1])  # type: ignore[index]
    assert low > 0
    assert {d.serving for n, d in days.items() if n >= promoted_on} == {str(version)}


def test_exercise_3_prints_one_clean_report(walk: dict[tuple[int, int], list[Ran]]) -> None:
    # the room sees the report once, each problem once, no traceback (the details stay in Prefect and MLflow)
    (ran,) = walk[(3, 1)]
    output = ran.output
    assert "Traceback" not in output
    assert output.count("data gate FAILED") == 1
    assert "columns not in the schema: 'usage_hrs'" in output  # the renamed column is named
    assert "'0 calls'" in output or "'1 calls'" in output  # the retyped column shows its text values
    assert len(output.strip().splitlines()) < 15


@pytest.mark.walk
def test_exercise_3s_level0_contrast_is_what_level0_does_with_the_broken_batch(tmp_path: Path) -> None:
    # given the discussion of exercise 3: level 0 on the same batch, typed as the guide types it
    step = next(s for s in read_guide() if s.exercise == 3 and "make level0" in s.text)
    command = next(span for span in re.findall(r"`([^`]+)`", step.text) if span.endswith("make level0"))
    said = re.search(r"raises `([^`]+)`", step.text)
    assert said is not None, step.text
    # when a participant runs it
    ran = run(command, tmp_path)
    # then level 0 stops as the guide says, before any model is handed off
    assert ran.exit_code != 0, ran.output[-2000:]
    assert said.group(1) in ran.output, ran.output[-2000:]
    assert not (tmp_path / "level0" / "handoff" / "model.joblib").exists()


# `make dashboard` (exercise 4.3) in a real browser: Evidently's UI over the windows the walk's level 2 run monitored
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
