"""MLflow Model Registry adapter shared by every level: the `champion` alias and its lookup.

One rule everywhere: the alias is read once, to a version number, and the model is loaded by
that number (never by re-resolving the alias, which may have moved in between). A version
without a ``threshold`` tag cannot be served or judged: that is an error, not a silent 0.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion
    from sklearn.pipeline import Pipeline

CHAMPION = "champion"
PREVIOUS = "previous"
THRESHOLD_TAG = "threshold"


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
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version_by_alias(self.name, alias)
        except MlflowException:
            return None

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

    def promote(self, version: str) -> str | None:
        """Make ``version`` the champion; the old champion becomes ``previous``. Returns the old one."""
        old = self.champion_number()
        if old is not None and old != version:
            self.client.set_registered_model_alias(self.name, PREVIOUS, old)
        self.client.set_registered_model_alias(self.name, CHAMPION, version)
        return old

    def promote_if_champion_is(self, version: str, judged_against: str | None, lock_url: str) -> str | None:
        """Compare-and-set: promote ``version`` only if the champion is still the one it was judged against.

        Promoters serialise on a lock in ``lock_url`` (the prediction store every process shares); of
        two candidates judged against the same champion, exactly one wins. Returns the old champion,
        or raises ChampionMovedError with the reason.
        """
        from shared.locks import exclusive

        with exclusive(lock_url, f"promote:{self.name}"):
            now = self.champion_number()
            if now != judged_against:
                raise ChampionMovedError(
                    f"not promoted: version {version} was judged against champion {judged_against}, "
                    f"but the champion is now {now} (another promotion won)"
                )
            return self.promote(version)

    def rollback(self) -> str:
        """Point ``champion`` back at ``previous``; returns the champion's version now.

        ``previous`` is consumed: a second rollback says there is nothing to roll back to instead
        of silently rolling forward again. The demoted version is tagged so people can see why.
        """
        previous = self._alias(PREVIOUS)
        if previous is None:
            raise RegistryError(f"nothing to roll back to: {self.name!r} has no {PREVIOUS!r} version")
        current = self.champion_number()
        self.client.set_registered_model_alias(self.name, CHAMPION, str(previous.version))
        self.client.delete_registered_model_alias(self.name, PREVIOUS)
        if current is not None and current != str(previous.version):
            self.client.set_model_version_tag(self.name, current, "rolled_back_to", str(previous.version))
        return str(previous.version)
