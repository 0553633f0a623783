"""The shared registry adapter against a real SQLite MLflow registry (no Prefect needed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient
from sklearn.dummy import DummyClassifier

from shared.registry import CHALLENGER, CHAMPION, PREVIOUS, ChampionMovedError, Move, Registry, RegistryError
from shared.settings import Settings
from shared.tracking import connect

NAME = "registry-test-model"
BY_HAND = Move("a test", "by hand")


def _constant_model(probability: float) -> DummyClassifier:
    """A model whose churn probability is ``probability`` for every row: its version is visible in its output."""
    model = DummyClassifier(strategy="prior")
    labels = np.array([1] * round(probability * 100) + [0] * round((1 - probability) * 100))
    return model.fit(np.zeros((len(labels), 1)), labels)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = Settings(state_dir=tmp_path_factory.mktemp("registry-state"), tracking_uri=None)
    experiment_id = connect(settings)
    client = MlflowClient()
    client.create_registered_model(NAME)
    for probability in (0.1, 0.2, 0.3):
        with mlflow.start_run(experiment_id=experiment_id) as run:
            info = mlflow.sklearn.log_model(_constant_model(probability), name="model", pip_requirements=[])
        tags = {"threshold": "0.5", "data_window": f"p={probability}"}
        client.create_model_version(NAME, info.model_uri, run_id=run.info.run_id, tags=tags, model_id=info.model_id)
    yield settings
    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


@pytest.fixture
def registry(store: Settings) -> Registry:
    client = MlflowClient()
    for alias in (CHAMPION, PREVIOUS, CHALLENGER):
        client.delete_registered_model_alias(NAME, alias)
    return Registry(NAME)


def test_no_champion_yet_is_none_not_an_error(registry: Registry) -> None:
    assert registry.champion() is None


def test_model_loads_by_the_version_read_even_if_the_alias_moves_meanwhile(registry: Registry) -> None:
    # given the champion read as version 1, when the alias moves to 3 before loading
    registry.promote("1", BY_HAND)
    champion = registry.champion()
    assert champion is not None
    registry.promote("3", BY_HAND)
    # then the loaded model is version 1's (probability 0.1), not the alias's new target
    model = registry.load(champion)
    assert model.predict_proba(np.zeros((1, 1)))[0, 1] == pytest.approx(0.1)


def test_a_registry_that_does_not_answer_is_an_error_never_no_champion(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow.exceptions import MlflowException

    from shared.processes import free_port

    # given a registry whose server is gone
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    gone = Registry(NAME, MlflowClient(tracking_uri=f"http://127.0.0.1:{free_port()}"))
    # when the champion is asked for, then the failure is raised (read as None, a candidate would be promoted
    # over a champion nobody could see)
    with pytest.raises(MlflowException, match="API request"):
        gone.champion()


def test_missing_threshold_tag_is_a_clear_error_not_a_default(registry: Registry) -> None:
    client = MlflowClient()
    client.delete_model_version_tag(NAME, "2", "threshold")
    registry.promote("2", BY_HAND)
    try:
        with pytest.raises(RegistryError, match=r"version 2 of 'registry-test-model' has no 'threshold' tag"):
            registry.champion()
    finally:
        client.set_model_version_tag(NAME, "2", "threshold", "0.5")


def test_rollback_without_previous_says_there_is_nothing_to_roll_back_to(registry: Registry) -> None:
    registry.promote("1", BY_HAND)
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback(BY_HAND)
    assert registry.champion_number() == "1"


def test_second_rollback_does_not_roll_forward(registry: Registry) -> None:
    # given 1 -> 2 promoted, when rolled back twice
    registry.promote("1", BY_HAND)
    registry.promote("2", BY_HAND)
    assert registry.rollback(BY_HAND) == "1"
    # then the second one refuses and the champion stays at 1
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback(BY_HAND)
    assert registry.champion_number() == "1"
    assert MlflowClient().get_model_version(NAME, "2").tags["rolled_back_to"] == "1"


def test_of_two_concurrent_promotions_judged_against_the_same_champion_exactly_one_wins(
    registry: Registry, tmp_path: Path
) -> None:
    # given champion 1, and candidates 2 and 3 both judged against it
    registry.promote("1", BY_HAND)
    lock = f"sqlite:///{tmp_path / 'locks.db'}"
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def promote(version: str) -> None:
        start.wait()
        try:
            registry.promote_if_champion_is(version, "1", lock, BY_HAND)
            outcomes[version] = "won"
        except ChampionMovedError as lost:
            outcomes[version] = str(lost)

    # when both promote at once
    threads = [threading.Thread(target=promote, args=(v,)) for v in ("2", "3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly one wins, the champion is the winner, and the loser says why
    winners = [v for v, outcome in outcomes.items() if outcome == "won"]
    assert len(winners) == 1
    assert registry.champion_number() == winners[0]
    loser = ({"2", "3"} - set(winners)).pop()
    assert f"champion is now {winners[0]}" in outcomes[loser]


def test_every_alias_move_is_recorded_on_the_versions_it_touches(registry: Registry) -> None:
    # given champion 1 and challenger 2
    registry.promote("1", Move("training flow (run a)", "passed every gate"))
    registry.set_alias(CHALLENGER, "2", Move("training flow (run b)", "tested live first"))
    # when the challenger is promoted after its live test
    registry.promote("2", Move("monitor (day 40)", "challenger better on live labels"))
    # then it is champion, no longer challenger, 1 is previous, and each version's trail says who, when and why
    assert (registry.champion_number(), registry.challenger()) == ("2", None)
    moves = [(m["alias"], m["action"], m["by"]) for m in registry.trail("2")]
    assert moves[-3:] == [
        ("challenger", "set", "training flow (run b)"),
        ("champion", "set", "monitor (day 40)"),
        ("challenger", "removed", "monitor (day 40)"),
    ]
    old = registry.trail("1")[-2:]
    assert [(m["alias"], m["action"]) for m in old] == [("previous", "set"), ("champion", "moved to v2")]
    assert old[0]["why"] == "replaced as champion by v2: challenger better on live labels"
    assert all(m["at"].startswith("20") for m in old)


def test_a_description_is_the_versions_model_card(registry: Registry) -> None:
    registry.describe("2", "# card of version 2")
    assert MlflowClient().get_model_version(NAME, "2").description == "# card of version 2"


def test_deleting_a_model_removes_it_and_deleting_none_says_so(store: Settings) -> None:
    # given a second registered model with no versions
    MlflowClient().create_registered_model("registry-test-to-delete")
    gone = Registry("registry-test-to-delete")
    # when it is deleted twice, then the first removed it and the second found nothing to remove
    assert gone.delete() is True
    assert gone.delete() is False
    assert MlflowClient().search_registered_models(filter_string="name = 'registry-test-to-delete'") == []
