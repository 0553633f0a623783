"""`make kit OUT=folder`: one archive a workshop room installs from with no network (make it the day before).

The archive holds the project (a git bundle of this commit), the pinned uv for each platform, every wheel of
`uv.lock` a participant's machine needs (workshop/kit.py chooses them; each is checked against the lock's SHA-256),
the lock as hashed requirements, the build backend of the project's editable install, and a manifest. In the room,
`make setup KIT=archive` (workshop/kit_install.py, plain Python) installs from it alone. Downloads are kept under
state/kit/ for the next kit.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

from deploy.supply_chain import export_lock
from shared.project import PROJECT_ROOT
from workshop.kit import PYTHONS, KitError, LockedWheel, Platform, Target, wheels_for
from workshop.kit_install import KIT_NAME, UV_WHEEL_TAG
from workshop.kit_install import digest as sha256

BUILD_BACKEND = ("hatchling>=1.25", "editables~=0.3")  # [build-system] and its editable hook: `uv pip install -e .`
DOWNLOAD_TIMEOUT_S = 60
DOWNLOAD_ATTEMPTS = 3


def export(project: Path, path: Path, form: str, base: bool = False) -> Path:
    """The lock as `make setup` installs it (every extra, the default groups) or, with ``base``, its base packages
    only (what level 0 needs first), into ``path``."""
    uv = str(project / ".tools" / "uv" / "bin" / "uv")
    return export_lock(uv, project, path, "--no-default-groups" if base else "--all-extras", form=form)


def locked_packages(project: Path, folder: Path) -> list[dict[str, Any]]:
    """Every package `make setup` installs, with its marker and its wheels (the lock's PEP 751 export)."""
    return list(tomllib.loads(export(project, folder / "pylock.toml", "pylock.toml").read_text())["packages"])


def download(wheel: LockedWheel, folder: Path) -> Path:
    """``wheel`` in ``folder``, fetched unless already there with the lock's digest; a wrong digest is an error."""
    path = folder / wheel.filename
    if path.exists() and sha256(path) == wheel.sha256:
        return path
    partial = path.with_name(path.name + ".partial")
    for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(wheel.url, timeout=DOWNLOAD_TIMEOUT_S) as answer, partial.open("wb") as out:
                shutil.copyfileobj(answer, out, 1 << 20)
            break
        except OSError as error:
            if attempt == DOWNLOAD_ATTEMPTS:
                raise KitError(f"{wheel.url}: {error} (tried {attempt} times)") from error
            time.sleep(2 * attempt)
    if (digest := sha256(partial)) != wheel.sha256:
        partial.unlink()
        raise KitError(f"{wheel.filename}: SHA-256 {digest} is not the lock's {wheel.sha256}: not put in the kit")
    partial.replace(path)
    return path


def pip_download(folder: Path, *requirements: str, platform_tag: str | None = None) -> list[Path]:
    """Wheels the lock does not hold (uv itself, the build backend), fetched by this environment's pip."""
    how = ["--no-deps", "--platform", platform_tag, "--python-version", "3.11"] if platform_tag else []
    fresh = folder / ".download"
    shutil.rmtree(fresh, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
         "--dest", str(fresh), *how, *requirements],
        check=True,
    )  # fmt: skip
    fetched = [path.replace(folder / path.name) for path in sorted(fresh.glob("*.whl"))]
    fresh.rmdir()
    return fetched


def uv_version(project: Path) -> str:
    """The uv version the Makefile pins."""
    for line in (project / "Makefile").read_text().splitlines():
        if line.startswith("UV_VERSION :="):
            return line.split(":=")[1].strip()
    raise KitError("the Makefile pins no UV_VERSION")


def git(project: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, text=True).stdout.strip()


def gather(project: Path, platforms: list[Platform], pythons: list[tuple[int, int]], cache: Path) -> dict[str, Path]:
    """Every file of the kit by its name inside it, fetched into ``cache``."""
    for folder in ("wheels", "uv", "build"):
        (cache / folder).mkdir(parents=True, exist_ok=True)
    targets = [Target(platform, python) for platform in platforms for python in pythons]
    wheels = wheels_for(locked_packages(project, cache), targets)
    size = sum(wheel.size for wheel in wheels) / 1e6
    print(f"{len(wheels)} wheels of uv.lock for {len(targets)} kinds of machine: {size:,.0f} MB")
    files: dict[str, Path] = {}
    for number, wheel in enumerate(wheels, 1):
        files[f"wheels/{wheel.filename}"] = download(wheel, cache / "wheels")
        if number % 100 == 0:
            print(f"  {number}/{len(wheels)}")
    uv = uv_version(project)
    for platform in platforms:
        for path in pip_download(cache / "uv", f"uv=={uv}", platform_tag=UV_WHEEL_TAG[platform]):
            files[f"uv/{path.name}"] = path
    for path in pip_download(cache / "build", *BUILD_BACKEND):
        files[f"build/{path.name}"] = path
    return files


def build(out: Path, platforms: list[Platform], pythons: list[tuple[int, int]], cache: Path) -> Path:
    """Write the kit archive under ``out`` (downloads kept in ``cache``); returns its path. An archive already there
    is never overwritten."""
    project = PROJECT_ROOT
    commit = git(project, "rev-parse", "HEAD")
    archive = out / f"{KIT_NAME}-{commit[:12]}.tar"
    if archive.exists():
        raise KitError(f"{archive} exists: not overwritten (move it, or choose another OUT=)")
    if git(project, "status", "--porcelain", "--untracked-files=no"):
        print("note: the kit holds the last commit; your uncommitted changes are not in it")
    files = gather(project, platforms, pythons, cache)
    files["requirements.txt"] = export(project, cache / "requirements.txt", "requirements-txt")
    files["requirements-base.txt"] = export(project, cache / "requirements-base.txt", "requirements-txt", base=True)
    manifest: dict[str, Any] = {
        "commit": commit,
        "uv": uv_version(project),
        "uv_lock_sha256": sha256(project / "uv.lock"),
        "platforms": [str(platform) for platform in platforms],
        "pythons": [f"{major}.{minor}" for major, minor in pythons],
        "made": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "files": {name: sha256(path) for name, path in files.items()},
    }
    (cache / "kit.json").write_text(json.dumps(manifest, indent=1))
    out.mkdir(parents=True, exist_ok=True)
    bundle = cache / "mlops-levels.bundle"
    branch = subprocess.run(["git", "symbolic-ref", "--short", "-q", "HEAD"], cwd=project, capture_output=True)
    git(project, "bundle", "create", "--quiet", str(bundle), "HEAD", *branch.stdout.decode().split())
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w") as tar:
        tar.add(bundle, f"{KIT_NAME}/mlops-levels.bundle")
        for name, path in sorted({**files, "kit.json": cache / "kit.json"}.items()):
            tar.add(path, f"{KIT_NAME}/{name}")
    partial.replace(archive)
    bundle.unlink()
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make kit", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the folder to write the archive into")
    parser.add_argument("--platforms", nargs="+", type=Platform, default=list(Platform), metavar="PLATFORM",
                        help=f"any of {', '.join(Platform)} (default: all)")  # fmt: skip
    parser.add_argument("--pythons", nargs="+", default=[f"{a}.{b}" for a, b in PYTHONS], metavar="X.Y",
                        help="the room's Python versions (default: 3.11 3.12 3.13)")  # fmt: skip
    parser.add_argument("--cache", type=Path, default=PROJECT_ROOT / "state" / "kit",
                        help="where downloads are kept for the next kit (default: state/kit)")  # fmt: skip
    args = parser.parse_args(argv)
    pythons = [(int(major), int(minor)) for major, minor in (text.split(".")[:2] for text in args.pythons)]
    try:
        archive = build(args.out.resolve(), args.platforms, pythons, args.cache.resolve())
    except KitError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"kit: {archive} ({archive.stat().st_size / 1e6:,.0f} MB)")
    print(f"in the room (docs/workshop.md): tar -xf {archive.name} && git clone {KIT_NAME}/mlops-levels.bundle")
    print(f"  mlops-levels && cd mlops-levels && make level0 KIT=../{KIT_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
