"""Model cards: the registry's description of each version says what its run logged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient

from level1_pipeline.model_card import CardFacts, CardText, load_card_text, render_card
from shared.policy_file import PolicyError

MODEL = "churn-model"
ROOT = Path(__file__).resolve().parents[2]
TEXT = CardText(intended_use="Teaching only.", limitations=["Simulated data."])


def facts(**changes: Any) -> CardFacts:
    base: dict[str, Any] = {
        "model_name": "m",
        "version": "2",
        "run_id": "r",
        "data_window": "2024-01-01..2024-01-10",
        "lineage": {"data_source": "simulator", "seed": "7"},
        "datasets": {"train": "abc123"},
        "code_version": "deadbeef",
        "threshold": "0.40",
        "metrics": {"roc_auc": 0.81234, "f1": 0.5},
        "champion_version": "1",
        "champion_metrics": {"roc_auc": 0.8, "f1": 0.55},
        "gate_passed": True,
        "gate_reasons": ["ROC AUC 0.8123 >= floor 0.7500"],
        "reference_sample": "file:///a/reference/reference.parquet",
        "outcome": "promoted to champion (previous champion: v1)",
    }
    return CardFacts(**(base | changes))


def test_a_card_compares_with_the_champion_on_the_same_holdout() -> None:
    card = render_card(facts(), TEXT)
    assert "| metric | this version | champion v1, same holdout |" in card
    assert "| roc_auc | 0.8123 | 0.8000 |" in card
    assert "- dataset `train` digest `abc123`" in card
    assert "## Model gate: passed" in card
    assert "Teaching only." in card
    assert "- Simulated data." in card


def test_a_first_version_has_no_champion_column_and_a_failed_gate_says_so() -> None:
    card = render_card(facts(champion_version=None, champion_metrics={}, gate_passed=False), TEXT)
    assert "| metric | this version |\n" in card
    assert "champion v" not in card
    assert "## Model gate: FAILED" in card


def test_the_shipped_card_text_is_valid_and_an_empty_one_is_named(tmp_path: Path) -> None:
    assert load_card_text(ROOT / "config" / "model_card.yaml").limitations
    empty = tmp_path / "card.yaml"
    empty.write_text("intended_use: ''\nlimitations: []\n")
    with pytest.raises(PolicyError, match="intended_use"):
        load_card_text(empty)


def test_every_version_is_described_from_what_its_run_logged(
    train: Callable[..., Any], given_a_champion: Callable[..., None]
) -> None:
    # given a champion, when a crippled candidate is trained, judged against it and not promoted
    given_a_champion()
    worse = train(params={"max_iter": 1, "max_depth": 1})
    client = MlflowClient()
    # then its registry description is its card, and the card carries what the run logged
    card = client.get_model_version(MODEL, worse.version).description or ""
    run = client.get_run(worse.run_id)
    assert card.startswith(f"# {MODEL} version {worse.version}")
    assert "registered, not promoted" in card
    assert (
        f"| roc_auc | {run.data.metrics['holdout_roc_auc']:.4f} | {run.data.metrics['champion_holdout_roc_auc']:.4f} |"
        in card
    )
    assert run.inputs is not None
    digest = next(d.dataset.digest for d in run.inputs.dataset_inputs if d.dataset.name == "train")
    assert f"digest `{digest}`" in card
    assert f"window: {run.data.tags['data_window']}" in card
    assert "## Model gate: FAILED" in card
    assert f"{run.info.artifact_uri}/reference/reference.parquet" in card
    assert load_card_text(ROOT / "config" / "model_card.yaml").intended_use.strip() in card
    # and what the version relies on, as its run logged it (the table and the figure)
    from mlflow.artifacts import load_dict

    shares = load_dict(f"{run.info.artifact_uri}/reference/reliance.json")
    heaviest = max(shares, key=lambda column: shares[column])
    assert f"| {heaviest} | {shares[heaviest]:.1%} |" in card.split("## What it relies on", 1)[1]
    assert "plots/reliance.png" in {a.path for a in client.list_artifacts(worse.run_id, "plots")}
    # and its slices, as the run logged them, weakest first
    logged = load_dict(f"{run.info.artifact_uri}/slices.json")
    weakest = min((name for name in logged if logged[name]["roc_auc"] is not None), key=lambda n: logged[n]["roc_auc"])
    table = card.split("## Slices of the holdout (weakest first)", 1)[1]
    assert table.split("\n")[3].startswith(f"| {weakest} | {logged[weakest]['rows']} |")
    # and the behaviour the schema declares, as the run checked it
    checked = load_dict(f"{run.info.artifact_uri}/behaviour.json")
    section = card.split("## Behaviour the schema declares", 1)[1]
    for feature, result in checked.items():
        assert f"| {feature} | {result['effect']} | {result['mean_change']:+.4f} |" in section
    # and the champion's own card says it was promoted
    assert "promoted to champion" in (client.get_model_version(MODEL, "1").description or "")
