import pandas as pd

from shared.data.labels import labels_known_by


def test_labels_arrive_after_their_delay(small_window: pd.DataFrame) -> None:
    # given two weeks of rows, when we look on day 10 with a 3-day delay
    as_of = pd.Timestamp("2026-01-11")  # start of day 10
    known = labels_known_by(small_window, as_of, delay_days=3)
    # then rows of days 0-6 have labels and later rows do not
    day = (known["event_time"] - pd.Timestamp("2026-01-01")).dt.days
    assert known.loc[day <= 6, "churned"].notna().all()
    assert known.loc[day >= 8, "churned"].isna().all()
    assert small_window["churned"].notna().all()  # the input is left untouched
