"""The workshop guide walked once per session (tests/workshop/walk.py), for the guide and dashboard tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workshop.walk import Ran, check_claims, run
from workshop.guide import LONG, read_guide, walked

YOUR_OWN_LEVEL2 = "level2/your-session.txt"  # what a participant's own `make serve` / `make replay` left


@pytest.fixture(scope="session")
def guide_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state = tmp_path_factory.mktemp("guide-state")
    (state / YOUR_OWN_LEVEL2).parent.mkdir()
    (state / YOUR_OWN_LEVEL2).write_text("a make serve / make replay session of yours")
    return state


@pytest.fixture(scope="session")
def walk(guide_state: Path) -> dict[tuple[int, int], list[Ran]]:
    """Each step's runs, keyed by (exercise, step); claims are checked as the walk goes, like in the room."""
    runs: dict[tuple[int, int], list[Ran]] = {}
    last: Ran | None = None
    state_is_current = True  # false after a long command the walk skips: the files it would make are not there
    for step in read_guide():
        commands = [c for c in step.commands if walked(c)]
        for command in commands:
            last = run(command, guide_state)
            runs.setdefault((step.exercise, step.number), []).append(last)
        if step.commands and not commands:
            last = None  # a server or a long command the walk does not run: its printed claims are not checked
        state_is_current = state_is_current and not any(c.startswith(LONG) for c in step.commands if not walked(c))
        state_is_current = state_is_current or bool(commands)
        check_claims(step, last, guide_state if state_is_current else None)
    return runs
