"""Logging one training run to MLflow: params, metrics, datasets, reference sample, figures, model.

The connection itself (URI, experiment) is shared by every level: ``shared/tracking.py``.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from level1_pipeline import plots
from level1_pipeline.tags import gate_tags
from shared.explain import TYPICAL_FILE, typical_row
from shared.schema import FEATURE_NAMES, LABEL_COLUMN
from shared.tracking import REFERENCE_DIR, REFERENCE_FILE, RELIANCE_FILE

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from sklearn.pipeline import Pipeline

    from level1_pipeline.data_gate_report import DataGateReport
    from level1_pipeline.model_gate import GateResult
    from level1_pipeline.steps import JudgedChampion, Scored
    from shared.behaviour import BehaviourResult
    from shared.data.windows import TimeSplit


# Types inside our own recipe that skops (MLflow's safe default format) must be told to load.
SKOPS_TRUSTED_TYPES = ["numpy.dtype", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]


class TrainingRun:
    """One MLflow run, addressed by id so any thread or task can log to it."""

    def __init__(self, run_id: str) -> None:
        from mlflow import MlflowClient

        self.run_id = run_id
        self.client = MlflowClient()

    @classmethod
    def start(cls, experiment_id: str, run_name: str, tags: dict[str, str]) -> TrainingRun:
        from mlflow import MlflowClient

        run = MlflowClient().create_run(experiment_id, run_name=run_name, tags=tags)
        return cls(run.info.run_id)

    def log_params(self, params: dict[str, object]) -> None:
        from mlflow.entities import Param

        self.client.log_batch(self.run_id, params=[Param(k, str(v)) for k, v in params.items()])

    def log_metrics(self, metrics: dict[str, float], prefix: str = "") -> None:
        from mlflow.entities import Metric

        now = _now_ms()
        batch = [Metric(f"{prefix}{k}", float(v), now, 0) for k, v in metrics.items() if v == v]
        self.client.log_batch(self.run_id, metrics=batch)

    def set_tags(self, tags: dict[str, str]) -> None:
        from mlflow.entities import RunTag

        self.client.log_batch(self.run_id, tags=[RunTag(k, v) for k, v in tags.items()])

    def log_dataset(self, frame: pd.DataFrame, name: str, context: str) -> str:
        """Log the frame as a run input; returns its digest."""
        from mlflow.data.pandas_dataset import from_pandas
        from mlflow.entities import DatasetInput, InputTag

        with warnings.catch_warnings():  # the label is a complete 0/1 integer column, as intended
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column")
            dataset = from_pandas(frame, name=name, targets=LABEL_COLUMN)
            entry = DatasetInput(dataset._to_mlflow_entity(), [InputTag("mlflow.data.context", context)])
        self.client.log_inputs(self.run_id, datasets=[entry])
        return str(dataset.digest)

    def log_reference(self, frame: pd.DataFrame, rows: int = 5000) -> None:
        """A sample of the training features, the reference later monitoring compares live data to."""
        sample = frame.sample(min(rows, len(frame)), random_state=0)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / REFERENCE_FILE
            sample.to_parquet(path, index=False)
            self.client.log_artifact(self.run_id, str(path), REFERENCE_DIR)

    def log_dict(self, payload: dict[str, Any], path: str) -> None:
        self.client.log_dict(self.run_id, payload, path)

    def log_figures(self, figures: dict[str, Figure]) -> None:
        for path, figure in figures.items():
            self.client.log_figure(self.run_id, figure, path)

    def log_model(self, model: Pipeline, rows: pd.DataFrame) -> tuple[str, str]:
        """Log the pipeline with signature, an example of ``rows`` and explicit requirements; returns its URI and id."""
        import mlflow
        import mlflow.sklearn
        from mlflow.models import infer_signature

        example = model_input_example(rows)
        signature = infer_signature(example, model.predict_proba(example))
        with mlflow.start_run(run_id=self.run_id):
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=signature,
                input_example=example,
                pip_requirements=model_requirements(),
                pyfunc_predict_fn="predict_proba",
                skops_trusted_types=SKOPS_TRUSTED_TYPES,
            )
        # Leaving the block ended the run as FINISHED; it is not: registration and release follow.
        self.client.update_run(self.run_id, status="RUNNING")
        return str(info.model_uri), str(info.model_id)

    def log_data_gate(self, report: DataGateReport) -> None:
        self.log_dict(report.raw, "data_validation/result.json")
        self.set_tags({"data_gate": "passed" if report.success else "failed"})

    def log_split(self, split: TimeSplit) -> str:
        """The train and holdout windows as inputs and the reference sample; returns the train window's digest."""
        digest = self.log_dataset(split.train, name="train", context="training")
        self.log_dataset(split.holdout, name="holdout", context="evaluation")
        self.log_reference(split.train[list(FEATURE_NAMES)])
        self.log_dict(typical_row(split.train[list(FEATURE_NAMES)]), f"{REFERENCE_DIR}/{TYPICAL_FILE}")  # /explain's
        return digest

    def log_evaluation(
        self, scored: Scored, reliance: dict[str, float], holdout: pd.DataFrame, threshold: float
    ) -> None:
        """The candidate's holdout metrics, its slices, what it relies on (the monitor weighs drift by it), plots."""
        self.log_metrics(scored.metrics, prefix="holdout_")
        self.log_dict({name: asdict(score) for name, score in scored.slices.items()}, "slices.json")
        self.log_dict(reliance, f"{REFERENCE_DIR}/{RELIANCE_FILE}")
        labels, probabilities = holdout[LABEL_COLUMN], scored.scores
        self.log_figures(
            {
                "plots/roc_curve.png": plots.roc_figure(labels, probabilities),
                "plots/confusion_matrix.png": plots.confusion_figure(labels, probabilities, threshold),
                "plots/calibration.png": plots.calibration_figure(labels, probabilities),
                "plots/reliance.png": plots.reliance_figure(reliance),
            }
        )

    def log_champion(self, judged: JudgedChampion) -> None:
        if judged.other_features:
            self.set_tags({"schema_change_from_champion": str(judged.version)})
        elif judged.scored is not None:
            self.log_metrics(judged.scored.metrics, prefix="champion_holdout_")
            self.set_tags({"compared_with_champion_version": str(judged.version)})

    def log_behaviour(self, results: list[BehaviourResult]) -> None:
        self.log_dict({r.feature: asdict(r) for r in results}, "behaviour.json")

    def log_gate(self, gate: GateResult) -> None:
        self.set_tags(gate_tags(gate))
        self.log_dict({"passed": gate.passed, "checks": gate.checks, "reasons": list(gate.reasons)}, "model_gate.json")

    def finish(self, succeeded: bool) -> None:
        self.client.set_terminated(self.run_id, "FINISHED" if succeeded else "FAILED")

    def __enter__(self) -> TrainingRun:
        return self

    def __exit__(self, error_type: type[BaseException] | None, *_: object) -> None:
        """Leaving the block ends the run: FINISHED, or FAILED when an error (or an interrupt) left it."""
        self.finish(succeeded=error_type is None)


def model_requirements() -> list[str]:
    """Pinned requirements of the logged model, given explicitly (inference costs seconds)."""
    return [f"{name}=={metadata.version(name)}" for name in ("mlflow", "scikit-learn", "pandas", "numpy", "skops")]


def _now_ms() -> int:
    return int(time.time() * 1000)


def model_input_example(frame: pd.DataFrame, rows: int = 5) -> pd.DataFrame:
    """A few complete rows of features, for the model's signature and input example."""
    return frame[list(FEATURE_NAMES)].dropna().head(rows).reset_index(drop=True)
