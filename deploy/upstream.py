"""What moved when the lock was re-resolved to the newest versions the project's constraints allow.

`python -m deploy.upstream BEFORE AFTER [--out FILE]`: compares two `uv.lock` files and writes a Markdown
table of the packages whose resolved version changed, the project's own dependencies first. Used by
`make upstream-check` and the scheduled `upstream` workflow (docs/upkeep.md).
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from shared.project import PROJECT_ROOT

ROOT = PROJECT_ROOT
ABSENT = "-"


@dataclass(frozen=True, order=True)
class Change:
    package: str
    before: str
    after: str


def locked_versions(lock_text: str) -> dict[str, str]:
    """Each locked package's resolved version (the project itself, which has no registry version, left out)."""
    packages = tomllib.loads(lock_text).get("package", [])
    return {p["name"]: p["version"] for p in packages if "version" in p and "editable" not in p.get("source", {})}


def version_changes(before: dict[str, str], after: dict[str, str]) -> list[Change]:
    """Packages added, removed or moved to another version, by name."""
    names = sorted(set(before) | set(after))
    moved = (Change(n, before.get(n, ABSENT), after.get(n, ABSENT)) for n in names)
    return [c for c in moved if c.before != c.after]


def direct_dependencies(pyproject_text: str) -> set[str]:
    """Names the project asks for itself (dependencies, extras, groups), normalised like the lock's."""
    project = tomllib.loads(pyproject_text)
    specs = list(project["project"].get("dependencies", []))
    for extra in project["project"].get("optional-dependencies", {}).values():
        specs += extra
    for group in project.get("dependency-groups", {}).values():
        specs += [s for s in group if isinstance(s, str)]
    return {re.split(r"[\s\[<>=!~;]", s, maxsplit=1)[0].lower().replace("_", "-") for s in specs}


def report(changes: list[Change], direct: set[str]) -> str:
    """Markdown: the project's own dependencies that moved, then how many of theirs did."""
    if not changes:
        return "The newest versions the constraints allow are the locked ones: nothing moved.\n"
    own = [c for c in changes if c.package in direct]
    others = [c for c in changes if c.package not in direct]
    lines = ["| package | locked | newest allowed |", "| --- | --- | --- |"]
    lines += [f"| {c.package} | {c.before} | {c.after} |" for c in own]
    text = f"{len(own)} of the project's own dependencies moved" + (":\n\n" + "\n".join(lines) if own else ".") + "\n"
    if others:
        listed = ", ".join(f"{c.package} {c.before} -> {c.after}" for c in others)
        text += f"\nand {len(others)} packages they depend on: {listed}.\n"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    changes = version_changes(locked_versions(args.before.read_text()), locked_versions(args.after.read_text()))
    text = report(changes, direct_dependencies((ROOT / "pyproject.toml").read_text()))
    print(text, end="")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
