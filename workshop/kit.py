"""Which wheels of the lock a workshop room's machines need: the pure part of `make kit` (workshop/make_kit.py).

Platforms: Linux x86_64 and arm64 (glibc 2.28 or newer: Debian 10, Ubuntu 20.04, RHEL 8) and macOS arm64 (12 or
newer); Python 3.11, 3.12 and 3.13. Windows: the devcontainer (.devcontainer/), which is Linux.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from packaging.markers import Marker
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.utils import parse_wheel_filename

from workshop.kit_install import MACHINES

PYTHONS = ((3, 11), (3, 12), (3, 13))
GLIBC_FLOOR = (2, 28)
MACOS_FLOOR = (12, 0)
LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}  # PEP 600's aliases


class KitError(RuntimeError):
    """The kit cannot be made; the message says why and what to do."""


class Platform(StrEnum):
    LINUX_X86_64 = "linux-x86_64"
    LINUX_ARM64 = "linux-arm64"
    MACOS_ARM64 = "macos-arm64"

    @property
    def machine(self) -> str:
        """``platform.machine()`` on such a machine (the installer's table, read backwards)."""
        return next(machine for (_, machine), name in MACHINES.items() if name == self.value)

    @property
    def is_linux(self) -> bool:
        return next(system for (system, _), name in MACHINES.items() if name == self.value) == "linux"

    def platform_tags(self) -> list[str]:
        """The wheel platform tags a machine of this kind accepts, the most specific first."""
        if not self.is_linux:
            return list(mac_platforms(MACOS_FLOOR, self.machine))
        major, floor = GLIBC_FLOOR
        lowest = 5 if self.machine == "x86_64" else 17
        tags = []
        for minor in range(floor, lowest - 1, -1):
            tags.append(f"manylinux_{major}_{minor}_{self.machine}")
            if minor in LEGACY_MANYLINUX:
                tags.append(f"{LEGACY_MANYLINUX[minor]}_{self.machine}")
        return tags


@dataclass(frozen=True)
class Target:
    """A participant's machine: a platform and a Python version."""

    platform: Platform
    python: tuple[int, int]

    def __str__(self) -> str:
        return f"{self.platform} Python {self.python[0]}.{self.python[1]}"

    def environments(self) -> Iterator[dict[str, str]]:
        """Marker environments of the first and the newest release of this Python (the lock forks on patches)."""
        linux = self.platform.is_linux
        for micro in (0, 99):
            yield {
                "python_version": f"{self.python[0]}.{self.python[1]}",
                "python_full_version": f"{self.python[0]}.{self.python[1]}.{micro}",
                "sys_platform": "linux" if linux else "darwin",
                "platform_system": "Linux" if linux else "Darwin",
                "platform_machine": self.platform.machine,
                "os_name": "posix",
                "implementation_name": "cpython",
                "platform_python_implementation": "CPython",
                "platform_release": "",
                "platform_version": "",
                "implementation_version": f"{self.python[0]}.{self.python[1]}.{micro}",
                "extra": "",
            }

    def tags(self) -> list[Tag]:
        """Every tag this machine's installer accepts, the preferred first."""
        interpreter = f"cp{self.python[0]}{self.python[1]}"
        platforms = self.platform.platform_tags()
        return [
            *cpython_tags(self.python, [interpreter, "abi3", "none"], platforms),
            *compatible_tags(self.python, interpreter, platforms),
        ]


@dataclass(frozen=True)
class LockedWheel:
    """One wheel file of the lock: where it is, what it must hash to."""

    name: str
    url: str
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


def needed_by(package: dict[str, Any], target: Target) -> bool:
    """Whether ``target`` installs ``package`` (its marker, evaluated for the target's Python releases)."""
    if (text := package.get("marker")) is None:
        return True
    marker = Marker(text)
    return any(marker.evaluate(env) for env in target.environments())


@cache
def preference(target: Target) -> dict[Tag, int]:
    """Each tag the target accepts and its rank, the preferred first (computed once per target)."""
    return {tag: rank for rank, tag in enumerate(target.tags())}


def best_wheel(package: dict[str, Any], target: Target) -> LockedWheel:
    """The wheel of ``package`` the target's installer would choose; a clear error when there is none."""
    ranks_of = preference(target)
    ranked = []
    for wheel in package.get("wheels", []):
        url = wheel["url"]
        _, _, _, tags = parse_wheel_filename(url.rsplit("/", 1)[-1])
        ranks = [ranks_of[tag] for tag in tags if tag in ranks_of]
        if ranks:
            ranked.append((min(ranks), LockedWheel(package["name"], url, wheel["hashes"]["sha256"], wheel["size"])))
    if not ranked:
        raise KitError(
            f"{package['name']} {package['version']} has no wheel for {target} in uv.lock (the kit installs wheels "
            "only, nothing is built in the room): pin a version with one, or leave that platform out (--platforms)"
        )
    return min(ranked, key=lambda pair: pair[0])[1]


def wheels_for(packages: Sequence[dict[str, Any]], targets: Iterable[Target]) -> list[LockedWheel]:
    """Every wheel the targets need, each once, in the lock's order."""
    chosen: dict[str, LockedWheel] = {}
    for target in targets:
        for package in packages:
            if needed_by(package, target):
                wheel = best_wheel(package, target)
                chosen.setdefault(wheel.filename, wheel)
    return list(chosen.values())


def no_network(home: str, path: str) -> dict[str, str]:
    """A participant's shell with no network, for the kit's walk and benchmark: every proxy points where nothing
    listens (the discard port), the index is unroutable, HOME (and so every cache) is fresh."""
    nowhere, unroutable = "http://127.0.0.1:9", "http://10.255.255.1/simple"
    proxies = {key: nowhere for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")}
    index = {key: unroutable for key in ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL")}
    return {"PATH": path, "HOME": home, "LANG": "C.UTF-8", **proxies, **index}
