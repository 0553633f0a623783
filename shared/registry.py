"""MLflow Model Registry adapter shared by every level: the `champion` alias and its lookup.

One rule everywhere: the alias is read once, to a version number, and the model is loaded by
that number (never by re-resolving the alias, which may have moved in between). A version
without a ``threshold`` tag cannot be served or judged: that is an error, not a silent 0.5.
"""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from shared.feature_set import FEATURES_TAG, differences
from shared.locks import exclusive

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion
    from sklearn.pipeline import Pipeline

CHAMPION = "champion"
PREVIOUS = "previous"
CHALLENGER = "challenger"  # passed the offline gates, tested on live traffic before it may become champion
THRESHOLD_TAG = "threshold"
TRAIL_TAG = "alias_trail"  # every alias move onto or off a version: JSON list, newest last
TRAIL_KEPT = 20  # moves kept per version (a tag value holds at most 5,000 characters)
ABSENT = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")  # MLflow's codes for no such model / alias


def person() -> str:
    """Who runs this process: GitHub's actor in Actions, else the login name."""
    return os.environ.get("GITHUB_ACTOR") or getpass.getuser()


@dataclass(frozen=True)
class Move:
    """Who or what moves an alias, and why; recorded on every version it touches."""

    by: str
    why: str


class RegistryError(RuntimeError):
    """The registry is not in a state the caller can act on; the message says why."""


class ChampionMovedError(RegistryError):
    """A compare-and-set promotion lost: the champion changed since the candidate was judged."""


@dataclass(frozen=True)
class VersionRef:
    """One registered version, as read once from the registry."""

    name: str
    version: str
    run_id: str
    threshold: float
    data_window: str
    tags: dict[str, str]

    @property
    def model_uri(self) -> str:
        return f"models:/{self.name}/{self.version}"

    @property
    def schema_differences(self) -> str | None:
        """How the feature set it was trained on differs from the schema's; None when it matches or is untagged."""
        trained = self.tags.get(FEATURES_TAG)
        return differences(trained) if trained is not None else None


def version_ref(version: ModelVersion) -> VersionRef:
    """Read a registry entry; raise RegistryError when it has no usable decision threshold."""
    tags: dict[str, str] = dict(version.tags or {})
    where = f"version {version.version} of {version.name!r}"
    if THRESHOLD_TAG not in tags:
        raise RegistryError(f"{where} has no {THRESHOLD_TAG!r} tag; register versions through the training flow")
    try:
        threshold = float(tags[THRESHOLD_TAG])
    except ValueError:
        raise RegistryError(f"{where}: tag {THRESHOLD_TAG!r} is {tags[THRESHOLD_TAG]!r}, not a number") from None
    return VersionRef(
        name=str(version.name),
        version=str(version.version),
        run_id=str(version.run_id),
        threshold=threshold,
        data_window=tags.get("data_window", ""),
        tags=tags,
    )


class Registry:
    """The registered model ``name`` in the MLflow Model Registry."""

    def __init__(self, name: str, client: MlflowClient | None = None) -> None:
        from mlflow import MlflowClient

        self.name = name
        self.client = client or MlflowClient()

    def _alias(self, alias: str) -> ModelVersion | None:
        """The version under ``alias``; None only when the model or the alias does not exist.

        Any other failure (a registry that does not answer) is raised: read as "no champion", it would
        let a candidate be promoted over a champion nobody could see, and tell the service's users a lie.
        """
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version_by_alias(self.name, alias)
        except MlflowException as error:
            if error.error_code in ABSENT:
                return None
            raise

    def describe(self, version: str, description: str) -> None:
        """Set the version's description: its model card, as MLflow's UI shows it."""
        self.client.update_model_version(self.name, version, description=description)

    def delete(self) -> bool:
        """Remove the registered model with its versions and aliases; whether there was one."""
        from mlflow.exceptions import MlflowException

        try:
            self.client.delete_registered_model(self.name)
        except MlflowException as error:
            if error.error_code in ABSENT:
                return False
            raise
        return True

    def champion(self) -> VersionRef | None:
        """The version the ``champion`` alias points at now, or None when there is none."""
        found = self._alias(CHAMPION)
        return version_ref(found) if found is not None else None

    def version(self, number: str) -> VersionRef:
        """Exactly version ``number``; RegistryError naming it when the registry has no such version."""
        from mlflow.exceptions import MlflowException

        try:
            return version_ref(self.client.get_model_version(self.name, number))
        except MlflowException:
            raise RegistryError(f"{self.name!r} has no version {number!r}") from None

    def champion_number(self) -> str | None:
        """Only the champion's version number (no tag rules): for callers that just compare."""
        found = self._alias(CHAMPION)
        return str(found.version) if found is not None else None

    def previous_number(self) -> str | None:
        """The version the ``previous`` alias holds (what a rollback returns to), whoever set it."""
        found = self._alias(PREVIOUS)
        return str(found.version) if found is not None else None

    def load(self, ref: VersionRef) -> Pipeline:
        """The native scikit-learn pipeline of exactly that version."""
        import mlflow.sklearn

        return mlflow.sklearn.load_model(ref.model_uri)

    def register(self, model_uri: str, model_id: str, run_id: str, tags: dict[str, str]) -> ModelVersion:
        """A new version of the logged model ``model_id`` with all its tags; aliases are not touched.

        ``model_id`` is required by a tracking server (a local store accepts its absence).
        """
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.name)
        except MlflowException:
            self.client.create_registered_model(self.name, description="Model trained by the level 1 pipeline.")
        return self.client.create_model_version(self.name, model_uri, run_id=run_id, tags=tags, model_id=model_id)

    def versions_tagged(self, key: str, value: str) -> list[ModelVersion]:
        """Every version of this model whose tag ``key`` is ``value``."""
        return list(self.client.search_model_versions(f"name = '{self.name}' and tags.{key} = '{value}'"))

    def tag(self, version: str, tags: dict[str, str]) -> None:
        """Set (or replace) tags of one version."""
        for key, value in tags.items():
            self.client.set_model_version_tag(self.name, version, key, value)

    def run_status(self, run_id: str) -> str:
        """The status of a version's run (RUNNING, FINISHED, FAILED, ...); GONE when it was deleted."""
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client.get_run(run_id).info.status)
        except MlflowException:
            return "GONE"

    def run_metric(self, ref: VersionRef, name: str) -> float | None:
        """A metric the version's training run logged (e.g. ``holdout_roc_auc``), or None."""
        value = self.client.get_run(ref.run_id).data.metrics.get(name)
        return None if value is None else float(value)

    def challenger(self) -> VersionRef | None:
        """The version under a live test (the ``challenger`` alias), or None."""
        found = self._alias(CHALLENGER)
        return version_ref(found) if found is not None else None

    def record(self, version: str, alias: str, action: str, move: Move) -> None:
        """Append one alias move to the version's trail (who, when, why) and show it as the latest move."""
        entry = {"alias": alias, "action": action, "by": move.by, "at": datetime.now(UTC).isoformat(timespec="seconds")}
        entry["why"] = move.why[:300]
        tags = dict(self.client.get_model_version(self.name, version).tags or {})
        trail = [*json.loads(tags.get(TRAIL_TAG, "[]")), entry][-TRAIL_KEPT:]
        self.client.set_model_version_tag(self.name, version, TRAIL_TAG, json.dumps(trail))
        latest = f"{entry['at']} {alias} {action} by {move.by}: {entry['why']}"
        self.client.set_model_version_tag(self.name, version, "last_alias_move", latest)

    def trail(self, version: str) -> list[dict[str, str]]:
        """Every recorded alias move of the version, oldest first."""
        tags = dict(self.client.get_model_version(self.name, version).tags or {})
        return list(json.loads(tags.get(TRAIL_TAG, "[]")))

    def set_alias(self, alias: str, version: str, move: Move) -> None:
        """Point ``alias`` at ``version``; the version it leaves and the one it reaches both record it."""
        before = self._alias(alias)
        if before is not None and str(before.version) == version:
            return
        self.client.set_registered_model_alias(self.name, alias, version)
        if before is not None:
            self.record(str(before.version), alias, f"moved to v{version}", move)
        self.record(version, alias, "set", move)

    def drop_alias(self, alias: str, move: Move) -> str | None:
        """Remove ``alias`` (recorded on its version); returns the version it pointed at."""
        found = self._alias(alias)
        if found is None:
            return None
        self.client.delete_registered_model_alias(self.name, alias)
        self.record(str(found.version), alias, "removed", move)
        return str(found.version)

    def promote(self, version: str, move: Move) -> str | None:
        """Make ``version`` the champion; the old champion becomes ``previous``. Returns the old one.

        A challenger that is promoted stops being the challenger.
        """
        old = self.champion_number()
        if old is not None and old != version:
            self.set_alias(PREVIOUS, old, Move(move.by, f"replaced as champion by v{version}: {move.why}"))
        self.set_alias(CHAMPION, version, move)
        challenger = self._alias(CHALLENGER)
        if challenger is not None and str(challenger.version) == version:
            self.drop_alias(CHALLENGER, Move(move.by, f"became champion: {move.why}"))
        return old

    def promote_if_champion_is(self, version: str, judged_against: str | None, lock_url: str, move: Move) -> str | None:
        """Compare-and-set: promote ``version`` only if the champion is still the one it was judged against.

        Promoters serialise on a lock in ``lock_url`` (``Settings.promotion_lock_url``): of two candidates judged
        against one champion exactly one wins. Returns the old champion, or raises ChampionMovedError saying why."""
        with exclusive(lock_url, f"promote:{self.name}"):
            now = self.champion_number()
            if now != judged_against:
                raise ChampionMovedError(
                    f"not promoted: version {version} was judged against champion {judged_against}, "
                    f"but the champion is now {now} (another promotion won)"
                )
            return self.promote(version, move)

    def rollback_if_champion_is(self, version: str, lock_url: str, move: Move) -> str:
        """``champion`` back to ``previous`` only while ``version`` is champion (serialised with promotions), else
        ChampionMovedError (a sibling worker, a person or a newer promotion was first); the demoted keeps why."""
        with exclusive(lock_url, f"promote:{self.name}"):
            now = self.champion_number()
            if now != version:
                raise ChampionMovedError(f"not rolled back: version {version} is no longer champion ({now} is)")
            restored = self.rollback(move)
        self.client.set_model_version_tag(self.name, version, "rollback_reason", move.why)
        return restored

    def rollback(self, move: Move) -> str:
        """Point ``champion`` back at ``previous``; returns the champion's version now. ``previous`` is consumed: a
        second rollback says there is nothing to roll back to instead of silently rolling forward again. The
        demoted version is tagged so people can see why."""
        previous = self._alias(PREVIOUS)
        if previous is None:
            raise RegistryError(f"nothing to roll back to: {self.name!r} has no {PREVIOUS!r} version")
        if (differs := version_ref(previous).schema_differences) is not None:
            raise RegistryError(
                f"not rolled back: previous version {previous.version} does not fit the schema in force ({differs}); "
                "a rollback never crosses a schema change"
            )
        current = self.champion_number()
        self.set_alias(CHAMPION, str(previous.version), move)
        self.drop_alias(PREVIOUS, Move(move.by, f"rolled back to: {move.why}"))
        if current is not None and current != str(previous.version):
            self.client.set_model_version_tag(self.name, current, "rolled_back_to", str(previous.version))
        return str(previous.version)
