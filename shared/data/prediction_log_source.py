"""The prediction log as a data source: what the service served, with the labels that came back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from shared.data.source import Calendar, DataSourceError
from shared.prediction_log import LABELS, PREDICTIONS, read_log, safe_url
from shared.schema import FEATURE_NAMES, ID_COLUMN, LABEL_COLUMN, TIME_COLUMN

if TYPE_CHECKING:
    import sqlalchemy as sa


@dataclass(frozen=True)
class PredictionLogSource:
    """What the service logged, joined with the labels that arrived: level 2 learns from what it served.

    Only labelled predictions are rows; the request id is the row id and the request's event time
    its time. Its calendar starts on the first logged day; "now" is the newest day with a label.
    """

    store_url: str

    @cached_property
    def engine(self) -> sa.Engine:
        engine = sa.create_engine(self.store_url)
        if not sa.inspect(engine).has_table(PREDICTIONS.name):
            raise DataSourceError(f"no prediction log at {safe_url(self.store_url)}: serve predictions first")
        return engine

    def _logged_days(self, labelled: bool) -> tuple[date, date]:
        times = PREDICTIONS.c.created_at
        query = sa.select(sa.func.min(times), sa.func.max(times))
        if labelled:
            query = query.join(LABELS, LABELS.c.request_id == PREDICTIONS.c.request_id)
        with self.engine.connect() as conn:
            first, last = conn.execute(query).one()
        if first is None:
            what = "labelled predictions" if labelled else "predictions"
            raise DataSourceError(f"the prediction log has no {what} yet")
        return pd.Timestamp(first).date(), pd.Timestamp(last).date()

    @property
    def calendar(self) -> Calendar:
        return Calendar(self._logged_days(labelled=False)[0])

    def rows(self, first: date, last: date) -> pd.DataFrame:
        since = datetime.combine(first, datetime.min.time())
        until = datetime.combine(last + timedelta(days=1), datetime.min.time())
        logged = read_log(self.engine, since, until).dropna(subset=["label"])
        renamed = logged.rename(columns={"request_id": ID_COLUMN, "created_at": TIME_COLUMN, "label": LABEL_COLUMN})
        frame = renamed[[ID_COLUMN, TIME_COLUMN, *FEATURE_NAMES, LABEL_COLUMN]].reset_index(drop=True)
        return frame.astype({LABEL_COLUMN: "int64"})

    def newest_labelled_day(self) -> date:
        return self._logged_days(labelled=True)[1]

    def today(self) -> date:
        return self._logged_days(labelled=False)[1]

    def lineage(self) -> dict[str, str]:
        return {"data_source": "prediction_log", "prediction_store": safe_url(self.store_url)}
