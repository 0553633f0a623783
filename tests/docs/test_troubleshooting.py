"""The troubleshooting page points only at commands and tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "troubleshooting.md"


def test_every_make_target_and_test_the_page_names_exists() -> None:
    text = PAGE.read_text()
    targets = set(re.findall(r"^([a-zA-Z0-9_-]+):.*## ", (ROOT / "Makefile").read_text(), re.MULTILINE))
    named = set(re.findall(r"make (?:-s )?([a-z][a-z0-9-]*)", text))
    assert named
    assert named - targets == set()
    for path, name in re.findall(r"(tests/[\w/]+\.py)::(\w+)", text):
        assert re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.MULTILINE), f"{path}::{name}"
