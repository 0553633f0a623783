"""The workshop kit: the wheels a room's machines need, chosen from the lock; and a fresh clone installed from the kit
with no network reaching level 0's result (the walk: `make test-workshop`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from workshop import kit_install
from workshop.kit import KitError, Platform, Target, best_wheel, needed_by, no_network, wheels_for

ROOT = Path(__file__).resolve().parents[2]
FILES = "https://files.example/packages"


def package(name: str, *wheels: str, marker: str | None = None) -> dict[str, Any]:
    """A package as uv's PEP 751 export writes it (digests and sizes made up: only the choice is tested)."""
    entry: dict[str, Any] = {"name": name, "version": "1.0", "wheels": []}
    for number, filename in enumerate(wheels):
        entry["wheels"].append({"url": f"{FILES}/{filename}", "hashes": {"sha256": f"{number:064x}"}, "size": 10})
    return entry | ({"marker": marker} if marker else {})


NUMERIC = package(
    "numeric",
    "numeric-1.0-cp311-cp311-macosx_14_0_arm64.whl",
    "numeric-1.0-cp311-cp311-macosx_11_0_arm64.whl",
    "numeric-1.0-cp311-cp311-musllinux_1_2_x86_64.whl",
    "numeric-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "numeric-1.0-cp311-cp311-manylinux_2_34_x86_64.whl",
    "numeric-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "numeric-1.0-cp311-cp311-win_amd64.whl",
)


def test_each_machine_gets_the_wheel_its_installer_would_choose() -> None:
    # given a package with wheels for many machines; when the kit chooses for each kind of machine of a room
    machines = (Target(Platform.LINUX_X86_64, (3, 11)), Target(Platform.MACOS_ARM64, (3, 11)))
    chosen = {str(target): best_wheel(NUMERIC, target).filename for target in machines}
    # then Linux gets the manylinux wheel that runs on glibc 2.28 (not the musl one, not the glibc 2.34 one)
    assert chosen["linux-x86_64 Python 3.11"] == NUMERIC["wheels"][3]["url"].rsplit("/", 1)[-1]  # manylinux_2_17
    # and macOS on Apple silicon the one for macOS 11, which a macOS 12 laptop can install (14 would need 14)
    assert chosen["macos-arm64 Python 3.11"] == "numeric-1.0-cp311-cp311-macosx_11_0_arm64.whl"
    # and Python 3.12 its own build
    assert best_wheel(NUMERIC, Target(Platform.LINUX_X86_64, (3, 12))).filename.startswith("numeric-1.0-cp312")


def test_a_machine_no_wheel_fits_is_a_clear_error_naming_the_package_and_the_machine() -> None:
    # given a package built for x86_64 only; when the kit is made for arm64 Linux
    with pytest.raises(KitError, match=r"numeric 1\.0 has no wheel for linux-arm64 Python 3\.11"):
        best_wheel(NUMERIC, Target(Platform.LINUX_ARM64, (3, 11)))


def test_markers_keep_what_a_machine_installs_and_no_more() -> None:
    # given packages installed only on some machines, as the lock's markers say
    mac_only = package("appkit", "appkit-1.0-py3-none-any.whl", marker="sys_platform == 'darwin'")
    old_python = package("backport", "backport-1.0-py3-none-any.whl", marker="python_full_version < '3.11.5'")
    windows = package("winshim", "winshim-1.0-py3-none-any.whl", marker="sys_platform == 'win32'")
    linux, mac = Target(Platform.LINUX_X86_64, (3, 11)), Target(Platform.MACOS_ARM64, (3, 12))
    # then each goes to the machines that install it: 3.11.0-3.11.4 need the backport, so 3.11 machines get it
    assert [needed_by(p, linux) for p in (mac_only, old_python, windows)] == [False, True, False]
    assert [needed_by(p, mac) for p in (mac_only, old_python, windows)] == [True, False, False]
    # and a wheel every machine shares is in the kit once
    universal = package("plain", "plain-1.0-py3-none-any.whl")
    assert [w.filename for w in wheels_for([universal, mac_only], [linux, mac])] == [
        "plain-1.0-py3-none-any.whl",
        "appkit-1.0-py3-none-any.whl",
    ]


def this_machine() -> Platform:
    found = kit_install.this_machine()
    if found is None:
        pytest.skip(f"the kit has no platform for {sys.platform} {os.uname().machine}")
    return Platform(found)


@pytest.mark.walk
@pytest.mark.churn  # level 0 on the churn simulator
def test_a_fresh_clone_from_the_kit_runs_level0_with_no_network(tmp_path: Path) -> None:
    # given a kit made for this machine's platform and Python (its wheels fetched into the test's folder)
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    made = subprocess.run(
        [sys.executable, "-m", "workshop.make_kit", str(tmp_path / "out"), "--cache", str(tmp_path / "cache"),
         "--platforms", str(this_machine()), "--pythons", python],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    (archive,) = (tmp_path / "out").glob("mlops-levels-kit-*.tar")
    # when a participant with no network unpacks it, clones the project from it and runs level 0 from the kit
    room = tmp_path / "room"
    room.mkdir(mode=0o700)
    (room / "home").mkdir()
    env = no_network(str(room / "home"), os.environ["PATH"])
    subprocess.run(["tar", "-xf", str(archive)], cwd=room, check=True)
    clone = ["git", "clone", "--quiet", "mlops-levels-kit/mlops-levels.bundle", "mlops-levels"]
    subprocess.run(clone, cwd=room, env=env, check=True)
    checkout = room / "mlops-levels"
    ran = subprocess.run(
        ["make", "level0", f"KIT={archive}"], cwd=checkout, env=env, capture_output=True, text=True, timeout=900
    )
    # then level 0 writes its hand-off, with uv from the kit and the base packages only (the rest waits)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert (checkout / "state" / "level0" / "handoff" / "model.joblib").is_file()
    assert "installed from the kit" in ran.stdout
    assert not (checkout / ".venv" / ".synced").exists()
    # and the checkout remembers its kit: the full environment comes from it too, exactly the lock's
    full = subprocess.run(["make", "setup"], cwd=checkout, env=env, capture_output=True, text=True, timeout=900)
    assert full.returncode == 0, full.stdout[-3000:] + full.stderr[-3000:]
    assert "every package of uv.lock, as locked" in full.stdout
