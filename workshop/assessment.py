"""Where a team stands: its answers placed on the seed's three maturity models and on the ML Test Score.

Pure logic (no terminal, no files): ``workshop/assess.py`` asks and prints. The rule that places a
team, per model: the first level describes where every team starts (its cells are asked, they do
not gate); a higher level is reached when every cell of it is answered ``yes`` and every level below
is reached (``partly`` counts as not yet). The cells of the next level not answered ``yes`` are
what holds the team back; each points at the code of this project that shows it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field

from shared.project import PROJECT_ROOT
from workshop.maturity_map import TITLES, MaturityMap, Model

ROOT = PROJECT_ROOT
SCORE_YAML = ROOT / "docs" / "ml-test-score.yaml"
MODELS: tuple[Model, ...] = ("aws", "google", "azure")
CellAnswer = Literal["yes", "partly", "no"]
TestAnswer = Literal["automated", "manual", "none"]
SECTIONS = ("data", "model", "infrastructure", "monitoring")
POINTS: dict[str, float] = {"automated": 1.0, "manual": 0.5, "none": 0.0}
# The paper's reading of the final score (Breck et al. 2017, table of interpretations), in short.
READINGS = (
    (0.0, "more of a research project than a productionized system"),
    (1.0, "not totally untested, but serious holes in reliability are possible"),
    (2.0, "a first pass at basic productionization; more investment may be needed"),
    (3.0, "reasonably tested; more of the tests and procedures may be automated"),
    (5.0, "strong automated testing and monitoring, appropriate for mission-critical systems"),
    (float("inf"), "exceptional levels of automated testing and monitoring"),
)
RUN_NEXT = (  # where a cell's code lives -> the command that shows it
    ("level0_manual/", "make level0"),
    ("level1_pipeline/", "make level1"),
    ("level2_cicd/service/", "make serve"),
    ("level2_cicd/", "make level2"),
    ("deploy/prefect_deploy.py", "make stack-up && make deploy"),
    ("prefect.yaml", "make stack-up && make deploy"),
    ("deploy/", "make stack-up"),
    (".github/workflows/", "read .github/workflows/ (CI, CD, retraining)"),
    ("workshop/", "make compare"),
)


class AssessmentError(ValueError):
    """Answers that cannot be read: the message names the cell or test and the rule."""


@dataclass(frozen=True)
class Cell:
    """One bullet of one cell of one model, with a stable id an answers file uses."""

    id: str
    model: Model
    level: str
    column: str
    quote: str
    shown_by: tuple[str, ...]
    proved_by: tuple[str, ...]

    def run_next(self) -> list[str]:
        """The commands that show this cell, from the files that do."""
        found = [next((c for prefix, c in RUN_NEXT if file.startswith(prefix)), "") for file in self.shown_by]
        return [command for command in dict.fromkeys(found) if command]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def cells(maturity: MaturityMap, model: Model) -> list[Cell]:
    """Every bullet of ``model``, in the seed's order: ids like ``aws:reliable:data:2``."""
    counted: dict[tuple[str, str], int] = {}
    found = []
    for row in maturity.rows(model):
        key = (row.level, row.column)
        counted[key] = counted.get(key, 0) + 1
        parts = [model, _slug(row.level), *([_slug(row.column)] if row.column else []), str(counted[key])]
        found.append(Cell(":".join(parts), model, row.level, row.column, row.quote, row.shown_by, row.proved_by))
    return found


def levels(maturity: MaturityMap, model: Model) -> list[str]:
    return list(dict.fromkeys(row.level for row in maturity.rows(model)))


@dataclass(frozen=True)
class Placement:
    """Where a team stands on one model, and what holds it back from the next level."""

    model: Model
    reached: str
    next_level: str | None
    holding_back: tuple[Cell, ...]
    unanswered: int

    @property
    def title(self) -> str:
        return TITLES[self.model]


def place(maturity: MaturityMap, model: Model, answers: dict[str, str]) -> Placement:
    """The level reached under the rule of this module's docstring."""
    all_cells = cells(maturity, model)
    unanswered = sum(cell.id not in answers for cell in all_cells)
    ordered = levels(maturity, model)
    reached = ordered[0]
    for level in ordered[1:]:
        not_yet = tuple(c for c in all_cells if c.level == level and answers.get(c.id) != "yes")
        if not_yet:
            return Placement(model, reached, level, not_yet, unanswered)
        reached = level
    return Placement(model, reached, None, (), unanswered)


def check_cell_answers(maturity: MaturityMap, answers: dict[str, str]) -> None:
    """Raise AssessmentError naming every unknown cell id and every answer outside yes/partly/no."""
    known = {cell.id for model in MODELS for cell in cells(maturity, model)}
    _check(answers, known, get_args(CellAnswer), "cell", "")


def _check(answers: dict[str, str], known: set[str], allowed: tuple[str, ...], what: str, ids: str) -> None:
    problems = [f"unknown {what} {key!r}{ids}" for key in answers if key not in known]
    problems += [
        f"{what} {key!r}: answer {value!r} is not one of {', '.join(allowed)}"
        for key, value in answers.items()
        if key in known and value not in allowed
    ]
    if problems:
        raise AssessmentError("; ".join(problems))


class ScoreTest(BaseModel):
    """One of the 28 tests, with this project's evidence for it by level."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    test: str
    manual_from: int | None = Field(default=None, ge=0, le=2)
    automated_from: int | None = Field(default=None, ge=0, le=2)
    evidence: tuple[str, ...] = ()
    gap: str = ""

    def answer_at(self, level: int) -> TestAnswer:
        if self.automated_from is not None and self.automated_from <= level:
            return "automated"
        if self.manual_from is not None and self.manual_from <= level:
            return "manual"
        return "none"


class ScoreSheet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data: tuple[ScoreTest, ...] = Field(min_length=7, max_length=7)
    model: tuple[ScoreTest, ...] = Field(min_length=7, max_length=7)
    infrastructure: tuple[ScoreTest, ...] = Field(min_length=7, max_length=7)
    monitoring: tuple[ScoreTest, ...] = Field(min_length=7, max_length=7)

    def tests(self) -> dict[str, ScoreTest]:
        """Every test by id: ``data.1`` ... ``monitoring.7``."""
        return {f"{s}.{n}": t for s in SECTIONS for n, t in enumerate(getattr(self, s), start=1)}


def load_sheet(path: Path = SCORE_YAML) -> ScoreSheet:
    return ScoreSheet.model_validate(yaml.safe_load(path.read_text()))


@dataclass(frozen=True)
class Score:
    sections: dict[str, float]

    @property
    def final(self) -> float:
        return min(self.sections.values())

    @property
    def reading(self) -> str:
        return next(text for bound, text in READINGS if self.final <= bound)


def score(answers: dict[str, str]) -> Score:
    """Section sums and the final score (the minimum) of answers ``{test id: automated|manual|none}``."""
    sums = {s: 0.0 for s in SECTIONS}
    for test_id, answer in answers.items():
        sums[test_id.split(".")[0]] += POINTS[answer]
    return Score(sums)


def check_test_answers(sheet: ScoreSheet, answers: dict[str, str]) -> None:
    """Raise AssessmentError naming every unknown test id and every answer outside automated/manual/none."""
    _check(answers, set(sheet.tests()), get_args(TestAnswer), "test", " (ids are data.1 ... monitoring.7)")


def self_answers(sheet: ScoreSheet, level: int) -> dict[str, str]:
    """This project's own answers at one of its levels, from the evidence in docs/ml-test-score.yaml."""
    return {test_id: test.answer_at(level) for test_id, test in sheet.tests().items()}
