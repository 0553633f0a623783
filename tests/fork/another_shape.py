"""A fork of another shape, made as a team makes it and kept up to date as a team would (`make test-fork`).

The fork is scikit-learn's bundled breast-cancer data (no download): 8 numeric features (one nullable),
two categorical ones and an integer count added, its own label, id and time column (`measured_at`), event times
over 60 days from a date that is not the simulator's, in two files (a CSV whose times carry two UTC offsets, and a
Parquet file), the newest days' labels not yet known. The fork is made from an **older commit** of this template (the
first with the fork layout: a fork's own things in `config/`), where it edits only `config/schema.yaml`,
`config/settings.yaml` and thresholds in `config/*.yaml`, commits, and then takes this checkout's current commit with
`make template-update` (it must merge with no conflict and keep the fork's files).

`make test-fork` runs tests/fork/test_fork_with_its_own_data.py (levels 0-2 on the fork's own files, thresholds sized
for its ~10 rows a day), then `python -m tests.fork.another_shape [FOLDER]`, which makes such a fork with thresholds
sized for 7,500-row windows in FOLDER/project (a new temporary folder otherwise, removed when the tests pass) and runs
the README's step-6 test command there, `make test MARKERS="not churn"`, inside a caller's world
(tests/fork/callers_world.py: the fork's shell exports its servers, tokens and data); nothing may appear where those
variables point. Both take this checkout's committed HEAD, not uncommitted edits. The exit code is the command's.
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

from tests.fork import callers_world

ROOT = Path(__file__).resolve().parents[2]
FIRST_DATE = date(2025, 3, 10)
DAYS = 60
UNLABELLED_DAYS = 3
NEWEST_LABELLED = FIRST_DATE + timedelta(days=DAYS - UNLABELLED_DAYS - 1)
TIME_COLUMN = "measured_at"
# variables naming this checkout's world: its settings, servers and environment
THIS_CHECKOUTS = ("MLOPS_", "MLFLOW_", "PREFECT_", "VIRTUAL_ENV", "GITHUB_", "DASK_")
README_TEST_COMMAND = ["make", "test", "MARKERS=not churn"]
FORK_LAYOUT = ".gitattributes"  # the fork layout arrived with it: the oldest commit a fork is made from
IDENTITY = {
    f"GIT_{who}_{what}": value
    for who in ("AUTHOR", "COMMITTER")
    for what, value in (("NAME", "A fork's team"), ("EMAIL", "team@fork.invalid"))
}

# What the fork writes into config/schema.yaml (README step 1).
FORK_SCHEMA = f"""# The cases our lab scores (a fork of mlops-levels).
version: 1
id_column: case_id
time_column: {TIME_COLUMN}
label_column: malignant
features:
  - {{name: radius, kind: numeric, description: Mean radius of the cell nuclei., minimum: 0.0, maximum: 50.0}}
  - {{name: texture, kind: numeric, description: Mean texture (grey-scale deviation)., minimum: 0.0, maximum: 60.0}}
  - {{name: perimeter, kind: numeric, description: Mean perimeter., minimum: 0.0, maximum: 300.0}}
  - {{name: area, kind: numeric, description: Mean area., minimum: 0.0, maximum: 5000.0}}
  - {{name: smoothness, kind: numeric, description: Mean smoothness., minimum: 0.0, maximum: 1.0}}
  - {{name: compactness, kind: numeric, description: Mean compactness., minimum: 0.0, maximum: 1.0}}
  - name: concavity
    kind: numeric
    description: Mean concavity; null when not measured.
    minimum: 0.0
    maximum: 1.0
    nullable: true
  - {{name: symmetry, kind: numeric, description: Mean symmetry., minimum: 0.0, maximum: 1.0}}
  - {{name: lab, kind: categorical, description: Which lab measured the case., categories: [north, south, east]}}
  - {{name: size_band, kind: categorical, description: Size band of the scan., categories: [small, medium, large]}}
  - {{name: prior_visits, kind: integer, description: Visits before this case., minimum: 0, maximum: 30}}
"""
# What the fork writes into config/settings.yaml (README step 2): committed, so every clone reads its data.
FORK_SETTINGS = {"project_name": "cancer", "data_source": "files", "data_path": "data"}
Thresholds = dict[str, dict[str, float]]
# Its thresholds (README step 3), by file and key: sized for its ~10 rows a day, or for 7,500-row windows.
SMALL_THRESHOLDS: Thresholds = {
    "training_policy.yaml": {"min_rows": 100},
    "monitoring_policy.yaml": {"min_rows": 5, "min_labelled_rows": 5},
}
LARGE_THRESHOLDS: Thresholds = {
    "training_policy.yaml": {"min_rows": 7500, "min_roc_auc": 0.8},
    "monitoring_policy.yaml": {"min_rows": 350, "min_labelled_rows": 300, "max_drifted_share": 0.2},
}
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
    frame.insert(0, TIME_COLUMN, pd.Timestamp(FIRST_DATE) + pd.to_timedelta(seconds, unit="s"))
    frame.insert(0, "case_id", [f"case-{i}" for i in range(len(frame))])
    unknown = frame[TIME_COLUMN].dt.date >= FIRST_DATE + timedelta(days=DAYS - UNLABELLED_DAYS)
    frame.loc[unknown, "malignant"] = np.nan
    return frame


def _set(path: Path, key: str, value: object) -> None:
    """Change one value in place, as a team edits a shipped file (the key must occur once, at any depth)."""
    text = path.read_text()
    changed, count = re.subn(rf"(?m)^(\s*{key}:\s*)[^\s#]+", lambda m: f"{m.group(1)}{value}", text)
    if count != 1:
        raise AssertionError(f"{key!r} not found once in {path}")
    path.write_text(changed)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=os.environ | IDENTITY)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


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


def oldest_fork_layout() -> str:
    """The oldest commit of this checkout with the fork layout: the older the base, the more an update must merge."""
    return git(ROOT, "log", "--diff-filter=A", "--format=%H", "--", FORK_LAYOUT).splitlines()[-1]


def _fork_from(root: Path, base: str) -> None:
    """Clone this checkout to ``root`` at commit ``base``, as a team's fork of that day's template."""
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(root)], check=True, timeout=300)
    git(root, "checkout", "--quiet", "-b", "fork", base)


def _take_the_template(root: Path) -> str:
    """`make template-update` in the fork, taking this checkout's committed HEAD; it must merge with no conflict."""
    branch = git(ROOT, "symbolic-ref", "--short", "HEAD")
    command = [sys.executable, "deploy/template_update.py", "--template", str(ROOT), "--branch", branch]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, env=os.environ | IDENTITY, timeout=300)
    assert done.returncode == 0, f"the fork did not take the template's {branch}: {done.stdout}{done.stderr}"
    assert git(ROOT, "rev-parse", "HEAD") in git(root, "rev-list", "HEAD"), "the template's HEAD was not merged"
    return done.stdout


def _write_data(folder: Path, data: pd.DataFrame) -> None:
    """Two files as two offices export them: a CSV whose times carry two UTC offsets (same instants), a Parquet."""
    folder.mkdir()
    half = len(data) // 2
    exported = data.iloc[:half].copy()
    utc = exported[TIME_COLUMN].dt.tz_localize("UTC")
    paris, new_york = utc.dt.tz_convert("Europe/Paris"), utc.dt.tz_convert("America/New_York")
    exported[TIME_COLUMN] = [
        (p if i % 2 else n).isoformat() for i, (p, n) in enumerate(zip(paris, new_york, strict=True))
    ]
    exported.to_csv(folder / "cases-2025a.csv", index=False)
    data.iloc[half:].to_parquet(folder / "cases-2025b.parquet", index=False)


def _edit_as_the_team(config: Path, thresholds: Thresholds) -> None:
    """The fork's edits: its schema, its settings, its thresholds; nothing outside config/."""
    (config / "schema.yaml").write_text(FORK_SCHEMA)
    for key, value in FORK_SETTINGS.items():
        if re.search(rf"(?m)^{key}:", (config / "settings.yaml").read_text()):
            _set(config / "settings.yaml", key, value)
        else:
            with (config / "settings.yaml").open("a") as file:
                file.write(f"{key}: {value}\n")
    for name, values in thresholds.items():
        for threshold, number in values.items():
            _set(config / name, threshold, number)


def make_fork(root: Path, thresholds: Thresholds = SMALL_THRESHOLDS) -> Fork:
    """A fork made from the oldest commit with the fork layout, edited there, then updated to this checkout's HEAD."""
    _fork_from(root, oldest_fork_layout())
    _edit_as_the_team(root / "config", thresholds)
    git(root, "commit", "--quiet", "-am", "Our fork: our schema, settings and thresholds")
    ours = {name: (root / "config" / name).read_text() for name in ("schema.yaml", "settings.yaml", *thresholds)}
    _take_the_template(root)
    assert {name: (root / "config" / name).read_text() for name in ours} == ours, "the update changed the fork's own"
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
    fork = make_fork(folder / "project", LARGE_THRESHOLDS)
    world = folder / "callers-world"
    env = fork.env | callers_world.prepare(world)
    print(f"a fork of another shape in {fork.root}; there, in its team's shell: {' '.join(README_TEST_COMMAND)}")
    code = subprocess.run(README_TEST_COMMAND, cwd=fork.root, env=env).returncode
    written = callers_world.changes(world)
    if written:
        print(f"the fork's tests wrote where its shell's variables point ({world}): {', '.join(written)}", flush=True)
        code = code or 1
    if (fork.root / "state").exists():
        print(f"the fork's tests wrote into its state folder ({fork.root / 'state'})", flush=True)
        code = code or 1
    if code == 0 and not args:
        shutil.rmtree(folder, ignore_errors=True)
    elif code != 0:
        print(f"the fork's tests failed (exit {code}); the fork stays in {fork.root} to look at", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
