"""`make reset`: remove the generated state the project's commands made, listing each folder first.

Only the folders the commands make are removed (`GENERATED`, in the settings' state folder); anything else found
there is listed as kept: no command deletes what it did not create. The stack's servers are stopped and its
PostgreSQL cluster (outside the folder) removed first (`python -m deploy.stack remove`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from deploy import stack
from shared.settings import load_settings

GENERATED = {
    "mlflow": "MLflow store and artifacts",
    "prefect": "Prefect's home (its database)",
    "level0": "level 0's hand-off files",
    "level2": "your level 2 log, monitor memory and reports (make serve / replay / monitor)",
    "level2-demo": "make level2's own log and reports",
    "level2-policies": "make level2 --release's policy copies",
    "evidently": "the dashboard's workspace",
    "stack": "the stack's data, logs and ports",
    "batch": "batch scoring's data and outputs",
    "compare": "make compare's tables and charts",
    "assess": "make assess's answers and reports",
    "upstream": "make upstream-check's lock copies",
}


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def plan(state: Path) -> tuple[list[Path], list[Path]]:
    """What would be removed (made by the commands) and what is kept (anything else) in ``state``."""
    found = sorted(state.iterdir()) if state.is_dir() else []
    return [p for p in found if p.name in GENERATED], [p for p in found if p.name not in GENERATED]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    state = load_settings().state_path
    if (state / "stack").is_dir() and stack.main(["remove"]) != 0:
        print("error: the stack could not be stopped; nothing removed", file=sys.stderr)
        return 2
    removed, kept = plan(state)
    for path in removed:
        print(f"removing {path}  ({size_of(path) / 1e6:.1f} MB: {GENERATED[path.name]})")
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for path in kept:
        print(f"kept {path}: not made by a command of this project")
    if not removed:
        print(f"nothing to remove in {state}")
    if state.is_dir() and not any(state.iterdir()):
        state.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
