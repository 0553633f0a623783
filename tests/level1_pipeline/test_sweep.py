"""Sweeps: trials in parallel on a real local Dask cluster (processes), the best trained through the gates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from level1_pipeline.sweep_space import SweepSpace, load_sweep_space
from shared.policy_file import PolicyError

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

MODEL = "churn-model"
ROOT = Path(__file__).resolve().parents[2]


def space_file(tmp_path: Path, space: dict[str, list[Any]], strategy: str = "grid", trials: int = 4) -> Path:
    import yaml

    path = tmp_path / "sweep_space.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "strategy": strategy, "trials": trials, "seed": 3, "space": space}))
    return path


def test_grid_tries_every_combination_and_random_draws_distinct_ones_reproducibly(tmp_path: Path) -> None:
    space: dict[str, list[Any]] = {"max_depth": [2, 3, 4], "learning_rate": [0.05, 0.1]}
    grid = load_sweep_space(space_file(tmp_path, space))
    assert len(grid.draw()) == 6
    assert {tuple(sorted(t.items())) for t in grid.draw()} == {tuple(sorted(t.items())) for t in grid.combinations()}
    drawn = SweepSpace.model_validate(grid.model_dump() | {"strategy": "random", "trials": 4})
    assert drawn.draw() == drawn.draw()  # the seed makes it reproducible
    assert len({tuple(sorted(t.items())) for t in drawn.draw()}) == 4


def test_the_shipped_space_is_valid_and_an_unknown_hyperparameter_is_named(tmp_path: Path) -> None:
    assert load_sweep_space(ROOT / "config" / "sweep_space.yaml").draw()
    with pytest.raises(PolicyError, match=r"unknown hyperparameters \['max_leaves'\]: the recipe's are"):
        load_sweep_space(space_file(tmp_path, {"max_leaves": [8, 16]}))


@pytest.fixture
def sweep(overrides: dict[str, Any], prefect_api: None, tmp_path: Path) -> Callable[..., Any]:
    """Run the real sweep flow on a local Dask cluster of worker processes (2 unless said)."""
    from level1_pipeline.sweep import sweep_flow

    def run(space: dict[str, list[Any]], workers: int = 2) -> Any:
        extra = {"sweep_space_file": str(space_file(tmp_path, space)), "dask_workers": workers}
        return sweep_flow(settings_overrides={**overrides, **extra})

    return run


def test_trials_run_as_children_a_crash_is_recorded_and_the_best_is_trained_through_the_gates(
    sweep: Callable[..., Any],
) -> None:
    # given a space where two of the four trials use a learning rate the recipe refuses
    outcome = sweep({"max_depth": [2, 4], "learning_rate": [0.1, 5.0]})
    # then the failed trials are recorded with the reason, and the sweep went on
    failed = [t for t in outcome.trials if t.error]
    assert [t.params["learning_rate"] for t in failed] == [5.0, 5.0]
    assert all("learning_rate" in t.error for t in failed)
    # and the best finished trial went through training: registered, gated, promoted (first model)
    finished = [t for t in outcome.trials if not t.error]
    assert outcome.best == max(finished, key=lambda t: t.metrics["roc_auc"])
    assert (outcome.training.version, outcome.training.promoted) == ("1", True)
    client = MlflowClient()
    version = client.get_model_version(MODEL, "1")
    run = client.get_run(str(version.run_id))
    assert run.data.params["max_depth"] == str(outcome.best.params["max_depth"])
    assert version.tags["gate.result"] == "passed"
    # and every trial is an MLflow child run of the sweep's parent, failed ones marked FAILED
    children = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{outcome.run_id}'"
    )
    assert sorted(c.info.status for c in children) == ["FAILED", "FAILED", "FINISHED", "FINISHED"]
    assert all("duration_seconds" in c.data.metrics for c in children)
    artifacts = {a.path for a in client.list_artifacts(outcome.run_id)}
    assert "trials.json" in artifacts
    assert [a.path for a in client.list_artifacts(outcome.run_id, "plots")] == ["plots/trials.png"]


def test_a_crippled_space_promotes_nothing_and_says_why(
    sweep: Callable[..., Any], given_a_champion: Callable[..., None]
) -> None:
    # given a champion, when every trial of the space is crippled (one worker: the gate is what is tried here)
    given_a_champion()
    outcome = sweep({"max_depth": [1], "max_iter": [1, 2]}, workers=1)
    # then the best of them is registered but not promoted, with the model gate's reason
    assert outcome.training is not None
    assert outcome.training.promoted is False
    assert "champion" in outcome.reason
    assert str(MlflowClient().get_model_version_by_alias(MODEL, "champion").version) == "1"
