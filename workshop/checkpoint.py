"""`make checkpoint N=k`: the state where exercise k of the workshop guide starts, to rejoin after falling behind.

    1  the environment (every make target installs it first): `make level0` runs from here
    2  an empty level 1 registry, so the first training is version 1, as the guide says
    3  a champion registered (exercise 2's first training, run here: about a minute)
    4  nothing more: `make level2` makes its own demo state
    5  nothing more: `make compare-quick` lives its own world

What a checkpoint replaces is moved aside, never deleted (``state/checkpoints/<time>/``: your runs stay readable
there). Checkpoints work on the embedded defaults; a tracking server's registry is yours and is left alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from shared.project import PROJECT_ROOT
from shared.settings import Settings, load_settings
from workshop.guide import read_guide

EXERCISES = range(1, 6)
FRESH_REGISTRY = frozenset({2, 3})


class CheckpointError(RuntimeError):
    """The checkpoint cannot be made here; the message says why and what to do."""


def first_command(exercise: int) -> str:
    """The first command exercise ``exercise`` of the guide runs (read from the guide itself)."""
    return next(step.commands[0] for step in read_guide() if step.exercise == exercise and step.commands)


def set_aside(settings: Settings) -> Path | None:
    """Move the level 1 registry (MLflow's embedded store) under state/checkpoints/<time>/; None when there is none."""
    if settings.tracking_uri:
        raise CheckpointError(
            f"the tracking URI is {settings.tracking_uri}: a server's registry is not the workshop's to move. Unset "
            "MLFLOW_TRACKING_URI / MLOPS_TRACKING_URI (checkpoints work on the embedded defaults)"
        )
    registry = settings.mlflow_dir
    if not registry.exists():
        return None
    aside = settings.state_path / "checkpoints" / time.strftime("%Y%m%d-%H%M%S") / registry.name
    aside.parent.mkdir(parents=True, exist_ok=True)
    registry.rename(aside)
    return aside


def make_checkpoint(exercise: int, settings: Settings) -> list[str]:
    """Put the state where ``exercise`` starts; returns what was done, in words."""
    said = []
    if exercise in FRESH_REGISTRY:
        aside = set_aside(settings)
        said.append(f"your level 1 registry moved aside to {aside}" if aside else "no level 1 registry yet")
    if exercise == 3:
        done = subprocess.run([sys.executable, "-m", "level1_pipeline", "run"], cwd=PROJECT_ROOT, timeout=900)
        if done.returncode != 0:
            raise CheckpointError(f"the training of exercise 2 failed (exit {done.returncode}): see its output above")
        said.append("a champion trained and registered (version 1), as at the end of exercise 2")
    said.append(f"ready for exercise {exercise}: {first_command(exercise)}")
    return said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make checkpoint", description=__doc__.splitlines()[0])
    parser.add_argument("exercise", type=int, choices=EXERCISES, metavar="N", help="the exercise to start (1-5)")
    args = parser.parse_args(argv)
    try:
        for line in make_checkpoint(args.exercise, load_settings()):
            print(line)
    except CheckpointError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
