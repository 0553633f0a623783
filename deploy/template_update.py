"""`make template-update`: bring the template's newer commits into a fork, keeping the fork's own files.

A fork's own things live in `config/` (schema, settings, policies, model card, sweep space) and its data; the
template's code, tests and docs everywhere else. `.gitattributes` marks `config/*.yaml` with the merge driver
`fork-keeps`: where both the fork and the template changed one of those files, the fork's version stays (git calls
the driver only then; a file only the template changed is taken as the template has it). Every other file merges
as git merges. Policy keys the template adds later have defaults in code, so a fork's older file stays valid;
CHANGELOG.md says what a fork should act on, and this command prints the entries new since the last update.

Plain Python and git (no environment needed): `python3 deploy/template_update.py [--template URL_OR_PATH]
[--branch main]`. The first time, name the template (it is kept as the git remote `template`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REMOTE = "template"
DRIVER = "fork-keeps"
FORKS_OWN = "config/"
CHANGELOG = "CHANGELOG.md"


class UpdateError(RuntimeError):
    """Why the update did not start or did not finish; the fork's branch is as it was, unless it says otherwise."""


def git(*args: str, check: bool = True) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        raise UpdateError(f"git {' '.join(args)}: {(done.stderr or done.stdout).strip()}")
    return done.stdout.strip()


def configured_remote(template: str | None) -> str:
    """The `template` remote's URL, added or changed when ``template`` names one."""
    current = git("remote", "get-url", REMOTE, check=False)
    if template and template != current:
        git("remote", "set-url" if current else "add", REMOTE, template)
        return template
    if not current:
        raise UpdateError("name the template once: make template-update TEMPLATE=<its git URL or path>")
    return current


def changed_since(base: str, ref: str) -> set[str]:
    return set(filter(None, git("diff", "--name-only", base, ref).splitlines()))


def changelog_entries(base: str, ref: str) -> list[str]:
    """The changelog's lines the template added since the last update."""
    diff = git("diff", "--unified=0", base, ref, "--", CHANGELOG, check=False)
    return [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]


def update(template: str | None, branch: str) -> list[str]:
    """Merge ``template/branch`` into the checked-out branch; returns what to tell the user."""
    if git("status", "--porcelain", "--untracked-files=no"):
        raise UpdateError("commit or stash your changes first (git status): the merge needs a clean tree")
    url = configured_remote(template)
    git("config", f"merge.{DRIVER}.name", "keep the fork's own file where both sides changed it")
    git("config", f"merge.{DRIVER}.driver", "true")  # exit 0 leaving ours (%A) as it is
    git("fetch", "--quiet", REMOTE, branch)
    ref = f"{REMOTE}/{branch}"
    base = git("merge-base", "HEAD", ref)
    if base == git("rev-parse", ref):
        return [f"already up to date with {url} ({branch})"]
    kept = sorted(p for p in changed_since(base, "HEAD") & changed_since(base, ref) if p.startswith(FORKS_OWN))
    merged = subprocess.run(
        ["git", "merge", "--no-edit", "-m", f"Merge the template's {branch} ({url})", ref],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if merged.returncode != 0:
        conflicted = git("diff", "--name-only", "--diff-filter=U", check=False).split()
        raise UpdateError(
            f"the merge stopped on conflicts in {', '.join(conflicted) or 'files git names'}: resolve them and "
            "`git commit`, or `git merge --abort` to go back to where you were"
        )
    said = [f"merged {git('rev-parse', '--short', ref)} of {url} ({branch})"]
    said += [f"kept your own {path} (the template changed it too: see CHANGELOG.md)" for path in kept]
    entries = changelog_entries(base, ref)
    said += ["new in the template's CHANGELOG.md:", *entries] if entries else []
    return said


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make template-update", description=__doc__.splitlines()[0])
    parser.add_argument("--template", help="the template's git URL or path (kept as the remote 'template')")
    parser.add_argument("--branch", default="main", help="the template's branch (default main)")
    args = parser.parse_args(argv)
    try:
        print("\n".join(update(args.template or None, args.branch)))
    except UpdateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
