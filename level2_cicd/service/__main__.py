"""`python -m level2_cicd.service`: serve the champion with uvicorn on 127.0.0.1."""

from __future__ import annotations

import argparse

import uvicorn

from level2_cicd.service.app import create_app
from shared.runtime import prepare_process
from shared.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    settings = load_settings()
    prepare_process(settings)
    logging_config = {"version": 1, "disable_existing_loggers": False}
    uvicorn.run(
        create_app(settings), host=args.host, port=args.port, workers=1, access_log=False, log_config=logging_config
    )


main()
