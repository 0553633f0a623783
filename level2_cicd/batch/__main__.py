"""`python -m level2_cicd.batch`: score a partitioned Parquet dataset on Dask, or write one to score."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from level2_cicd.batch.demo_data import write_dataset
from shared.prefect_api import orchestration_ready
from shared.registry import RegistryError
from shared.runtime import prepare_process
from shared.settings import Settings, load_settings
from shared.tracking import TrackingUnavailableError, check_reachable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m level2_cicd.batch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    score = commands.add_parser("score", help="score every partition with the champion (or --version) on Dask")
    score.add_argument("--input", help="folder of *.parquet partitions, a glob or a file (default state/batch/input)")
    score.add_argument("--output", help="folder of scored partitions (default state/batch/scored)")
    score.add_argument("--version", help="registered version to score with (default: the champion)")
    score.add_argument("--no-log", action="store_true", help="do not append the scores to the prediction log")
    data = commands.add_parser(
        "data", help="write a partitioned Parquet dataset from the configured data source (MLOPS_DATA_SOURCE)"
    )
    data.add_argument("--rows", type=int, default=1_000_000, help="rows in all (default 1,000,000)")
    data.add_argument("--partition-rows", type=int, default=250_000, help="rows per partition (default 250,000)")
    data.add_argument("--output", help="folder to create (default state/batch/input)")
    args = parser.parse_args(argv)
    settings = load_settings()
    prepare_process(settings)
    batch_dir = settings.state_path / "batch"
    if args.command == "data":
        return write_data(Path(args.output or batch_dir / "input"), args.rows, args.partition_rows, settings)
    return score_dataset(
        args.input or str(batch_dir / "input"), args.output or str(batch_dir / "scored"), args, settings
    )


def write_data(folder: Path, rows: int, partition_rows: int, settings: Settings) -> int:
    try:
        files = write_dataset(folder, rows, partition_rows, settings)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {rows} rows in {len(files)} partitions -> {folder}")
    return 0


def score_dataset(input_path: str, output: str, args: argparse.Namespace, settings: Settings) -> int:
    from level2_cicd.batch.job import BatchInputError

    try:
        check_reachable(settings)
        with orchestration_ready():
            from level2_cicd.batch.flow import batch_scoring_flow

            outcome = batch_scoring_flow(input_path, output, version=args.version, log_predictions=not args.no_log)
    except (BatchInputError, RegistryError, TrackingUnavailableError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(outcome.report))
    if outcome.failed:
        print(
            f"{len(outcome.failed)} partitions failed and were not written: fix them and run again "
            "(scored partitions are skipped)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
