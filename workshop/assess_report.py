"""The assessment as files a trainer can collect: a Markdown report and a self-contained HTML page with one chart
per model; and the summary of a room (several answer files) in one table and chart per model."""

from __future__ import annotations

import base64
import html
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from workshop.assessment import MODELS, Placement, cells, levels, place, score
from workshop.maturity_map import TITLES, MaturityMap, Model


@dataclass(frozen=True)
class Team:
    name: str
    cells: dict[str, str]
    tests: dict[str, str]


def _chart(title: str, names: list[str], values: list[float], highlight: int | None = None, top: float = 1.0) -> str:
    """A horizontal bar chart as a base64 PNG (embedded: the page stands alone)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 0.5 + 0.45 * len(names)))
    axes = figure.subplots()
    colours = ["#2b7bba" if i == highlight else "#a6c8e3" for i in range(len(names))]
    axes.barh(names[::-1], values[::-1], color=colours[::-1])
    axes.set_xlim(0, max(top, *values))
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode()


def _share_yes(maturity: MaturityMap, model: Model, answers: dict[str, str]) -> tuple[list[str], list[float]]:
    """Per level of ``model``: the share of its cells answered yes."""
    found = []
    for level in levels(maturity, model):
        level_cells = [c for c in cells(maturity, model) if c.level == level]
        found.append(sum(answers.get(c.id) == "yes" for c in level_cells) / len(level_cells))
    return levels(maturity, model), found


def team_markdown(maturity: MaturityMap, team: Team) -> str:
    lines = [f"# Where {team.name} stands", ""]
    for model in MODELS:
        placement = place(maturity, model, team.cells)
        lines += [f"## {TITLES[model]}", "", f"Reached: **{placement.reached}**."]
        if placement.next_level:
            lines += [f"Next: **{placement.next_level}**, held back by:", ""]
            for cell in placement.holding_back:
                run = "; ".join(f"`{c}`" for c in cell.run_next()) or "see the files"
                proof = ", ".join(f"`{t}`" for t in cell.proved_by) or "(organisational: no test)"
                lines.append(f"- “{cell.quote}”: {run} ({', '.join(cell.shown_by)}); proved by {proof}")
        lines.append("")
    if team.tests:
        result = score(team.tests)
        lines += ["## ML Test Score", "", "| " + " | ".join(result.sections) + " | final |", "|" + " --- |" * 5]
        lines += ["| " + " | ".join(f"{v:g}" for v in result.sections.values()) + f" | **{result.final:g}** |", ""]
        lines += [f"Reading: {result.reading}.", ""]
    return "\n".join(lines)


def team_html(maturity: MaturityMap, team: Team) -> str:
    parts = [f"<h1>Where {html.escape(team.name)} stands</h1>"]
    for model in MODELS:
        placement = place(maturity, model, team.cells)
        names, shares = _share_yes(maturity, model, team.cells)
        reached = names.index(placement.reached)
        png = _chart("share of each level's cells answered yes", names, shares, reached)
        parts.append(f"<h2>{html.escape(TITLES[model])}</h2><p>Reached: <b>{html.escape(placement.reached)}</b></p>")
        parts.append(f'<img alt="{html.escape(TITLES[model])}" src="data:image/png;base64,{png}">')
        parts.append(_holding_back_html(placement))
    return "<!doctype html><meta charset='utf-8'><title>Assessment</title>" + "".join(parts)


def _holding_back_html(placement: Placement) -> str:
    if placement.next_level is None:
        return "<p>Every level reached.</p>"
    items = "".join(
        f"<li>“{html.escape(c.quote)}”: {html.escape('; '.join(c.run_next()) or ', '.join(c.shown_by))}</li>"
        for c in placement.holding_back
    )
    return f"<p>Next: {html.escape(placement.next_level)}</p><ul>{items}</ul>"


def room_summary(maturity: MaturityMap, teams: list[Team]) -> tuple[str, str]:
    """(Markdown, HTML) of a room: teams at each level per model, and the cells that hold most teams back."""
    md = [f"# The room: {len(teams)} teams", ""]
    page = [f"<!doctype html><meta charset='utf-8'><title>Room</title><h1>The room: {len(teams)} teams</h1>"]
    for model in MODELS:
        placements = {team.name: place(maturity, model, team.cells) for team in teams}
        at = Counter(p.reached for p in placements.values())
        names = levels(maturity, model)
        blocking = Counter(c.quote for p in placements.values() for c in p.holding_back).most_common(3)
        md += [f"## {TITLES[model]}", "", "| level | teams |", "| --- | --- |"]
        md += [f"| {name} | {at.get(name, 0)} |" for name in names]
        md += ["", "Most common cells holding teams back:", ""]
        md += [f"- “{quote}” ({count} of {len(teams)} teams)" for quote, count in blocking] + [""]
        counts = [float(at.get(n, 0)) for n in names]
        png = _chart("teams per level reached", names, counts, top=float(len(teams)))
        page.append(f"<h2>{html.escape(TITLES[model])}</h2><img src='data:image/png;base64,{png}'>")
        page.append(
            "<ul>" + "".join(f"<li>“{html.escape(q)}” ({n} of {len(teams)} teams)</li>" for q, n in blocking) + "</ul>"
        )
    return "\n".join(md), "".join(page)


def write(folder: Path, stem: str, markdown: str, page: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / f"{stem}.md", folder / f"{stem}.html"]
    written[0].write_text(markdown)
    written[1].write_text(page)
    return written
