"""Walking the workshop guide: run its commands in its order and check its claims (helpers of the fixtures)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import environment_without
from workshop.guide import GUIDE, GuideStep, claim_pattern, names_a_file

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^ *(\d+) +(\d+) +(\S+) +(\S+) +(\w+) +v(\d+) *(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Ran:
    command: str
    output: str
    exit_code: int


@dataclass(frozen=True)
class Day:
    day: int
    auc: float | None
    status: str
    serving: str
    note: str


def timeline(output: str) -> list[Day]:
    return [
        Day(int(m[1]), None if m[4] == "-" else float(m[4]), m[5], m[6], m[7].strip()) for m in ROW.finditer(output)
    ]


def run(command: str, state: Path) -> Ran:
    servers = ("PREFECT_API_URL", "MLFLOW_TRACKING_URI", "PREFECT_HOME", "MLOPS_")
    env = environment_without(*servers) | {"MLOPS_STATE_DIR": str(state)}
    done = subprocess.run(command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return Ran(command, done.stdout + done.stderr, done.returncode)


def check_claims(step: GuideStep, ran: Ran | None, state: Path | None) -> None:
    """Printed claims against the output of the step's (or the last) command; named files in the state or repo.

    ``ran`` is None after a command the walk does not run (a server, a long one): printed claims are
    not checked then; ``state`` is None when such a command would have made the files named.
    """
    for claim in step.claims:
        if ran is not None and not names_a_file(claim):
            assert claim_pattern(claim).search(ran.output), (
                f"exercise {step.exercise}.{step.number}: {claim!r} not in:\n{ran.output[-3000:]}"
            )
    for span in re.findall(r"`([^`]+)`", step.text):
        in_repository = (ROOT / span).exists() or (GUIDE.parent / span).exists()
        if names_a_file(span) and not in_repository and state is not None:
            assert _exists(span, state), f"exercise {step.exercise}.{step.number}: {span} does not exist"


def _exists(name: str, state: Path) -> bool:
    if name.startswith("state/"):
        return any(state.glob(re.sub(r"<[^>]+>", "*", name.removeprefix("state/")).rstrip("/")))
    return any(state.rglob(name))
