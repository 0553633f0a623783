"""Docs that name a tool's version say the locked one, and the date they were last verified.

A page goes stale silently when the lock moves (docs/upkeep.md): this fails instead, naming the page,
the stated version and the locked one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from deploy.upstream import locked_versions

ROOT = Path(__file__).resolve().parents[2]
# How the docs name a locked package -> its name in uv.lock.
NAMED = {
    "MLflow": "mlflow",
    "Prefect": "prefect",
    "Evidently": "evidently",
    "Great Expectations": "great-expectations",
    "FastAPI": "fastapi",
    "uvicorn": "uvicorn",
    "scikit-learn": "scikit-learn",
    "pandas": "pandas",
}
IMAGES = {r"mlflow/mlflow:v": "mlflow", r"prefecthq/prefect:": "prefect"}
VERSION = r"(\d+(?:\.\d+)*(?:\.x)?)"
VERIFIED = re.compile(r"Last verified: \d{4}-\d{2}-\d{2}")
# Figures with a date per section (`make bench-*` writes them); "MLflow 1.5 s" there is an import time.
DATED_PER_SECTION = {"docs/benchmarks.md"}


NOT_DOCS = {".venv", ".tools", ".git", "state", "node_modules"}  # installed or generated, not the project's pages


def _pages() -> list[Path]:
    """The project's Markdown pages and its compose file (also in a copy that is not a git checkout, like a fork's)."""
    pages = [ROOT / "deploy" / "compose.yaml"]
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_DOCS]  # not walked at all
        pages += [Path(folder) / name for name in files if name.endswith(".md")]
    return [p for p in pages if str(p.relative_to(ROOT)) not in DATED_PER_SECTION and "seed" not in p.parts]


def stated_versions(text: str) -> list[tuple[str, str]]:
    """(package, version) for every "<Tool> <version>" or pinned image tag in ``text``."""
    found = []
    for shown, package in NAMED.items():
        found += [(package, v) for v in re.findall(rf"\b{re.escape(shown)} v?{VERSION}(?![\w.])", text, re.IGNORECASE)]
    for prefix, package in IMAGES.items():
        found += [(package, v) for v in re.findall(rf"{prefix}{VERSION}", text)]
    return found


def agrees(stated: str, locked: str) -> bool:
    """`0.7` and `0.7.x` agree with 0.7.23; `3.17.2` only with 3.17.2."""
    stated = stated.removesuffix(".x")
    return locked == stated or locked.startswith(stated + ".")


LOCKED = locked_versions((ROOT / "uv.lock").read_text())
PAGES = [p for p in _pages() if stated_versions(p.read_text())]


def test_the_check_finds_pages_that_state_versions() -> None:
    assert len(PAGES) >= 3


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_stated_version_is_the_locked_one(page: Path) -> None:
    wrong = [(p, v, LOCKED[p]) for p, v in stated_versions(page.read_text()) if not agrees(v, LOCKED[p])]
    assert not wrong, f"{page.relative_to(ROOT)} states (package, stated, locked): {wrong}"


@pytest.mark.parametrize("page", [p for p in PAGES if p.suffix == ".md"], ids=lambda p: str(p.relative_to(ROOT)))
def test_every_page_that_states_a_version_says_when_it_was_verified(page: Path) -> None:
    assert VERIFIED.search(page.read_text()), f"{page.relative_to(ROOT)}: add 'Last verified: YYYY-MM-DD'"


def test_a_stale_version_is_caught() -> None:
    stale = "Runs on MLflow 2.16 and Evidently 0.7; image ghcr.io/mlflow/mlflow:v2.16.0."
    stated = stated_versions(stale)
    assert ("mlflow", "2.16") in stated
    assert ("mlflow", "2.16.0") in stated
    assert not agrees("2.16", LOCKED["mlflow"])
    assert agrees("0.7", LOCKED["evidently"])
