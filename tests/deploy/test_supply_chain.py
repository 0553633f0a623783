"""The supply chain checked offline: a secret in git's files fails naming it, the SBOM is the service's environment."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.supply_chain import (
    ACCEPTED,
    BASELINE,
    SBOM_FILE,
    SupplyChainError,
    audit_command,
    check_secrets,
    write_sbom,
)
from shared.policy_file import PolicyError
from shared.project import PROJECT_ROOT

pytestmark = pytest.mark.slow  # git, uv and cyclonedx run as processes

UV = PROJECT_ROOT / ".tools" / "uv" / "bin" / "uv"
FAKE = "x7Kq2Lm9Pz4Rt8Vw1Ys6Bn3Jd5Hf0Gc2Ae7U"  # the tests' planted token: not a secret  # pragma: allowlist secret
PLANTED = f'GITHUB_TOKEN = "ghp_{FAKE}"\n'


def a_repository(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(PROJECT_ROOT / BASELINE, root / BASELINE)  # the project's own plugins and filters
    for name, text in files.items():
        (root / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, timeout=30)
    subprocess.run(["git", "add", "."], cwd=root, check=True, timeout=30)
    return root


def test_a_token_committed_to_the_tree_fails_the_scan_naming_its_file_and_line(tmp_path: Path) -> None:
    # given a tree whose settings module carries a GitHub token on its second line
    root = a_repository(tmp_path, {"settings.py": "# settings\n" + PLANTED, "clean.py": "x = 1\n"})
    # when the tree is scanned, then the scan fails and names where
    with pytest.raises(SupplyChainError, match=r"settings\.py:2: GitHub Token"):
        check_secrets(root)


def test_a_finding_accepted_in_the_baseline_passes_and_a_new_one_beside_it_does_not(tmp_path: Path) -> None:
    from detect_secrets.core import baseline

    # given a finding reviewed and written into the baseline
    root = a_repository(tmp_path, {"fixture.py": PLANTED})
    known = json.loads((root / BASELINE).read_text())
    reviewed = baseline.format_for_output(baseline.create(str(root), root=str(root)))
    (root / BASELINE).write_text(json.dumps(known | {"results": reviewed["results"]}))
    # then the scan passes
    assert "none beyond" in check_secrets(root)
    # when a second token appears in another file, then that one fails
    (root / "later.py").write_text(PLANTED.replace(FAKE[:4], "m3Wd"))
    subprocess.run(["git", "add", "later.py"], cwd=root, check=True, timeout=30)
    with pytest.raises(SupplyChainError, match=r"later\.py:1") as raised:
        check_secrets(root)
    assert "fixture.py" not in str(raised.value)


@pytest.mark.skipif(not UV.is_file(), reason="the pinned uv of `make setup` is not installed")
def test_the_sbom_lists_what_the_service_image_installs_with_hashes_and_nothing_of_the_pipeline(
    tmp_path: Path,
) -> None:
    # when the SBOM of the service's environment is written
    said = write_sbom(str(UV), PROJECT_ROOT, tmp_path)
    components = json.loads((tmp_path / SBOM_FILE).read_text())["components"]
    names = {c["name"].lower() for c in components}
    # then it holds the service's own dependencies, each hashed, and none of the pipeline's or the tests'
    assert {"fastapi", "uvicorn", "scikit-learn"} <= names
    assert not names & {"prefect", "great-expectations", "evidently", "pytest", "matplotlib"}
    unhashed = [c["name"] for c in components if not any(r.get("hashes") for r in c.get("externalReferences", []))]
    assert unhashed == []
    assert f"{len(components)} components" in said


def test_an_accepted_vulnerability_needs_a_reason_and_is_then_ignored_by_the_audit(tmp_path: Path) -> None:
    # given an accepted finding without a real reason
    (tmp_path / "deploy").mkdir()
    accepted = tmp_path / ACCEPTED
    accepted.write_text("accepted:\n  - {id: GHSA-aaaa-bbbb-cccc, package: jinja2, reason: fine}\n")
    shutil.copy(PROJECT_ROOT / "uv.lock", tmp_path / "uv.lock")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if not UV.is_file():
        pytest.skip("the pinned uv of `make setup` is not installed")
    # then the audit refuses to start, naming the field
    with pytest.raises(PolicyError, match=r"accepted\.0\.reason"):
        audit_command(str(UV), tmp_path, tmp_path)
    # when the reason says why, then the audit ignores exactly that advisory
    reason = "only the docs' templates use it; no user input reaches it"
    accepted.write_text(f"accepted:\n  - {{id: GHSA-aaaa-bbbb-cccc, package: jinja2, reason: {reason}}}\n")
    command = audit_command(str(UV), tmp_path, tmp_path)
    assert command[command.index("--ignore-vuln") + 1] == "GHSA-aaaa-bbbb-cccc"
    assert "--require-hashes" in command
