"""Local state on disk: the folders a SQLite URL needs before a database can be created there."""

from __future__ import annotations

from pathlib import Path

SQLITE_PREFIX = "sqlite:///"


def ensure_sqlite_folder(url: str) -> None:
    """Create the parent folder of a SQLite database URL; other URLs are left alone."""
    if url.startswith(SQLITE_PREFIX):
        Path(url.removeprefix(SQLITE_PREFIX)).parent.mkdir(parents=True, exist_ok=True)
