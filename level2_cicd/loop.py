"""`make level2`: the whole level on embedded defaults, watched from a terminal.

Train an initial champion -> start the service (a real uvicorn process) -> replay simulated days
of traffic through HTTP (labels arriving after their delay) -> run the monitor each day -> let it
retrain -> watch the service switch versions. Every process started here is stopped on exit,
also on Ctrl-C.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import pandas as pd
from pydantic import SecretStr

from shared.data.source import DataSource
from shared.processes import free_port, running_server
from shared.schema import ID_COLUMN, LABEL_COLUMN, TIME_COLUMN
from shared.settings import Settings

if TYPE_CHECKING:  # Prefect is imported only once its API address is known (see shared/prefect_api.py)
    from level2_cicd.monitoring.flow import MonitoringOutcome

CHUNK = 500


@dataclass(frozen=True)
class DayRecord:
    """One line of the timeline."""

    day: int
    rows: int
    drift_share: float | None
    live_roc_auc: float | None
    status: str
    served_version: str
    retrained: bool
    new_version: str | None
    promoted: bool | None
    reason: str
    became: str | None = None  # what the retrained version became
    live_test: str | None = None  # the day's verdict on a challenger under a live test
    live_action: str | None = None  # promote, stop or continue


def service_env(settings: Settings, overrides: dict[str, Any]) -> dict[str, str]:
    """The environment that gives the service process the same settings as this one."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": settings.resolved_tracking_uri}
    env |= {f"MLOPS_{key.upper()}": str(value) for key, value in overrides.items()}
    env["MLOPS_STATE_DIR"] = str(settings.state_path)
    env["MLOPS_MODEL_POLL_SECONDS"] = "0.5"
    return env


class Traffic:
    """Sends each simulated day's rows to the service and, after the delay, their labels."""

    def __init__(
        self, client: httpx.Client, source: DataSource, label_delay_days: int, settings: Settings, chunk: int = CHUNK
    ) -> None:
        self.client = client
        self.chunk = chunk
        self.source = source
        self.scoring = bearer(settings.scoring_token)
        self.labels = bearer(settings.labels_token)
        self.delay = label_delay_days
        self.pending: dict[int, list[dict[str, Any]]] = {}
        self.truth: dict[str, tuple[int, int]] = {}  # request id -> (day, true label), for offline scoring

    def send_day(self, day: int) -> int:
        """Send the day's rows as the upstream system has them (broken ones too); returns rows sent."""
        calendar = self.source.calendar
        frame = self.source.rows(calendar.date_of(day), calendar.date_of(day))
        rows, labels = client_records(frame), frame[LABEL_COLUMN].tolist()
        keys = frame[ID_COLUMN].astype(str).tolist() if ID_COLUMN in frame else [str(i) for i in range(len(frame))]
        event_time = calendar.start_of(day).isoformat()
        self.pending[day] = []
        for start in range(0, len(rows), self.chunk):
            chunk = list(zip(rows[start : start + self.chunk], labels[start : start + self.chunk], strict=True))
            routing = {"X-Routing-Key": keys[start]}  # a request is one customer's: A/B keeps them on one variant
            for prediction, label in self._predict(chunk, event_time, routing):
                self.pending[day].append({"request_id": prediction["request_id"], "label": int(label)})
        self.truth |= {item["request_id"]: (day, item["label"]) for item in self.pending[day]}
        return len(rows)

    def _predict(
        self, chunk: list[tuple[dict[str, Any], int]], event_time: str, routing: dict[str, str]
    ) -> list[tuple[dict[str, Any], int]]:
        """Score a chunk; when the service refuses rows (422), resend the others, as a tolerant client would."""
        body = {"rows": [row for row, _ in chunk], "event_time": event_time}
        response = self.client.post("/predict", json=body, headers=self.scoring | routing)
        if response.status_code == 422:
            refused = {e["loc"][2] for e in response.json()["detail"] if e["loc"][:2] == ["body", "rows"]}
            if not refused:
                response.raise_for_status()
            kept = [item for i, item in enumerate(chunk) if i not in refused]
            return self._predict(kept, event_time, routing) if kept else []
        response.raise_for_status()
        return list(zip(response.json()["predictions"], [label for _, label in chunk], strict=True))

    def release_labels(self, today: int) -> bool:
        """Labels of the day ``delay`` days ago arrive today; False when there were none."""
        labels = self.pending.pop(today - self.delay, [])
        for start in range(0, len(labels), 5000):
            body = {"labels": labels[start : start + 5000]}
            self.client.post("/feedback", json=body, headers=self.labels).raise_for_status()
        return bool(labels)


def bearer(token: SecretStr | None) -> dict[str, str]:
    """The Authorization header for a role's token, when the service requires one."""
    return {"Authorization": f"Bearer {token.get_secret_value()}"} if token is not None else {}


def client_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows a client sends: every column it has but the id, time and label, JSON-ready (missing -> null)."""
    columns = [c for c in frame.columns if c not in (ID_COLUMN, TIME_COLUMN, LABEL_COLUMN)]

    def plain(value: Any) -> Any:
        if value is None or (isinstance(value, float) and value != value):
            return None
        return value.item() if hasattr(value, "item") else value

    return [{str(c): plain(v) for c, v in row.items()} for row in frame[columns].to_dict("records")]


class ServedVersionError(RuntimeError):
    """The service did not pick up the registry's version in time: the loop's timeline would be wrong."""


def wait_for_version(client: httpx.Client, version: str, timeout: float = 30, role: str = "champion") -> str:
    """Poll /model until the service serves ``version`` as ``role`` (hot swap); returns it, or raises on timeout."""

    def served() -> str:
        model = client.get("/model").json()
        return str(model["version"] if role == "champion" else (model["challenger"] or {}).get("version"))

    deadline = time.monotonic() + timeout
    now = served()
    while now != version:
        if time.monotonic() > deadline:
            model = client.get("/model").json()
            why = model.get("challenger_error" if role == "challenger" else "last_error") or "no loading error reported"
            message = f"the service still serves {now} as {role} {timeout:.0f} s after the registry named {version}"
            raise ServedVersionError(f"{message} ({why})")
        time.sleep(0.2)
        now = served()
    return now


@dataclass(frozen=True)
class LoopResult:
    timeline: list[DayRecord]
    truth: dict[str, tuple[int, int]]  # request id -> (day, true label)
    store_url: str


def run_loop(
    settings: Settings,
    overrides: dict[str, Any],
    first_day: int,
    days: int,
    retrain_params: dict[str, Any] | None = None,
    on_day: Callable[[DayRecord], None] | None = None,
    chunk: int = CHUNK,
) -> LoopResult:
    """Live ``days`` simulated days from ``first_day`` with the service and the monitor."""
    from rich.progress import Progress

    from level1_pipeline.flow import training_flow
    from level2_cicd.monitoring.flow import monitoring_flow
    from shared.data.source import source_from

    initial = training_flow(last_day=first_day - 1, settings_overrides=overrides)
    print(f"initial champion: version {initial.champion_version} (trained on {initial.window})")
    if on_day is None:
        print(HEADER)
    port = free_port()
    command = [sys.executable, "-m", "level2_cicd.service", "--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    timeline: list[DayRecord] = []
    with (
        running_server(command, service_env(settings, overrides), f"{base}/ready", quiet=True),
        httpx.Client(base_url=base, timeout=60) as client,
        Progress(transient=True, disable=on_day is not None) as progress,
    ):
        traffic = Traffic(client, source_from(settings), settings.label_delay_days, settings, chunk)
        bar = progress.add_task("simulated days", total=days)
        for day in range(first_day, first_day + days):
            rows = traffic.send_day(day)  # /predict and /feedback answer once their rows are stored:
            traffic.release_labels(day)  # the monitor reads all of them, no waiting
            outcome = monitoring_flow(day=day, settings_overrides=overrides, retrain_params=retrain_params)
            served = wait_for_version(client, outcome.champion_after) if outcome.champion_after else "-"
            if outcome.became == "challenger" and outcome.new_version:  # tomorrow's traffic meets it from the start
                wait_for_version(client, outcome.new_version, role="challenger")
            timeline.append(_record(outcome, rows, served))
            if on_day is None:
                progress.console.print(format_row(timeline[-1]), soft_wrap=True, highlight=False)
                progress.advance(bar)
            else:
                on_day(timeline[-1])
    return LoopResult(timeline, traffic.truth, settings.resolved_prediction_store_url)


def _record(outcome: MonitoringOutcome, rows: int, served: str) -> DayRecord:
    live = outcome.live_test
    return DayRecord(
        day=outcome.day,
        rows=rows,
        drift_share=outcome.summary.drift_share,
        live_roc_auc=outcome.summary.roc_auc,
        status=outcome.decision.status.value,
        served_version=served,
        retrained=outcome.retrained,
        new_version=outcome.new_version,
        promoted=outcome.promoted,
        reason=outcome.decision.reason,
        became=outcome.became,
        live_test=f"{live.mode} v{live.challenger}: {live.verdict.reason}" if live else None,
        live_action=live.verdict.action if live else None,
    )


HEADER = f"{'day':>4} {'rows':>6} {'drift':>6} {'AUC':>6}  {'decision':<12} {'serving':>7}  note"


def format_row(r: DayRecord) -> str:
    drift = f"{r.drift_share:.0%}" if r.drift_share is not None else "-"
    auc = f"{r.live_roc_auc:.3f}" if r.live_roc_auc is not None else "-"
    note = r.reason if r.status != "ok" else ""
    if r.live_test is not None:
        shown = {"promote": "PROMOTED after its live test", "stop": "STOPPED", "continue": "live test"}
        note = f"{shown.get(r.live_action or '', '')} {r.live_test}"
    if r.retrained:
        verdict = "promoted" if r.promoted else "NOT promoted (failed a gate)"
        if r.became == "challenger":
            verdict = "CHALLENGER (a live test decides)"
        note = f"RETRAINED -> v{r.new_version} {verdict}; {r.reason}"  # why it retrained, on which days
    return f"{r.day:>4} {r.rows:>6} {drift:>6} {auc:>6}  {r.status:<12} {'v' + r.served_version:>7}  {note}"


RELEASE_CHUNK = 25  # rows per request under a live test: many customers (routing keys) a day, not four


def release_policies(settings: Settings, mode: str) -> dict[str, str]:
    """Copies of the shipped policies where a retrained model becomes a challenger tested live in ``mode``."""
    import yaml

    from shared.policy_file import project_path

    folder = settings.state_path / "level2-policies"
    folder.mkdir(parents=True, exist_ok=True)
    training = yaml.safe_load(project_path(settings.training_policy_file).read_text())
    training["release"] = training.get("release", {}) | {"candidate_becomes": "challenger"}
    release = yaml.safe_load(project_path(settings.release_policy_file).read_text()) | {"mode": mode}
    paths = {
        "training_policy_file": folder / "training_policy.yaml",
        "release_policy_file": folder / f"release_{mode}.yaml",
    }
    paths["training_policy_file"].write_text(yaml.safe_dump(training))
    paths["release_policy_file"].write_text(yaml.safe_dump(release))
    return {key: str(path) for key, path in paths.items()}


MODEL_SUFFIX = "-level2"  # level 2's demo has its own registered model: it never moves level 1's champion


def fresh_state(settings: Settings) -> str:
    """Remove what an earlier run of the loop left (its log, monitor memory, reports, registered model)."""
    import shutil

    from shared.registry import Registry

    shutil.rmtree(settings.level2_dir, ignore_errors=True)
    Registry(settings.model_name).delete()  # none yet on a first run
    kept = "" if settings.prediction_store_url is None else "; the log at MLOPS_PREDICTION_STORE_URL is kept"
    removed = f"removed {settings.level2_dir} and model {settings.model_name!r}{kept}"
    return f"fresh level 2 state: {removed} (--continue keeps them)"


def main(argv: list[str] | None = None) -> int:
    import argparse

    from level1_pipeline.warmup import training_warm_up
    from shared.prefect_api import orchestration_ready
    from shared.runtime import prepare_process
    from shared.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m level2_cicd.loop", description=__doc__)
    parser.add_argument("--scenario", default="concept_drift", help="simulator scenario (default concept_drift)")
    parser.add_argument("--onset", type=int, default=33, help="first day of the scenario")
    parser.add_argument("--first-day", type=int, default=28, help="first simulated day of live traffic")
    parser.add_argument("--days", type=int, default=18, help="simulated days of traffic")
    parser.add_argument(
        "--release",
        choices=["ab", "shadow"],
        help="retrained models become challengers tested live (A/B or shadow, config/release_policy.yaml) first",
    )
    parser.add_argument(
        "--continue",
        dest="keep",
        action="store_true",
        help="keep the previous run's level 2 state instead of a fresh one",
    )
    args = parser.parse_args(argv)
    base = load_settings()
    overrides = {
        "scenario": args.scenario,
        "scenario_start_day": args.onset,
        "model_name": base.model_name + MODEL_SUFFIX,
        "retrain_data_source": base.retrain_data_source or "prediction_log",  # learn from what the service saw
    }
    if args.release:
        overrides |= release_policies(base, args.release)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")  # the timeline is the output; flows log to Prefect
    settings = load_settings(**overrides)
    prepare_process(settings)
    started = datetime.now()
    print(f"level 2 loop: {args.days} days from day {args.first_day}, {args.scenario} from day {args.onset}")
    with orchestration_ready(training_warm_up(settings)):
        if not args.keep:
            print(fresh_state(settings))
        chunk = RELEASE_CHUNK if args.release else CHUNK
        timeline = run_loop(settings, overrides, args.first_day, args.days, chunk=chunk).timeline
    retrainings = [r for r in timeline if r.retrained]
    print(f"\n{len(retrainings)} automated retraining(s); now serving v{timeline[-1].served_version}.")
    print(f"Reports: {settings.level2_dir / 'reports'}  ({(datetime.now() - started).seconds} s)")
    print("Dashboard: make dashboard (Evidently UI of these windows)")
    return 0


if __name__ == "__main__":
    from shared.runtime import exit_quickly

    exit_quickly(main())
