"""Where Dask work runs: the scheduler at ``dask_address``, or a temporary local cluster of processes.

The local cluster binds 127.0.0.1 on free ports (its HTTP endpoint too) and has one thread per worker process (one core
each: scikit-learn's own thread pools are limited inside the tasks).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from shared.settings import Settings

if TYPE_CHECKING:
    from distributed import Client


def local_cluster_kwargs(settings: Settings) -> dict[str, Any]:
    """``LocalCluster`` arguments: ``dask_workers`` processes (default one per core) on loopback."""
    workers = settings.dask_workers or os.cpu_count() or 1
    return {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": "127.0.0.1:0",  # its HTTP endpoint: loopback, a free port (default: 8787)
    }


@contextmanager
def dask_client(settings: Settings) -> Iterator[Client]:
    """A client of the configured scheduler, or of a local cluster stopped on exit (also on failure)."""
    from distributed import Client, LocalCluster

    if settings.dask_address:
        with Client(settings.dask_address, timeout="10s") as client:
            yield client
        return
    with LocalCluster(**local_cluster_kwargs(settings)) as cluster, Client(cluster) as client:
        yield client
