"""A fork of another shape, made from this checkout as a team would make it (for the fork test and `make test-fork`).

The fork is scikit-learn's bundled breast-cancer data (no download): 8 numeric features (one nullable),
two categorical ones and an integer count added, a different label and id, event times over 60 days from a
date that is not the simulator's, in two files (a CSV whose times carry two UTC offsets, and a Parquet file),
the newest days' labels not yet known. What the fork edits: `shared/schema.py`, its settings file `.env`
and the thresholds in `config/*.yaml`; nothing else.

`make test-fork` runs tests/fork/test_fork_with_its_own_data.py (levels 0-2 on the fork's own files), then
`python -m tests.fork.another_shape [FOLDER]`, which makes the fork in FOLDER/project (a new temporary
folder otherwise, removed when the tests pass) and runs the README's step-6 test command there,
`make test ARGS="-m 'not churn'"`: the fork installs its own environment and runs its own tests. Its exit code
is the command's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
FIRST_DATE = date(2025, 3, 10)
DAYS = 60
UNLABELLED_DAYS = 3
NEWEST_LABELLED = FIRST_DATE + timedelta(days=DAYS - UNLABELLED_DAYS - 1)
# variables naming this checkout's world: its settings, servers and environment
THIS_CHECKOUTS = ("MLOPS_", "MLFLOW_TRACKING", "PREFECT_API", "PREFECT_HOME", "VIRTUAL_ENV")
README_TEST_COMMAND = ["make", "test", "ARGS=-m 'not churn'"]

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
# What the fork writes into its settings file, `.env` at its root (README step 2).
FORK_SETTINGS = "MLOPS_DATA_SOURCE=files\nMLOPS_DATA_PATH=data\nMLOPS_PROJECT_NAME=cancer\n"
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
    if count != 1:
        raise AssertionError(f"{pattern!r} not found once in {path}")
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


def _copy_checkout(root: Path) -> None:
    """The checkout's files as git sees them (tracked and new, not ignored): a clone with today's edits."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    for name in listed.stdout.splitlines():
        if (ROOT / name).is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, root / name)


def _write_data(folder: Path, data: pd.DataFrame) -> None:
    """Two files as two offices export them: a CSV whose times carry two UTC offsets (same instants), a Parquet."""
    folder.mkdir()
    half = len(data) // 2
    exported = data.iloc[:half].copy()
    utc = exported["event_time"].dt.tz_localize("UTC")
    paris, new_york = utc.dt.tz_convert("Europe/Paris"), utc.dt.tz_convert("America/New_York")
    exported["event_time"] = [
        (p if i % 2 else n).isoformat() for i, (p, n) in enumerate(zip(paris, new_york, strict=True))
    ]
    exported.to_csv(folder / "cases-2025a.csv", index=False)
    data.iloc[half:].to_parquet(folder / "cases-2025b.parquet", index=False)


def make_fork(root: Path) -> Fork:
    """Copy this checkout to ``root`` and make the fork's three edits; its data in ``root/data``."""
    _copy_checkout(root)
    _replace(
        root / "shared/schema.py",
        r"FEATURES: tuple\[Feature, \.\.\.\] = \(.*?\nLABEL_COLUMN = \"churned\"\n",
        FORK_FEATURES,
    )
    # the thresholds, sized for ~10 rows a day (README step 3)
    _replace(root / "config/training_policy.yaml", r"min_rows: 1000", "min_rows: 100")
    _replace(root / "config/monitoring_policy.yaml", r"min_rows: 200", "min_rows: 5")
    _replace(root / "config/monitoring_policy.yaml", r"min_labelled_rows: 100", "min_labelled_rows: 5")
    (root / ".env").write_text(FORK_SETTINGS)
    if (ROOT / ".tools").is_dir():
        (root / ".tools").symlink_to(ROOT / ".tools")  # the pinned uv `make setup` installed (not in git)
    data = fork_data()
    _write_data(root / "data", data)
    # the fork's commands see only its own settings: none of this checkout's servers, files or names
    env = {k: v for k, v in os.environ.items() if not k.startswith(THIS_CHECKOUTS)}
    own_bin = str(ROOT / ".venv" / "bin")  # `uv run` put this checkout's environment first on PATH
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != own_bin)
    return Fork(root, env, data)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="mlops-fork-"))
    fork = make_fork(folder / "project")
    print(f"a fork of another shape in {fork.root}; there: {' '.join(README_TEST_COMMAND)}", flush=True)
    code = subprocess.run(README_TEST_COMMAND, cwd=fork.root, env=fork.env).returncode
    if code == 0 and not args:
        shutil.rmtree(folder, ignore_errors=True)
    elif code != 0:
        print(f"the fork's tests failed (exit {code}); the fork stays in {fork.root} to look at", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
