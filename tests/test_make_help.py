"""`make help`: every target once, by what it is for; the first group is what a newcomer needs."""

import re
import subprocess

from shared.settings_layers import PROJECT_ROOT


def groups() -> dict[str, list[str]]:
    shown = subprocess.run(
        ["make", "-s", "--no-print-directory", "help"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    found: dict[str, list[str]] = {}
    title = ""
    for line in re.sub(r"\x1b\[[0-9;]*m", "", shown.stdout).splitlines():
        if line and not line.startswith(" "):
            title = line
            found[title] = []
        elif line.strip():
            found[title].append(line.split()[0])
    return found


def test_every_documented_target_is_shown_once_in_a_group() -> None:
    documented = re.findall(r"^([a-zA-Z0-9_-]+):.*## ", (PROJECT_ROOT / "Makefile").read_text(), re.MULTILINE)
    shown = [target for targets in groups().values() for target in targets]
    assert sorted(shown) == sorted(documented)
    assert len(groups()) >= 5


def test_the_first_group_is_the_newcomers_ten_or_so() -> None:
    title, first = next(iter(groups().items()))
    assert title == "Start here"
    assert {"level0", "level1", "level2", "test", "setup"} <= set(first)
    assert len(first) <= 11
