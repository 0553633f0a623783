"""Level 1's warm-up: what a training run imports and opens while the Prefect API starts.

Used with ``shared.prefect_api.orchestration_ready``, which overlaps the two on the other core.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.settings import Settings
from shared.tracking import connect


def training_warm_up(settings: Settings) -> Callable[[], None]:
    """Import what the flow's steps use and open the tracking store."""

    def warm_up() -> None:
        import great_expectations  # noqa: F401
        import mlflow.sklearn  # noqa: F401

        import level1_pipeline.flow  # noqa: F401

        connect(settings)

    return warm_up
