"""The micro-batcher's scoring thread."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import asyncio
from types import SimpleNamespace
import sklearn.ensemble  # loads scikit-learn's OpenMP runtime, as a served model does
from threadpoolctl import threadpool_info
from level2_cicd.service.batcher import Batcher

def openmp_threads(rows):
    return [max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp")]

async def main():
    holder = SimpleNamespace(current=SimpleNamespace(score=openmp_threads), last_error=None)
    batcher = Batcher(holder)
    batcher.start()
    _, answer = await batcher.score([{}])
    await batcher.stop()
    print(answer[0])

asyncio.run(main())
"""


@pytest.mark.slow  # a process of its own: OpenMP's thread count comes from its environment at start
def test_the_model_scores_with_one_openmp_thread_whatever_the_environment_says() -> None:
    # given a process where OpenMP may use two threads
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"} | {"OMP_NUM_THREADS": "2"}
    # when the batcher's thread scores
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    # then it ran with one OpenMP thread (starting threads costs more than they give per request here)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1"]
