"""What a training run and the version it registers are tagged with: the window, the lineage, the code, the gate."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from shared.feature_set import FEATURES_TAG, feature_set

if TYPE_CHECKING:
    from level1_pipeline.model_gate import GateResult
    from level1_pipeline.steps import TrainedModel
    from shared.data.windows import DataWindow

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
        **gate_tags(gate),
        FEATURES_TAG: feature_set(),
        **({RELEASE_TAG: PENDING} if gate.passed else {}),
    }


def gate_tags(gate: GateResult) -> dict[str, str]:
    """The model gate's checks as tags (``gate.<check>: passed | failed``, ``gate.result``)."""
    tags = {f"gate.{name}": "passed" if ok else "failed" for name, ok in gate.checks.items()}
    tags["gate.result"] = "passed" if gate.passed else "failed"
    return tags


def code_version() -> str:
    """The git commit of the working tree (with '-dirty' when it has changes), or 'unknown'."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=5)
        status = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit.stdout.strip() + ("-dirty" if status.stdout.strip() else "")
