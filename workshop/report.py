"""The comparison's outputs: a PNG chart, a Markdown report embedding it, the per-day CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workshop.summary import RELEASE_CHECKS, LevelSummary

COLOURS = {
    "level 0": "#d62728",
    "level 1": "#1f77b4",
    "level 2": "#2ca02c",
    "level 2 + A/B": "#9467bd",
    "level 2 + shadow": "#8c564b",
}


TITLES = {4: "One world, three levels, and level 2 with a live release test"}


def write_chart(daily: pd.DataFrame, onset: int, floor: float, path: Path) -> Path:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(10, 4.8), dpi=110)
    ax = figure.add_subplot()
    for level, group in daily.groupby("level", sort=True):
        colour = COLOURS.get(str(level), "black")
        group = group.sort_values("day")
        ax.plot(group["day"], group["auc"], label=str(level), color=colour, linewidth=1.8)
        retrained = group[group["retrained"]]
        ax.scatter(retrained["day"], retrained["auc"], color=colour, marker="^", s=60, zorder=3)
    ax.axvline(onset, color="grey", linestyle="--", linewidth=1)
    ax.text(onset + 0.3, ax.get_ylim()[0] + 0.01, "drift onset", color="grey")
    ax.axhline(floor, color="black", linestyle=":", linewidth=1, label=f"quality floor ({floor:.2f})")
    ax.set(
        xlabel="simulated day",
        ylabel="ROC AUC of the model serving that day",
        title=TITLES.get(daily["level"].nunique(), "One world, three levels"),
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="lower left", title="▲ = retraining")
    figure.tight_layout()
    figure.savefig(path)
    return path


def table(rows: list[LevelSummary]) -> str:
    lines = [
        "| level | mean AUC | worst AUC | days below floor | retrainings (promoted) | days onset to recovery "
        "| human steps |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        recovery = "never" if r.recovery_days is None else str(r.recovery_days)
        lines.append(
            f"| {r.level} | {r.mean_auc:.3f} | {r.worst_auc:.3f} | {r.days_below_floor} | "
            f"{r.retrainings} ({r.promotions}) | {recovery} | {r.human_steps} |"
        )
    return "\n".join(lines)


def release_checks_table() -> str:
    """What judges a release at each level (the gates the levels' code runs)."""
    lines = ["| level | what judges a release |", "| --- | --- |"]
    return "\n".join(lines + [f"| {level} | {checks} |" for level, checks in RELEASE_CHECKS.items()])


def write_report(rows: list[LevelSummary], description: str, chart: Path, path: Path) -> Path:
    text = "\n".join(
        [
            "# One world, three levels",
            "",
            description,
            "",
            table(rows),
            "",
            f"![daily quality per level]({chart.name})",
            "",
            "## What judges a release at each level",
            "",
            release_checks_table(),
            "",
            "Per-day records: `daily.csv` beside this file.",
            "",
        ]
    )
    path.write_text(text)
    return path
