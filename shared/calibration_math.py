"""The standard error of a ROC AUC: how far one measured on so many rows may be from the truth by chance alone."""

from __future__ import annotations

import math


def auc_standard_error(auc: float, positives: float, negatives: float) -> float:
    """Hanley & McNeil (1982): the standard error of a ROC AUC on that many positives and negatives."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    variance = auc * (1 - auc) + (positives - 1) * (q1 - auc**2) + (negatives - 1) * (q2 - auc**2)
    return math.sqrt(max(variance, 0.0) / max(positives * negatives, 1.0))
