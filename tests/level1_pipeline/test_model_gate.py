import pandas as pd

from level1_pipeline.model_gate import judge_candidate
from level1_pipeline.policy import ModelGatePolicy
from level1_pipeline.steps import Scored
from level1_pipeline.tags import gate_tags
from shared.slices import SliceScore

POLICY = ModelGatePolicy(min_roc_auc=0.75, max_auc_drop_vs_champion=0.01)


def scored(roc_auc: float, slices: dict[str, SliceScore] | None = None, non_finite: int = 0) -> Scored:
    """A model's holdout figures as the gate reads them (the scores themselves are not read)."""
    return Scored(pd.Series(dtype=float), {"roc_auc": roc_auc}, slices or {}, non_finite)


def test_first_model_needs_only_the_floor() -> None:
    assert judge_candidate(scored(0.76), None, POLICY).passed
    assert not judge_candidate(scored(0.74), None, POLICY).passed


def test_candidate_within_the_margin_of_the_champion_passes() -> None:
    assert judge_candidate(scored(0.805), scored(0.81), POLICY).passed


def test_candidate_clearly_worse_than_the_champion_fails_with_reason() -> None:
    result = judge_candidate(scored(0.79), scored(0.81), POLICY)
    assert not result.passed
    assert result.checks == {"finite_scores": True, "floor": True, "vs_champion": False, "slices": True}
    assert gate_tags(result)["gate.vs_champion"] == "failed"
    assert "champion 0.8100" in result.reasons[1]


def test_a_candidate_better_overall_but_much_worse_on_one_slice_is_refused_naming_the_slice() -> None:

    # given a candidate better than the champion overall, and on every slice but one, where it falls far behind
    champion = {"plan=basic": SliceScore(2000, 600, 0.80), "plan=premium": SliceScore(1500, 450, 0.78)}
    candidate = {"plan=basic": SliceScore(2000, 600, 0.84), "plan=premium": SliceScore(1500, 450, 0.62)}
    result = judge_candidate(scored(0.83, candidate), scored(0.80, champion), POLICY)
    # then it is refused, and the reason names the slice and its numbers
    assert not result.passed
    assert not result.checks["slices"]
    (named,) = [r for r in result.reasons if r.startswith("slice ")]
    assert named.startswith("slice plan=premium (1500 rows): ROC AUC 0.6200 < champion 0.7800 - ")


def test_a_slice_within_its_noise_or_too_small_to_judge_does_not_refuse() -> None:

    champion = {"plan=basic": SliceScore(120, 30, 0.80), "contract=two-year": SliceScore(400, 20, 0.80)}
    # a big drop on 120 rows (under the policy's minimum), a 0.07 drop on 400 rows with 20 positives (noise)
    candidate = {"plan=basic": SliceScore(120, 30, 0.50), "contract=two-year": SliceScore(400, 20, 0.73)}
    result = judge_candidate(scored(0.81, candidate), scored(0.80, champion), POLICY)
    assert result.passed
    assert result.checks["slices"]


def test_scores_that_are_not_numbers_fail_the_gate() -> None:
    result = judge_candidate(scored(0.9, non_finite=3), None, POLICY)
    assert not result.passed
    assert "3 holdout scores are NaN or infinite" in result.reasons


def test_a_candidate_that_breaks_a_declared_behaviour_is_refused_naming_the_feature() -> None:
    from level1_pipeline.model_gate import judge_candidate
    from level1_pipeline.policy import ModelGatePolicy
    from shared.behaviour import BehaviourResult, Effect

    held = BehaviourResult("a", Effect.RAISES, 100, 0.05, 0.02, True)
    broken = BehaviourResult("b", Effect.LOWERS, 100, 0.03, 0.6, False)
    gate = judge_candidate(scored(0.9), None, ModelGatePolicy(), behaviour=[held, broken])
    assert (gate.passed, gate.checks["behaviour"]) == (False, False)
    assert [r for r in gate.reasons if r.startswith("behaviour of b: a higher value should lower")]
    assert judge_candidate(scored(0.9), None, ModelGatePolicy(), behaviour=[held]).passed


def test_a_candidate_much_worse_than_the_simpler_baseline_is_refused() -> None:
    from level1_pipeline.model_gate import judge_candidate
    from level1_pipeline.policy import ModelGatePolicy

    policy = ModelGatePolicy(min_roc_auc=0.6, max_auc_drop_vs_baseline=0.05)
    refused = judge_candidate(scored(0.76), None, policy, baseline=scored(0.84))
    assert (refused.passed, refused.checks["vs_baseline"]) == (False, False)
    assert "ROC AUC 0.7600 < simpler baseline (logistic regression) 0.8400 - margin 0.0500" in refused.reasons
    assert judge_candidate(scored(0.80), None, policy, baseline=scored(0.84)).checks["vs_baseline"]


def test_a_candidate_whose_groups_of_a_sensitive_column_differ_too_much_is_refused_naming_them() -> None:
    from level1_pipeline.model_gate import judge_candidate
    from level1_pipeline.policy import ModelGatePolicy
    from shared.slices import SliceScore

    # given a column declared sensitive, whose two large groups the candidate ranks unequally well
    slices = {
        "region=north": SliceScore(500, 100, 0.86),
        "region=south": SliceScore(450, 90, 0.71),
        "region=east": SliceScore(20, 4, 0.40),  # too few rows: shown, not judged
        "plan=basic": SliceScore(900, 200, 0.50),  # another column: not a group of region
    }
    policy = ModelGatePolicy(min_roc_auc=0.6)
    refused = judge_candidate(scored(0.8, slices), None, policy, sensitive=("region",))
    # then the gate refuses it, naming the column, its worst and best groups and the gap
    assert (refused.passed, refused.checks["inclusion"]) == (False, False)
    assert (
        "inclusion: ROC AUC differs by 0.1500 across the groups of region (region=south 0.7100, region=north 0.8600; "
        "at most 0.1000)"
    ) in refused.reasons
    # and a smaller gap passes; a column declared by nobody is not judged
    fair = {**slices, "region=south": SliceScore(450, 90, 0.80)}
    assert judge_candidate(scored(0.8, fair), None, policy, sensitive=("region",)).checks["inclusion"]
    assert "inclusion" not in judge_candidate(scored(0.8, slices), None, policy).checks
