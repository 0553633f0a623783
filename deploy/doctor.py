"""`make doctor`: in a second or two, what the commands need and what to do about each miss.

    python3 deploy/doctor.py [--before setup|stack-up]

Runs with the system's python3 before anything is installed (standard library only); once the
environment exists it also checks the settings and a running stack. Every line is ok, warn (a
feature is off; the tests that need it are skipped) or BLOCKER (the command will fail): the exit
code is 1 when there is a blocker. `make setup` runs the part before setup, `make stack-up` its own.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ((3, 11), (3, 14))  # pyproject.toml: requires-python >=3.11,<3.14
FREE_DISK_GB = (1.0, 3.0)  # below the first: blocker; below the second: warn (the environment takes ~2 GB)
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


@dataclass(frozen=True)
class Finding:
    level: str  # ok, warn, BLOCKER
    what: str
    fix: str = ""

    def line(self) -> str:
        return f"{self.level:<8} {self.what}" + (f"\n{'':<9}-> {self.fix}" if self.fix else "")


def python_version() -> Finding:
    now = sys.version_info[:2]
    if PYTHONS[0] <= now < PYTHONS[1]:
        return Finding("ok", f"python {now[0]}.{now[1]}")
    return Finding("BLOCKER", f"python {now[0]}.{now[1]}: the project needs >=3.11,<3.14", "install Python 3.11-3.13")


def free_disk() -> Finding:
    free = shutil.disk_usage(ROOT).free / 1e9
    if free < FREE_DISK_GB[0]:
        return Finding(
            "BLOCKER", f"{free:.1f} GB free beside the checkout", "free some disk (the environment takes ~2 GB)"
        )
    if free < FREE_DISK_GB[1]:
        return Finding(
            "warn", f"{free:.1f} GB free beside the checkout", "state/ grows with runs: make reset clears it"
        )
    return Finding("ok", f"{free:.0f} GB free")


def environment_in_sync() -> Finding:
    synced, lock = ROOT / ".venv" / ".synced", ROOT / "uv.lock"
    if not synced.is_file():
        return Finding("warn", "the locked environment is not installed yet", "make setup (any make target does it)")
    if synced.stat().st_mtime < max(lock.stat().st_mtime, (ROOT / "pyproject.toml").stat().st_mtime):
        return Finding("warn", "uv.lock or pyproject.toml changed since the environment was installed", "make setup")
    return Finding("ok", "environment in sync with uv.lock")


def postgres() -> Finding:
    found = all((POSTGRES_BIN / tool).is_file() or shutil.which(tool) for tool in ("initdb", "postgres"))
    if not found:
        return Finding(
            "warn",
            "PostgreSQL 15 not found: make stack-up and its tests need it",
            "apt-get install postgresql-15 (Debian)",
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return Finding(
                "BLOCKER",
                "running as root, but there is no OS user 'postgres' to run PostgreSQL as",
                "install Debian's postgresql-15 package (it creates the user)",
            )
    return Finding("ok", "PostgreSQL 15 binaries")


DEBIAN_PACKAGES = {
    "chromium": "chromium",
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
}


def browser_and_scraper() -> Finding:
    missing = [p for p in DEBIAN_PACKAGES if shutil.which(p) is None]
    if missing:
        packages = " ".join(sorted({DEBIAN_PACKAGES[p] for p in missing}))
        return Finding(
            "warn",
            f"not installed: {', '.join(missing)} (their tests are skipped; the stack runs without them: "
            "without Alertmanager, alerts reach nobody)",
            f"make test installs them as root; else: sudo apt-get install -y {packages}",
        )
    return Finding("ok", "Chromium, Prometheus and Alertmanager")


def _taken(ports: dict[str, int]) -> list[str]:
    """The named ports another program holds on 127.0.0.1."""
    taken = []
    for name, port in ports.items():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append(f"{name} {port}")
    return taken


def supply_chain() -> Finding:
    """What of the supply-chain checks runs here: the vulnerability audit needs a database online."""
    return Finding(
        "ok",
        "supply chain: make supply-chain (secret scan, SBOM) runs offline; make audit (pip-audit) needs PyPI's JSON "
        "API or OSV, so CI's .github/workflows/audit.yml runs it",
    )


UI_PORTS = {
    "make mlflow-ui": 5000,
    "make prefect-server": 4200,
    "make serve": 8000,
    "make dashboard": 8085,
    "make notebook": 8888,
}


def ui_ports() -> Finding:
    taken = _taken(UI_PORTS)
    if taken:
        return Finding(
            "warn",
            f"taken by another program now: {', '.join(taken)} (on macOS, AirPlay takes 5000)",
            "choose another: make mlflow-ui PORT=5001, make prefect-server PORT=4201, "
            "make dashboard (or notebook) ARGS='--port N'",
        )
    return Finding("ok", f"the UIs' ports are free ({', '.join(str(p) for p in UI_PORTS.values())})")


def kept_ports() -> Finding:
    ports_file = ROOT / "state" / "stack" / "ports.json"
    if not ports_file.is_file() or (ROOT / "state" / "stack" / "stack.pid").is_file():
        return Finding("ok", "stack ports: chosen at stack-up" if not ports_file.is_file() else "stack running")
    taken = _taken(json.loads(ports_file.read_text()))
    if taken:
        return Finding(
            "warn",
            f"ports of the last stack are taken now: {', '.join(taken)}",
            "stack-up will choose new ones: run make deploy after it (deployments carry the addresses)",
        )
    return Finding("ok", "the last stack's ports are free (stack-up keeps them)")


def settings_and_stack() -> list[Finding]:
    """With the environment installed: the settings in force, and a running stack's servers."""
    python = ROOT / ".venv" / "bin" / "python"
    if not python.is_file():  # a copy without its own environment (a fork under test): this interpreter's, if any
        if importlib.util.find_spec("pydantic_settings") is None:
            return []
        python = Path(sys.executable)
    probe = subprocess.run(
        [str(python), "-m", "deploy.doctor_live"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    try:
        return [Finding(**item) for item in json.loads(probe.stdout)]
    except (json.JSONDecodeError, TypeError):
        return [Finding("BLOCKER", f"settings could not be read: {probe.stderr.strip()[-400:]}", "make settings")]


CHECKS: dict[str, tuple[Callable[[], Finding], ...]] = {
    "setup": (python_version, free_disk),
    "stack-up": (postgres, kept_ports),
    "all": (
        python_version,
        free_disk,
        environment_in_sync,
        postgres,
        browser_and_scraper,
        kept_ports,
        ui_ports,
        supply_chain,
    ),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    before = argv[argv.index("--before") + 1] if "--before" in argv else "all"
    findings = [check() for check in CHECKS[before]]
    if before == "all":
        findings += settings_and_stack()
    blockers = [f for f in findings if f.level == "BLOCKER"]
    if before == "all" or blockers or any(f.level == "warn" for f in findings):
        print("\n".join(f.line() for f in findings if before == "all" or f.level != "ok"))
    return 1 if blockers else 0


if __name__ == "__main__":
    sys.exit(main())
