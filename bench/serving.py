"""Benchmark: the level 2 service against `mlflow models serve` of the same model version.

Single-row requests (and one line of 100-row requests), 8 concurrent connections, one uvicorn worker each
unless said, loopback only, measured with `wrk` (Debian package `wrk`). Prints a Markdown section; `--write`
appends it to docs/benchmarks.md. Every server is bound to 127.0.0.1 on a free port and stopped, also on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

from bench.cpu import CpuUse, cpu_during
from bench.report import machine, publish
from shared.data.synthetic import schema_rows
from shared.policy_file import changed, write_policy
from shared.processes import free_port, running_server
from shared.project import PROJECT_ROOT
from shared.release_policy import load_release_policy
from shared.schema import FEATURE_NAMES, to_records
from shared.settings_environment import environment_for

ROOT = PROJECT_ROOT
VENV_BIN = Path(sys.executable).parent


WARM_UP_SECONDS = 3


def wrk(url: str, body: Mapping[str, object], seconds: int, workdir: Path) -> dict[str, float]:
    """Warm the endpoint up (figures discarded, requests counted), then measure it."""
    warm = _wrk(url, body, WARM_UP_SECONDS, workdir)["requests"]
    return _wrk(url, body, seconds, workdir) | {"warm_up_requests": warm}


def _wrk(url: str, body: Mapping[str, object], seconds: int, workdir: Path) -> dict[str, float]:
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(json.dumps(body))}\n"
    )
    done = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    out = done.stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        "requests": float(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        "errors": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class Served(NamedTuple):
    base: str
    pid: int  # the uvicorn process (its workers are its children)


@contextmanager
def serving(env: dict[str, str], store_url: str, workers: int) -> Iterator[Served]:
    """The level 2 service on a free loopback port with ``workers`` processes, logging to ``store_url``."""
    port = free_port()
    command = [sys.executable, "-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    service_env = env | environment_for(prediction_store_url=store_url)
    with running_server(command, service_env, f"http://127.0.0.1:{port}/ready", cwd=ROOT, quiet=True) as process:
        yield Served(f"http://127.0.0.1:{port}", process.pid)


def log_completeness(url: str, runs: list[dict[str, float]]) -> str:
    with sa.create_engine(url).connect() as conn:
        logged = conn.execute(sa.text("select count(*) from predictions")).scalar_one()
    sent = sum((r["requests"] + r["warm_up_requests"]) * r.get("rows_per_request", 1) for r in runs)
    return f"{sa.engine.make_url(url).get_backend_name()} {logged} rows / {sent:.0f} rows in the requests"


AB, SHADOW = "level 2 service /predict, A/B 50% to a challenger", "level 2 service /predict, challenger in shadow"


def release_lines(
    env: dict[str, str], work: Path, body: Mapping[str, object], seconds: int
) -> dict[str, dict[str, float]]:
    """One worker with a challenger (a second trained version) under A/B, then in shadow."""
    train = [sys.executable, "-m", "level1_pipeline", "run", "--last-day", "25"]  # the same recipe, older days
    subprocess.run(train, env=env, cwd=ROOT, check=True, capture_output=True)
    command = [sys.executable, "-c", CHALLENGER_OF_2]
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True)
    shipped = load_release_policy(ROOT / "config" / "release_policy.yaml")
    results = {}
    for name, mode in ((AB, "ab"), (SHADOW, "shadow")):
        policy = write_policy(changed(shipped, mode=mode, ab_share=0.5), work / f"release-{mode}.yaml")
        store = f"sqlite:///{work / f'{mode}.db'}"
        with serving(env | environment_for(release_policy_file=policy), store, 1) as served:
            # no routing key: each request on its own
            results[name] = wrk(f"{served.base}/predict", body, seconds, work)
    return results


CHALLENGER_OF_2 = (  # champion-only's champion (1) stays champion, version 2 (same recipe) is its challenger
    "from shared.registry import CHALLENGER, CHAMPION, Move, Registry\n"
    "r, move = Registry('churn-model'), Move('bench.serving', 'A/B and shadow lines')\n"
    "r.set_alias(CHAMPION, '1', move)\n"
    "r.set_alias(CHALLENGER, '2', move)\n"
)


def release_summary(alone: dict[str, float], release: dict[str, dict[str, float]]) -> str:
    ab, shadow = release[AB], release[SHADOW]
    return (
        f"A challenger costs: A/B {ab['rps'] / alone['rps']:.0%} of champion-only req/s (target >= 90%); "
        f"shadow p99 {shadow['p99']:.1f} ms vs {alone['p99']:.1f} ms champion-only "
        f"({shadow['p99'] / alone['p99'] - 1:+.0%}, target within +20%)."
    )


BARE, FASTAPI = "ceiling: bare ASGI app, constant answer", "ceiling: FastAPI parsing `PredictRequest`, constant answer"
STRUCTURE = "the service's own app (routers, token checks, middleware, metrics), constant answer"
CEILINGS = {  # line: (factory, the path that answers once the server can take the load)
    BARE: ("bench.ceiling:bare", "ping"),
    FASTAPI: ("bench.ceiling:fastapi_parse", "ping"),
    STRUCTURE: ("bench.ceiling:service_structure", "ready"),  # the service's own app: ready once its model loaded
}
ONE_WORKER, TWO_WORKERS = "level 2 service /predict", "level 2 service /predict, 2 workers"


def ceilings(
    env: dict[str, str], body: Mapping[str, object], seconds: int, work: Path, cpu: dict[str, CpuUse]
) -> dict[str, dict[str, float]]:
    """What uvicorn alone, FastAPI with the service's request model and the service's own app answering a
    constant reach here (bench/ceiling.py), with the CPU each server used."""
    results = {}
    for name, (factory, ready) in CEILINGS.items():
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port)]
        command += ["--no-access-log", "--log-level", "warning"]
        url = f"http://127.0.0.1:{port}"
        server = running_server(command, env, f"{url}/{ready}", cwd=ROOT, quiet=True)
        with server as process, cpu_during(process.pid) as cpu[name]:
            results[name] = wrk(f"{url}/predict", body, seconds, work)
    return results


def cost_per_request(results: dict[str, dict[str, float]], cpu: dict[str, CpuUse]) -> str:
    """CPU of the server's processes per answered request (warm-up included), from the ceiling to the service."""
    parse, structure, service = (
        cpu[name].server_seconds() * 1000 / (results[name]["requests"] + results[name]["warm_up_requests"])
        for name in (FASTAPI, STRUCTURE, ONE_WORKER)
    )
    return (
        f"CPU per answered request (the server's processes): FastAPI parsing the request model {parse:.2f} ms; "
        f"the service's own app answering a constant {structure:.2f} ms (its structure: +{structure - parse:.2f} ms); "
        f"the service scoring and logging {service:.2f} ms (the model call, the log write and the wait for its "
        f"commit: +{service - structure:.2f} ms)."
    )


def cpu_summary(results: dict[str, dict[str, float]], cpu: dict[str, CpuUse]) -> str:
    one, two = results[ONE_WORKER]["rps"], results[TWO_WORKERS]["rps"]
    return (
        f"2 workers answer {two / one:.2f}x one worker (target 1.6x). CPU during the /predict runs (warm-up "
        f"included): 1 worker: {cpu[ONE_WORKER].describe()}; 2 workers: {cpu[TWO_WORKERS].describe()}."
    )


PLAIN_PATH = "level 2 service /predict, plain path (the model's predict_proba, no speed room)"
EXPLAIN = "level 2 service /explain (one row: its probability and each feature moved to its typical value)"
ROWS_100 = "level 2 service /predict, 100 rows per request"


def rows_summary(results: dict[str, dict[str, float]]) -> str:
    rows_100 = results[ROWS_100]
    return (
        f"100 rows per request: {rows_100['rps'] * 100:,.0f} rows/s scored and logged on one worker "
        f"(target >= 20,000), p99 {rows_100['p99']:.1f} ms."
    )


def ceiling_summary(results: dict[str, dict[str, float]]) -> str:
    service = results[ONE_WORKER]["rps"]
    return (
        f"The service's share of the ceiling: {service / results[FASTAPI]['rps']:.1%} of FastAPI parsing the same "
        f"request model, {service / results[BARE]['rps']:.1%} of a bare ASGI app (one worker each)."
    )


def measure(seconds: int, postgres_url: str | None = None) -> tuple[str, list[str]]:
    """The section for docs/benchmarks.md, and the lines whose requests were answered with errors."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (Debian) and run again")
    row = to_records(schema_rows(1, seed=1, null_share=0.0))[0]
    predict_body = {"rows": [row]}
    rows_100_body = {"rows": to_records(schema_rows(100, seed=2, null_share=0.0))}
    invocations_body = {"dataframe_split": {"columns": list(FEATURE_NAMES), "data": [[row[c] for c in FEATURE_NAMES]]}}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cpu: dict[str, CpuUse] = {}
        env = {**os.environ, **environment_for(state_dir=work / "state"), "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
        env = {k: v for k, v in env.items() if k not in ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "PREFECT_HOME")}
        train = [sys.executable, "-m", "level1_pipeline", "run"]
        subprocess.run(train, env=env, cwd=ROOT, check=True, capture_output=True)
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{work / 'state' / 'mlflow' / 'mlflow.db'}"
        results: dict[str, dict[str, float]] = {}

        port = free_port()
        mlflow_cmd = [str(VENV_BIN / "mlflow"), "models", "serve", "-m", "models:/churn-model/1", "--env-manager"]
        mlflow_cmd += ["local", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        with running_server(mlflow_cmd, env, f"http://127.0.0.1:{port}/ping", cwd=ROOT, quiet=True):
            results["`mlflow models serve` /invocations"] = wrk(
                f"http://127.0.0.1:{port}/invocations", invocations_body, seconds, work
            )

        results |= ceilings(env, predict_body, seconds, work, cpu)
        store = f"sqlite:///{work / 'predictions.db'}"
        with serving(env, store, workers=1) as served:
            with cpu_during(served.pid) as cpu[ONE_WORKER]:
                results[ONE_WORKER] = wrk(f"{served.base}/predict", predict_body, seconds, work)
            results["level 2 service /invocations"] = wrk(f"{served.base}/invocations", invocations_body, seconds, work)
            results[ROWS_100] = wrk(f"{served.base}/predict", rows_100_body, seconds, work) | {"rows_per_request": 100}
            results[EXPLAIN] = wrk(f"{served.base}/explain", {"row": row}, seconds, work)
        store_plain = f"sqlite:///{work / 'predictions-plain.db'}"
        with serving(env | environment_for(serving_scorer="plain"), store_plain, workers=1) as served:
            results[PLAIN_PATH] = wrk(f"{served.base}/predict", predict_body, seconds, work)
        logs = {store: [ONE_WORKER, "level 2 service /invocations", ROWS_100], store_plain: [PLAIN_PATH]}
        store_2 = f"sqlite:///{work / 'predictions-2.db'}"
        with serving(env, store_2, workers=2) as served, cpu_during(served.pid) as cpu[TWO_WORKERS]:
            results[TWO_WORKERS] = wrk(f"{served.base}/predict", predict_body, seconds, work)
        logs[store_2] = [TWO_WORKERS]
        if postgres_url:
            with serving(env, postgres_url, workers=2) as served:
                results["level 2 service /predict, 2 workers, PostgreSQL log"] = wrk(
                    f"{served.base}/predict", predict_body, seconds, work
                )
            logs[postgres_url] = ["level 2 service /predict, 2 workers, PostgreSQL log"]
        release = release_lines(env, work, predict_body, seconds)
        results |= release
        completeness = [log_completeness(url, [results[name] for name in names]) for url, names in logs.items()]
    baseline = results["`mlflow models serve` /invocations"]["rps"]
    lines = [
        f"## Serving: level 2 service vs `mlflow models serve` ({datetime.now(UTC):%Y-%m-%d})",
        "",
        f"Machine: {machine()}. "
        f"wrk, 8 connections, {WARM_UP_SECONDS} s warm-up then {seconds} s per line, "
        "single-row requests (unless said), loopback; prediction logging on (SQLite unless said otherwise); "
        "uvicorn workers as said (one otherwise).",
        "",
        "| server | req/s | p50 | p99 | non-2xx | vs mlflow |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} ms | {r['p99']:.1f} ms | {r['errors']:.0f} | "
            f"{r['rps'] / baseline:.1f}x |"
            for name, r in results.items()
        ),
        "",
        "Prediction log, rows logged vs the rows of the requests wrk completed (wrk leaves out requests still in "
        "flight when it stops, which the service answered and logged): " + "; ".join(completeness) + ".",
        "",
        release_summary(results[ONE_WORKER], release),
        "",
        ceiling_summary(results),
        "",
        rows_summary(results),
        "",
        cost_per_request(results, cpu),
        "",
        cpu_summary(results, cpu),
        "",
    ]
    return "\n".join(lines), [name for name, r in results.items() if r["errors"]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="append the result to docs/benchmarks.md")
    parser.add_argument("--postgres", help="SQLAlchemy URL of an empty PostgreSQL log database for an extra line")
    args = parser.parse_args()
    report, failed = measure(args.seconds, args.postgres)
    if failed:  # a line that answered errors measured failures, not serving: nothing is written
        print(report)
        print(f"not written to docs/benchmarks.md: these lines answered non-2xx responses: {'; '.join(failed)}")
        return 1
    publish(report, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
