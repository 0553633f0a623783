"""A lean scoring path for the served pipeline: the fitted preprocessing replayed in NumPy.

The recipe's ColumnTransformer spends ~3 ms per call on pandas bookkeeping, more than the
classifier itself (~1 ms, mostly one call per tree: small batches walk the trees as arrays instead,
``compiled_trees.py``). When the preprocessing is made of blocks this module knows (median or
constant imputers with missing indicators, one-hot encoders ignoring unknown categories, in any
number and order, numeric-only or categorical-only included), ``compile_scorer`` reads their
fitted parameters and rebuilds the same matrix with NumPy. ``verified_scorer`` then checks it
against ``predict_proba`` on rows made from the schema; any other structure, or any difference,
means no fast path: the service calls ``predict_proba`` as usual, so a fork's recipe always loads.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from level2_cicd.speed.compiled_trees import SMALL_BATCH, CompiledTrees, compile_trees
from shared.schema import FEATURE_NAMES, to_records

log = logging.getLogger("level2.fast_scorer")


@dataclass(frozen=True)
class ImputerBlock:
    columns: tuple[str, ...]
    fill: np.ndarray
    indicator_columns: np.ndarray

    def matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        numbers = np.array([[_number(row[c]) for c in self.columns] for row in rows], dtype=np.float64)
        missing = np.isnan(numbers).reshape(len(rows), len(self.columns))
        imputed = np.where(missing, self.fill, numbers)
        return np.hstack([imputed, missing[:, self.indicator_columns].astype(np.float64)])


@dataclass(frozen=True)
class OneHotBlock:
    columns: tuple[str, ...]
    category_index: tuple[dict[Any, int], ...]

    def matrix(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        blocks = []
        for column, index in zip(self.columns, self.category_index, strict=True):
            onehot = np.zeros((len(rows), len(index)))
            for i, row in enumerate(rows):
                position = index.get(row[column])
                if position is not None:
                    onehot[i, position] = 1.0
            blocks.append(onehot)
        return np.hstack(blocks) if blocks else np.zeros((len(rows), 0))


Block = ImputerBlock | OneHotBlock


@dataclass(frozen=True)
class CompiledScorer:
    blocks: tuple[Block, ...]
    classifier: Any
    trees: CompiledTrees | None = None  # the classifier's trees as arrays, for small batches

    def score(self, rows: Sequence[dict[str, Any]]) -> np.ndarray:
        """Positive-class probabilities of raw feature rows (None for missing values)."""
        matrix = np.hstack([block.matrix(rows) for block in self.blocks])
        if self.trees is not None and len(rows) <= SMALL_BATCH:
            return self.trees.positive_probability(matrix)
        return np.asarray(self.classifier.predict_proba(matrix)[:, 1])


def _number(value: Any) -> float:
    return np.nan if value is None else float(value)


def compile_scorer(pipeline: Any) -> CompiledScorer | None:
    """A NumPy scorer meant to equal ``pipeline.predict_proba``, or None if the structure is unknown."""
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
        return None
    preprocess, classifier = pipeline.steps[0][1], pipeline.steps[1][1]
    if not isinstance(preprocess, ColumnTransformer) or not hasattr(classifier, "predict_proba"):
        return None
    if getattr(preprocess, "sparse_output_", False):
        return None
    blocks: list[Block] = []
    for _, transformer, columns in preprocess.transformers_:
        if (isinstance(transformer, str) and transformer == "drop") or len(columns) == 0:
            continue
        block = _block(transformer, tuple(columns))
        if block is None:
            return None
        blocks.append(block)
    return CompiledScorer(tuple(blocks), classifier, compile_trees(classifier)) if blocks else None


def _block(transformer: Any, columns: tuple[str, ...]) -> Block | None:
    if _plain_imputer(transformer):
        indicator = transformer.indicator_.features_ if transformer.add_indicator else np.array([], dtype=int)
        fill = np.asarray(transformer.statistics_, dtype=np.float64)
        return ImputerBlock(columns, fill, np.asarray(indicator, dtype=int))
    if _plain_encoder(transformer):
        return OneHotBlock(columns, tuple({c: i for i, c in enumerate(cats)} for cats in transformer.categories_))
    return None


def verified_scorer(pipeline: Any, example: pd.DataFrame, tolerance: float = 1e-9) -> CompiledScorer | None:
    """The compiled scorer if it reproduces ``predict_proba`` on ``example``; else None (the slow path)."""
    try:
        scorer = compile_scorer(pipeline)
        if scorer is None:
            return None
        expected = pipeline.predict_proba(example[list(FEATURE_NAMES)])[:, 1]
        if np.allclose(scorer.score(to_records(example)), expected, rtol=0, atol=tolerance):
            return scorer
        log.warning("fast scorer differs from predict_proba on the self-check: using predict_proba")
    except Exception as error:  # a recipe this module does not understand is never a failed load
        log.warning("fast scorer not usable (%s): using predict_proba", error)
    return None


def _plain_imputer(imputer: Any) -> bool:
    return (
        isinstance(imputer, SimpleImputer)
        and isinstance(imputer.missing_values, float)
        and np.isnan(imputer.missing_values)
        and (not imputer.add_indicator or imputer.indicator_.features == "missing-only")
        and np.issubdtype(np.asarray(imputer.statistics_).dtype, np.number)
        and not np.isnan(imputer.statistics_).any()
    )


def _plain_encoder(encoder: Any) -> bool:
    return (
        isinstance(encoder, OneHotEncoder)
        and encoder.drop is None
        and encoder.handle_unknown == "ignore"
        and encoder.min_frequency is None
        and encoder.max_categories is None
        and not encoder.sparse_output
    )
