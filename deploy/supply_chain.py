"""The supply chain, checked offline (`make supply-chain`): a secret scan of the tree and the service's SBOM.

- **secrets**: detect-secrets over every file git tracks. A finding that ``.secrets.baseline`` does not list fails,
  named by file, line and kind. A false positive is accepted in review: ``detect-secrets scan --baseline
  .secrets.baseline`` adds it, ``detect-secrets audit .secrets.baseline`` marks it (docs/upkeep.md).
- **SBOM**: CycloneDX JSON of exactly what the service image installs (``uv.lock``'s base dependencies, as the
  Dockerfile's ``uv sync --no-default-groups``), each with its version, PURL and hashes.

The vulnerability audit of ``uv.lock`` (pip-audit) needs PyPI's JSON API or OSV, which this machine cannot reach:
it runs in ``.github/workflows/audit.yml`` (``make audit``), with accepted findings in ``deploy/audit-accepted.yaml``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from detect_secrets.core import baseline
from detect_secrets.settings import transient_settings
from pydantic import Field

from shared.policy_file import PolicyError, StrictModel, read_policy
from shared.project import PROJECT_ROOT

BASELINE = ".secrets.baseline"
SBOM_FILE = "sbom-service.cdx.json"
ACCEPTED = Path("deploy") / "audit-accepted.yaml"


class SupplyChainError(RuntimeError):
    """A check found something: the message names each finding."""


def new_secrets(root: Path) -> list[str]:
    """Findings in git's tracked files that the baseline does not list, as ``file:line: kind``."""
    known = json.loads((root / BASELINE).read_text())
    with transient_settings(known):  # the baseline's own plugins and filters, as it was made
        found = baseline.create(str(root), root=str(root))
    fresh = found - baseline.load(known, str(root / BASELINE))
    return [f"{file}:{secret.line_number}: {secret.type}" for file, secret in fresh]


def check_secrets(root: Path) -> str:
    found = new_secrets(root)
    if found:
        listed = "\n  ".join(found)
        raise SupplyChainError(
            f"{len(found)} possible secret(s) not in {BASELINE}:\n  {listed}\n"
            f"Remove it from the tree (and rotate it); a false positive is accepted in review: docs/upkeep.md"
        )
    return f"secrets: none beyond {BASELINE} in git's tracked files"


def export_lock(uv: str, root: Path, path: Path, *which: str, form: str = "requirements-txt") -> Path:
    """``uv.lock``'s packages chosen by ``which`` (uv export's options), pinned with their hashes, into ``path`` in
    ``form`` (requirements-txt, or pylock.toml: PEP 751, every wheel with its URL and hash)."""
    command = [uv, "export", "--frozen", *which, "--no-emit-project", "--format", form]
    subprocess.run([*command, "--output-file", str(path)], cwd=root, check=True, capture_output=True, timeout=60)
    return path


def write_sbom(uv: str, root: Path, out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    target = out / SBOM_FILE
    with tempfile.TemporaryDirectory() as tmp:
        # the service image's packages, as the Dockerfile installs them
        requirements = export_lock(uv, root, Path(tmp) / "requirements-service.txt", "--no-default-groups")
        made = Path(tmp) / SBOM_FILE  # written whole, then moved: never a half-written SBOM
        command = [sys.executable, "-m", "cyclonedx_py", "requirements", str(requirements), "--of", "JSON"]
        command += ["--pyproject", str(root / "pyproject.toml"), "--output-reproducible", "-o", str(made)]
        subprocess.run(command, check=True, capture_output=True, timeout=120)
        made.replace(target)
    components = json.loads(target.read_text()).get("components", [])
    return f"SBOM: {target} ({len(components)} components of the service's environment, CycloneDX)"


class AcceptedFinding(StrictModel):
    id: str = Field(min_length=1)  # the advisory's id as pip-audit prints it (PYSEC-..., GHSA-..., CVE-...)
    package: str = Field(min_length=1)
    reason: str = Field(min_length=20)  # why it cannot hurt here, or what waits for the fix: reviewed like code


class Accepted(StrictModel):
    accepted: list[AcceptedFinding] = Field(default_factory=list)


def audit_command(uv: str, root: Path, into: Path) -> list[str]:
    """pip-audit over every locked package (all groups and extras), hashes required, accepted findings ignored."""
    accepted = read_policy(root / ACCEPTED, Accepted).accepted  # a bad file stops it before any export
    path = export_lock(uv, root, into / "requirements-all.txt", "--all-groups", "--all-extras")
    ignored = [part for finding in accepted for part in ("--ignore-vuln", finding.id)]
    return [
        sys.executable,
        "-m",
        "pip_audit",
        "-r",
        str(path),
        "--disable-pip",
        "--require-hashes",
        "--strict",
        "--progress-spinner",
        "off",
        "--desc",
        "on",
        *ignored,
    ]


def audit(uv: str, root: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        command = audit_command(uv, root, Path(tmp))
        done = subprocess.run(command, timeout=900)
    if done.returncode != 0:
        print(
            "error: the audit failed: a vulnerability above (fix: raise the package's bound, `uv lock`; or accept it "
            f"with a reason in {ACCEPTED}), or PyPI's JSON API / OSV unreachable from this machine (CI's "
            ".github/workflows/audit.yml runs it)",
            file=sys.stderr,
        )
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.supply_chain", description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["check", "audit"], help="check: secrets and SBOM (offline); audit: pip-audit")
    parser.add_argument("--uv", default="uv", help="the uv that reads uv.lock")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "state" / "supply-chain")
    args = parser.parse_args(argv)
    try:
        if args.what == "audit":
            return audit(args.uv, PROJECT_ROOT)
        print(check_secrets(PROJECT_ROOT))
        print(write_sbom(args.uv, PROJECT_ROOT, args.out))
    except (SupplyChainError, PolicyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"error: {' '.join(map(str, error.cmd[:4]))} failed: {error.stderr.strip()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
