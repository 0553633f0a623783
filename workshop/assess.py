"""`make assess`: where does my team stand? A questionnaire from the seed's maturity models and the ML Test Score.

    python -m workshop.assess ask [--out FILE]     ask in the terminal (Ctrl-C keeps what was answered)
        [--short] [--team NAME]                    Google's 18 cells only (a room's opening); answers as NAME.yaml
    python -m workshop.assess answers FILE         read a file of answers (make assess ANSWERS=team.yaml)
    python -m workshop.assess template FILE        write an answers file to fill in (make assess-template)
    python -m workshop.assess self                 this project scored on the ML Test Score, level by level
    python -m workshop.assess room DIR             a room's answer files summarised (make assess-room DIR=answers/)

Each assessment also writes a report (Markdown and a self-contained HTML page) under state/assess/.

The placement rule and the scoring are in ``workshop/assessment.py`` and docs/assessment.md.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from shared.settings import load_settings
from workshop.assess_report import Team, room_summary, team_html, team_markdown, write
from workshop.assessment import (
    MODELS,
    SECTIONS,
    AssessmentError,
    Model,
    Placement,
    ScoreSheet,
    cells,
    check_cell_answers,
    check_test_answers,
    load_sheet,
    place,
    score,
    self_answers,
)
from workshop.maturity_map import TITLES, MaturityMap, load_map

LEVEL_NAMES = ("level 0 (manual)", "level 1 (pipeline)", "level 2 (CI/CD)")
SHORT_MODELS: tuple[Model, ...] = ("google",)  # 18 cells, the levels the guide's exercises are named after: ~5 minutes


def reports() -> Path:
    """Where reports and kept answers go: the state folder (generated state)."""
    return load_settings().state_path / "assess"


def _text(value: Any) -> str:
    """YAML reads a bare yes/no as a boolean: take it back as the word."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value).strip()


def read_answers(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(cell answers, ML Test Score answers) of a file; empty answers are unanswered."""
    if not path.is_file():
        raise AssessmentError(f"{path}: no such answers file (make assess-template writes one)")
    try:
        loaded = yaml.safe_load(path.read_text()) or {}
    except yaml.MarkedYAMLError as malformed:
        line = malformed.problem_mark.line + 1 if malformed.problem_mark else "?"
        raise AssessmentError(f"{path}, line {line}: not YAML ({malformed.problem})") from None
    if not isinstance(loaded, dict) or set(loaded) - {"maturity", "ml_test_score"}:
        raise AssessmentError(f"{path}: expected the sections maturity and ml_test_score only")
    cells_given = {str(k): _text(v) for k, v in (loaded.get("maturity") or {}).items()}
    tests_given = {str(k): _text(v) for k, v in (loaded.get("ml_test_score") or {}).items()}
    return {k: v for k, v in cells_given.items() if v}, {k: v for k, v in tests_given.items() if v}


def render_answers(maturity: MaturityMap, sheet: ScoreSheet, given: tuple[dict[str, str], dict[str, str]]) -> str:
    """An answers file: every cell and test, each with its words as a comment, answered where ``given`` says."""
    cell_answers, test_answers = given
    lines = ["# Cells: yes / partly / no. ML Test Score: automated / manual / none. Empty: not answered.", "maturity:"]
    for model in MODELS:
        lines.append(f"  # {TITLES[model]}")
        for cell in cells(maturity, model):
            where = " / ".join(part for part in (cell.level, cell.column) if part)
            quote = cell.quote.replace("\n", " ")
            lines.append(f'  {cell.id}: "{cell_answers.get(cell.id, "")}"  # {where}: “{quote}”')
    lines.append("ml_test_score:")
    for test_id, test in sheet.tests().items():
        lines.append(f'  {test_id}: "{test_answers.get(test_id, "")}"  # {test.test}')
    return "\n".join(lines) + "\n"


def ask(maturity: MaturityMap, sheet: ScoreSheet, short: bool = False) -> tuple[dict[str, str], dict[str, str]]:
    """Ask every cell and test in the terminal (``short``: Google's cells only); Ctrl-C or end of input stops and
    keeps what was answered."""
    cell_answers: dict[str, str] = {}
    test_answers: dict[str, str] = {}
    choices = {"y": "yes", "p": "partly", "n": "no", "a": "automated", "m": "manual"}
    try:
        for model in SHORT_MODELS if short else MODELS:
            print(f"\n{TITLES[model]}: is this true of your team? (y)es, (p)artly, (n)o, Enter skips")
            for cell in cells(maturity, model):
                where = " / ".join(part for part in (cell.level, cell.column) if part)
                said = input(f"  [{where}] “{cell.quote}” ").strip().lower()[:1]
                if said in ("y", "p", "n"):
                    cell_answers[cell.id] = choices[said]
        if short:
            return cell_answers, test_answers
        print("\nML Test Score: is this test run? (a)utomatically and repeatedly, (m)anually and documented, (n)o")
        for test_id, test in sheet.tests().items():
            said = input(f"  [{test_id}] {test.test} ").strip().lower()[:1]
            if said in ("a", "m", "n"):
                test_answers[test_id] = "none" if said == "n" else choices[said]
    except (KeyboardInterrupt, EOFError):
        print("\n(stopped: what was answered is kept)")
    return cell_answers, test_answers


def report(maturity: MaturityMap, cell_answers: dict[str, str], test_answers: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for model in MODELS:
        lines += _placement_lines(place(maturity, model, cell_answers))
    if test_answers:
        result = score(test_answers)
        sums = ", ".join(f"{s} {result.sections[s]:g}" for s in SECTIONS)
        lines += [f"\nML Test Score ({len(test_answers)} of 28 tests answered): {sums}"]
        lines += [f"  final score {result.final:g} (the lowest section): {result.reading}"]
    return lines


def _placement_lines(placement: Placement) -> list[str]:
    lines = [f"\n{placement.title}", f"  reached: {placement.reached}"]
    if placement.unanswered:
        lines.append(f"  ({placement.unanswered} cells unanswered: they count as not yet)")
    if placement.next_level is None:
        return [*lines, "  every level reached"]
    lines.append(f"  next: {placement.next_level}; not yet answered yes:")
    for cell in placement.holding_back:
        column = f"[{cell.column}] " if cell.column else ""
        lines.append(f"    - {column}“{cell.quote}”")
        run = "; ".join(cell.run_next()) or "read " + ", ".join(cell.shown_by)
        lines.append(f"      see it here: {run} ({', '.join(cell.shown_by)})")
        if cell.proved_by:
            lines.append(f"      proved by: {', '.join(cell.proved_by)}")
    return lines


def self_report(sheet: ScoreSheet) -> list[str]:
    """The project on the ML Test Score at each of its levels, and its gaps at level 2."""
    lines = ["This project on the ML Test Score (docs/ml-test-score.yaml: evidence per test and level)", ""]
    lines.append(f"{'':<20}" + "".join(f"{s:>16}" for s in SECTIONS) + f"{'final':>8}")
    for level, name in enumerate(LEVEL_NAMES):
        result = score(self_answers(sheet, level))
        lines.append(f"{name:<20}" + "".join(f"{result.sections[s]:>16g}" for s in SECTIONS) + f"{result.final:>8g}")
    top = score(self_answers(sheet, 2))
    lines += ["", f"At level 2: {top.reading}.", "Gaps (0 points at level 2):"]
    for test_id, test in sheet.tests().items():
        if test.answer_at(2) == "none":
            lines.append(f"  {test_id} {test.test}: {test.gap}")
    return lines


def team_name(text: str) -> str:
    """A team's name as a file name: letters, digits, - and _ only."""
    if not text or not all(char.isalnum() or char in "-_" for char in text):
        raise argparse.ArgumentTypeError(f"{text!r}: a team's name is letters, digits, - and _ (it names a file)")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workshop.assess", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    asked = commands.add_parser("ask", help="ask in the terminal")
    asked.add_argument("--out", type=Path, help="where to keep the answers (default: state/assess/answers-<time>.yaml)")
    asked.add_argument("--short", action="store_true", help="Google's 18 cells only (~5 minutes): a room's opening")
    asked.add_argument("--team", type=team_name, help="the team's name: answers kept in state/assess/<team>.yaml")
    commands.add_parser("answers", help="read a file of answers").add_argument("file", type=Path)
    commands.add_parser("template", help="write an answers file to fill in").add_argument("file", type=Path)
    commands.add_parser("self", help="this project on the ML Test Score, by level")
    commands.add_parser("room", help="summarise several answer files").add_argument("folder", type=Path)
    return parser


def _room(maturity: MaturityMap, sheet: ScoreSheet, folder: Path, out: Path) -> int:
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    if not files:
        raise AssessmentError(f"{folder}: no .yaml answer files")
    teams = []
    for file in files:
        cell_answers, test_answers = read_answers(file)
        try:
            check_cell_answers(maturity, cell_answers)
            check_test_answers(sheet, test_answers)
        except AssessmentError as error:
            raise AssessmentError(f"{file}: {error}") from None
        teams.append(Team(file.stem, cell_answers, test_answers))
    markdown, page = room_summary(maturity, teams)
    written = write(out, f"room-{datetime.now():%Y%m%d-%H%M%S}", markdown, page)
    print(markdown)
    print(f"written: {', '.join(map(str, written))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    maturity, sheet = load_map(), load_sheet()
    try:
        if args.command == "self":
            print("\n".join(self_report(sheet)))
            return 0
        if args.command == "template":
            if args.file.exists():
                raise AssessmentError(f"{args.file} exists: not overwritten (choose another name)")
            args.file.write_text(render_answers(maturity, sheet, ({}, {})))
            print(f"wrote {args.file}: answer each line, then make assess ANSWERS={args.file}")
            return 0
        if args.command == "room":
            return _room(maturity, sheet, args.folder, reports())
        if args.command == "answers":
            given = read_answers(args.file)
        else:
            given = ask(maturity, sheet, args.short)
            kept = f"{args.team}.yaml" if args.team else f"answers-{datetime.now():%Y%m%d-%H%M%S}.yaml"
            out = args.out or reports() / kept
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render_answers(maturity, sheet, given))
            print(f"answers kept in {out} (make assess ANSWERS={out} shows this again)")
        check_cell_answers(maturity, given[0])
        check_test_answers(sheet, given[1])
    except AssessmentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(report(maturity, *given)))

    name = args.file.stem if args.command == "answers" else args.team or "your team"
    team = Team(name, *given)
    written = write(
        reports(), f"report-{datetime.now():%Y%m%d-%H%M%S}", team_markdown(maturity, team), team_html(maturity, team)
    )
    print(f"\nreport: {', '.join(map(str, written))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
