"""Benchmark: wall time of `make level1` vs `make level0` on one data window, and where it goes.

Run with `make bench-level1`. Prints a Markdown section; `--write` appends it to docs/benchmarks.md.
Each command is what a user types (`make level0`, `make level1`: make, uv and a fresh Python process) in a
throw-away state folder: once on a new state (it creates the MLflow/Prefect databases), then ``WARM_RUNS``
times on the state it left; the target compares the medians of the warm runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from shared.project import PROJECT_ROOT
from shared.settings_environment import environment_for

ROOT = PROJECT_ROOT
WARM_RUNS = 5
TARGET_SECONDS = 6.0  # level 1 may cost this much more than level 0, warm (issue 25)

IMPORTS = {
    "scikit-learn": "import sklearn.ensemble, sklearn.pipeline",
    "prefect": "import prefect",
    "mlflow": "import mlflow, mlflow.sklearn",
    "great_expectations": "import great_expectations",
    "level 1 CLI start (what `run` imports before the flow)": "import level1_pipeline.cli",
}


def _env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "MLFLOW_TRACKING_URI"))}
    env.pop("PREFECT_HOME", None)
    return env | environment_for(state_dir=state)


def wall(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def import_cost(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def orchestration_startup(state: Path) -> float:
    """First flow call of a fresh process on an existing Prefect database (temporary local server)."""
    code = (
        "import time\nfrom prefect import flow\n@flow\ndef noop():\n    return 1\n"
        "t = time.perf_counter(); noop(); print(time.perf_counter() - t)"
    )
    env = _env(state) | {"PREFECT_HOME": str(state / "prefect"), "PREFECT_LOGGING_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def in_process_steps(state: Path) -> dict[str, float]:
    """Validation, training and tracking of the default window, timed in one warm process."""
    from level1_pipeline.data_gate import validate_frame
    from level1_pipeline.policy import load_training_policy
    from level1_pipeline.steps import ingest_window, split_window, train
    from level1_pipeline.tracking import TrainingRun
    from shared.data.source import resolve_day, source_from
    from shared.data.windows import DataWindow
    from shared.model import ModelParams
    from shared.registry import Registry
    from shared.schema import conform
    from shared.settings import load_settings
    from shared.tracking import connect

    settings = load_settings(state_dir=state / "steps")
    policy = load_training_policy(ROOT / settings.training_policy_file)
    window = DataWindow.ending_on(resolve_day(source_from(settings), settings.last_day), settings.train_days)
    timings: dict[str, float] = {}

    def timed(name: str, fn, *args):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        value = fn(*args)
        timings[name] = time.perf_counter() - start
        return value

    frame = timed("ingest (simulate the window)", ingest_window, settings, window)
    timed("data validation (GX, first call)", validate_frame, frame, policy.data_gate)
    timed("data validation (GX, again)", validate_frame, frame, policy.data_gate)
    split = split_window(conform(frame, require_label=True), policy.split)
    trained = timed("training", train, split, ModelParams())
    experiment = timed("tracking: connect + create SQLite DB", connect, settings)
    run = TrainingRun.start(experiment, "bench", {})
    timed("tracking: log datasets", lambda: (run.log_dataset(split.train, "train", "training"), None))
    uri, model_id = timed("tracking: log model (explicit requirements)", run.log_model, trained.model, frame)
    timed("registry: register version", Registry(settings.model_name).register, uri, model_id, run.run_id, {})
    return timings


def runs(command: list[str], env: dict[str, str]) -> list[float]:
    """The first run (new state), then WARM_RUNS more on the state it left."""
    return [wall(command, env) for _ in range(1 + WARM_RUNS)]


def _row(name: str, times: list[float]) -> str:
    warm = times[1:]
    return f"| {name} | {times[0]:.1f} s | {statistics.median(warm):.1f} s | {min(warm):.1f}-{max(warm):.1f} s |"


def measure() -> str:
    make = ["make", "-s", "--no-print-directory"]
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        level0 = runs([*make, "level0"], _env(state / "l0"))
        level1 = runs([*make, "level1"], _env(state / "l1"))
        servers = {k: os.environ[k] for k in ("MLFLOW_TRACKING_URI", "PREFECT_API_URL") if os.environ.get(k)}
        on_stack = []
        if len(servers) == 2:  # `eval "$(make -s stack-env)"` first: the same command against real servers
            on_stack = runs([*make, "level1"], _env(state / "l1s") | servers)
        startup = orchestration_startup(state / "l1")
        imports = {name: import_cost(stmt) for name, stmt in IMPORTS.items()}
        steps = in_process_steps(state)
    difference = statistics.median(level1[1:]) - statistics.median(level0[1:])
    lines = [
        f"## Level 1 vs level 0 wall time ({datetime.now(UTC):%Y-%m-%d})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}. Default window (21 days x 2,000 rows).",
        "",
        f"Each command as typed (make, uv, a fresh process): the first run on a new state folder, then {WARM_RUNS} "
        "on the state it left.",
        "",
        f"| command | first run (new state) | median of {WARM_RUNS} warm runs | warm range |",
        "| --- | --- | --- | --- |",
        _row("`make level0`", level0),
        _row("`make level1`", level1),
        *([_row("`make level1` against the running stack (MLflow and Prefect servers)", on_stack)] if on_stack else []),
        "",
        f"Level 1 costs {difference:+.1f} s over level 0, warm (medians; target <= +{TARGET_SECONDS:.0f} s: "
        f"{'met' if difference <= TARGET_SECONDS else 'not met'}).",
        "",
        "| where level 1's time goes | seconds |",
        "| --- | --- |",
        *(f"| import {name} (fresh process) | {cost:.2f} |" for name, cost in imports.items()),
        f"| orchestration start-up: first flow call, temporary local Prefect server | {startup:.2f} |",
        *(f"| {name} | {cost:.2f} |" for name, cost in steps.items()),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="append the result to docs/benchmarks.md")
    args = parser.parse_args()
    report = measure()
    print(report)
    if args.write:
        target = ROOT / "docs" / "benchmarks.md"
        target.parent.mkdir(exist_ok=True)
        if not target.exists():
            target.write_text("# Benchmarks\n\nFigures measured by the scripts under `bench/`.\n\n")
        with target.open("a") as out:
            out.write(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
