"""A named lock every process of a deployment shares, held in a database they all reach.

PostgreSQL: a session advisory lock. SQLite (embedded defaults): an immediate write transaction,
which other connections wait for. Used where read-then-write must not interleave (promotion).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from shared.local_state import ensure_sqlite_folder


@contextmanager
def exclusive(url: str, name: str, timeout_seconds: float = 30) -> Iterator[None]:
    """Hold the lock ``name`` in the database at ``url`` for the duration of the block."""
    ensure_sqlite_folder(url)
    engine = sa.create_engine(url, connect_args={"timeout": timeout_seconds} if url.startswith("sqlite") else {})
    try:
        if engine.dialect.name == "postgresql":
            key = zlib.crc32(name.encode())
            with engine.connect() as conn:
                conn.exec_driver_sql(f"SET lock_timeout = '{int(timeout_seconds * 1000)}ms'")
                conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": key})
                try:
                    yield
                finally:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            return
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            assert driver is not None
            driver.isolation_level = None  # we issue BEGIN/COMMIT ourselves
            driver.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                driver.execute("COMMIT")
        finally:
            raw.close()
    finally:
        engine.dispose()
