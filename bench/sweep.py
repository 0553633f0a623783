"""Benchmark: a sweep's trials on a local Dask cluster of 1 and of 2 worker processes.

Run with `make bench-sweep` (`--trials N`, default 16). The same trials of the shipped search space,
on the same split of the simulator's default window, through the sweep's own `trials_flow` on a
`DaskTaskRunner`; the wall time includes starting the cluster. Prints a Markdown section;
`--write` appends it to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime

from bench.report import machine, publish


def measure(trials: int) -> str:
    from level1_pipeline.policy import load_training_policy
    from level1_pipeline.steps import ingest_window, split_window
    from level1_pipeline.sweep import dask_runner, trials_flow
    from level1_pipeline.sweep_space import load_sweep_space
    from shared.data.source import source_from
    from shared.data.windows import DataWindow
    from shared.prefect_api import orchestration_ready
    from shared.schema import with_schema_types
    from shared.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as state, orchestration_ready():
        settings = load_settings(state_dir=state)
        window = DataWindow.ending_on(source_from(settings).newest_labelled_day(), settings.train_days)
        split = split_window(
            with_schema_types(ingest_window(settings, window)),
            load_training_policy(settings.training_policy_file).split,
        )
        space = load_sweep_space(settings.sweep_space_file)
        candidates = space.model_copy(update={"strategy": "random", "trials": trials}).draw()
        rows = []
        for workers in (1, 2):
            runner = dask_runner(load_settings(state_dir=state, dask_workers=workers))
            started = time.perf_counter()
            results = trials_flow.with_options(task_runner=runner)(candidates, split.train, split.validation)
            seconds = time.perf_counter() - started
            failed = sum(1 for r in results if r.error)
            rows.append((workers, seconds, sum(r.seconds for r in results), failed))
    base = rows[0][1]
    lines = [
        f"## Sweep: {len(candidates)} trials on a local Dask cluster ({datetime.now(UTC).date().isoformat()})",
        "",
        f"`make bench-sweep` on {machine()}; {len(split.train):,} training rows, the shipped search space;",
        "wall time includes starting the cluster's worker processes.",
        "",
        "| workers | wall time (s) | sum of trial times (s) | failed trials | speed-up vs 1 worker |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {w} | {s:.1f} | {t:.1f} | {f} | {base / s:.2f}x |" for w, s, t, f in rows),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--write", action="store_true", help="append the result to docs/benchmarks.md")
    args = parser.parse_args()
    from shared.runtime import prepare_process
    from shared.settings import load_settings

    prepare_process(load_settings())
    report = measure(args.trials)
    publish(report, args.write)
    return 0


if __name__ == "__main__":  # Dask's worker processes re-import this module: start nothing at import
    sys.exit(main())
