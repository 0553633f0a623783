"""The template claim, on every commit: a fork with another dataset runs levels 0-2 by editing only its own files
in config/ (schema, settings, thresholds), and takes the template's newer commits with no conflict (the fork, made
from an older commit and updated to this one: tests/fork/another_shape.py).

It runs in a temporary copy of this checkout, through the same entry points a user calls. `make test-fork` runs
this file, then the README's step-6 test command whole inside such a fork; `make test` leaves both out (CI runs
`make test-fork` after `make test`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pandas as pd
import pytest

from shared.processes import free_port, running_server
from tests.fork.another_shape import (
    DAYS,
    FEATURE_COLUMNS,
    FIRST_DATE,
    NEWEST_LABELLED,
    TIME_COLUMN,
    Fork,
    make_fork,
)

# Processes and servers of its own (make test-fast skips it); it proves this template's claim, so it runs with the
# fork's own suite in `make test-fork`; and it rewrites *this* template's churn schema, so a fork's own
# `make test MARKERS="not churn"` (README step 6) deselects it.
pytestmark = [pytest.mark.slow, pytest.mark.churn, pytest.mark.fork]


@pytest.fixture(scope="module")
def fork(tmp_path_factory: pytest.TempPathFactory) -> Fork:
    return make_fork(tmp_path_factory.mktemp("fork") / "project")


def test_the_fork_runs_its_own_code_not_this_checkouts(fork: Fork) -> None:
    done = fork.run("-c", "import shared.schema as s; print(s.__file__, s.DECLARATION_FILE, s.TIME_COLUMN)")
    expected = [str(fork.root / "shared" / "schema.py"), str(fork.root / "config" / "schema.yaml"), TIME_COLUMN]
    assert done.stdout.split() == expected


def test_level0_trains_on_the_newest_labelled_window(fork: Fork) -> None:
    fork.run("-m", "level0_manual.notebook")
    handoff = fork.root / "state" / "level0" / "handoff"
    assert (handoff / "model.joblib").is_file()
    assert f'"last": "{NEWEST_LABELLED}"' in (handoff / "metrics.json").read_text()


@pytest.fixture(scope="module")
def level1(fork: Fork) -> str:
    return fork.run("-m", "level1_pipeline", "run").stdout


def test_level1_gates_registers_and_promotes(level1: str) -> None:
    assert "model version 1: PROMOTED to champion" in level1
    assert f"..{NEWEST_LABELLED}" in level1


@dataclass(frozen=True)
class ForkService:
    base: str


@pytest.fixture(scope="module")
def service(fork: Fork, level1: str) -> Iterator[ForkService]:
    port = free_port()
    command = [sys.executable, "-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with running_server(command, fork.env, f"{base}/ready", timeout=120, cwd=fork.root, quiet=True):
        yield ForkService(base)


def _features(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Feature rows as JSON: missing values as null."""
    records = frame[FEATURE_COLUMNS].to_dict("records")
    return [{str(k): (None if v != v else v) for k, v in row.items()} for row in records]


def test_the_service_serves_the_forks_model_and_logs_feedback(fork: Fork, service: ForkService) -> None:
    day = fork.data[fork.data[TIME_COLUMN].dt.date == FIRST_DATE + timedelta(days=50)]
    answer = httpx.post(f"{service.base}/predict", json={"rows": _features(day)}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert {p["model_version"] for p in answer.json()["predictions"]} == {"1"}
    assert httpx.get(f"{service.base}/model").json()["name"] == "cancer-model"  # named after the fork's project
    assert httpx.get(f"{service.base}/ready").json()["ready"] is True  # the fast path or its fallback loaded
    refused = httpx.post(f"{service.base}/predict", json={"rows": [{"radius": 1.0}]}, timeout=30)
    assert refused.status_code == 422
    assert {e["loc"][-1] for e in refused.json()["detail"]} >= {"texture", "symmetry"}


def test_replay_then_one_monitoring_window_on_the_forks_calendar(fork: Fork, service: ForkService) -> None:
    # given the fork's last days, the unlabelled newest ones included, replayed through its service (make replay)
    monitored = NEWEST_LABELLED
    first, last = monitored - timedelta(days=3), FIRST_DATE + timedelta(days=DAYS - 1)
    days = fork.data[fork.data[TIME_COLUMN].dt.date.between(first, last)]
    rows, labels = len(days), int(days["malignant"].notna().sum())
    assert 0 < labels < rows, "the range must hold labelled and unlabelled rows, or it shows nothing"
    replayed = fork.run("-m", "level2_cicd.replay", "--from", str(first), "--to", str(last), "--url", service.base)
    # then every row was answered, and only the labels the files know were sent
    assert f"{rows} rows answered, 0 refused, {labels} labels sent" in replayed.stdout, replayed.stdout
    assert f"next: make monitor DAY={monitored} " in replayed.stdout
    # when the monitor looks at the newest labelled day, by date
    done = fork.run("-m", "level2_cicd.monitoring", "run", "--day", str(monitored))
    # then it judged that day's predictions (not an empty simulator day) and wrote its report
    day_number = (monitored - FIRST_DATE).days
    said = rf"^{monitored} \(day {day_number} of the source\): (ok|drift|decay) "  # dates, for people
    assert re.search(said, done.stdout, flags=re.MULTILINE), done.stdout
    assert (fork.root / "state" / "level2" / "reports" / f"day-{day_number:03d}" / "drift.html").is_file()
