"""MLflow Model Registry adapter: versions, the `champion` alias, and one-call rollback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion
    from sklearn.pipeline import Pipeline

CHAMPION = "champion"
PREVIOUS = "previous"


@dataclass(frozen=True)
class Champion:
    version: str
    run_id: str
    threshold: float
    model: Pipeline


class Registry:
    """The registered model ``name`` in the MLflow Model Registry."""

    def __init__(self, name: str, client: MlflowClient | None = None) -> None:
        from mlflow import MlflowClient

        self.name = name
        self.client = client or MlflowClient()

    def champion_version(self) -> ModelVersion | None:
        """The version the ``champion`` alias points at, or None."""
        from mlflow.exceptions import MlflowException

        try:
            return self.client.get_model_version_by_alias(self.name, CHAMPION)
        except MlflowException:
            return None

    def load_champion(self) -> Champion | None:
        """The champion's native scikit-learn pipeline and decision threshold."""
        import mlflow.sklearn

        version = self.champion_version()
        if version is None:
            return None
        model = mlflow.sklearn.load_model(f"models:/{self.name}@{CHAMPION}")
        return Champion(str(version.version), str(version.run_id), float(version.tags["threshold"]), model)

    def register(self, model_uri: str, run_id: str, tags: dict[str, str]) -> ModelVersion:
        """A new version of the model with all its tags; aliases are not touched."""
        from mlflow.exceptions import MlflowException

        try:
            self.client.get_registered_model(self.name)
        except MlflowException:
            self.client.create_registered_model(self.name, description="Churn model trained by level 1.")
        return self.client.create_model_version(self.name, model_uri, run_id=run_id, tags=tags)

    def promote(self, version: str) -> str | None:
        """Make ``version`` the champion; the old champion becomes ``previous``. Returns the old one."""
        old = self.champion_version()
        if old is not None and str(old.version) != version:
            self.client.set_registered_model_alias(self.name, PREVIOUS, str(old.version))
        self.client.set_registered_model_alias(self.name, CHAMPION, version)
        return str(old.version) if old is not None else None

    def rollback(self) -> str:
        """Point ``champion`` back at ``previous`` (one call); returns the champion's version now."""
        previous = self.client.get_model_version_by_alias(self.name, PREVIOUS)
        current = self.champion_version()
        self.client.set_registered_model_alias(self.name, CHAMPION, str(previous.version))
        if current is not None:
            self.client.set_registered_model_alias(self.name, PREVIOUS, str(current.version))
        return str(previous.version)
