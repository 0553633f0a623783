"""The one model recipe every level trains: preprocessing + gradient boosting in one Pipeline."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from shared.schema import CATEGORICAL_FEATURES, FEATURE_NAMES, LABEL_COLUMN, NUMERIC_FEATURES


class ModelParams(BaseModel):
    """Hyperparameters of the recipe; defaults are the ones every level uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    learning_rate: float = Field(default=0.08, gt=0, le=1)
    max_iter: int = Field(default=150, ge=1)
    max_depth: int | None = Field(default=4, ge=1)
    min_samples_leaf: int = Field(default=40, ge=1)
    l2_regularization: float = Field(default=1.0, ge=0)
    random_state: int = 0


def build_model(params: ModelParams | None = None) -> Pipeline:
    """An untrained pipeline: impute and one-hot encode, then a gradient-boosted classifier."""
    p = params or ModelParams()
    preprocess = ColumnTransformer(
        [
            ("numeric", SimpleImputer(strategy="median", add_indicator=True), list(NUMERIC_FEATURES)),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(CATEGORICAL_FEATURES)),
        ],
        verbose_feature_names_out=False,
    )
    classifier = HistGradientBoostingClassifier(
        learning_rate=p.learning_rate,
        max_iter=p.max_iter,
        max_depth=p.max_depth,
        min_samples_leaf=p.min_samples_leaf,
        l2_regularization=p.l2_regularization,
        early_stopping=False,
        random_state=p.random_state,
    )
    return Pipeline([("preprocess", preprocess), ("classifier", classifier)])


def fit_baseline(train: pd.DataFrame) -> Pipeline:
    """The simpler model every candidate is compared with (ML Test Score model.5): a regularised logistic
    regression on the same features (median-imputed with missing indicators and scaled; one-hot categories)."""
    numeric = Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)), ("scale", StandardScaler())])
    preprocess = ColumnTransformer(
        [
            ("numeric", numeric, list(NUMERIC_FEATURES)),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(CATEGORICAL_FEATURES)),
        ],
        verbose_feature_names_out=False,
    )
    model = Pipeline([("preprocess", preprocess), ("classifier", LogisticRegression(C=1.0, max_iter=1000))])
    model.fit(train[list(FEATURE_NAMES)], train[LABEL_COLUMN].astype("int64"))
    return model


def fit_model(train: pd.DataFrame, params: ModelParams | None = None) -> Pipeline:
    """Train the recipe on labelled rows."""
    model = build_model(params)
    model.fit(train[list(FEATURE_NAMES)], train[LABEL_COLUMN].astype("int64"))
    return model


def predict_proba(model: Pipeline, frame: pd.DataFrame) -> pd.Series:
    """Probability of the positive label for each row."""
    return pd.Series(model.predict_proba(frame[list(FEATURE_NAMES)])[:, 1], index=frame.index, name="probability")
