import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from level0_manual.score_csv import main as score_main
from shared.schema import FEATURE_NAMES, LABEL_COLUMN

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)


@pytest.fixture(scope="module")
def handoff(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run the level 0 notebook as a script in a temporary state folder."""
    state = tmp_path_factory.mktemp("level0-state")
    env = {**os.environ, "MLOPS_STATE_DIR": str(state), "MLOPS_ROWS_PER_DAY": "300", "MLOPS_TRAIN_DAYS": "10"}
    env["MLOPS_DATA_SOURCE"] = "synthetic"
    done = subprocess.run(
        [sys.executable, "-m", "level0_manual.notebook"], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "Next, by hand" in done.stdout
    return state / "level0" / "handoff"


def test_level0_writes_model_and_metrics(handoff: Path) -> None:
    record = json.loads((handoff / "metrics.json").read_text())
    assert record["metrics"]["roc_auc"] > 0.7
    assert record["window"] == {"first": "2024-06-19", "last": "2024-06-28"}  # days 18-27 of the synthetic source
    assert (handoff / "model.joblib").stat().st_size > 0


def test_handoff_model_scores_a_csv(handoff: Path, small_window: pd.DataFrame, tmp_path: Path) -> None:
    source = tmp_path / "customers.csv"
    small_window.drop(columns=[LABEL_COLUMN]).head(40).to_csv(source, index=False)
    output = tmp_path / "o.csv"
    code = score_main(["--model", str(handoff / "model.joblib"), "--input", str(source), "--output", str(output)])
    scored = pd.read_csv(tmp_path / "o.csv")
    assert code == 0
    assert len(scored) == 40
    assert scored["probability"].between(0, 1).all()
    assert set(scored["prediction"]) <= {0, 1}


def test_bad_csv_is_refused_and_nothing_is_written(handoff: Path, small_window: pd.DataFrame, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    small_window.drop(columns=[FEATURE_NAMES[-1]]).head(5).to_csv(source, index=False)
    output = tmp_path / "never.csv"
    code = score_main(["--model", str(handoff / "model.joblib"), "--input", str(source), "--output", str(output)])
    assert code == 2
    assert not output.exists()
