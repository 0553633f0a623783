"""The model gate's slice-by-slice comparisons (pure): a slice much worse than the champion's same slice, and groups
of a sensitive column whose ROC AUC differ too much. Each finding is named with its numbers."""

from __future__ import annotations

import math

from level1_pipeline.policy import InclusionPolicy, SlicePolicy
from shared.slices import SliceScore

Slices = dict[str, SliceScore]


def worse_slices(candidate: Slices, champion: Slices, policy: SlicePolicy) -> list[str]:
    """Each slice (enough rows, both classes) where the candidate's ROC AUC falls below the champion's by more than
    the margin and more than ``errors`` standard errors of the difference, named with its numbers."""
    found = []
    for name, mine in candidate.items():
        theirs = champion.get(name)
        if theirs is None or mine.roc_auc is None or theirs.roc_auc is None or mine.rows < policy.min_rows:
            continue
        allowed = max(policy.max_auc_drop_vs_champion, policy.errors * math.sqrt(2) * theirs.standard_error)
        if theirs.roc_auc - mine.roc_auc > allowed:
            found.append(
                f"slice {name} ({mine.rows} rows): ROC AUC {mine.roc_auc:.4f} < champion {theirs.roc_auc:.4f} "
                f"- {allowed:.4f} on the same rows"
            )
    return found


def group_gaps(slices: Slices, sensitive: tuple[str, ...], policy: InclusionPolicy) -> list[str]:
    """Each sensitive column whose groups (its slices of enough rows) differ in ROC AUC by more than the policy."""
    found = []
    for column in sensitive:
        groups = {
            name: score.roc_auc
            for name, score in slices.items()
            if name.startswith((f"{column}=", f"{column} in ")) and score.rows >= policy.min_rows
            if score.roc_auc is not None
        }
        if len(groups) < 2:
            continue
        best, worst = max(groups, key=groups.__getitem__), min(groups, key=groups.__getitem__)
        gap = groups[best] - groups[worst]
        if gap > policy.max_auc_gap:
            found.append(
                f"inclusion: ROC AUC differs by {gap:.4f} across the groups of {column} ({worst} {groups[worst]:.4f}, "
                f"{best} {groups[best]:.4f}; at most {policy.max_auc_gap:.4f})"
            )
    return found
