"""The workshop guide (`docs/workshop.md`) read as data: its exercises' steps, commands and claims.

A step's commands are its code spans that start with `make ` or `.venv/bin/python `; its claims are
the code spans after **You should see**. The guide-walking test runs the commands and checks the
claims, and `make bench-guide` times the same commands, so the guide cannot drift from the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shared.project import PROJECT_ROOT

GUIDE = PROJECT_ROOT / "docs" / "workshop.md"
SHOULD_SEE = "**You should see**"
_EXERCISE = re.compile(r"^## Exercise (\d+):", re.MULTILINE)
_STEP = re.compile(r"^(\d+)\. ", re.MULTILINE)
_SPAN = re.compile(r"`([^`]+)`")


@dataclass(frozen=True)
class GuideStep:
    exercise: int
    number: int
    text: str
    commands: tuple[str, ...]
    claims: tuple[str, ...]


def read_guide(path: Path = GUIDE) -> list[GuideStep]:
    """Every numbered step of every exercise, in the guide's order."""
    text = path.read_text()
    starts = list(_EXERCISE.finditer(text))
    steps: list[GuideStep] = []
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        section = text[start.end() : end].split("\n## ", 1)[0]
        steps += _steps(int(start.group(1)), section)
    return steps


def _steps(exercise: int, section: str) -> list[GuideStep]:
    marks = list(_STEP.finditer(section))
    steps = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(section)
        body = " ".join(section[mark.end() : end].split())
        spans = _SPAN.findall(body)
        commands = tuple(s for s in spans if s.startswith(("make ", ".venv/bin/python ")))
        seen = body.split(SHOULD_SEE, 1)[1] if SHOULD_SEE in body else ""
        steps.append(GuideStep(exercise, int(mark.group(1)), body, commands, tuple(_SPAN.findall(seen))))
    return steps


def claim_pattern(claim: str) -> re.Pattern[str]:
    """A claim as a pattern over a command's output: `...` stands for anything on the same line."""
    return re.compile(".*?".join(re.escape(part.strip()) for part in claim.split("...")))


def names_a_file(claim: str) -> bool:
    """Claims like `state/level0/handoff/` or `metrics.json` name files, not printed text."""
    return " " not in claim and ("/" in claim or re.fullmatch(r"[\w<>-]+\.[a-z]{2,5}", claim) is not None)


# servers: they run until Ctrl-C
SERVERS = ("make mlflow-ui", "make prefect-server", "make serve", "make notebook", "make dashboard")
# timed by `make bench-guide`, not walked by tests (tests/workshop/test_compare.py runs the comparison itself)
WORKSHOP_SIZED = ("make compare-quick",)
# minutes each: timed by `make bench-guide ARGS=--long` only
SLOW = ("make compare", "make test")
LONG = (*WORKSHOP_SIZED, *SLOW)
# a sign-off answers a training run paused in another terminal
INTERACTIVE = ("make approve", "make reject")
NEVER = (*SERVERS, *INTERACTIVE, "make bench-guide")  # the benchmark is itself a walk of the guide


def walked(command: str, long: bool = False) -> bool:
    """Whether a walk through the guide runs ``command`` (servers never; the long ones when asked)."""
    target = " ".join(command.split()[:2])
    return target not in NEVER and (long or target not in LONG)
