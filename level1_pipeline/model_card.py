"""Model cards: a Markdown description on every registered version, written from what its run logged.

`render_card` is pure (facts in, Markdown out); `facts_from_run` reads the facts back from MLflow
(run tags, metrics, dataset inputs, the model gate's record), so the card says what was logged,
not what the flow meant to log. Intended use and known limits come from `config/model_card.yaml`,
which a fork rewrites for its own model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from shared.policy_file import StrictModel, read_policy
from shared.tracking import REFERENCE_DIR, REFERENCE_FILE, RELIANCE_FILE

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from shared.registry import Registry

LINEAGE_TAGS = ("data_source", "data_path", "prediction_store", "seed", "scenario")


class CardText(StrictModel):
    """What only people can say about the model: `config/model_card.yaml`."""

    intended_use: str = Field(min_length=1)
    limitations: list[str] = Field(min_length=1)


def load_card_text(path: Path) -> CardText:
    return read_policy(path, CardText)


@dataclass(frozen=True)
class CardFacts:
    model_name: str
    version: str
    run_id: str
    data_window: str
    lineage: dict[str, str]
    datasets: dict[str, str]  # name -> digest
    code_version: str
    threshold: str
    metrics: dict[str, float]  # this version, on its holdout
    champion_version: str | None
    champion_metrics: dict[str, float]  # the champion it was judged against, on the same holdout
    gate_passed: bool
    gate_reasons: list[str]
    reference_sample: str
    outcome: str
    params: dict[str, str] = field(default_factory=dict)
    reliance: dict[str, float] = field(default_factory=dict)  # each column's share (empty: logged before it was)
    slices: dict[str, dict[str, Any]] = field(default_factory=dict)  # slice -> rows, positives, roc_auc
    behaviour: dict[str, dict[str, Any]] = field(default_factory=dict)  # feature -> its check (shared/behaviour.py)


def render_card(facts: CardFacts, text: CardText) -> str:
    """The card as Markdown (the MLflow UI shows it on the version's page)."""
    lines = [
        f"# {facts.model_name} version {facts.version}",
        "",
        f"**Outcome:** {facts.outcome}",
        "",
        "## Data",
        f"- window: {facts.data_window}",
        *(f"- {key}: `{value}`" for key, value in facts.lineage.items()),
        *(f"- dataset `{name}` digest `{digest}`" for name, digest in facts.datasets.items()),
        f"- reference sample (drift baseline): `{facts.reference_sample}`",
        "",
        "## Training",
        f"- code version: `{facts.code_version}`",
        f"- MLflow run: `{facts.run_id}`",
        f"- decision threshold: {facts.threshold}",
        *(f"- {name}: {value}" for name, value in facts.params.items() if name != "threshold"),
        "",
        "## Holdout metrics",
        *_metrics_table(facts),
        "",
        "## Slices of the holdout (weakest first)",
        *_slices_table(facts),
        "",
        "## What it relies on",
        *_reliance_table(facts),
        "",
        "## Behaviour the schema declares",
        *_behaviour_table(facts),
        "",
        "## Model gate: " + ("passed" if facts.gate_passed else "FAILED"),
        *(f"- {reason}" for reason in facts.gate_reasons),
        "",
        "## Intended use",
        text.intended_use.strip(),
        "",
        "## Known limitations",
        *(f"- {limit}" for limit in text.limitations),
    ]
    return "\n".join(lines) + "\n"


def _metrics_table(facts: CardFacts) -> list[str]:
    if facts.champion_version is None:
        header = ["| metric | this version |", "| --- | --- |"]
        return header + [f"| {name} | {_number(value)} |" for name, value in facts.metrics.items()]
    header = [f"| metric | this version | champion v{facts.champion_version}, same holdout |", "| --- | --- | --- |"]
    return header + [
        f"| {name} | {value:.4f} | {_number(facts.champion_metrics.get(name))} |"
        for name, value in facts.metrics.items()
    ]


def _slices_table(facts: CardFacts) -> list[str]:
    if not facts.slices:
        return ["- not recorded for this version"]
    ordered = sorted(facts.slices.items(), key=lambda item: (item[1]["roc_auc"] is None, item[1]["roc_auc"] or 0))
    rows = [f"| {name} | {s['rows']} | {_number(s['roc_auc'])} |" for name, s in ordered]
    return ["| slice | rows | ROC AUC |", "| --- | --- | --- |", *rows]


def _behaviour_table(facts: CardFacts) -> list[str]:
    """Each declared effect, checked on holdout rows with the feature moved up (or shuffled, for none)."""
    if not facts.behaviour:
        return ["(none declared: `effect:` in config/schema.yaml)"]
    header = ["| feature | declared effect | mean change | rows against | holds |", "| --- | --- | --- | --- | --- |"]
    return header + [
        f"| {name} | {r['effect']} | {r['mean_change']:+.4f} | {r['against_share']:.1%} of {r['rows']} | "
        f"{'yes' if r['passed'] else 'NO'} |"
        for name, r in facts.behaviour.items()
    ]


def _reliance_table(facts: CardFacts) -> list[str]:
    """Permutation importance on the holdout as shares of one, largest first (figure: plots/reliance.png)."""
    if not facts.reliance:
        return ["- not recorded for this version"]
    header = ["| column | share of the model's reliance |", "| --- | --- |"]
    ordered = sorted(facts.reliance.items(), key=lambda item: -item[1])
    return header + [f"| {name} | {share:.1%} |" for name, share in ordered] + ["", "(figure: `plots/reliance.png`)"]


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if float(value).is_integer() and abs(value) >= 1 else f"{value:.4f}"


def facts_from_run(client: MlflowClient, model_name: str, version: str, outcome: str) -> CardFacts:
    """Read back what the version's run logged."""
    from mlflow.artifacts import load_dict

    model_version = client.get_model_version(model_name, version)
    run = client.get_run(str(model_version.run_id))
    tags, metrics = run.data.tags, run.data.metrics
    gate: dict[str, Any] = load_dict(f"{run.info.artifact_uri}/model_gate.json")
    inputs = run.inputs.dataset_inputs if run.inputs else []
    return CardFacts(
        model_name=model_name,
        version=version,
        run_id=run.info.run_id,
        data_window=tags.get("data_window", "unknown"),
        lineage={key: tags[key] for key in LINEAGE_TAGS if key in tags},
        datasets={entry.dataset.name: entry.dataset.digest for entry in inputs},
        code_version=model_version.tags.get("code_version", "unknown"),
        threshold=model_version.tags.get("threshold", "unknown"),
        metrics=_prefixed(metrics, "holdout_"),
        champion_version=tags.get("compared_with_champion_version"),
        champion_metrics=_prefixed(metrics, "champion_holdout_"),
        gate_passed=bool(gate["passed"]),
        gate_reasons=list(gate["reasons"]),
        reference_sample=f"{run.info.artifact_uri}/{REFERENCE_DIR}/{REFERENCE_FILE}",
        outcome=outcome,
        params=dict(sorted(run.data.params.items())),
        reliance=_logged(f"{run.info.artifact_uri}/{REFERENCE_DIR}/{RELIANCE_FILE}"),
        slices=_logged(f"{run.info.artifact_uri}/slices.json"),
        behaviour=_logged(f"{run.info.artifact_uri}/behaviour.json"),
    )


def describe_version(registry: Registry, version: str, outcome: str, text: CardText) -> None:
    """Describe the version in the registry (MLflow UI) from what its run logged."""
    registry.describe(version, render_card(facts_from_run(registry.client, registry.name, version, outcome), text))


def _logged(uri: str) -> dict[str, Any]:
    """A JSON artifact of the run; empty for a version trained before it was logged."""
    from mlflow.artifacts import load_dict
    from mlflow.exceptions import MlflowException

    try:
        return dict(load_dict(uri))
    except (MlflowException, OSError):
        return {}


def _prefixed(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {name.removeprefix(prefix): value for name, value in sorted(metrics.items()) if name.startswith(prefix)}
