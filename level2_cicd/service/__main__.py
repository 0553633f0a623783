"""`python -m level2_cicd.service`: serve the champion with uvicorn on 127.0.0.1 (one or several workers)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

import uvicorn

from shared.processes import taken_port_error
from shared.runtime import prepare_process
from shared.settings import Settings, load_settings

FACTORY = "level2_cicd.service.app:app_from_environment"


def metrics_folder(settings: Settings, port: int) -> str:
    """A fresh folder for the workers' Prometheus values (stale files from an earlier run would be counted)."""
    folder = settings.level2_dir / "prometheus" / str(port)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return str(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (each polls the registry)")
    args = parser.parse_args(argv)
    if args.host == "127.0.0.1" and (error := taken_port_error(args.port, "stop it, or run the service elsewhere")):
        print(error, file=sys.stderr)  # uvicorn would exit 1 with nothing said (this log config prints no error)
        return 1
    settings = load_settings()
    prepare_process(settings)
    logging_config = {"version": 1, "disable_existing_loggers": False}
    if args.workers > 1:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_folder(settings, args.port)  # before any worker starts
    uvicorn.run(
        FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_config=logging_config,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
