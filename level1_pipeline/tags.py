"""What a training run and the version it registers are tagged with: the window, the lineage, the code, the gate."""

from __future__ import annotations

from level1_pipeline.model_gate import GateResult
from level1_pipeline.steps import TrainedModel
from level1_pipeline.tracking import code_version
from shared.data.windows import DataWindow
from shared.feature_set import FEATURES_TAG, feature_set

RELEASE_TAG = "release"  # pending from registration until the release step ends, then what the version became
RELEASE_REASON_TAG = "release_reason"
PENDING = "pending"
INTERRUPTED = "interrupted"


def run_tags(window: DataWindow, lineage: dict[str, str]) -> dict[str, str]:
    return {"data_window": str(window), **lineage, "code_version": code_version(), "level": "1"}


def version_tags(window: DataWindow, digest: str, trained: TrainedModel, gate: GateResult) -> dict[str, str]:
    return {
        "data_window": str(window),
        "data_digest": digest,
        "code_version": code_version(),
        "threshold": f"{trained.threshold:.2f}",
        **gate.as_tags(),
        FEATURES_TAG: feature_set(),
        **({RELEASE_TAG: PENDING} if gate.passed else {}),
    }
