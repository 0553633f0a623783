"""`make replay FROM= TO=`: the data source's history sent through the running service, so the monitor has
predictions (and labels) to judge on your own data, with no code.

Each day's rows go to ``/predict`` as the table has them (id, time and label left out) with the day as the
event time; rows the service refuses (422) are counted, not resent. Then the labels that have arrived go to
``/feedback``: those the source knows (not empty) for days up to its newest fully labelled day. Afterwards
``make monitor DAY=...`` judges any replayed day.

    python -m level2_cicd.replay --from 2025-04-01 --to 2025-04-30   (dates, or day numbers of the source)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

import httpx

from level2_cicd.traffic import Traffic
from shared.data.source import DataSource, DataSourceError, resolve_day, source_from
from shared.settings import Settings, load_settings

DEFAULT_DAYS = 14


class ReplayError(RuntimeError):
    """The service cannot take the replay: not running, no champion, or a token missing."""


@dataclass(frozen=True)
class Replayed:
    first: date
    last: date
    rows: int  # answered
    refused: int
    labels: int
    labelled_through: date | None  # the newest replayed day whose labels were sent (None: no day's labels yet)


def replay(client: httpx.Client, source: DataSource, settings: Settings, first: date, last: date) -> Replayed:
    """Send the days ``first``..``last`` to the service, then their labels that have arrived."""
    if first > last:
        raise ReplayError(f"--from {first} is after --to {last}")
    calendar = source.calendar
    traffic = Traffic(client, source, settings.label_delay_days, settings)
    rows = 0
    for day in range(calendar.day_of(first), calendar.day_of(last) + 1):
        refused_before = traffic.refused
        sent = _answered(partial(traffic.send_day, day))
        refused = traffic.refused - refused_before
        rows += sent - refused
        print(f"{calendar.date_of(day)}: {sent - refused} rows answered, {refused} refused", flush=True)
    arrived = min(last, source.newest_labelled_day())
    labels = _answered(partial(traffic.release_labels_through, calendar.day_of(arrived)))
    return Replayed(first, last, rows, traffic.refused, labels, arrived if arrived >= first else None)


def _answered(call: Callable[[], int]) -> int:
    """Run one step of the replay; a service that is absent or refuses turns into a ReplayError saying why."""
    try:
        return call()
    except httpx.TransportError as error:
        raise ReplayError(
            f"no service answers ({error}): start one with make serve, or set MLOPS_SERVICE_URL"
        ) from None
    except httpx.HTTPStatusError as error:
        status = error.response.status_code
        hint = {
            401: "the service requires a token: set MLOPS_SCORING_TOKEN and MLOPS_LABELS_TOKEN (make stack-env)",
            503: "the service has no champion, or cannot store predictions: see its /ready (make level1 first)",
        }.get(status, error.response.text[:300])
        raise ReplayError(f"{error.request.method} {error.request.url.path} answered {status}: {hint}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m level2_cicd.replay", description=__doc__)
    parser.add_argument("--from", dest="first", help=f"first day (default: {DEFAULT_DAYS} days before --to)")
    parser.add_argument("--to", dest="last", help="last day (default: the source's newest day)")
    parser.add_argument("--url", help="the service (default: MLOPS_SERVICE_URL)")
    args = parser.parse_args(argv)
    settings = load_settings()
    url = args.url or settings.service_url
    try:
        if settings.data_source == "prediction_log":
            raise ReplayError(
                "MLOPS_DATA_SOURCE=prediction_log is the service's own log: replaying it would log every row twice. "
                "Replay your history from files (MLOPS_DATA_SOURCE=files) or the simulator"
            )
        source = source_from(settings)
        last = resolve_day(source, args.last) if args.last else source.today()
        first = resolve_day(source, args.first) if args.first else last - timedelta(days=DEFAULT_DAYS - 1)
        timeout = httpx.Timeout(settings.client_timeout_seconds + settings.store_ack_seconds)
        transport = httpx.HTTPTransport(retries=settings.client_retries)  # connection attempts only: never a resend
        with httpx.Client(base_url=url, timeout=timeout, transport=transport) as client:
            done = replay(client, source, settings, first, last)
    except (ReplayError, DataSourceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"replayed {done.first}..{done.last} to {url}: {done.rows} rows answered, {done.refused} refused, ", end="")
    print(f"{done.labels} labels sent")
    if done.labelled_through is not None:
        print(f"next: make monitor DAY={done.labelled_through} (the newest replayed day with its labels)")
    else:
        print(f"next: make monitor DAY={done.last} (drift only: no replayed day has its labels yet)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
