"""`make deploy`: register the deployments of `prefect.yaml` on the Prefect server of PREFECT_API_URL.

Creates the process work pool when it is missing, the automation that marks dead flow runs Crashed and, with an
Alertmanager set, the one that tells it (`deploy/zombies.py`), and fills the values the deployments carry to
the worker (see `prefect.yaml`): unset settings become empty, the project folder defaults to this
checkout, and a deployment without a tracking server is refused here, not at 6 a.m. on a worker.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from deploy.zombies import AUTOMATION, CRASH_ALERT, ensure_crash_alert, ensure_zombie_automation
from shared.project import PROJECT_ROOT
from shared.runtime import PRIVATE_AND_QUIET
from shared.settings import load_settings

ROOT = PROJECT_ROOT
WORK_POOL = "mlops-levels"
CARRIED = (
    "MLFLOW_TRACKING_URI",
    "MLOPS_PREDICTION_STORE_URL",
    "MLOPS_DATA_SOURCE",
    "MLOPS_DATA_PATH",
    "MLOPS_STATE_DIR",
    "MLOPS_DASK_ADDRESS",
)


def deploy_env() -> dict[str, str]:
    env = {**PRIVATE_AND_QUIET, **os.environ}
    if not env.get("PREFECT_API_URL"):
        raise SystemExit("error: PREFECT_API_URL is not set: deployments live on a Prefect server (make stack-up)")
    if not env.get("MLFLOW_TRACKING_URI", "").startswith(("http://", "https://")):
        raise SystemExit("error: MLFLOW_TRACKING_URI must be a tracking server a worker can reach (make stack-env)")
    env.setdefault("MLOPS_PROJECT_DIR", str(ROOT))
    env.setdefault("MLOPS_DATA_SOURCE", "simulator")
    env.setdefault("MLOPS_STATE_DIR", str(ROOT / "state"))
    for key in CARRIED:
        env.setdefault(key, "")
    return env


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    env = deploy_env()
    prefect = [str(Path(sys.executable).parent / "prefect"), "--no-prompt"]
    pools = subprocess.run([*prefect, "work-pool", "inspect", WORK_POOL], env=env, capture_output=True, cwd=ROOT)
    if pools.returncode != 0:
        subprocess.run([*prefect, "work-pool", "create", WORK_POOL, "--type", "process"], env=env, check=True, cwd=ROOT)
    deployed = subprocess.run([*prefect, "deploy", "--all"], env=env, cwd=ROOT).returncode
    if deployed == 0:
        print(f"automation {AUTOMATION!r}: {ensure_zombie_automation()}")
        settings = load_settings()
        if settings.alertmanager_url:
            said = ensure_crash_alert(settings.alertmanager_url, settings.project_name)
            print(f"automation {CRASH_ALERT!r}: {said}")
    return deployed


if __name__ == "__main__":
    sys.exit(main())
