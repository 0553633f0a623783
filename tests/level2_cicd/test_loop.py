"""The demo's policy variants: the project's policies, changed as typed objects, written as files read back equal."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from level1_pipeline.policy import load_training_policy
from level2_cicd.loop import release_policies
from shared.release_policy import load_release_policy
from shared.settings import Settings


def test_a_live_test_variant_changes_one_value_of_each_policy_and_keeps_every_other(tmp_path: Path) -> None:
    # given the project's shipped policies and a state folder of the test's own
    settings = Settings(state_dir=tmp_path)
    shipped_training = load_training_policy(settings.training_policy_file)
    shipped_release = load_release_policy(settings.release_policy_file)
    # when the demo writes its variant for a shadow test
    paths = release_policies(settings, "shadow")
    training = load_training_policy(Path(paths["training_policy_file"]))
    release = load_release_policy(Path(paths["release_policy_file"]))
    # then the files sit in the test's state, read back through the loaders, and differ in the one value each
    assert all(Path(path).is_relative_to(tmp_path) for path in paths.values())
    assert training.release.candidate_becomes == "challenger"
    assert training.model_dump(exclude={"release"}) == shipped_training.model_dump(exclude={"release"})
    assert release.mode == "shadow"
    assert release.model_dump(exclude={"mode"}) == shipped_release.model_dump(exclude={"mode"})


def test_a_live_test_mode_the_policy_does_not_know_fails_before_anything_is_written(tmp_path: Path) -> None:
    # given a mode the release policy has no rule for, when the demo asks for its variant, then it fails naming it
    with pytest.raises(ValidationError, match="mode"):
        release_policies(Settings(state_dir=tmp_path), "canary")
    assert not (tmp_path / "level2-policies").exists()
