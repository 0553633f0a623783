"""What every Prefect flow of the project shares: a plain function run as a task (one box per step in the UI)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE

P = ParamSpec("P")
R = TypeVar("R")


def step(function: Callable[P, R], name: str, **retries: Any) -> Task[P, R]:
    """``function`` as a task named ``name``; never cached (every run computes its own), typed as the function."""
    return task(name=name, cache_policy=NO_CACHE, **retries)(function)


def transient(task: Any, run: Any, state: Any) -> bool:
    """Retry what may succeed next time (network, timeouts), never deterministic failures (a missing file)."""
    error = state.data
    return isinstance(error, OSError) and not isinstance(error, FileNotFoundError | PermissionError | IsADirectoryError)
