import pytest

from level1_pipeline.steps import parse_param_overrides


def test_param_overrides_are_typed_and_validated() -> None:
    assert parse_param_overrides(["max_depth=3", "learning_rate=0.2"]) == {"max_depth": 3, "learning_rate": 0.2}


def test_bad_param_values_are_refused() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        parse_param_overrides(["max_depth=zero"])
    with pytest.raises(ValueError, match="NAME=VALUE"):
        parse_param_overrides(["max_depth"])


def test_ingest_retries_transient_errors_only() -> None:
    from prefect.states import Failed

    from level1_pipeline.flow import _transient

    assert _transient(None, None, Failed(data=ConnectionResetError("reset by peer")))
    assert not _transient(None, None, Failed(data=FileNotFoundError("data/x.csv")))
    assert not _transient(None, None, Failed(data=ValueError("bad row")))
