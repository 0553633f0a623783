"""`make notebook`: level 0 opened as a real notebook in Jupyter, edited in place.

Jupytext's server extension opens `level0_manual/notebook.py` as a notebook: what participants run
and change is saved back into that versioned text file, no `.ipynb` is written. Jupyter's runtime
files and the kernel's history stay in the project's state folder; the server listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shared.processes import taken_port_error
from shared.project import PROJECT_ROOT
from shared.runtime import PRIVATE_AND_QUIET
from shared.settings import load_settings

ROOT = PROJECT_ROOT
NOTEBOOK = "level0_manual/notebook.py"


def jupyter_env(state: Path) -> dict[str, str]:
    """The environment of the Jupyter server and its kernels: quiet, private, state made in the project."""
    jupyter = state / "jupyter"
    jupyter.mkdir(parents=True, exist_ok=True)
    env = {**PRIVATE_AND_QUIET, **os.environ}
    env.setdefault("JUPYTER_RUNTIME_DIR", str(jupyter / "runtime"))
    env.setdefault("JUPYTER_DATA_DIR", str(jupyter / "data"))
    env.setdefault("IPYTHONDIR", str(jupyter / "ipython"))
    env.setdefault("JUPYTER_PLATFORM_DIRS", "1")
    return env


def jupyter_command(port: int, browser: bool, token: str | None) -> list[str]:
    command = [str(Path(sys.executable).parent / "jupyter"), "notebook", NOTEBOOK]
    command += ["--ip", "127.0.0.1", "--port", str(port), "--ServerApp.port_retries=0", f"--ServerApp.root_dir={ROOT}"]
    command += [] if browser else ["--no-browser"]
    command += [] if token is None else [f"--IdentityProvider.token={token}"]
    command += ["--allow-root"] if os.geteuid() == 0 else []  # Jupyter refuses root otherwise (CI, containers)
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make notebook", description=__doc__)
    parser.add_argument("--port", type=int, default=8888, help="port on 127.0.0.1 (default 8888)")
    parser.add_argument("--no-browser", action="store_true", help="print the address instead of opening a browser")
    parser.add_argument("--token", default=None, help="access token (default: Jupyter makes one and prints it)")
    args = parser.parse_args(argv)
    if error := taken_port_error(args.port, "make notebook ARGS='--port <another>'"):
        print(error, file=sys.stderr)  # Jupyter would move to the next free port, away from the address printed
        return 1
    env = jupyter_env(load_settings().state_path)
    print(f"level 0 as a notebook: http://127.0.0.1:{args.port}/notebooks/{NOTEBOOK} (Ctrl-C twice stops Jupyter)")
    sys.stdout.flush()
    os.chdir(ROOT)
    command = jupyter_command(args.port, not args.no_browser, args.token)
    os.execve(command[0], command, env)  # Jupyter takes over this process: its signals, its exit code


if __name__ == "__main__":
    sys.exit(main())
