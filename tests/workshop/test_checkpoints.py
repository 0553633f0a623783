"""A participant who fell behind rejoins: each exercise's checkpoint, then the exercise's first command as the guide
says (the long walks: `make test-workshop`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.workshop.walk import check_claims, run
from workshop.checkpoint import EXERCISES, FRESH_REGISTRY, first_command
from workshop.guide import read_guide, walked

pytestmark = [pytest.mark.churn, pytest.mark.walk]  # the guide speaks of the churn world
FAILING_ON_PURPOSE = {3}  # the data gate refuses the broken batch: exit 3


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_each_checkpoint_lets_its_exercise_start_as_the_guide_says(exercise: int, tmp_path: Path) -> None:
    # given a participant's state; before a checkpoint that needs a fresh registry, one with runs of their own
    if exercise in FRESH_REGISTRY:
        behind = run("make -s level1", tmp_path)
        assert behind.exit_code == 0, behind.output[-2000:]
    # when they ask for the exercise's checkpoint
    made = run(f"make -s checkpoint N={exercise}", tmp_path)
    assert made.exit_code == 0, made.output[-3000:]
    assert f"ready for exercise {exercise}" in made.output
    if exercise in FRESH_REGISTRY:  # their registry was moved aside, not deleted
        assert list((tmp_path / "checkpoints").glob("*/mlflow/mlflow.db"))
    command = first_command(exercise)
    if not walked(command):
        return  # a long command (the comparison): the guide's walk with --long runs it
    # then the exercise's first command runs and prints what the guide says it should
    ran = run(command, tmp_path)
    assert ran.exit_code == (3 if exercise in FAILING_ON_PURPOSE else 0), ran.output[-3000:]
    steps = [step for step in read_guide() if step.exercise == exercise]
    first_with_command = next(i for i, step in enumerate(steps) if step.commands)
    for step in steps[first_with_command:]:
        if step is not steps[first_with_command] and step.commands:
            break  # the claims up to the next command are this command's
        check_claims(step, ran, tmp_path)
