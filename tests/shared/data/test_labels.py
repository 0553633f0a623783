import pandas as pd

from shared.data.labels import labels_known_by
from shared.data.source import SyntheticSource
from shared.schema import LABEL_COLUMN, TIME_COLUMN


def test_labels_arrive_after_their_delay(small_source: SyntheticSource, small_window: pd.DataFrame) -> None:
    # given two weeks of rows, when we look at the start of day 10 with a 3-day delay
    calendar = small_source.calendar
    known = labels_known_by(small_window, pd.Timestamp(calendar.start_of(10)), delay_days=3)
    # then rows of days 0-6 have labels and later rows do not
    day = (known[TIME_COLUMN] - pd.Timestamp(calendar.start_of(0))).dt.days
    assert known.loc[day <= 6, LABEL_COLUMN].notna().all()
    assert known.loc[day >= 8, LABEL_COLUMN].isna().all()
    assert small_window[LABEL_COLUMN].notna().all()  # the input is left untouched
