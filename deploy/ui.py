"""`make mlflow-ui` and `make prefect-server`: a UI on 127.0.0.1 at a port you may choose; a taken port is an error.

`mlflow ui` on a taken port logs "Address already in use" and exits 0 (macOS AirPlay takes 5000); this checks the port
first and says how to choose another (`make mlflow-ui PORT=5001`), exit 1.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from shared.processes import taken_port_error
from shared.settings import load_settings

UIS = {"mlflow": 5000, "prefect": 4200}


def command(ui: str, port: int) -> list[str]:
    settings = load_settings()
    bin_folder = Path(sys.executable).parent
    if ui == "mlflow":
        store = settings.resolved_tracking_uri
        return [
            str(bin_folder / "mlflow"),
            "ui",
            "--backend-store-uri",
            store,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
    os.environ["PREFECT_HOME"] = str(settings.state_path / "prefect")
    return [str(bin_folder / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ui = argv[0]
    port = int(argv[1]) if len(argv) > 1 and argv[1] else UIS[ui]
    if error := taken_port_error(port, f"make {'mlflow-ui' if ui == 'mlflow' else 'prefect-server'} PORT=<another>"):
        print(error, file=sys.stderr)
        return 1
    run = command(ui, port)
    print(f"{ui} UI on http://127.0.0.1:{port} (Ctrl-C stops)", flush=True)
    os.execv(run[0], run)
    return 0  # not reached: the UI replaces this process


if __name__ == "__main__":
    sys.exit(main())
