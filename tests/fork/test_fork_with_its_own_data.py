"""The template claim, on every commit: a fork with another dataset runs levels 0-2 by editing only
the schema, the data-source settings and the policies.

The fork here is scikit-learn's bundled breast-cancer data (no download): 8 numeric features (one nullable),
two categorical ones and an integer count added, a different label and id, event times over 60 days from a
date that is not the simulator's, in two files (a CSV whose times carry two UTC offsets, and a Parquet file),
the newest days' labels not yet known. It runs in a
temporary copy of this checkout, through the same entry points a user calls.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from shared.processes import free_port, running_server

# Processes and servers of its own (make test-fast skips it); and it rewrites *this* template's churn schema, so a
# fork's own `pytest -m "not churn"` (README step 6) deselects it.
pytestmark = [pytest.mark.slow, pytest.mark.churn]

ROOT = Path(__file__).resolve().parents[2]
FIRST_DATE = date(2025, 3, 10)
DAYS = 60
UNLABELLED_DAYS = 3

# What the fork writes into shared/schema.py: its features, id and label (nothing else changes).
FORK_FEATURES = """FEATURES: tuple[Feature, ...] = (
    Feature("radius", Kind.NUMERIC, "Mean radius of the cell nuclei.", 0.0, 50.0),
    Feature("texture", Kind.NUMERIC, "Mean texture (grey-scale deviation).", 0.0, 60.0),
    Feature("perimeter", Kind.NUMERIC, "Mean perimeter.", 0.0, 300.0),
    Feature("area", Kind.NUMERIC, "Mean area.", 0.0, 5000.0),
    Feature("smoothness", Kind.NUMERIC, "Mean smoothness.", 0.0, 1.0),
    Feature("compactness", Kind.NUMERIC, "Mean compactness.", 0.0, 1.0),
    Feature("concavity", Kind.NUMERIC, "Mean concavity; null when not measured.", 0.0, 1.0, nullable=True),
    Feature("symmetry", Kind.NUMERIC, "Mean symmetry.", 0.0, 1.0),
    Feature("lab", Kind.CATEGORICAL, "Which lab measured the case.", categories=("north", "south", "east")),
    Feature("size_band", Kind.CATEGORICAL, "Size band of the scan.", categories=("small", "medium", "large")),
    Feature("prior_visits", Kind.INTEGER, "Visits before this case.", 0, 30),
)

ID_COLUMN = "case_id"
TIME_COLUMN = "event_time"
LABEL_COLUMN = "malignant"
"""
SKLEARN_NAMES = {
    "mean radius": "radius",
    "mean texture": "texture",
    "mean perimeter": "perimeter",
    "mean area": "area",
    "mean smoothness": "smoothness",
    "mean compactness": "compactness",
    "mean concavity": "concavity",
    "mean symmetry": "symmetry",
}
FEATURE_COLUMNS = [*SKLEARN_NAMES.values(), "lab", "size_band", "prior_visits"]


def fork_data() -> pd.DataFrame:
    """The dated table a fork would export: ids, event times, features, the label (null while unknown)."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    frame = bunch.frame.rename(columns=SKLEARN_NAMES)[list(SKLEARN_NAMES.values())]
    rng = np.random.default_rng(0)
    frame["malignant"] = (1 - bunch.frame["target"]).astype(float)  # scikit-learn: 0 = malignant
    frame["concavity"] = frame["concavity"].mask(rng.random(len(frame)) < 0.03)
    frame["lab"] = rng.choice(["north", "south", "east"], len(frame))
    frame["size_band"] = pd.cut(frame["area"], [0, 500, 1000, np.inf], labels=["small", "medium", "large"]).astype(str)
    frame["prior_visits"] = np.minimum(rng.poisson(3, len(frame)), 30)
    seconds = np.sort(rng.uniform(0, DAYS * 86400, len(frame)))
    frame.insert(0, "event_time", pd.Timestamp(FIRST_DATE) + pd.to_timedelta(seconds, unit="s"))
    frame.insert(0, "case_id", [f"case-{i}" for i in range(len(frame))])
    unknown = frame["event_time"].dt.date >= FIRST_DATE + timedelta(days=DAYS - UNLABELLED_DAYS)
    frame.loc[unknown, "malignant"] = np.nan
    return frame


def _replace(path: Path, pattern: str, new: str) -> None:
    text = path.read_text()
    changed, count = re.subn(pattern, lambda _: new, text, flags=re.DOTALL)
    assert count == 1, f"{pattern!r} not found once in {path}"
    path.write_text(changed)


@dataclass(frozen=True)
class Fork:
    root: Path
    env: dict[str, str]
    data: pd.DataFrame

    def run(self, *args: str, timeout: float = 400) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, *args], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done


@pytest.fixture(scope="module")
def fork(tmp_path_factory: pytest.TempPathFactory) -> Fork:
    root = tmp_path_factory.mktemp("fork") / "project"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True
    )
    for name in listed.stdout.splitlines():
        if (ROOT / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, root / name)
    # the three things a fork edits: the schema, the policies (sized for ~10 rows a day), the source settings
    _replace(
        root / "shared/schema.py",
        r"FEATURES: tuple\[Feature, \.\.\.\] = \(.*?\nLABEL_COLUMN = \"churned\"\n",
        FORK_FEATURES,
    )
    _replace(root / "config/training_policy.yaml", r"min_rows: 1000", "min_rows: 100")
    _replace(root / "config/monitoring_policy.yaml", r"min_rows: 200", "min_rows: 5")
    _replace(root / "config/monitoring_policy.yaml", r"min_labelled_rows: 100", "min_labelled_rows: 5")
    if (ROOT / ".tools").is_dir():
        (root / ".tools").symlink_to(ROOT / ".tools")  # the pinned uv `make setup` installed (not in git)
    data = fork_data()
    (root / "data").mkdir()
    half = len(data) // 2
    exported = data.iloc[:half].copy()  # as two offices export it: the same instants with two UTC offsets
    utc = exported["event_time"].dt.tz_localize("UTC")
    paris, new_york = utc.dt.tz_convert("Europe/Paris"), utc.dt.tz_convert("America/New_York")
    exported["event_time"] = [
        (p if i % 2 else n).isoformat() for i, (p, n) in enumerate(zip(paris, new_york, strict=True))
    ]
    exported.to_csv(root / "data" / "cases-2025a.csv", index=False)
    data.iloc[half:].to_parquet(root / "data" / "cases-2025b.parquet", index=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "MLFLOW_TRACKING", "PREFECT_API"))}
    env |= {
        "MLOPS_STATE_DIR": str(root / "state"),
        "MLOPS_DATA_SOURCE": "files",
        "MLOPS_DATA_PATH": str(root / "data"),
        "MLOPS_PROJECT_NAME": "cancer",
        "PREFECT_HOME": str(root / "state" / "prefect"),
    }
    return Fork(root, env, data)


def test_the_fork_runs_its_own_code_not_this_checkouts(fork: Fork) -> None:
    done = fork.run("-c", "import shared.schema as s; print(s.__file__, s.LABEL_COLUMN)")
    assert done.stdout.split() == [str(fork.root / "shared" / "schema.py"), "malignant"]


def test_level0_trains_on_the_newest_labelled_window(fork: Fork) -> None:
    fork.run("-m", "level0_manual.notebook")
    handoff = fork.root / "state" / "level0" / "handoff"
    assert (handoff / "model.joblib").is_file()
    newest_labelled = FIRST_DATE + timedelta(days=DAYS - UNLABELLED_DAYS - 1)
    assert f'"last": "{newest_labelled}"' in (handoff / "metrics.json").read_text()


@pytest.fixture(scope="module")
def level1(fork: Fork) -> str:
    return fork.run("-m", "level1_pipeline", "run").stdout


def test_level1_gates_registers_and_promotes(level1: str) -> None:
    assert "model version 1: PROMOTED to champion" in level1
    newest_labelled = FIRST_DATE + timedelta(days=DAYS - UNLABELLED_DAYS - 1)
    assert f"..{newest_labelled}" in level1


@dataclass(frozen=True)
class ForkService:
    base: str


@pytest.fixture(scope="module")
def service(fork: Fork, level1: str) -> Iterator[ForkService]:
    port = free_port()
    command = [sys.executable, "-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, fork.env, f"{base}/ready", timeout=120, cwd=fork.root, quiet=True):
        yield ForkService(base)


def _features(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Feature rows as JSON: missing values as null."""
    records = frame[FEATURE_COLUMNS].to_dict("records")
    return [{str(k): (None if v != v else v) for k, v in row.items()} for row in records]


def test_the_service_serves_the_forks_model_and_logs_feedback(fork: Fork, service: ForkService) -> None:
    day = fork.data[fork.data["event_time"].dt.date == FIRST_DATE + timedelta(days=50)]
    answer = httpx.post(f"{service.base}/predict", json={"rows": _features(day)}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert {p["model_version"] for p in answer.json()["predictions"]} == {"1"}
    assert httpx.get(f"{service.base}/model").json()["name"] == "cancer-model"  # named after the fork's project
    assert httpx.get(f"{service.base}/ready").json()["ready"] is True  # the fast path or its fallback loaded
    refused = httpx.post(f"{service.base}/predict", json={"rows": [{"radius": 1.0}]}, timeout=30)
    assert refused.status_code == 422
    assert {e["loc"][-1] for e in refused.json()["detail"]} >= {"texture", "symmetry"}


def test_replay_then_one_monitoring_window_on_the_forks_calendar(fork: Fork, service: ForkService) -> None:
    # given the fork's last days, the unlabelled newest ones included, replayed through its service (make replay)
    monitored = FIRST_DATE + timedelta(days=DAYS - UNLABELLED_DAYS - 1)
    first, last = monitored - timedelta(days=3), FIRST_DATE + timedelta(days=DAYS - 1)
    days = fork.data[fork.data["event_time"].dt.date.between(first, last)]
    rows, labels = len(days), int(days["malignant"].notna().sum())
    assert 0 < labels < rows, "the range must hold labelled and unlabelled rows, or it shows nothing"
    replayed = fork.run("-m", "level2_cicd.replay", "--from", str(first), "--to", str(last), "--url", service.base)
    # then every row was answered, and only the labels the files know were sent
    assert f"{rows} rows answered, 0 refused, {labels} labels sent" in replayed.stdout, replayed.stdout
    assert f"next: make monitor DAY={monitored} " in replayed.stdout
    # when the monitor looks at the newest labelled day, by date
    done = fork.run("-m", "level2_cicd.monitoring", "run", "--day", str(monitored))
    # then it judged that day's predictions (not an empty simulator day) and wrote its report
    day_number = (monitored - FIRST_DATE).days
    said = rf"^{monitored} \(day {day_number} of the source\): (ok|drift|decay) "  # dates, for people
    assert re.search(said, done.stdout, flags=re.MULTILINE), done.stdout
    assert (fork.root / "state" / "level2" / "reports" / f"day-{day_number:03d}" / "drift.html").is_file()


def test_the_generic_test_suite_passes_unchanged_on_the_forks_schema(fork: Fork) -> None:
    # given the fork's copy (its schema, its policies)
    env = {k: v for k, v in fork.env.items() if not k.startswith("MLOPS_")}

    def pytest_in_fork(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests", *args]
        done = subprocess.run(command, cwd=fork.root, env=env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, done.stdout[-4000:]
        return done

    # when the README's step 6 command collects the fork's tests, then every one of them imports and collects
    readme = pytest_in_fork("-m", "not churn", "--collect-only", "-q", timeout=600)
    assert re.search(r"\d+/\d+ tests collected \(\d+ deselected\)", readme.stdout), readme.stdout[-2000:]
    # and its in-process tests pass: their data is made from the fork's schema. (The slow ones, servers and
    # processes, walk the entry points the tests of this file run on the fork's own data: level 0, level 1, the
    # service, a monitoring window; running them all again inside the fork would double the suite.)
    done = pytest_in_fork("-q", "-m", "not churn and not slow and not stack", timeout=900)
    assert re.search(r"\d+ passed", done.stdout)
