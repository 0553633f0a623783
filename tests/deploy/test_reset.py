from pathlib import Path

import pytest

from deploy import reset


def test_reset_removes_what_the_commands_made_and_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a state folder with what commands made and a folder of the user's own
    state = tmp_path / "state"
    for made in ("mlflow", "level2", "level2-demo"):
        (state / made).mkdir(parents=True)
        (state / made / "some.db").write_text("rows")
    (state / "my-exports").mkdir()
    (state / "my-exports" / "q3.csv").write_text("id,value")
    monkeypatch.setenv("MLOPS_STATE_DIR", str(state))
    # when reset runs
    assert reset.main([]) == 0
    # then each removed folder was listed and is gone; the user's folder is kept and said so
    said = capsys.readouterr().out
    assert [p.name for p in state.iterdir()] == ["my-exports"]
    for made in ("mlflow", "level2", "level2-demo"):
        assert f"removing {state / made}" in said
    assert f"kept {state / 'my-exports'}: not made by a command of this project" in said
