"""Where a team stands: placement on the three maturity models and the ML Test Score (pure logic and its CLI)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from workshop.assess import main, read_answers, render_answers
from workshop.assessment import (
    AssessmentError,
    cells,
    check_cell_answers,
    levels,
    load_sheet,
    place,
    score,
    self_answers,
)
from workshop.maturity_map import load_map

ROOT = Path(__file__).resolve().parents[2]


def test_every_file_and_test_the_self_score_cites_exists() -> None:
    missing = []
    for test_id, test in load_sheet().tests().items():
        for cited in test.evidence:
            path, _, name = cited.partition("::")
            file = ROOT / path
            found = file.exists() and (
                not name or re.search(rf"^(async )?def {re.escape(name)}\(", file.read_text(), re.MULTILINE)
            )
            if not found:
                missing.append(f"{test_id}: {cited}")
        if test.answer_at(2) != "automated" and not test.gap:
            missing.append(f"{test_id}: not automated at level 2, and no gap says why")
    assert missing == []


def test_a_level_is_reached_only_when_every_cell_of_it_and_below_is_yes() -> None:
    maturity = load_map()
    initial, repeatable, reliable = levels(maturity, "aws")[:3]
    # given every Repeatable cell answered yes, and one Reliable cell only partly
    answers = {c.id: "yes" for c in cells(maturity, "aws") if c.level in (repeatable, reliable)}
    partly = next(c for c in cells(maturity, "aws") if c.level == reliable)
    answers[partly.id] = "partly"
    # when placed, then the team stands at Repeatable, held back by exactly that cell, which points at code
    placement = place(maturity, "aws", answers)
    assert (placement.reached, placement.next_level) == (repeatable, reliable)
    assert [c.id for c in placement.holding_back] == [partly.id]
    assert partly.shown_by
    assert all((ROOT / f).exists() for f in partly.shown_by)
    # and nothing answered at all leaves a team where every team starts
    assert place(maturity, "aws", {}).reached == initial


def test_an_unknown_cell_or_answer_is_named() -> None:
    maturity = load_map()
    first = cells(maturity, "google")[0].id
    with pytest.raises(
        AssessmentError, match=r"unknown cell 'aws:nowhere:1'.*cell '" + re.escape(first) + "': answer 'maybe'"
    ):
        check_cell_answers(maturity, {"aws:nowhere:1": "yes", first: "maybe"})


def test_the_ml_test_score_is_the_lowest_section_sum() -> None:
    # given every test automated except two monitoring tests by hand and one not run
    sheet = load_sheet()
    answers = dict.fromkeys(sheet.tests(), "automated")
    answers |= {"monitoring.1": "manual", "monitoring.2": "manual", "monitoring.3": "none"}
    result = score(answers)
    # then each section sums its points and the final score is the weakest section's
    assert result.sections == {"data": 7, "model": 7, "infrastructure": 7, "monitoring": 5}
    assert result.final == 5
    assert "mission-critical" in result.reading


def test_the_project_climbs_the_ml_test_score_level_by_level() -> None:
    sheet = load_sheet()
    finals = [score(self_answers(sheet, level)).final for level in (0, 1, 2)]
    assert finals == sorted(finals), finals
    assert finals[0] < finals[2], finals


def test_a_filled_template_is_read_back_and_yes_no_survive_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    maturity, sheet = load_map(), load_sheet()
    template = tmp_path / "team.yaml"
    # given a template written by make assess-template, filled in with bare yes/no as people type them
    assert main(["template", str(template)]) == 0
    first, second = cells(maturity, "azure")[:2]
    text = (
        template.read_text()
        .replace(f'{first.id}: ""', f"{first.id}: yes")
        .replace(f'{second.id}: ""', f"{second.id}: no")
    )
    template.write_text(text.replace('data.1: ""', "data.1: automated"))
    # when it is read, then the answers are the words, and the report places the team
    assert read_answers(template) == ({first.id: "yes", second.id: "no"}, {"data.1": "automated"})
    assert main(["answers", str(template)]) == 0
    out = capsys.readouterr().out
    assert "reached: 1 DevOps, No MLOps" in out
    assert "ML Test Score (1 of 28 tests answered)" in out
    # and a second template never overwrites the filled one
    assert main(["template", str(template)]) == 2
    assert render_answers(maturity, sheet, ({}, {})) != template.read_text()


def test_stopping_the_questionnaire_keeps_what_was_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a person who answers two questions, then presses Ctrl-C
    replies = iter(["y", "p"])

    def person(prompt: str) -> str:
        try:
            return next(replies)
        except StopIteration:
            raise KeyboardInterrupt from None

    monkeypatch.setattr("builtins.input", person)
    kept = tmp_path / "answers.yaml"
    assert main(["ask", "--out", str(kept)]) == 0
    first, second = cells(load_map(), "aws")[:2]
    assert read_answers(kept) == ({first.id: "yes", second.id: "partly"}, {})
    assert "stopped: what was answered is kept" in capsys.readouterr().out


def test_a_rooms_short_opening_asks_googles_cells_only_and_keeps_them_under_the_teams_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a team that answers yes to everything it is asked, in the short questionnaire of a room's opening
    asked: list[str] = []

    def team(prompt: str) -> str:
        asked.append(prompt)
        return "y"

    monkeypatch.setattr("builtins.input", team)
    monkeypatch.setattr("workshop.assess.reports", lambda: tmp_path)
    # when it gives its team's name
    assert main(["ask", "--short", "--team", "red-team"]) == 0
    # then it was asked the Google model's cells and nothing else, and its answers are kept as red-team.yaml
    google = cells(load_map(), "google")
    assert len(asked) == len(google)
    assert read_answers(tmp_path / "red-team.yaml") == ({cell.id: "yes" for cell in google}, {})
    assert "every level reached" in capsys.readouterr().out
    # and a name that cannot be a file name is refused before any question
    with pytest.raises(SystemExit):
        main(["ask", "--short", "--team", "../red"])
    assert len(asked) == len(google)


def test_every_next_step_command_is_a_make_target() -> None:
    from workshop.assessment import RUN_NEXT

    targets = set(re.findall(r"^([a-zA-Z0-9_-]+):.*## ", (ROOT / "Makefile").read_text(), re.MULTILINE))
    named = {word for _, command in RUN_NEXT for word in re.findall(r"make ([a-z0-9-]+)", command)}
    assert named
    assert named - targets == set()


def test_a_malformed_answers_file_is_refused_naming_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "team.yaml"
    broken.write_text("maturity:\n  aws:initial:people:1: yes\n  aws:initial:people:2: [no\n")
    with pytest.raises(AssessmentError, match=r"team.yaml, line 4: not YAML"):
        read_answers(broken)


def test_a_room_is_counted_per_level_with_the_cells_that_hold_most_teams_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    maturity = load_map()
    repeatable, reliable = levels(maturity, "aws")[1:3]
    # given two teams: one with every Repeatable cell, one with nothing; both lacking the first Reliable cell
    room = tmp_path / "answers"
    room.mkdir()
    yes = {c.id: "yes" for c in cells(maturity, "aws") if c.level == repeatable}
    for name, answers in (("ana", yes), ("bo", {})):
        body = "maturity:\n" + "".join(f"  {key}: {value}\n" for key, value in answers.items())
        (room / f"{name}.yaml").write_text(body)
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path / "state"))
    # when the room is summarised
    assert main(["room", str(room)]) == 0
    out = capsys.readouterr().out
    # then one team stands at each of the first two levels, and a Reliable cell blocks both
    assert f"| {levels(maturity, 'aws')[0]} | 1 |" in out
    assert f"| {repeatable} | 1 |" in out
    first_reliable = next(c for c in cells(maturity, "aws") if c.level == reliable)
    assert f"“{first_reliable.quote}” (1 of 2 teams)" in out
    (page,) = (tmp_path / "state" / "assess").glob("room-*.html")
    assert page.read_text().count("data:image/png;base64,") == 3  # one chart per model, inside the page


MODELS = ("aws", "google", "azure")


@pytest.mark.parametrize("model", MODELS)
def test_all_yes_reaches_the_top_and_all_no_stays_where_every_team_starts(model: str) -> None:
    maturity = load_map()
    ordered, every = levels(maturity, model), cells(maturity, model)  # type: ignore[arg-type]
    top = place(maturity, model, {c.id: "yes" for c in every})  # type: ignore[arg-type]
    assert (top.reached, top.next_level, top.holding_back) == (ordered[-1], None, ())
    bottom = place(maturity, model, {c.id: "no" for c in every})  # type: ignore[arg-type]
    assert (bottom.reached, bottom.next_level) == (ordered[0], ordered[1])
    assert {c.id for c in bottom.holding_back} == {c.id for c in every if c.level == ordered[1]}


@pytest.mark.parametrize(
    ("model", "gap_at"),
    [(model, index) for model in MODELS for index in range(1, len(levels(load_map(), model)))],  # type: ignore[arg-type]
)
def test_one_gap_at_a_level_holds_the_team_just_below_it_whatever_is_yes_above(model: str, gap_at: int) -> None:
    # given every cell of the model answered yes but one cell of one level, answered "partly"
    maturity = load_map()
    ordered, every = levels(maturity, model), cells(maturity, model)  # type: ignore[arg-type]
    gap = next(c for c in every if c.level == ordered[gap_at])
    answers = {c.id: "yes" for c in every} | {gap.id: "partly"}
    # when placed, then the team stands on the level below the gap, held back by that cell alone
    placement = place(maturity, model, answers)  # type: ignore[arg-type]
    assert (placement.reached, placement.next_level) == (ordered[gap_at - 1], ordered[gap_at])
    assert [c.id for c in placement.holding_back] == [gap.id]


def test_the_questionnaire_in_a_real_terminal_keeps_answers_after_ctrl_c(tmp_path: Path) -> None:
    # given `python -m workshop.assess ask` on a pseudo-terminal that is its controlling terminal
    # (so the terminal itself turns Ctrl-C into SIGINT, as for a person at a keyboard)
    def take_the_terminal() -> None:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        # as a person's shell starts a program: Ctrl-C's default action, even when this test runs in a process
        # started in the background (which ignores SIGINT, and a program started from it would inherit that)
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    leader, follower = pty.openpty()
    kept = tmp_path / "answers.yaml"
    env = {**os.environ, "MLOPS_STATE_DIR": str(tmp_path / "state"), "PYTHONUNBUFFERED": "1"}
    asked = subprocess.Popen(
        [sys.executable, "-m", "workshop.assess", "ask", "--out", str(kept)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        preexec_fn=take_the_terminal,
    )
    os.close(follower)
    screen = b""

    def read_until(marker: bytes, seconds: float = 60) -> bool:
        nonlocal screen
        deadline = time.monotonic() + seconds
        while marker not in screen and time.monotonic() < deadline:
            if select.select([leader], [], [], 0.2)[0]:
                try:
                    screen += os.read(leader, 4096)
                except OSError:  # the process closed the terminal
                    break
        return marker in screen

    try:
        first, second = cells(load_map(), "aws")[:2]
        # when the person answers yes, no, presses Enter to skip the third, then Ctrl-C
        for key in (b"y\r", b"n\r", b"\r"):
            assert read_until(b"\xe2\x80\x9d "), screen  # the prompt ends with the closing quote of the seed's words
            screen = b""
            os.write(leader, key)
        assert read_until(b"\xe2\x80\x9d "), screen
        # (a Ctrl-C typed in the instant between the prompt and Python's read of the terminal is taken
        # before the read begins and only the next one interrupts it: a person presses it again, so do we)
        for _ in range(10):
            os.write(leader, b"\x03")
            if read_until(b"stopped", seconds=3):
                break
        assert read_until(b"report:"), screen
        assert asked.wait(timeout=30) == 0
    finally:
        if asked.poll() is None:
            asked.kill()
        os.close(leader)
    # then the two answers are kept, the skipped one is not, and the placement was printed
    assert read_answers(kept) == ({first.id: "yes", second.id: "no"}, {})
    assert b"stopped: what was answered is kept" in screen
    assert b"reached:" in screen
