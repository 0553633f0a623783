import pandas as pd

from workshop.summary import recovery_days, summarise


def daily(aucs: list[float], first_day: int = 10, level: str = "level 2") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": level,
            "day": range(first_day, first_day + len(aucs)),
            "auc": aucs,
            "retrained": False,
            "promoted": False,
        }
    )


def test_recovery_counts_days_from_onset_to_lasting_recovery() -> None:
    assert recovery_days(daily([0.8, 0.8, 0.5, 0.5, 0.8, 0.7, 0.8, 0.8]), onset=12, floor=0.75) == 4


def test_a_late_one_day_dip_is_not_a_relapse_the_chart_shows_the_recovery_where_it_is() -> None:
    # given quality that fell at the onset, came back two days later and stayed, but for one noisy day near the end
    aucs = [0.8, 0.5, 0.5, 0.8, 0.8, 0.8, 0.8, 0.7, 0.8]
    # then the recovery is where the line came back (day 13), not after the dip (day 18)
    assert recovery_days(daily(aucs), onset=11, floor=0.75) == 2


def test_never_recovered_and_never_hurt() -> None:
    assert recovery_days(daily([0.8, 0.5, 0.5]), onset=11, floor=0.75) is None
    assert recovery_days(daily([0.8, 0.8, 0.8]), onset=11, floor=0.75) == 0


def test_summary_counts_days_below_floor_and_retrainings() -> None:
    frame = daily([0.8, 0.5, 0.6, 0.8])
    frame.loc[2, ["retrained", "promoted"]] = True
    [row] = summarise(frame, onset=11, floor=0.75)
    assert (row.days_below_floor, row.retrainings, row.promotions, row.worst_auc) == (2, 1, 1, 0.5)


def test_the_release_checks_the_comparison_names_are_the_checks_the_gate_runs() -> None:
    from level1_pipeline.model_gate import judge_candidate
    from level1_pipeline.policy import ModelGatePolicy
    from level1_pipeline.steps import Scored
    from shared.behaviour import BehaviourResult, Effect
    from shared.slices import SliceScore
    from workshop.report import release_checks_table
    from workshop.summary import GATE_CHECKS

    # given a candidate judged with every input the gate can have
    slices = {"region=a": SliceScore(400, 80, 0.8), "region=b": SliceScore(400, 80, 0.8)}
    behaviour = [BehaviourResult("x", Effect.RAISES, 100, 0.05, 0.0, True)]
    judged = Scored(pd.Series(dtype=float), {"roc_auc": 0.8}, slices, 0)
    gate = judge_candidate(judged, judged, ModelGatePolicy(), judged, behaviour, sensitive=("region",))
    # then the comparison's table names exactly the checks the gate ran
    assert set(GATE_CHECKS) == set(gate.checks)
    assert all(name in release_checks_table() for name in gate.checks)
