from level1_pipeline.model_gate import judge_candidate
from level1_pipeline.policy import ModelGatePolicy

POLICY = ModelGatePolicy(min_roc_auc=0.75, max_auc_drop_vs_champion=0.01)


def test_first_model_needs_only_the_floor() -> None:
    assert judge_candidate(0.76, None, POLICY).passed
    assert not judge_candidate(0.74, None, POLICY).passed


def test_candidate_within_the_margin_of_the_champion_passes() -> None:
    assert judge_candidate(0.805, 0.81, POLICY).passed


def test_candidate_clearly_worse_than_the_champion_fails_with_reason() -> None:
    result = judge_candidate(0.79, 0.81, POLICY)
    assert not result.passed
    assert result.checks == {"floor": True, "vs_champion": False}
    assert result.as_tags()["gate.vs_champion"] == "failed"
    assert "champion 0.8100" in result.reasons[-1]
