"""`make calibrate`: propose every threshold the data can size, from the configured source, and write each into the
project's files (config/) with its derivation as a comment; review them with `git diff config/`.

It reads the whole history of the source once, measures it (shared/calibration.py), trains the recipe on its newest
windows for the floors, and edits the files in place. It refuses to start when config/ has uncommitted changes (the
calibration must be one diff of its own), unless `--force`; `--dry-run` prints and writes nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import date
from pathlib import Path

from level2_cicd.monitoring.policy import load_monitoring_policy
from shared.calibration import Proposal, baseline, profile, proposals
from shared.config_edit import set_value, write_whole
from shared.data.source import DataSourceError, source_from
from shared.policy_file import PROJECT_ROOT, PolicyError
from shared.schema import with_schema_types
from shared.settings import Settings, load_settings
from shared.settings_layers import SETTINGS_FILE

CONFIG = PROJECT_ROOT / "config"


def measured(settings: Settings) -> list[Proposal]:
    """The proposals for the configured source's history."""
    source = source_from(settings)
    today, newest = source.today(), source.newest_labelled_day()
    rows = with_schema_types(source.rows(source.calendar.origin, today))
    retrain_days = load_monitoring_policy(settings.monitoring_policy_file).retrain_window_days
    fitted = baseline(rows, newest, settings.train_days)
    return proposals(profile(rows, today, newest), fitted, settings.train_days, retrain_days, settings.label_delay_days)


def uncommitted_config() -> list[str]:
    done = subprocess.run(
        ["git", "status", "--porcelain", "--", "config"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    return done.stdout.split("\n")[:-1] if done.returncode == 0 else []


def write(found: list[Proposal], today: date, config: Path = CONFIG, settings_file: Path = SETTINGS_FILE) -> list[Path]:
    """Each proposal into its file of ``config`` (settings.yaml: the project's committed settings file)."""
    said = []
    for name in sorted({p.file for p in found}):
        path = settings_file if name == "settings.yaml" else config / name
        text = path.read_text() if path.is_file() else ""
        for proposal in (p for p in found if p.file == name):
            text = set_value(text, proposal.key, proposal.value, f"calibrated {today}: {proposal.reason}")
        write_whole(path, text)
        said.append(path)
    return said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the proposals; write nothing")
    parser.add_argument("--force", action="store_true", help="write even when config/ has uncommitted changes")
    args = parser.parse_args(argv)
    dirty = uncommitted_config()
    if dirty and not (args.force or args.dry_run):
        print(
            f"error: config/ has uncommitted changes ({'; '.join(dirty)}): commit them first, so the calibration "
            "is one diff to review (or --force)",
            file=sys.stderr,
        )
        return 2
    try:
        settings = load_settings()
        found = measured(settings)
    except (DataSourceError, PolicyError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for p in found:
        print(f"{p.file} {p.key}: {p.value}\n    {p.reason}")
    if args.dry_run:
        return 0
    files = ", ".join(str(f.relative_to(PROJECT_ROOT)) for f in write(found, date.today()))
    print(f"written: {files}. Review: git diff config/, then commit (`make test` does not read these values)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
