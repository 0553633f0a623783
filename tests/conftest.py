"""Suite-wide fixtures: tiny seeded data, private and quiet processes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from shared.data.simulator import ChurnSimulator
from shared.data.source import SyntheticSource
from shared.local_state import SQLITE_PREFIX
from shared.runtime import PRIVATE_AND_QUIET
from shared.settings import ENV_FILE_VARIABLE, SETTINGS_FILE_VARIABLE, Settings

# The suite reads nothing of the caller's world: whatever settings, servers and tokens the shell exports (`eval
# "$(make -s stack-env)"`, a fork's MLOPS_DATA_SOURCE, a GitHub token) are dropped at the suite's start, in every
# test process and so in every process a test starts. A test sets what it needs itself.
CALLERS_WORLD = ("MLOPS_", "MLFLOW_", "PREFECT_", "GITHUB_", "DASK_", "GX_")
POLICIES = Path(__file__).parent / "policies"
POLICY_KINDS = ("training", "monitoring", "release", "data")
# The suite's own world: no settings files of the project (.env, config/settings.yaml), its own policies (the
# template's defaults), so a fork's tuned thresholds and settings change no test's result, and a state folder of its
# own (removed when the process ends), so a test that names none writes nothing into the checkout's state/.
SUITE_STATE = Path(tempfile.mkdtemp(prefix="mlops-tests-state-"))
SUITE_WORLD = {
    "MLOPS_STATE_DIR": str(SUITE_STATE),
    ENV_FILE_VARIABLE: "",
    SETTINGS_FILE_VARIABLE: "",
    **{f"MLOPS_{kind.upper()}_POLICY_FILE": str(POLICIES / f"{kind}_policy.yaml") for kind in POLICY_KINDS},
}
for _key in [key for key in os.environ if key.startswith(CALLERS_WORLD)]:
    del os.environ[_key]
os.environ.update(PRIVATE_AND_QUIET | SUITE_WORLD)
# Test processes run side by side on few cores (`make test` runs groups in parallel). OpenMP's threads spin while
# they wait and, oversubscribed, starve each other: the fast suite took 106 s on 2 processes instead of 44 s.
os.environ.setdefault("OMP_NUM_THREADS", "1")

SMALL_ROWS_PER_DAY = 300
# Generic tests use days made from the schema alone, so they pass unchanged after a fork edits it;
# tests of the churn world itself are marked `churn` (a fork deselects them: make test MARKERS="not churn").
SYNTHETIC = {"data_source": "synthetic", "rows_per_day": SMALL_ROWS_PER_DAY}
SMALL = {**SYNTHETIC, "train_days": 10}  # settings of the tests that train: small days, a short window


def environment_without(*prefixes: str) -> dict[str, str]:
    """This process's environment without the variables starting with ``prefixes`` (another world's settings),
    for a process a test starts; the suite's own world (no settings files, its policies) stays."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return kept | SUITE_WORLD


@pytest.fixture(autouse=True)
def _environment_restored() -> Iterator[None]:
    """What a test's code exports (mlflow.set_tracking_uri, a settings file read) ends with the test: a
    monkeypatch.delenv of an absent variable restores nothing, and the next test in the process would inherit it."""
    before = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(before)


@pytest.fixture(scope="session")
def small_simulator() -> ChurnSimulator:
    return ChurnSimulator(seed=7, rows_per_day=SMALL_ROWS_PER_DAY)


@pytest.fixture(scope="session")
def small_source() -> SyntheticSource:
    return SyntheticSource(Settings(seed=7, **SYNTHETIC))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def small_window(small_source: SyntheticSource) -> pd.DataFrame:
    """Fourteen days of clean, labelled data made from the schema (4,200 rows)."""
    calendar = small_source.calendar
    return small_source.rows(calendar.date_of(0), calendar.date_of(13))


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """A real Prefect API for the whole session (started once, ~17 s); no heartbeats, as in the commands."""
    from prefect.testing.utilities import prefect_test_harness

    from shared.prefect_api import without_heartbeats

    with prefect_test_harness(server_startup_timeout=120), without_heartbeats():
        yield


@pytest.fixture(scope="session")
def migrated_mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store, created and migrated by MLflow itself once per test process (~1 s of
    migrations each time a store is new); ``a_fresh_state`` copies it."""
    from mlflow import MlflowClient

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def a_fresh_state(migrated_mlflow_store: Path) -> Callable[[Path], Path]:
    """A new state folder whose MLflow store is a copy of the migrated empty one, not migrated again (~20 stores a
    suite). The tests that run the commands from nothing (the CLI's, levels 0 and 1 end to end, the guide's walk)
    let MLflow create their store."""

    def make(folder: Path) -> Path:
        store = Path(Settings(state_dir=folder, tracking_uri=None).resolved_tracking_uri.removeprefix(SQLITE_PREFIX))
        store.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated_mlflow_store, store)
        return folder

    return make


@pytest.fixture
def written_policy(tmp_path: Path) -> Callable[[str], Path]:
    """A policy file of the test's own (YAML text), for bad-policy tests: never the project's tuned file."""

    def write(text: str) -> Path:
        path = tmp_path / "policy.yaml"
        path.write_text(text)
        return path

    return write


# --- how the suite is scheduled -------------------------------------------------------------------------------
# `make test` runs test files in parallel processes (pytest-xdist, --dist loadfile: a file's tests share its
# module and session fixtures in one process). The heaviest files are handed out first, so the longest one does
# not start last. `make test-fast` deselects `slow`: a test is slow when it needs a Prefect API, a trained registry,
# a server or a process of its own, or the guide's walk (marked here by fixture, or by its module's `pytestmark`).
# `make test` deselects `walk`: the workshop's long walks, which run again, in the room's order, what the tests
# of each level run one by one (`make test-workshop` runs them; CI runs both).
SLOW_FIXTURES = frozenset({"prefect_api", "walk", "stack", "trained_registry"})
# The longest first (the walks, the stack), then the files that take 25 s or more in `make test` (2026-11-30), longest
# first, and the last file that needs the Prefect API: the short files fill the processes' ends, so that no long one
# starts last, and the stack's process, free last, starts no Prefect API of its own (~12 s of CPU each).
HEAVY_FIRST = (
    "tests/stack/",
    "tests/fork/",
    "tests/workshop/test_guide.py",
    "tests/workshop/test_compare.py",
    "tests/level1_pipeline/test_flow.py",
    "tests/level1_pipeline/test_release.py",
    "tests/level2_cicd/service/test_release_variants.py",
    "tests/level2_cicd/monitoring/test_detection_rates.py",
    "tests/level2_cicd/batch/test_batch_job.py",
    "tests/level2_cicd/test_loop_end_to_end.py",
    "tests/level1_pipeline/test_model_card.py",
    "tests/level1_pipeline/test_data_gate.py",
    "tests/level2_cicd/monitoring/test_retrain_by_ci.py",
    "tests/level2_cicd/service/test_live_service.py",
    "tests/level1_pipeline/test_sweep.py",
    "tests/level2_cicd/test_no_secret_in_logs.py",
)


def _rank(item: pytest.Item) -> int:
    return next((rank for rank, heavy in enumerate(HEAVY_FIRST) if item.nodeid.startswith(heavy)), len(HEAVY_FIRST))


def pytest_unconfigure() -> None:
    shutil.rmtree(SUITE_STATE, ignore_errors=True)


def pytest_itemcollected(item: pytest.Item) -> None:
    fixtures = set(getattr(item, "fixturenames", ()))
    if SLOW_FIXTURES & fixtures:
        item.add_marker(pytest.mark.slow)
    if "walk" in fixtures:
        item.add_marker(pytest.mark.walk)
    if item.get_closest_marker("walk") is not None:  # a walk marked by hand (the kit, the checkpoints) is long too
        item.add_marker(pytest.mark.slow)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: each file keeps its own order


def missing_program(program: str, package: str) -> str:
    """The skip reason of a test whose Debian program is missing: who installs it, and the one command."""
    return f"{program} not installed: `make test` installs it when run as root; else: sudo apt-get install {package}"
