"""Drills on a stack of its own (the long walks, `make test-workshop`): each alert fires at the receiver and resolves.

`make drill` times them on a running stack; here the same drills run on a fresh one, so a rule, a route or a hook
that stops reaching the receiver fails CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.alert_receiver import read_received
from deploy.drill import DRILLS, run_drill
from deploy.postgres import remove_cluster
from deploy.stack import down, up
from deploy.topology import Stack, alertmanager_binary, prometheus_binary
from tests.conftest import missing_program

pytestmark = [
    pytest.mark.walk,
    pytest.mark.stack,
    pytest.mark.skipif(
        alertmanager_binary() is None or prometheus_binary() is None,
        reason=missing_program("prometheus-alertmanager", "prometheus-alertmanager prometheus"),
    ),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("drills") / "checkout" / "state" / "stack"
    started = up(folder)
    try:
        yield started
    finally:
        down(folder)
        remove_cluster(folder)


@pytest.mark.parametrize("name", sorted(DRILLS))
def test_the_drills_alert_fires_at_the_receiver_and_resolves_after_the_runbooks_recovery(
    stack: Stack, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_STATE_DIR", str(tmp_path))  # the drill's training runs keep their state here
    # when the drill's fault is caused and, once its alert arrived, recovered from
    result = run_drill(stack, name)
    # then the receiver got the alert firing, naming its runbook, and later resolved (run_drill waits, bounded)
    lines = [line for line in read_received(stack.alerts_file) if line["alertname"] == DRILLS[name].alert]
    statuses = [line["status"] for line in lines]
    assert statuses.index("firing") < len(statuses) - 1 - statuses[::-1].index("resolved")
    assert lines[statuses.index("firing")]["runbook_url"] == f"docs/runbooks/{DRILLS[name].alert}.md"
    assert result.fired_seconds > 0
