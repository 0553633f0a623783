"""`make notebook`: level 0 opens in a real Jupyter server as a notebook, and runs on a real kernel."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx
import jupytext
import pytest
from nbclient import NotebookClient

from shared.processes import free_port, running_server
from workshop.notebook import NOTEBOOK, ROOT, jupyter_env

pytestmark = pytest.mark.slow  # runs processes or servers of its own (make test-fast skips it)

TOKEN = "workshop-test-token"


def test_jupyter_opens_the_level0_script_as_a_notebook_and_keeps_its_files_in_the_state_folder(
    tmp_path: Path,
) -> None:
    # given `make notebook` started without a browser on a free loopback port
    port = free_port()
    env = {**os.environ, "MLOPS_STATE_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "workshop.notebook", "--no-browser", "--port", str(port), "--token", TOKEN]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, env, f"{base}/api/status?token={TOKEN}", timeout=90, cwd=ROOT, quiet=True):
        # when a participant opens the address it prints, and the browser asks for the notebook's content
        page = httpx.get(f"{base}/notebooks/{NOTEBOOK}", params={"token": TOKEN})
        content = httpx.get(f"{base}/api/contents/{NOTEBOOK}", params={"token": TOKEN, "type": "notebook"}).json()
        runtime = list((tmp_path / "jupyter" / "runtime").glob("jpserver-*.json"))
    # then it is the versioned script, cell by cell, as a notebook (no .ipynb written)
    assert page.status_code == 200
    assert content["type"] == "notebook"
    sources = [cell["source"] for cell in content["content"]["cells"]]
    assert sources == [cell.source for cell in jupytext.read(ROOT / NOTEBOOK).cells]
    assert runtime, "Jupyter's runtime files belong under the state folder"
    assert not list((ROOT / "level0_manual").glob("*.ipynb"))


def test_the_notebook_runs_top_to_bottom_on_a_real_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # given level 0 read as a notebook, with small synthetic data and a private state folder
    for key, value in jupyter_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    small = {"MLOPS_STATE_DIR": str(tmp_path), "MLOPS_DATA_SOURCE": "synthetic", "MLOPS_ROWS_PER_DAY": "300"}
    for key, value in small.items():
        monkeypatch.setenv(key, value)
    notebook = jupytext.read(ROOT / NOTEBOOK)
    # when every cell is executed on the ipykernel Jupyter starts
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    # then the hand-off files are written, and the cells printed the holdout quality
    printed = "".join(out.get("text", "") for cell in notebook.cells for out in cell.get("outputs", []))
    assert '"roc_auc"' in printed
    metrics = json.loads((tmp_path / "level0" / "handoff" / "metrics.json").read_text())
    assert metrics["metrics"]["roc_auc"] > 0.7
