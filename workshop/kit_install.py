"""`make setup KIT=path`: the locked environment from a workshop kit (`make kit`), with no network at all.

    python3 workshop/kit_install.py KIT [--uv | --base]

KIT is the kit's archive or the folder it unpacks to. Plain Python (it runs before anything is installed): it
checks the kit was made for this uv.lock, this platform and this Python, puts the kit's uv in .tools/uv, installs
every locked package from the kit's wheels (each checked against the lock's hashes) and the project itself
(editable, as `uv sync` does), then asks uv whether the environment is exactly the lock's. With --uv, only uv;
with --base, only the base dependencies (what level 0 and the service need: a first result in a minute, the rest
with the next command). Nothing is fetched: uv runs offline with no index. The checkout remembers its kit
(.tools/kit-path) so that later make targets install from it too.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import zipfile
from enum import StrEnum
from hashlib import sha256
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KIT_NAME = "mlops-levels-kit"
UNPACKED = ROOT / ".tools" / "kit"
REMEMBERED = ROOT / ".tools" / "kit-path"
MACHINES = {("linux", "x86_64"): "linux-x86_64", ("linux", "aarch64"): "linux-arm64",
            ("darwin", "arm64"): "macos-arm64"}  # fmt: skip
UV_WHEEL_TAG = {"linux-x86_64": "manylinux_2_17_x86_64", "linux-arm64": "manylinux_2_17_aarch64",
                "macos-arm64": "macosx_11_0_arm64"}  # fmt: skip


class Part(StrEnum):
    UV = "uv"
    BASE = "base"
    ALL = "all"


class KitInstallError(RuntimeError):
    """The kit cannot be used here; the message says why and what to do."""


def digest(path: Path) -> str:
    hashed = sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            hashed.update(block)
    return hashed.hexdigest()


def unpacked(kit: Path) -> Path:
    """The kit's folder: ``kit`` itself when unpacked already, else the archive unpacked into .tools/kit/."""
    if (kit / "kit.json").is_file():
        return kit
    if not kit.is_file():
        raise KitInstallError(
            f"KIT={kit}: no such archive or kit folder (make kit OUT=folder writes one; to install from the network "
            f"again: rm {REMEMBERED})"
        )
    origin = UNPACKED / "archive"
    if (UNPACKED / "kit.json").is_file() and origin.is_file() and origin.read_text() == str(kit):
        return UNPACKED
    shutil.rmtree(UNPACKED, ignore_errors=True)  # .tools/kit/ is this installer's own
    partial = UNPACKED.with_name("kit.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with tarfile.open(kit) as tar:
            if any(member.name.startswith(("/", "..")) or "/../" in member.name for member in tar):
                raise KitInstallError(f"KIT={kit}: a member's path leaves the kit's folder: not unpacked")
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: no links out, no devices, no odd modes
                tar.extractall(partial, filter="data")
            else:
                tar.extractall(partial)  # names checked above
    except tarfile.TarError as error:
        said = str(error).splitlines()[-1]
        raise KitInstallError(f"KIT={kit}: not a kit archive (tar cannot read it: {said})") from error
    if not (partial / KIT_NAME / "kit.json").is_file():
        raise KitInstallError(f"KIT={kit}: no {KIT_NAME}/kit.json inside: not a kit archive")
    (partial / KIT_NAME).rename(UNPACKED)
    shutil.rmtree(partial)
    (UNPACKED / "archive").write_text(str(kit))
    return UNPACKED


def check(folder: Path) -> dict[str, object]:
    """The kit's manifest, once it matches this checkout, machine and Python, and its files their digests."""
    manifest = json.loads((folder / "kit.json").read_text())
    if manifest["uv_lock_sha256"] != digest(ROOT / "uv.lock"):
        raise KitInstallError(
            f"the kit was made for another uv.lock (commit {manifest['commit'][:12]}): check that commit out "
            f"(git checkout {manifest['commit'][:12]}) or make the kit from this one; online again: rm {REMEMBERED}"
        )
    machine = this_machine()
    if machine not in manifest["platforms"]:
        raise KitInstallError(
            f"the kit holds {', '.join(manifest['platforms'])}; this machine is {sys.platform} {platform.machine()} "
            "(make kit PLATFORMS=... for it, or open the devcontainer)"
        )
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if python not in manifest["pythons"]:
        held = ", ".join(manifest["pythons"])
        raise KitInstallError(f"the kit holds wheels for Python {held}; python3 here is {python}")
    for name, expected in manifest["files"].items():  # the lock's wheels: uv checks each against uv.lock's hashes
        if name.startswith("wheels/"):
            continue
        if not (folder / name).is_file() or digest(folder / name) != expected:
            raise KitInstallError(f"{name} is missing from the kit or damaged (its SHA-256 differs from kit.json's)")
    return manifest


def this_machine() -> str | None:
    """This machine as the kit names platforms; None when the kit has no such platform."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "arm64" if sys.platform == "darwin" else "aarch64"}.get(machine, machine)
    return MACHINES.get((sys.platform, machine))


def install_uv(folder: Path, version: str) -> Path:
    """The kit's uv at .tools/uv/bin/uv (where the Makefile looks), from its wheel for this machine."""
    uv = ROOT / ".tools" / "uv" / "bin" / "uv"
    if uv.is_file() and version in subprocess.run([uv, "--version"], capture_output=True, text=True).stdout:
        return uv
    wanted = UV_WHEEL_TAG[str(this_machine())]
    wheel = next(path for path in (folder / "uv").glob(f"uv-{version}-*.whl") if wanted in path.name)
    with zipfile.ZipFile(wheel) as archive:
        binary = archive.read(f"uv-{version}.data/scripts/uv")
    uv.parent.mkdir(parents=True, exist_ok=True)
    uv.write_bytes(binary)
    uv.chmod(0o755)
    return uv


def offline(uv: Path, *args: str) -> None:
    """Run uv offline, without an index, against this checkout's .venv; a failure stops the install."""
    env = {**os.environ, "UV_OFFLINE": "1", "UV_NO_INDEX": "1", "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run([str(uv), *args], cwd=ROOT, env=env, check=True)


def install(kit: Path, part: Part = Part.ALL) -> None:
    """Install ``part`` (uv, base or all) from ``kit``, offline; the checkout remembers the kit."""
    folder = unpacked(kit.expanduser().resolve())
    manifest = check(folder)
    uv = install_uv(folder, str(manifest["uv"]))
    REMEMBERED.write_text(str(kit.expanduser().resolve()))
    if part is Part.UV:
        return
    links = ["--find-links", str(folder / "wheels"), "--find-links", str(folder / "build")]
    if not (ROOT / ".venv" / "pyvenv.cfg").is_file():
        offline(uv, "venv", "--quiet", "--python", sys.executable, str(ROOT / ".venv"))
    requirements = folder / ("requirements-base.txt" if part is Part.BASE else "requirements.txt")
    offline(uv, "pip", "install", "--quiet", "--require-hashes", "--compile-bytecode", *links, "-r", str(requirements))
    offline(uv, "pip", "install", "--quiet", "--no-deps", *links, "-e", str(ROOT))
    if part is Part.ALL:
        offline(uv, "sync", "--frozen", "--all-extras", "--check", "--quiet")  # exactly the lock's environment


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    part = Part.UV if "--uv" in argv else Part.BASE if "--base" in argv else Part.ALL
    try:
        install(Path(argv[0]), part)
    except KitInstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        command = " ".join(map(str, error.cmd[:4]))
        print(f"error: {command} ... failed (exit {error.returncode}); see above", file=sys.stderr)
        return 1
    said = {Part.UV: "uv", Part.BASE: "the base packages of uv.lock", Part.ALL: "every package of uv.lock, as locked"}
    what = said[part]
    print(f"installed from the kit {Path(argv[0]).name}, with no network: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
