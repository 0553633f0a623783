"""What a walk of the guide runs: finished commands only, never servers, never the benchmark that walks it."""

from __future__ import annotations

from workshop.guide import read_guide, walked


def test_servers_long_commands_and_the_guide_benchmark_are_not_walked() -> None:
    assert walked("make level2")
    assert walked(".venv/bin/python -m level2_cicd.loop --scenario covariate_drift")
    skipped = ("make serve", "make dashboard", "make notebook", "make compare-quick", "make compare", "make test")
    for command in (*skipped, "make bench-guide"):
        assert not walked(command), command
    assert walked("make compare", long=True)
    assert not walked("make bench-guide", long=True)


def test_the_guide_names_its_commands_and_claims() -> None:
    steps = read_guide()
    commands = [c for s in steps for c in s.commands]
    assert "make level2" in commands
    assert any(s.claims for s in steps)
