"""The workshop guide, walked as a participant would: its commands, in its order, in one fresh state folder.

Every command of `docs/workshop.md` that finishes by itself is run (exercise 4's `make level2` twice in
a row, then its covariate variation); every claim after **You should see** must be in that command's
output, every file a step names must exist, and exercise 4's day numbers must be the timeline's.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from workshop.guide import GuideStep, claim_pattern, names_a_file, read_guide, walked

pytestmark = pytest.mark.churn  # the guide tells the churn world's story; a fork rewrites both

ROOT = Path(__file__).resolve().parents[2]
MAKE_TARGET = re.compile(r"^([a-zA-Z0-9_-]+):.*## ", re.MULTILINE)
ROW = re.compile(r"^ *(\d+) +(\d+) +(\S+) +(\S+) +(\w+) +v(\d+) *(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Ran:
    command: str
    output: str
    exit_code: int


@dataclass(frozen=True)
class Day:
    day: int
    auc: float | None
    status: str
    serving: str
    note: str


def timeline(output: str) -> list[Day]:
    return [
        Day(int(m[1]), None if m[4] == "-" else float(m[4]), m[5], m[6], m[7].strip()) for m in ROW.finditer(output)
    ]


def run(command: str, state: Path) -> Ran:
    servers = ("PREFECT_API_URL", "MLFLOW_TRACKING_URI", "PREFECT_HOME", "MLOPS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(servers)} | {"MLOPS_STATE_DIR": str(state)}
    done = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return Ran(command, done.stdout + done.stderr, done.returncode)


def check_claims(step: GuideStep, ran: Ran, state: Path) -> None:
    for claim in step.claims:
        if not names_a_file(claim):
            assert claim_pattern(claim).search(ran.output), (
                f"exercise {step.exercise}.{step.number}: {claim!r} not in:\n{ran.output[-3000:]}"
            )
    for span in re.findall(r"`([^`]+)`", step.text):
        if names_a_file(span):
            assert _exists(span, state), f"exercise {step.exercise}.{step.number}: {span} does not exist"


def _exists(name: str, state: Path) -> bool:
    if name.startswith("state/"):
        return any(state.glob(re.sub(r"<[^>]+>", "*", name.removeprefix("state/")).rstrip("/")))
    return (ROOT / name).exists() or any(state.rglob(name))


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("guide-state")


@pytest.fixture(scope="module")
def walk(state: Path) -> dict[tuple[int, int], list[Ran]]:
    """Each step's runs, keyed by (exercise, step); claims are checked as the walk goes, like in the room."""
    runs: dict[tuple[int, int], list[Ran]] = {}
    last: Ran | None = None
    for step in read_guide():
        commands = [c for c in step.commands if walked(c)]
        if step.exercise == 4 and step.number == 1:
            commands *= 2  # twice in a row: the same lesson both times
        for command in commands:
            last = run(command, state)
            runs.setdefault((step.exercise, step.number), []).append(last)
        if last is not None and (commands or not step.commands):
            check_claims(step, last, state)
        if step.commands and not commands:
            last = None  # a server or a long command the walk does not run: its claims are not checked
    return runs


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


def test_the_walk_keeps_what_it_made_in_its_state_folder(walk: dict[tuple[int, int], list[Ran]], state: Path) -> None:
    assert (state / "mlflow" / "mlflow.db").is_file()  # embedded MLflow
    assert (state / "prefect").is_dir()  # Prefect's home, not ~/.prefect
    assert (state / "level2" / "predictions.db").is_file()


def test_level2_retrains_on_what_its_service_logged(walk: dict[tuple[int, int], list[Ran]], state: Path) -> None:
    from mlflow import MlflowClient

    # the retraining's lineage names the prediction log: it learned from served, labelled predictions
    client = MlflowClient(tracking_uri=f"sqlite:///{state / 'mlflow' / 'mlflow.db'}")
    retrained = client.get_model_version("churn-model-level2", "2")
    tags = client.get_run(str(retrained.run_id)).data.tags
    assert tags["data_source"] == "prediction_log"
    assert tags["prediction_store"] == f"sqlite:///{state / 'level2' / 'predictions.db'}"
    assert "- data_source: `prediction_log`" in (retrained.description or "")  # its model card says so


def test_exercise_4_gives_the_same_lesson_twice_in_a_row(walk: dict[tuple[int, int], list[Ran]]) -> None:
    first, second = (timeline(r.output) for r in walk[(4, 1)])
    assert len(first) >= 10
    assert first == second


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
    assert days[retrained_on].note == f"RETRAINED -> v{version} promoted"
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


def test_exercise_3_prints_one_clean_report(walk: dict[tuple[int, int], list[Ran]]) -> None:
    # the room sees the report once, each problem once, no traceback (the details stay in Prefect and MLflow)
    (ran,) = walk[(3, 1)]
    output = ran.output
    assert "Traceback" not in output
    assert output.count("data gate FAILED") == 1
    assert "columns not in the schema: 'usage_hrs'" in output  # the renamed column is named
    assert "'0 calls'" in output or "'1 calls'" in output  # the retyped column shows its text values
    assert len(output.strip().splitlines()) < 15
