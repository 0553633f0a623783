"""What a candidate that passed the gates becomes: challenger, or champion only after a person signs off."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from level1_pipeline.outcome import Became
from shared.registry import Registry, RegistryError
from shared.settings import Settings
from tests.conftest import environment_without
from tests.level1_pipeline.conftest import WEAK_BUT_ABOVE_FLOOR

MODEL = "churn-model"
ROOT = Path(__file__).resolve().parents[2]


def policy_file(tmp_path: Path, becomes: str, timeout: int = 120) -> str:
    policy = {"release": {"candidate_becomes": becomes, "approval_timeout_seconds": timeout}}  # defaults otherwise
    path = tmp_path / f"policy-{becomes}-{timeout}.yaml"
    path.write_text(yaml.safe_dump(policy))
    return str(path)


def test_with_the_challenger_policy_a_winner_becomes_challenger_and_the_champion_stays(
    train: Callable[..., Any], given_a_champion: Callable[..., None], tmp_path: Path
) -> None:
    # given a champion
    given_a_champion(WEAK_BUT_ABOVE_FLOOR)
    # when a candidate passes the gates under `candidate_becomes: challenger`
    outcome = train(last_day=34, training_policy_file=policy_file(tmp_path, "challenger"))
    # then it is the challenger, the champion has not moved, and its trail says who made it challenger and why
    registry = Registry(MODEL)
    assert (outcome.became, outcome.promoted, registry.champion_number()) == (Became.CHALLENGER, False, "1")
    challenger = registry.challenger()
    assert challenger is not None
    assert challenger.version == outcome.version
    move = registry.trail(outcome.version)[-1]
    assert (move["alias"], move["action"], move["by"]) == ("challenger", "set", f"training flow (run {outcome.run_id})")
    assert "passed every gate against champion v1" in move["why"]


@dataclass
class Person:
    """A person who types `make approve`/`make reject` in another terminal once the version waits for sign-off; what
    happened is kept for the test's own thread to assert (an assert in this thread would fail nobody)."""

    thread: threading.Thread
    said: list[str] = field(default_factory=list)

    def answered(self, timeout: float) -> str:
        self.thread.join(timeout)
        return self.said[0] if self.said else "still waiting"


def decide_when_asked(verb: str, version: str, reason: str, state_dir: str) -> Person:
    from mlflow import MlflowClient

    registry = Registry(MODEL, MlflowClient(Settings(state_dir=Path(state_dir)).resolved_tracking_uri))
    env = environment_without("MLOPS_", "MLFLOW_TRACKING", "PREFECT_API")
    command = [sys.executable, "-m", "level1_pipeline", verb, "--version", version, "--reason", reason]

    def person(said: list[str]) -> None:
        deadline = time.monotonic() + 120
        while registry_says(registry, version) != "pending":
            if time.monotonic() > deadline:
                said.append("never asked: the version did not wait for sign-off within 120 s")
                return
            time.sleep(0.5)
        answered = subprocess.run(
            [*command, "--approver", "ana"], env=env | {"MLOPS_STATE_DIR": state_dir}, cwd=ROOT, timeout=180
        )
        said.append(f"exit {answered.returncode}")

    said: list[str] = []
    thread = threading.Thread(target=person, args=(said,), daemon=True)
    thread.start()
    return Person(thread, said)


def registry_says(registry: Registry, version: str) -> str | None:
    try:
        return registry.version(version).tags.get("approval")
    except RegistryError:  # not registered yet
        return None


@pytest.mark.parametrize("verb", ["approve", "reject"])
def test_with_the_approval_policy_only_a_signed_off_candidate_becomes_champion(
    verb: str,
    train: Callable[..., Any],
    given_a_champion: Callable[..., None],
    overrides: dict[str, Any],
    tmp_path: Path,
) -> None:
    # given a champion, and a person who answers once version 2 waits for sign-off
    given_a_champion(WEAK_BUT_ABOVE_FLOOR)
    decided = {"approve": "approved", "reject": "rejected"}[verb]
    person = decide_when_asked(verb, "2", f"{decided} after reading the card", overrides["state_dir"])
    # when a candidate passes the gates under `candidate_becomes: approval`
    outcome = train(last_day=34, training_policy_file=policy_file(tmp_path, "approval"))
    assert person.answered(timeout=60) == "exit 0"
    # then it is champion only when approved; the decision, who and why are on the version
    registry = Registry(MODEL)
    tags = registry.version("2").tags
    expected = ("champion", True, "2") if verb == "approve" else ("rejected", False, "1")
    assert (outcome.became, outcome.promoted, registry.champion_number()) == expected
    assert (tags["approval"], tags["approval_by"]) == (decided, "ana")
    assert tags["approval_reason"] == f"{decided} after reading the card"
    if verb == "approve":
        assert registry.trail("2")[-1]["by"] == "ana (sign-off)"


def test_no_sign_off_before_the_timeout_is_a_rejection(
    train: Callable[..., Any], given_a_champion: Callable[..., None], tmp_path: Path
) -> None:
    # given a champion; when a candidate waits for a sign-off nobody gives within 3 s
    given_a_champion(WEAK_BUT_ABOVE_FLOOR)
    outcome = train(last_day=34, training_policy_file=policy_file(tmp_path, "approval", timeout=3))
    # then it is rejected by the timeout and the champion stays
    tags = Registry(MODEL).version(outcome.version).tags
    assert (outcome.became, Registry(MODEL).champion_number()) == (Became.REJECTED, "1")
    assert (tags["approval"], tags["approval_by"], tags["approval_reason"]) == (
        "rejected",
        "timeout",
        "no sign-off within 3 s",
    )


def test_a_version_whose_run_died_before_its_release_is_marked_and_reported_by_the_next_run(
    train: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a first run whose registry connection is lost between registration and release
    from level1_pipeline import release

    seen_while_releasing: list[str] = []

    def lost(registry: Registry, version: str, *_: Any) -> None:
        seen_while_releasing.append(registry.run_status(registry.version(version).run_id))
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(release.Registry, "promote_if_champion_is", lost)
    with pytest.raises(ConnectionRefusedError):
        train()
    monkeypatch.undo()
    registry = Registry(MODEL)
    assert registry.version("1").tags["release"] == "pending"
    assert registry.champion_number() is None
    assert seen_while_releasing == ["RUNNING"]  # its run is not reported ended while it is still releasing
    # when the next run trains
    outcome = train(last_day=34)
    # then it marks version 1 interrupted with the reason, says so, and releases only its own candidate
    tags = registry.version("1").tags
    assert tags["release"] == "interrupted"
    assert "ended before releasing it" in tags["release_reason"]
    assert [note for note in outcome.notes if note.startswith("version 1 passed every gate but was never released")]
    assert (outcome.version, registry.champion_number(), registry.version("2").tags["release"]) == (
        "2",
        "2",
        "champion",
    )


@pytest.mark.parametrize(
    ("status", "age", "outlived"),
    [("RUNNING", 5.0, False), ("RUNNING", 500.0, True), ("FAILED", 5.0, True), ("GONE", 0.0, True)],
)
def test_a_pending_release_is_over_when_its_run_ended_or_it_outlived_the_bound(
    status: str, age: float, outlived: bool
) -> None:
    from level1_pipeline.unreleased import release_outlived

    assert release_outlived(status, age, bound_seconds=180) is outlived


def test_a_champion_of_another_feature_set_is_replaced_only_when_allowed_and_never_rolled_back_to(
    train: Callable[..., Any], given_a_champion: Callable[..., None]
) -> None:
    from shared.feature_set import FEATURES_TAG, feature_set
    from shared.registry import Move
    from shared.schema import FEATURES

    # given a champion registered with a feature set the schema no longer has (the schema lost a column since)
    given_a_champion(WEAK_BUT_ABOVE_FLOOR)
    registry = Registry(MODEL)
    registry.tag("1", {FEATURES_TAG: feature_set(FEATURES) + ",region:categorical"})
    # when the next run trains on today's schema, then it stops before registering, naming the column and the flag
    with pytest.raises(RegistryError, match=r"no longer has: region\).*MLOPS_ALLOW_SCHEMA_CHANGE=true"):
        train(last_day=34)
    assert (registry.champion_number(), [str(v.version) for v in registry.client.search_model_versions()]) == (
        "1",
        ["1"],
    )
    # when it is allowed, then the new model replaces the champion (judged without it)
    outcome = train(last_day=34, allow_schema_change=True)
    assert (outcome.promoted, outcome.champion_metrics, registry.champion_number()) == (True, None, outcome.version)
    # and a rollback to the old feature set is refused, naming why; the champion stays
    with pytest.raises(RegistryError, match="a rollback never crosses a schema change"):
        registry.rollback(Move("a test", "roll back"))
    assert registry.champion_number() == outcome.version
