"""Benchmark: batch scoring on a local Dask cluster of 2 workers against one process of MLflow's pyfunc.

Run with `make bench-batch` (`--rows 1000000 4000000 10000000` by default, `--partition-rows`). For each
size the simulator writes partitioned Parquet once; then, on the same files in the same run:
- baseline: one process, `mlflow.pyfunc.load_model(...).predict` partition by partition, scored
  Parquet written per partition; once as installed (scikit-learn's OpenMP threads use every core
  while it predicts) and once held to one OpenMP thread (one core);
- Dask: the batch job's own `run` (read, schema check, score, atomic write) on a local cluster of
  2 worker processes, the cluster's start included, the prediction log left out (the baseline
  does not log either); one extra line at the smallest size logs to SQLite.
Each runs in its own process, whose tree's resident memory is sampled every 0.1 s (peak RSS of the
biggest process and of the whole tree). Prints a Markdown section; `--write` appends it to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import machine, publish

MB = 1024 * 1024


def register_model(state: str) -> dict[str, Any]:
    """Train the default window into a throw-away registry; the champion's coordinates."""
    from level1_pipeline.flow import training_flow
    from level1_pipeline.warmup import training_warm_up
    from shared.prefect_api import orchestration_ready
    from shared.settings import load_settings

    settings = load_settings(state_dir=state)
    with orchestration_ready(training_warm_up(settings)):
        outcome = training_flow(settings_overrides={"state_dir": state})
    from shared.registry import Registry

    ref = Registry(settings.model_name).version(str(outcome.version))
    return {"uri": settings.resolved_tracking_uri, "name": ref.name, "version": ref.version, "threshold": ref.threshold}


def score_baseline(model: dict[str, Any], input_dir: str, output_dir: str) -> int:
    """One process, MLflow's pyfunc flavour, partition by partition."""
    import mlflow.pyfunc
    import numpy as np
    import pandas as pd

    from shared.schema import FEATURE_NAMES
    from shared.tracking import use_tracking_uri

    use_tracking_uri(model["uri"])
    pyfunc = mlflow.pyfunc.load_model(f"models:/{model['name']}/{model['version']}")
    rows = 0
    for file in sorted(Path(input_dir).glob("*.parquet")):
        frame = pd.read_parquet(file)
        probability = np.asarray(pyfunc.predict(frame[list(FEATURE_NAMES)]))[:, 1]
        scored = frame.assign(probability=probability, prediction=(probability >= model["threshold"]).astype("int64"))
        scored.to_parquet(Path(output_dir) / file.name, index=False)
        rows += len(scored)
    return rows


def score_on_dask(model: dict[str, Any], input_dir: str, output_dir: str, store_url: str | None) -> int:
    """The batch job's own path on a local cluster of 2 worker processes (started here)."""
    from level2_cicd.batch.job import ModelChoice, plan, run
    from shared.dask_cluster import dask_client
    from shared.settings import load_settings

    choice = ModelChoice(model["uri"], model["name"], model["version"], model["threshold"])
    job = plan(input_dir, output_dir, choice, store_url)
    with dask_client(load_settings(dask_workers=2)) as client:
        summaries = run(job, client)
    failed = summaries[summaries["status"] != "scored"]
    if len(failed):
        raise RuntimeError(f"benchmark partitions not scored: {failed.to_dict(orient='records')}")
    print(f"busy {summaries['seconds'].sum():.1f} s on the workers", file=sys.stderr)
    return int(summaries["scored"].sum())


def measured(args: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``python -m bench.batch`` with ``args`` in a child; its wall time, rows and peak memory."""
    import psutil

    started = time.perf_counter()
    command = [sys.executable, "-m", "bench.batch", *args]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    peak = {"process": 0, "tree": 0}
    done = threading.Event()

    def sample() -> None:
        root = psutil.Process(child.pid)
        while not done.is_set():
            try:
                sizes = [p.memory_info().rss for p in [root, *root.children(recursive=True)]]
            except psutil.Error:
                sizes = []
            if sizes:
                peak["process"] = max(peak["process"], max(sizes))
                peak["tree"] = max(peak["tree"], sum(sizes))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = child.communicate(timeout=3600)
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"bench.batch {' '.join(args)} failed with exit code {child.returncode}")
    seconds = time.perf_counter() - started
    rows = json.loads(out.strip().splitlines()[-1])["rows"]
    return {"seconds": seconds, "rows": rows, "process_mb": peak["process"] / MB, "tree_mb": peak["tree"] / MB}


def measure(sizes: list[int], partition_rows: int) -> str:
    from level2_cicd.batch.demo_data import write_dataset
    from shared.settings import load_settings

    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as state:
        model = register_model(state)
        spec = json.dumps(model)
        for rows in sizes:
            data = Path(state) / f"in-{rows}"
            write_dataset(data, rows, partition_rows, load_settings(state_dir=state))
            one_thread = {"OMP_NUM_THREADS": "1"}
            runs = [
                ("pyfunc, 1 process", ["baseline"], {}),
                ("pyfunc, 1 process, 1 OpenMP thread", ["baseline"], one_thread),
                ("Dask, 2 workers", ["dask"], {}),
            ]
            if rows == min(sizes):
                log = ["dask", "--log", f"sqlite:///{state}/log-{rows}.db"]
                runs.append(("Dask, 2 workers, + SQLite log", log, {}))
            results = []
            for label, mode, env in runs:
                out = Path(tempfile.mkdtemp(prefix="out-", dir=state))
                args = ["_run", *mode, "--model", spec, "--input", str(data), "--output", str(out)]
                result = measured(args, env)
                if result["rows"] != rows:
                    raise RuntimeError(f"{label} scored {result['rows']} of {rows} rows")
                results.append((label, result))
            base = results[0][1]["seconds"]
            for label, r in results:
                lines.append(
                    f"| {rows:,} | {label} | {r['seconds']:.1f} | {rows / r['seconds']:,.0f} | "
                    f"{base / r['seconds']:.2f}x | {r['process_mb']:.0f} | {r['tree_mb']:.0f} |"
                )
    header = [
        f"## Batch scoring: Dask vs one pyfunc process ({datetime.now(UTC).date().isoformat()})",
        "",
        f"`make bench-batch` on {machine()}; partitions of {partition_rows:,} rows; wall time of each",
        "run's own process (model load and, for Dask, cluster start included); peak RSS sampled every 0.1 s.",
        "",
        "| rows | scorer | wall time (s) | rows/s | speed-up vs pyfunc | peak RSS, biggest process (MB) "
        "| peak RSS, all processes (MB) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    return "\n".join([*header, *lines, ""])


def run_one(argv: list[str]) -> int:
    """The child's side of ``measured``: score once, print the rows scored as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["baseline", "dask"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--log")
    args = parser.parse_args(argv)
    model = json.loads(args.model)
    if args.mode == "baseline":
        rows = score_baseline(model, args.input, args.output)
    else:
        rows = score_on_dask(model, args.input, args.output, args.log)
    print(json.dumps({"rows": rows}))
    return 0


def main() -> int:
    from shared.runtime import prepare_process
    from shared.settings import load_settings

    prepare_process(load_settings())
    if sys.argv[1:2] == ["_run"]:
        return run_one(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 4_000_000, 10_000_000])
    parser.add_argument("--partition-rows", type=int, default=250_000)
    parser.add_argument("--write", action="store_true", help="append the result to docs/benchmarks.md")
    args = parser.parse_args()
    publish(measure(args.rows, args.partition_rows), args.write)
    return 0


if __name__ == "__main__":  # Dask's worker processes re-import this module: start nothing at import
    sys.exit(main())
