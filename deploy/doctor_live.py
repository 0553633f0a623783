"""The part of `make doctor` that needs the environment: the settings in force and a running stack's health.

Prints a JSON list of findings (level, what, fix) for ``deploy/doctor.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from deploy.stack import running
from deploy.topology import WORK_POOL
from deploy.wait import ready
from deploy.zombies import AUTOMATION
from shared.settings import env_file, load_settings


def _finding(level: str, what: str, fix: str = "") -> dict[str, str]:
    return {"level": level, "what": what, "fix": fix}


def settings_findings() -> tuple[list[dict[str, str]], Any]:
    try:
        settings = load_settings()
    except ValueError as invalid:
        first = str(invalid).splitlines()[:3]
        return [_finding("BLOCKER", "settings invalid: " + " / ".join(first), "make settings shows each one")], None
    where = env_file()
    said = (
        f"settings: data {settings.data_source}, MLflow {settings.resolved_tracking_uri}, state {settings.state_path}"
    )
    return [_finding("ok", said + (f" (file {where})" if where else ""))], settings


def stack_findings(settings: Any) -> list[dict[str, str]]:
    stack = running(settings.state_path / "stack")
    if stack is None:
        return [_finding("ok", "no stack running (make stack-up starts one)")]
    down = [name for name, url in stack.health().items() if not ready(url)]
    found = (
        [
            _finding(
                "warn",
                f"stack servers not answering: {', '.join(down)}",
                f"make stack-status; logs in {stack.folder / 'logs'}",
            )
        ]
        if down
        else [_finding("ok", "every stack server answers")]
    )
    return found + prefect_findings(stack.prefect_api) if "prefect" not in down else found


def prefect_findings(api: str) -> list[dict[str, str]]:
    """A worker online on the pool (else deployment runs wait, Late), and the zombie-run automation present."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    found = []
    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        try:
            workers = client.read_workers_for_work_pool(WORK_POOL)
        except Exception:  # the pool is made by make deploy
            workers = None
        if workers is None:
            found.append(
                _finding("warn", f"no work pool {WORK_POOL!r} yet", 'eval "$(make -s stack-env)" && make deploy')
            )
        elif not any(str(getattr(w, "status", "")).upper().endswith("ONLINE") for w in workers):
            found.append(
                _finding(
                    "warn",
                    f"no worker online on {WORK_POOL!r}: deployment runs will wait (Late)",
                    "make stack-status (the worker program); make stack-up restarts the stack",
                )
            )
        else:
            found.append(_finding("ok", f"a worker is online on {WORK_POOL!r}"))
        if workers is not None and not client.read_automations_by_name(name=AUTOMATION):
            found.append(
                _finding(
                    "warn",
                    "flow runs whose machine dies would stay Running (no zombie automation)",
                    "make deploy registers it",
                )
            )
    return found


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    found, settings = settings_findings()
    if settings is not None:
        try:
            found += stack_findings(settings)
        except Exception as error:  # a doctor reports, it does not crash
            found.append(_finding("warn", f"stack check failed: {type(error).__name__}: {error}"[:300]))
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
