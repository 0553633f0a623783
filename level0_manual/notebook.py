# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown]
# # Level 0: a data scientist's notebook
#
# Google level 0 · Azure level 1 ("no MLOps") · AWS *Initial*.
# Everything here is a manual step: someone pulls a snapshot, runs these cells top to bottom,
# and hands a model file over to whoever deploys it. Nothing is tracked, nothing is scheduled,
# nothing checks the data. The code is still correct: it is the same recipe levels 1 and 2 use.
#
# Open it as a notebook with `jupytext --to notebook level0_manual/notebook.py`, or run it:
# `make level0`.

# %%
import json
import platform
from datetime import UTC, datetime

import joblib
import sklearn

from shared.data.source import resolve_day, source_from
from shared.data.windows import DataWindow, split_by_time
from shared.metrics import choose_threshold, classification_metrics
from shared.model import ModelParams, fit_model, predict_proba
from shared.schema import LABEL_COLUMN, conform
from shared.settings import load_settings

settings = load_settings()
source = source_from(settings)
window = DataWindow.ending_on(resolve_day(source, settings.last_day), settings.train_days)

# %% [markdown]
# ## 1. Pull a snapshot of the data
# In real life: a SQL query pasted from a wiki, saved as a CSV on someone's laptop.

# %%
snapshot = conform(source.rows(window.first, window.last), require_label=True)
print(f"snapshot: {len(snapshot):,} rows, {window}")

# %% [markdown]
# ## 2. Look at it briefly

# %%
print(snapshot.describe(include="all").T[["count", "mean", "min", "max", "unique"]].to_string())
print(f"positive rate of {LABEL_COLUMN}: {snapshot[LABEL_COLUMN].mean():.3f}")

# %% [markdown]
# ## 3. Train on the older days, pick a threshold on the next ones, evaluate on the newest

# %%
split = split_by_time(snapshot)
params = ModelParams()
model = fit_model(split.train, params)
threshold = choose_threshold(split.validation[LABEL_COLUMN], predict_proba(model, split.validation))
metrics = classification_metrics(split.holdout[LABEL_COLUMN], predict_proba(model, split.holdout), threshold)
print(json.dumps(metrics, indent=2))

# %% [markdown]
# ## 4. Hand the model over
# A model file and a metrics file in a folder. Which data, which code, which parameters made them
# lives only in this notebook's last run, and in someone's memory.

# %%
handoff = settings.level0_dir / "handoff"
handoff.mkdir(parents=True, exist_ok=True)
joblib.dump({"model": model, "threshold": threshold}, handoff / "model.joblib")
record = {
    "metrics": metrics,
    "params": params.model_dump(),
    "window": {"first": str(window.first), "last": str(window.last)},
    "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    "python": platform.python_version(),
    "scikit_learn": sklearn.__version__,
}
(handoff / "metrics.json").write_text(json.dumps(record, indent=2))

# %% [markdown]
# ## 5. What a person does next, by hand

# %%
print(
    f"""
Hand-off written to {handoff}/ (model.joblib, metrics.json).
Next, by hand:
  1. email or copy {handoff / "model.joblib"} to the ops team;
  2. they score a file with it:
       python -m level0_manual.score_csv --model {handoff / "model.joblib"} --input customers.csv --output scored.csv
  3. someone remembers to retrain it when things look off.
"""
)
