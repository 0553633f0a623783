"""HTTP request and response models, generated from the shared feature schema."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, create_model, model_validator

from shared.schema import FEATURES, ID_COLUMN, Feature, Kind

MAX_ROWS = 1000


def _nan_is_missing(value: Any) -> Any:
    """JSON writers (Python's, MLflow's scoring client) send a missing value as ``NaN``: read it as missing."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _field(spec: Feature) -> tuple[Any, Any]:
    annotation: Any
    constraints: dict[str, Any] = {}
    if spec.kind is Kind.CATEGORICAL:
        annotation = Literal[spec.categories]
    elif spec.kind is Kind.BOOLEAN:
        annotation = bool  # true/false (JSON); 1/0 accepted
    else:
        annotation = int if spec.kind is Kind.INTEGER else float
        constraints = {"ge": spec.minimum, "le": spec.maximum, "allow_inf_nan": False}
    if spec.nullable:
        nullable = Annotated[annotation | None, BeforeValidator(_nan_is_missing)]
        return nullable, Field(default=None, description=spec.description, **constraints)
    return annotation, Field(description=spec.description, **constraints)


FeatureRow: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "FeatureRow",
    __config__=ConfigDict(extra="forbid", frozen=True),
    **{spec.name: _field(spec) for spec in FEATURES},
)


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[FeatureRow] = Field(min_length=1, max_length=MAX_ROWS)
    event_time: datetime | None = Field(
        default=None, description="When the rows' events happened, if not now (replays and simulations)."
    )
    ids: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = Field(
        default=None,
        description=f"Optional: each row's {ID_COLUMN} in your table, in the rows' order. Logged with its "
        "prediction, it lets the monitor compare what was served with the source's own row (training-serving skew).",
    )

    @model_validator(mode="after")
    def _one_id_per_row(self) -> PredictRequest:
        if self.ids is not None and len(self.ids) != len(self.rows):
            raise ValueError(f"ids: {len(self.ids)} ids for {len(self.rows)} rows: give one per row, in their order")
        return self


class Prediction(BaseModel):
    request_id: str
    prediction: int
    probability: float
    model_version: str
    variant: str = "champion"  # which model answered: champion, or challenger under an A/B test


class PredictResponse(BaseModel):
    predictions: list[Prediction]


class DataframeSplit(BaseModel):
    model_config = ConfigDict(extra="allow")

    columns: list[str]
    data: list[list[Any]] = Field(min_length=1, max_length=MAX_ROWS)


class InvocationParams(BaseModel):
    """MLflow's inference ``params``: the one this service knows is when the rows happened."""

    model_config = ConfigDict(extra="forbid")

    event_time: datetime | None = Field(default=None, description="As /predict's event_time (replays).")


class InvocationsRequest(BaseModel):
    """MLflow's scoring protocol: exactly one of ``dataframe_split`` or ``dataframe_records``, and ``params``."""

    model_config = ConfigDict(extra="forbid")

    dataframe_split: DataframeSplit | None = None
    dataframe_records: list[dict[str, Any]] | None = Field(default=None, min_length=1, max_length=MAX_ROWS)
    params: InvocationParams | None = None


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=64)
    label: Literal[0, 1]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    labels: list[Label] = Field(min_length=1, max_length=10_000)


class ChallengerInfo(BaseModel):
    version: str
    run_id: str
    data_window: str
    threshold: float
    loaded_at: str


class ReleaseInfo(BaseModel):
    mode: str  # ab, shadow or off (config/release_policy.yaml)
    challenger_share: float  # of the traffic answered by the challenger now (0 without one, or in shadow mode)
    routing_header: str


class ModelInfo(BaseModel):
    name: str
    ready: bool
    version: str | None = None
    run_id: str | None = None
    data_window: str | None = None
    threshold: float | None = None
    loaded_at: str | None = None
    last_error: str | None = None
    challenger: ChallengerInfo | None = None
    challenger_error: str | None = None
    release: ReleaseInfo | None = None


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    row: FeatureRow


class FeatureContribution(BaseModel):
    feature: str
    value: Any
    typical: Any = Field(description="The feature's typical value on the version's training rows.")
    change: float = Field(description="Probability with this row's value minus probability with the typical one.")


class ExplainResponse(BaseModel):
    model_version: str
    probability: float
    contributions: list[FeatureContribution] = Field(description="Largest move first.")
