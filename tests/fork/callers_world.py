"""A caller's world the test suite must neither read nor write: CI runs `make test` inside it.

`python3 -m tests.fork.callers_world exports FOLDER` writes, under FOLDER, the files a team's shell would point at
(its `.env`, its committed settings, policies sized for 7,500-row windows) and prints the `export` lines of every
variable such a shell has (the stack's servers, a Prefect API where nothing listens, tokens, the team's data and
project name, all under FOLDER); `... check FOLDER` fails when anything under FOLDER appeared or changed since. Plain
Python: `.ci/run` calls it before the environment exists.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from pathlib import Path

NOTHING_LISTENS = "http://127.0.0.1:9"  # the discard port: a client that reaches for it fails at once
SNAPSHOT = ".snapshot.json"
POLICY_KINDS = ("training", "monitoring", "release", "data")
FILES = {
    ".env": "MLOPS_PROJECT_NAME=canary\nMLOPS_TRAIN_DAYS=30\nMLOPS_ROWS_PER_DAY=7\nMLOPS_LABEL_DELAY_DAYS=5\n",
    "settings.yaml": "project_name: canary\ndata_source: files\ndata_path: nowhere\nlabel_delay_days: 5\n",
    "training_policy.yaml": "data_gate:\n  min_rows: 7500\nmodel_gate:\n  min_roc_auc: 0.99\n",
    "monitoring_policy.yaml": "min_rows: 350\ndrift:\n  max_drifted_share: 0.01\nquality:\n  min_labelled_rows: 300\n",
    "release_policy.yaml": "mode: shadow\nab_share: 0.9\n",
    "data_policy.yaml": "label_horizon_days: 1\n",
}


def variables(folder: Path) -> dict[str, str]:
    """What `eval "$(make -s stack-env)"` and a team's shell export, every path under ``folder``."""
    sqlite = f"sqlite:///{folder}"
    return {
        "MLOPS_STATE_DIR": str(folder / "state"),
        "MLOPS_DATA_SOURCE": "files",
        "MLOPS_DATA_PATH": str(folder / "data"),
        "MLOPS_PROJECT_NAME": "canary",
        "MLOPS_SEED": "999",
        "MLOPS_LABEL_DELAY_DAYS": "5",
        "MLOPS_PREDICTION_STORE_URL": f"{sqlite}/predictions.db",
        "MLOPS_SERVICE_URL": NOTHING_LISTENS,
        "MLOPS_ALERTMANAGER_URL": NOTHING_LISTENS,  # their on-call: a test that pushed an alarm there would fail
        "MLOPS_DASK_ADDRESS": "tcp://127.0.0.1:9",
        "MLOPS_SCORING_TOKEN": "callers-scoring-token",
        "MLOPS_LABELS_TOKEN": "callers-labels-token",
        "MLOPS_ADMIN_TOKEN": "callers-admin-token",
        "MLOPS_GITHUB_REPOSITORY": "caller/their-project",
        "MLOPS_GITHUB_TOKEN": "callers-github-token",
        "GITHUB_TOKEN": "callers-github-token",
        "MLOPS_ENV_FILE": str(folder / ".env"),
        "MLOPS_SETTINGS_FILE": str(folder / "settings.yaml"),
        **{f"MLOPS_{kind.upper()}_POLICY_FILE": str(folder / f"{kind}_policy.yaml") for kind in POLICY_KINDS},
        "MLFLOW_TRACKING_URI": f"{sqlite}/mlflow.db",
        "MLFLOW_REGISTRY_URI": f"{sqlite}/mlflow.db",
        "PREFECT_API_URL": f"{NOTHING_LISTENS}/api",
        "PREFECT_HOME": str(folder / "prefect"),
        "DASK_SCHEDULER_ADDRESS": "tcp://127.0.0.1:9",
    }


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (the snapshot itself aside) with a digest of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != SNAPSHOT
    } | {f"{p.relative_to(folder)}/": "" for p in folder.rglob("*") if p.is_dir()}


def prepare(folder: Path) -> dict[str, str]:
    """Write the caller's files under ``folder`` and remember them; returns the variables to export."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        (folder / name).write_text(text)
    (folder / SNAPSHOT).write_text(json.dumps(snapshot(folder)))
    return variables(folder)


def changes(folder: Path) -> list[str]:
    """What appeared, changed or went under ``folder`` since ``prepare``."""
    before, now = json.loads((folder / SNAPSHOT).read_text()), snapshot(folder)
    return sorted({name for name in before.keys() | now.keys() if before.get(name) != now.get(name)})


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("exports", "check"):
        print("usage: python3 -m tests.fork.callers_world exports|check FOLDER", file=sys.stderr)
        return 2
    folder = Path(argv[1]).resolve()
    if argv[0] == "exports":
        print("\n".join(f"export {key}={shlex.quote(value)}" for key, value in prepare(folder).items()))
        return 0
    found = changes(folder)
    if found:
        print(f"the tests wrote where the caller's variables point ({folder}): {', '.join(found)}", file=sys.stderr)
        return 1
    print(f"nothing written where the caller's variables point ({folder})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
